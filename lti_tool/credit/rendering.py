"""The certificate mail, and the certificate renderer loaded with WeasyPrint on first use
(:mod:`lti_tool.pdfengine`), not at start-up."""

from __future__ import annotations

from lti_tool.certificates import mail as certificate_mail
from lti_tool.certificates.document import CertificateDocument
from lti_tool.pdfengine import load_weasyprint

__all__ = ["certificate_mail", "render_certificate_pdf"]


def render_certificate_pdf(document: CertificateDocument) -> bytes:
    """PDF of ``document`` (:func:`lti_tool.certificates.render.render_certificate_pdf`)."""
    load_weasyprint()
    from lti_tool.certificates.render import render_certificate_pdf as render

    return render(document)
