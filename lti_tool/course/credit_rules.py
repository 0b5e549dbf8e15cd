"""Credit rules and the facts a certificate states.

- Physicians claim AMA PRA Category 1 Credit™ "commensurate with the extent of their
  participation", in 0.25 steps up to the designated maximum (AMA PRA booklet).
- Nurses, physician assistants, nurse practitioners and other learners receive the designated
  amount as participation, with their body's acceptance statement (ANCC, AAPA, AANPCB).
- Pharmacists and pharmacy technicians receive a statement of participation for the contact
  hours (CEUs = contact hours / 10) and need their NABP e-Profile ID and birth month/day
  (MMDD) so the provider can report the credit to CPE Monitor.

``claim_credit`` checks the journey and the claim and returns ``CertificateFacts``: everything
the certificate renderer needs, derived from the activity and the claim alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from lti_tool.course.activity import Activity
from lti_tool.course.errors import (
    ActivityExpired,
    ActivityNotReleased,
    ClaimAmountInvalid,
    ClaimBelowMinimum,
    ClaimFieldMissing,
    ClaimNotAllowedYet,
    ClaimOffGrid,
    ClaimOverMaximum,
    CreditAlreadyClaimed,
    InvalidBirthDate,
    InvalidNabpId,
    ProfessionNotOffered,
)
from lti_tool.course.progress import Progress, as_utc
from lti_tool.course.progression import Step, entry_problem
from lti_tool.course.schema import (
    AMA_CREDIT_STEP,
    PHARMACY_PROFESSIONS,
    Accreditor,
    CertificateKind,
    CreditDesignation,
    Profession,
)

# NABP e-Profile IDs are 6 or 7 digit numbers.
_NABP_ID = re.compile(r"^[0-9]{6,7}$")
_MMDD = re.compile(r"^[0-9]{4}$")
_LEAP_YEAR = 2000  # any leap year, so that 0229 is a real birth date


@dataclass(frozen=True)
class CreditClaim:
    """What the learner submits. ``amount`` is read for physicians only; the NABP fields for
    pharmacists and pharmacy technicians only."""

    profession: Profession | str
    learner_name: str
    amount: Decimal | None = None
    nabp_eprofile_id: str | None = None
    birth_mmdd: str | None = None


@dataclass(frozen=True)
class CertificateFacts:
    kind: CertificateKind
    profession: Profession
    learner_name: str
    activity_slug: str
    activity_title: str
    activity_version: str
    provider_name: str
    accreditation_statement: str | None
    credit_type: str
    credits: Decimal  # claimed by a physician, otherwise the designated amount
    max_credits: Decimal
    designation_statement: str
    accepting_body: str | None
    acceptance_statement: str | None
    accme_activity_number: str | None
    acpe_uan: str | None
    acpe_activity_type: str | None
    contact_hours: Decimal | None
    ceus: Decimal | None
    nabp_eprofile_id: str | None
    birth_mmdd: str | None
    release_date: date
    expiration_date: date
    medium: str
    method_of_participation: str
    commercial_support: str
    completed_at: datetime  # evaluation submitted, UTC
    completed_on: date  # the same instant as a date in the provider's time zone
    claimed_at: datetime
    # A demonstration activity's certificate says it is not valid for credit.
    demonstration: bool = False


def parse_credit_amount(text: str) -> Decimal:
    """A form value such as ``"1.25"`` as a Decimal; raises ``ClaimAmountInvalid``."""
    try:
        amount = Decimal(text.strip())
    except InvalidOperation as exc:
        raise ClaimAmountInvalid(text) from exc
    if not amount.is_finite():
        raise ClaimAmountInvalid(text)
    return amount


def credit_options(activity: Activity, profession: Profession | str) -> tuple[Decimal, ...]:
    """The amounts a learner of ``profession`` may claim (0.25 … max for physicians)."""
    designation = _designation(activity, profession)
    if designation.profession is not Profession.PHYSICIAN:
        return (designation.max_credits,)
    steps = int(designation.max_credits / AMA_CREDIT_STEP)
    return tuple(AMA_CREDIT_STEP * n for n in range(1, steps + 1))


def check_physician_amount(designation: CreditDesignation, amount: Decimal | None) -> Decimal:
    if amount is None:
        raise ClaimFieldMissing("amount")
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ClaimAmountInvalid(str(amount))
    if amount < AMA_CREDIT_STEP:
        raise ClaimBelowMinimum(amount, AMA_CREDIT_STEP)
    if amount > designation.max_credits:
        raise ClaimOverMaximum(amount, designation.max_credits)
    if amount % AMA_CREDIT_STEP:
        raise ClaimOffGrid(amount, AMA_CREDIT_STEP)
    return amount.quantize(Decimal("0.01"))


def check_nabp_id(value: str | None) -> str:
    if value is None or not value.strip():
        raise ClaimFieldMissing("nabp_eprofile_id")
    value = value.strip()
    if not _NABP_ID.match(value):
        raise InvalidNabpId(value)
    return value


def check_birth_mmdd(value: str | None) -> str:
    if value is None or not value.strip():
        raise ClaimFieldMissing("birth_mmdd")
    value = value.strip()
    if not _MMDD.match(value):
        raise InvalidBirthDate(value)
    try:
        date(_LEAP_YEAR, int(value[:2]), int(value[2:]))
    except ValueError as exc:
        raise InvalidBirthDate(value) from exc
    return value


def _designation(activity: Activity, profession: Profession | str) -> CreditDesignation:
    try:
        designation = activity.designation(profession)
    except ValueError as exc:
        raise ProfessionNotOffered(str(profession)) from exc
    if designation is None:
        raise ProfessionNotOffered(str(profession))
    return designation


def certificate_facts(
    activity: Activity, claim: CreditClaim, completed_at: datetime, claimed_at: datetime
) -> CertificateFacts:
    """Validate ``claim`` against the activity and derive the certificate's facts.

    Does not look at the journey; ``claim_credit`` does. Use this directly to re-derive the
    facts of a stored claim (e.g. to render a certificate again).
    """
    designation = _designation(activity, claim.profession)
    if not claim.learner_name or not claim.learner_name.strip():
        raise ClaimFieldMissing("learner_name")
    meta = activity.meta
    pharmacy = designation.profession in PHARMACY_PROFESSIONS
    if designation.profession is Profession.PHYSICIAN:
        credits = check_physician_amount(designation, claim.amount)
    else:
        credits = designation.max_credits
    nabp_id = check_nabp_id(claim.nabp_eprofile_id) if pharmacy else None
    birth_mmdd = check_birth_mmdd(claim.birth_mmdd) if pharmacy else None
    accreditor = Accreditor.ACPE if pharmacy else Accreditor.ACCME
    completed_at = as_utc(completed_at)
    return CertificateFacts(
        kind=designation.certificate_kind,
        profession=designation.profession,
        learner_name=claim.learner_name.strip(),
        activity_slug=meta.slug,
        activity_title=meta.title,
        activity_version=activity.content_hash,
        provider_name=meta.provider.name,
        accreditation_statement=meta.accreditation_statement(accreditor),
        credit_type=designation.credit_type,
        credits=credits,
        max_credits=designation.max_credits,
        designation_statement=designation.designation_statement,
        accepting_body=designation.accepting_body,
        acceptance_statement=designation.acceptance_statement,
        accme_activity_number=None if pharmacy else meta.accme_activity_number,
        acpe_uan=designation.acpe_uan,
        acpe_activity_type=designation.acpe_activity_type.value
        if designation.acpe_activity_type
        else None,
        contact_hours=designation.max_credits if pharmacy else None,
        ceus=designation.ceus,
        nabp_eprofile_id=nabp_id,
        birth_mmdd=birth_mmdd,
        release_date=meta.release_date,
        expiration_date=meta.expiration_date,
        medium=meta.medium,
        method_of_participation=meta.method_of_participation,
        commercial_support=meta.commercial_support.acknowledgement,
        completed_at=completed_at,
        completed_on=completed_at.astimezone(meta.provider.zone).date(),
        claimed_at=as_utc(claimed_at),
        demonstration=activity.is_demonstration,
    )


def claim_credit(
    activity: Activity, progress: Progress, claim: CreditClaim, now: datetime
) -> CertificateFacts:
    """Accept a claim at the end of the journey, or raise the typed reason it is refused.

    After it returns, record the claim with ``progression.record_credit_claim``.
    """
    if progress.credit_claimed_at is not None:
        raise CreditAlreadyClaimed(progress.credit_claimed_at)
    problem = entry_problem(Step.CREDIT, activity, progress, now)
    if isinstance(problem, ActivityNotReleased | ActivityExpired):
        raise problem
    if problem is not None:
        raise ClaimNotAllowedYet(str(problem)) from problem
    assert progress.evaluation_completed_at is not None  # entry_problem requires it
    return certificate_facts(activity, claim, progress.evaluation_completed_at, now)
