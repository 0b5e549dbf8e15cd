"""What a certificate says, as plain values: the input of every renderer in this package.

The lead maps the CME domain facts (``lti_tool.course.credit_rules.CertificateFacts``) onto a
``CertificateDocument``; this package never reaches into the database or the domain core, so
the certificate can be rendered, mailed and verified from these values alone.

Three kinds exist because accreditors ask for three different documents:

* ``physician_credit`` — an ACCME certificate of credit stating the *AMA PRA Category 1
  Credit(s)™* the physician claimed (AMA PRA booklet, "Certificates":
  https://www.ama-assn.org/education/ama-pra-credit-system).
* ``participation`` — a certificate of participation for nurses, physician assistants,
  nurse practitioners and other professionals: the activity was *designated* for AMA PRA
  Category 1 Credit™, plus the statement of the learner's certifying body (ANCC, AAPA/NCCPA,
  AANPCB) accepting it.
* ``pharmacist_statement`` — an ACPE statement of participation (UAN, activity type, contact
  hours, CEUs); the credit itself is reported to NABP's CPE Monitor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal, get_args

CertificateKind = Literal["physician_credit", "participation", "pharmacist_statement"]
CERTIFICATE_KINDS: tuple[CertificateKind, ...] = get_args(CertificateKind)

# The AMA's name for the credit, italicised on every certificate; the "(s)" form is the one the
# seed activity page and the designation statement use.
AMA_PRA_CREDIT_NAME = "AMA PRA Category 1 Credit(s)\u2122"


class InvalidCertificateDocument(ValueError):
    """The values cannot make a truthful certificate (e.g. a pharmacist statement without UAN)."""


@dataclass(frozen=True, slots=True)
class PharmacistCredit:
    """The ACPE facts a pharmacist's statement of participation must carry."""

    uan: str  # ACPE Universal Activity Number, e.g. "0574-0000-26-009-H01-P"
    activity_type_letter: str  # "K", "A" or "P"
    activity_type_name: str  # "Knowledge", "Application" or "Practice"
    contact_hours: Decimal
    ceus: Decimal  # continuing education units: contact hours / 10
    nabp_eprofile_id: str
    participation_date: date
    cpe_monitor_instructions: str  # how the learner sees the credit in CPE Monitor

    def __post_init__(self) -> None:
        for name in ("uan", "activity_type_letter", "activity_type_name", "nabp_eprofile_id"):
            if not getattr(self, name).strip():
                raise InvalidCertificateDocument(f"pharmacist {name} is empty")
        for name in ("contact_hours", "ceus"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or value <= 0:
                raise InvalidCertificateDocument(f"pharmacist {name} must be a positive Decimal")


@dataclass(frozen=True, slots=True)
class CertificateDocument:
    """Everything printed on one certificate, already decided by the domain core."""

    kind: CertificateKind
    certificate_number: str
    issue_date: date
    learner_name: str
    degree: str  # "MD", "RN", "PharmD"; may be empty
    profession_label: str  # "Physician", "Nurse", "Physician assistant", ...
    provider_name: str
    activity_title: str
    learning_format: str  # "Enduring material"
    accreditation_statements: tuple[str, ...]
    designation_statement: str  # verbatim from the activity
    credit_name: str  # exactly AMA_PRA_CREDIT_NAME for the activities we run
    credits_claimed: Decimal  # as claimed by the learner, never the designated maximum
    completion_date: date
    release_date: date
    expiration_date: date
    verification_url: str
    # Certifying body's acceptance of AMA PRA Category 1 Credit™ (participation only).
    acceptance_statement: str | None = None
    pharmacist: PharmacistCredit | None = field(default=None)
    # "Demonstration — not valid for credit" on a demonstration activity's certificate.
    demonstration_notice: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in CERTIFICATE_KINDS:
            raise InvalidCertificateDocument(f"unknown certificate kind {self.kind!r}")
        # Callers naturally hold the statements as a list; a tuple keeps the document frozen.
        if not isinstance(self.accreditation_statements, tuple):
            statements: Sequence[str] = self.accreditation_statements
            object.__setattr__(self, "accreditation_statements", tuple(statements))
        for name in (
            "certificate_number",
            "learner_name",
            "provider_name",
            "activity_title",
            "learning_format",
            "credit_name",
            "verification_url",
        ):
            if not getattr(self, name).strip():
                raise InvalidCertificateDocument(f"{name} is empty")
        if not isinstance(self.credits_claimed, Decimal) or self.credits_claimed <= 0:
            raise InvalidCertificateDocument("credits_claimed must be a positive Decimal")
        if self.release_date > self.expiration_date:
            raise InvalidCertificateDocument("release_date is after expiration_date")
        if (self.kind == "pharmacist_statement") != (self.pharmacist is not None):
            raise InvalidCertificateDocument(
                "pharmacist facts belong on, and only on, a pharmacist_statement"
            )

    @property
    def title(self) -> str:
        """The document's heading, also used as the PDF title and the mail subject."""
        return {
            "physician_credit": "Certificate of Credit",
            "participation": "Certificate of Participation",
            "pharmacist_statement": "Statement of Participation",
        }[self.kind]
