"""Certificates of an accredited CME activity, independent of the database.

* ``document`` — ``CertificateDocument``: the plain values printed on one certificate.
* ``render`` — the document as a tagged US Letter landscape PDF (WeasyPrint).
* ``fonts`` — DejaVu Serif subset once per process, for WeasyPrint without HarfBuzz-Subset.
* ``numbers`` — certificate numbers with a check character, and the verification URL.
* ``mail`` — the certificate mail and its delivery (SMTP, or a folder of ``.eml`` files).
* ``cpe_monitor`` — reporting pharmacists' credit to CPE Monitor; ``cpe_monitor_wire`` is
  the one module holding its wire format; ``cpe_monitor_standin`` a local stand-in service.
* ``specimens`` — specimen documents built from the seed activity page.

Only the light modules are re-exported here; import ``render`` (WeasyPrint) and ``mail``
where they are used, so that e.g. the verification page does not load WeasyPrint.
"""

from lti_tool.certificates.document import (
    AMA_PRA_CREDIT_NAME,
    CertificateDocument,
    CertificateKind,
    InvalidCertificateDocument,
    PharmacistCredit,
)
from lti_tool.certificates.numbers import (
    InvalidCertificateNumber,
    build_verification_url,
    new_certificate_number,
    normalize_certificate_number,
)

__all__ = [
    "AMA_PRA_CREDIT_NAME",
    "CertificateDocument",
    "CertificateKind",
    "InvalidCertificateDocument",
    "InvalidCertificateNumber",
    "PharmacistCredit",
    "build_verification_url",
    "new_certificate_number",
    "normalize_certificate_number",
]
