"""The public verification page: ``GET /certificates/verify/<number>``.

Printed on every certificate (and as its QR code), so anyone holding one can check it: the
page says whether the number is valid, replaced (naming its replacement) or revoked, for
whom and for what, and nothing else: no e-Profile ID, birth date, licence or email. Numbers
carry a check character and 55 random bits (lti_tool/certificates/numbers.py), so the page
cannot be used to enumerate certificates. Status codes tell machines what the page tells
people: 200 valid, 410 replaced or revoked, 404 unknown.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from lti_tool.certificates import InvalidCertificateNumber, normalize_certificate_number
from lti_tool.credit import present
from lti_tool.extensions import db
from lti_tool.models import ActivityVersion, Certificate

bp = Blueprint("verification", __name__)


@bp.get("/certificates/verify/<number>")
def verify(number: str) -> tuple[str, int] | Response:
    try:
        canonical = normalize_certificate_number(number)
    except InvalidCertificateNumber:
        return _unknown(
            "malformed",
            "This is not a certificate number: check the characters against the certificate "
            "(numbers look like CD26-7K4M-Q9XF-3T82).",
        )
    if canonical != number:
        # Typed in lower case, with spaces or look-alike letters: show the canonical address.
        return redirect(url_for(".verify", number=canonical), code=301)
    certificate = db().scalar(select(Certificate).where(Certificate.number == canonical))
    if certificate is None:
        return _unknown("unknown", f"No certificate with the number {canonical} was issued here.")
    replaced_by = (
        db().get(Certificate, certificate.replaced_by_id) if certificate.replaced_by_id else None
    )
    if certificate.in_force:
        state, status = "valid", 200
    else:
        state, status = ("replaced" if replaced_by else "revoked"), 410
    page = render_template(
        "credit/verify.html",
        certificate=certificate,
        state=state,
        demonstration=_from_demonstration(certificate),
        replaced_by=replaced_by,
        credit_line=present.credit_line(certificate),
        profession=present.profession_label(certificate.profession),
        long_date=present.long_date,
    )
    return page, status


def _from_demonstration(certificate: Certificate) -> bool:
    """Whether the certificate was issued before anyone signed its activity version off: a
    demonstration certificate must not pass for credit, even to someone shown a copy."""
    version = db().get(ActivityVersion, certificate.activity_version_id)
    sign_off = version.sign_off if version is not None else None
    return sign_off is None or sign_off.recorded_at > certificate.issued_at


@bp.get("/certificates/verify")
def lookup() -> Response | tuple[str, int]:
    typed = (request.args.get("number") or "").strip()
    if not typed:
        return _unknown("empty", "Enter the certificate number printed on the certificate.")
    try:
        canonical = normalize_certificate_number(typed)
    except InvalidCertificateNumber:
        return _unknown(
            "malformed",
            "This is not a certificate number: check the characters against the certificate.",
        )
    return redirect(url_for(".verify", number=canonical), code=303)


def _unknown(state: str, message: str) -> tuple[str, int]:
    return render_template(
        "credit/verify.html", certificate=None, state=state, message=message
    ), 404
