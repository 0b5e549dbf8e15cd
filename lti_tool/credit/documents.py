"""From the domain's ``CertificateFacts`` and the learner's registration to the printed
``CertificateDocument`` (lti_tool/certificates/document.py), and certificate numbers.

The facts decide what is true (kind, credits claimed or designated, statements, dates); this
module only chooses how they read: the AMA's credit name, the profession's label, which
statements sit where on each kind of certificate.
"""

from __future__ import annotations

import re
from datetime import date

from lti_tool.certificates import (
    AMA_PRA_CREDIT_NAME,
    CertificateDocument,
    PharmacistCredit,
    build_verification_url,
    new_certificate_number,
)
from lti_tool.certificates.numbers import ALPHABET
from lti_tool.course import CertificateFacts, CertificateKind
from lti_tool.course.schema import DEMONSTRATION_NOTICE, PROFESSION_LABELS, AcpeActivityType
from lti_tool.credit.forms import CmeRegistration

KIND_OF_DOCUMENT = {
    CertificateKind.PHYSICIAN_CREDIT: "physician_credit",
    CertificateKind.PARTICIPATION: "participation",
    CertificateKind.PHARMACY_STATEMENT: "pharmacist_statement",
}

ACPE_ACTIVITY_TYPE_NAMES = {
    AcpeActivityType.KNOWLEDGE.value: "Knowledge",
    AcpeActivityType.APPLICATION.value: "Application",
    AcpeActivityType.PRACTICE.value: "Practice",
}

CPE_MONITOR_INSTRUCTIONS = (
    "This statement is your receipt. The credit itself is reported to NABP CPE Monitor under "
    "the NABP e-Profile ID above; sign in to your NABP e-Profile at nabp.pharmacy to see it. "
    "CPE Monitor, not this statement, is the record boards of pharmacy check."
)

_AMA_CREDIT = "AMA PRA Category 1 Credit"
_DEFAULT_PREFIX = "CE"


def credit_name(credit_type: str) -> str:
    """The AMA's name for its credit, as every certificate prints it, or the credit type."""
    return AMA_PRA_CREDIT_NAME if credit_type.startswith(_AMA_CREDIT) else credit_type


def number_prefix(activity_slug: str, issued_on: date) -> str:
    """``cervical-dystonia`` in 2026 → ``CD26``: the activity's initials and the year.

    Letters outside Crockford's alphabet (I, L, O, U) are left out, so a slug whose initials
    all fall there gets ``CE``.
    """
    initials = "".join(word[:1] for word in re.split(r"[^a-z0-9]+", activity_slug) if word)
    kept = "".join(c for c in initials.upper() if c in ALPHABET)[:4]
    return (kept if len(kept) >= 2 else _DEFAULT_PREFIX) + f"{issued_on.year % 100:02d}"


def new_number(activity_slug: str, issued_on: date) -> str:
    return new_certificate_number(number_prefix(activity_slug, issued_on))


def certificate_document(
    facts: CertificateFacts,
    registration: CmeRegistration,
    number: str,
    base_url: str,
    issued_on: date,
) -> CertificateDocument:
    kind = KIND_OF_DOCUMENT[facts.kind]
    pharmacist = None
    statements = [s for s in (facts.accreditation_statement,) if s]
    if kind == "pharmacist_statement":
        # The pharmacist's statement prints no designation paragraph of its own; the ACPE
        # designation (contact hours, UAN, activity type) follows the accreditation.
        statements.append(facts.designation_statement)
        assert facts.acpe_uan and facts.acpe_activity_type and facts.contact_hours
        assert facts.ceus is not None and facts.nabp_eprofile_id
        pharmacist = PharmacistCredit(
            uan=facts.acpe_uan,
            activity_type_letter=facts.acpe_activity_type,
            activity_type_name=ACPE_ACTIVITY_TYPE_NAMES[facts.acpe_activity_type],
            contact_hours=facts.contact_hours,
            ceus=facts.ceus,
            nabp_eprofile_id=facts.nabp_eprofile_id,
            participation_date=facts.completed_on,
            cpe_monitor_instructions=CPE_MONITOR_INSTRUCTIONS,
        )
    return CertificateDocument(
        kind=kind,  # type: ignore[arg-type]
        certificate_number=number,
        issue_date=issued_on,
        learner_name=facts.learner_name,
        degree=registration.degree,
        profession_label=PROFESSION_LABELS[facts.profession],
        provider_name=facts.provider_name,
        activity_title=facts.activity_title,
        learning_format=facts.medium[:1].upper() + facts.medium[1:],
        accreditation_statements=tuple(statements),
        designation_statement=facts.designation_statement,
        credit_name=credit_name(facts.credit_type),
        credits_claimed=facts.credits,
        completion_date=facts.completed_on,
        release_date=facts.release_date,
        expiration_date=facts.expiration_date,
        verification_url=build_verification_url(base_url, number),
        acceptance_statement=facts.acceptance_statement,
        pharmacist=pharmacist,
        demonstration_notice=DEMONSTRATION_NOTICE if facts.demonstration else None,
    )
