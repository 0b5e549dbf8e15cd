"""Reading the CME registration and credit claim form: what the learner typed, checked field
by field, with a message a learner can act on for each problem.

Plain Python (no Flask): the view hands in the submitted fields and the activity, and gets a
``ClaimRequest`` or the messages to show next to each field. Every rule the domain core owns
(NABP e-Profile ID, birth month/day, the physician's amount: maximum, minimum, quarter-hour
grid) is asked of ``lti_tool.course.credit_rules`` and its typed errors are worded here; the core
checks them again when the claim is made (``claim_credit``), so nothing is issued on a value
this module let through by mistake.

What is asked, and why (the page says it too):
- name as printed on the certificate, prefilled from the LMS and editable: at most
  ``NAME_MAX`` characters, no ``<`` or ``>`` and no control characters (accents,
  apostrophes and hyphens are welcome);
- profession (decides the certificate) and degree (printed after the name);
- email: the certificate is mailed at once, and Canvas often sends no address;
- pharmacists and pharmacy technicians: NABP e-Profile ID and birth month/day, which CPE
  Monitor needs to post the credit;
- nurses and nurse practitioners: optionally a licence number and its state;
- physicians: the minutes actually spent, the credits claimed (quarter-hour steps up to the
  designated maximum, and not more than that time) and the attestation that the claim is
  commensurate with their participation (AMA PRA booklet).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from email.errors import HeaderParseError
from email.headerregistry import Address

from lti_tool.course import Activity, CreditClaim, Profession
from lti_tool.course.credit_rules import (
    check_birth_mmdd,
    check_nabp_id,
    check_physician_amount,
    parse_credit_amount,
)
from lti_tool.course.dates import MONTH_NAMES
from lti_tool.course.errors import (
    ClaimAmountInvalid,
    ClaimBelowMinimum,
    ClaimFieldMissing,
    ClaimOffGrid,
    ClaimOverMaximum,
    CreditError,
    InvalidBirthDate,
    InvalidNabpId,
)
from lti_tool.course.schema import (
    AMA_CREDIT_STEP,
    MINUTES_PER_CREDIT,
    PHARMACY_PROFESSIONS,
)
from lti_tool.credit.us_states import LICENSING_STATES

NAME_MAX = 120
DEGREE_MAX = 40
EMAIL_MAX = 254  # RFC 5321 §4.5.3.1.3 path limit, less the angle brackets
LICENCE_MAX = 40
MAX_MINUTES = 24 * 60
MINUTES_PER_STEP = int(MINUTES_PER_CREDIT * AMA_CREDIT_STEP)  # 15

LICENCE_PROFESSIONS = frozenset({Profession.NURSE, Profession.NURSE_PRACTITIONER})


# The fields messages belong to, in page order (the error summary follows it).
FIELDS = (
    "certificate_name",
    "degree",
    "profession",
    "email",
    "nabp_eprofile_id",
    "birth_date",
    "licence_number",
    "licence_state",
    "time_spent_minutes",
    "credits",
    "attestation",
)

# The names the form submits (the birth date comes as two selects).
SUBMITTED = (
    "certificate_name",
    "degree",
    "profession",
    "email",
    "nabp_eprofile_id",
    "birth_month",
    "birth_day",
    "licence_number",
    "licence_state",
    "time_spent_minutes",
    "credits",
    "attestation",
)

_MARKUP = re.compile(r"[<>]")
_EMAIL = re.compile(r"^[^@\s<>()\[\]\\,;:\"]+@[^@\s<>()\[\]\\,;:\"]+\.[^@\s<>()\[\]\\,;:\"]+$")
_LICENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]*$")


@dataclass(frozen=True)
class CmeRegistration:
    """The learner's registration for credit, as kept in their profile."""

    certificate_name: str
    degree: str
    profession: Profession
    email: str
    nabp_eprofile_id: str | None = None
    birth_mmdd: str | None = None
    licence_number: str | None = None
    licence_state: str | None = None


@dataclass(frozen=True)
class PhysicianClaim:
    time_spent_minutes: int
    credits: Decimal
    attested: bool


@dataclass(frozen=True)
class ClaimRequest:
    registration: CmeRegistration
    physician: PhysicianClaim | None = None

    def credit_claim(self) -> CreditClaim:
        """The claim as the domain core takes it."""
        registration = self.registration
        return CreditClaim(
            profession=registration.profession,
            learner_name=registration.certificate_name,
            amount=self.physician.credits if self.physician else None,
            nabp_eprofile_id=registration.nabp_eprofile_id,
            birth_mmdd=registration.birth_mmdd,
        )


@dataclass
class FormResult:
    """The submitted values (to show again) and either a request or the field messages."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    request: ClaimRequest | None = None


def credits_for_minutes(minutes: int) -> Decimal:
    """Credit for the time spent: one per hour, rounded to the nearest quarter hour."""
    steps = (Decimal(minutes) / MINUTES_PER_STEP).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return steps * AMA_CREDIT_STEP


def minutes_for_credits(credits: Decimal) -> int:
    """The least time (minutes) that rounds to ``credits``."""
    return max(1, int(credits / AMA_CREDIT_STEP) * MINUTES_PER_STEP - MINUTES_PER_STEP // 2)


def format_credits(amount: Decimal) -> str:
    return format(amount.quantize(Decimal("0.01")), "f")


def _text(data: Mapping[str, str], name: str) -> str:
    value = data.get(name) or ""
    return " ".join(value.split())  # collapses runs of spaces, tabs and line breaks


def _printable_problem(value: str, what: str, limit: int) -> str | None:
    if _MARKUP.search(value):
        return f"{what} cannot contain < or >."
    if any(unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs") for c in value):
        return f"{what} contains characters that cannot be printed."
    if len(value) > limit:
        return f"{what} can have at most {limit} characters; this one has {len(value)}."
    return None


def check_name(value: str) -> str | None:
    if not value:
        return "Enter your name as it should appear on your certificate."
    return _printable_problem(value, "Your name", NAME_MAX)


def check_degree(value: str) -> str | None:
    return _printable_problem(value, "Your degree", DEGREE_MAX) if value else None


def check_email(value: str) -> str | None:
    if not value:
        return "Enter the email address your certificate should be sent to."
    if len(value) > EMAIL_MAX or not _EMAIL.match(value):
        return "Enter one email address, like name@example.org."
    try:
        Address(addr_spec=value)
    except (ValueError, IndexError, HeaderParseError):
        return "Enter one email address, like name@example.org."
    return None


def nabp_message(error: CreditError) -> str:
    if isinstance(error, ClaimFieldMissing):
        return "Enter your NABP e-Profile ID: CPE Monitor needs it to post your credit."
    value = error.value if isinstance(error, InvalidNabpId) else ""
    return f"An NABP e-Profile ID is a number of 6 or 7 digits; “{value}” is not one."


def birth_message(error: CreditError, month: str = "", day: str = "") -> str:
    if isinstance(error, ClaimFieldMissing):
        return "Choose the month and the day of your birth: CPE Monitor matches them."
    if month.isdigit() and 1 <= int(month) <= 12 and day.isdigit():
        return (
            f"{MONTH_NAMES[int(month) - 1]} {int(day)} is not a date; choose the month and day "
            "of your birth."
        )
    return "Choose the month and the day of your birth from the lists."


def physician_amount_message(error: CreditError, maximum: Decimal) -> str:
    if isinstance(error, ClaimFieldMissing | ClaimAmountInvalid):
        return "Choose the number of credits you claim."
    if isinstance(error, ClaimOverMaximum):
        return f"You can claim at most {format_credits(maximum)} credits for this activity."
    if isinstance(error, ClaimBelowMinimum):
        return f"The smallest claim is {format_credits(AMA_CREDIT_STEP)} credits."
    if isinstance(error, ClaimOffGrid):
        return (
            "Credits are claimed in quarter-hour steps (0.25, 0.50, 0.75, …); "
            f"{error.amount} is not one of them."
        )
    return str(error)


def birth_mmdd_of(month: str, day: str) -> str | None:
    """``"2"``, ``"29"`` → ``"0229"``; ``None`` when either part is blank."""
    if not month or not day:
        return None
    if not (month.isdigit() and day.isdigit()) or len(month) > 2 or len(day) > 2:
        return f"{month}/{day}"  # not digits: the domain check refuses it with a message
    return f"{int(month):02d}{int(day):02d}"


def read_claim_form(
    data: Mapping[str, str],
    activity: Activity,
    locked_profession: Profession | None = None,
) -> FormResult:
    """Check the submitted form against ``activity``; ``locked_profession`` for corrections."""
    values = {name: _text(data, name) for name in SUBMITTED}
    errors: dict[str, str] = {}

    name, degree, email = values["certificate_name"], values["degree"], values["email"]
    for key, problem in (
        ("certificate_name", check_name(name)),
        ("degree", check_degree(degree)),
        ("email", check_email(email)),
    ):
        if problem:
            errors[key] = problem

    profession = _profession(values["profession"], activity, locked_profession, errors)
    registration_extra: dict[str, str | None] = {}
    physician: PhysicianClaim | None = None
    if profession in PHARMACY_PROFESSIONS:
        registration_extra.update(_pharmacy_fields(values, errors))
    if profession in LICENCE_PROFESSIONS:
        registration_extra.update(_licence_fields(values, errors))
    if profession is Profession.PHYSICIAN:
        physician = _physician_fields(values, activity, errors)

    if errors or profession is None:
        return FormResult(values, errors)
    registration = CmeRegistration(
        certificate_name=name,
        degree=degree,
        profession=profession,
        email=email,
        **registration_extra,  # type: ignore[arg-type]
    )
    return FormResult(values, request=ClaimRequest(registration, physician))


def _profession(
    raw: str,
    activity: Activity,
    locked: Profession | None,
    errors: dict[str, str],
) -> Profession | None:
    if locked is not None:
        if raw and raw != locked.value:
            errors["profession"] = (
                "A correction keeps the profession of the claim; to change it, contact the "
                "provider."
            )
            return None
        return locked
    if not raw:
        errors["profession"] = "Choose your profession: it decides which certificate you receive."
        return None
    try:
        profession = Profession(raw)
    except ValueError:
        profession = None
    if profession is None or activity.designation(profession) is None:
        errors["profession"] = (
            "This activity offers no credit for that profession; choose one listed."
        )
        return None
    return profession


def _pharmacy_fields(values: dict[str, str], errors: dict[str, str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    try:
        found["nabp_eprofile_id"] = check_nabp_id(values["nabp_eprofile_id"])
    except CreditError as error:
        errors["nabp_eprofile_id"] = nabp_message(error)
    month, day = values["birth_month"], values["birth_day"]
    try:
        found["birth_mmdd"] = check_birth_mmdd(birth_mmdd_of(month, day))
    except (ClaimFieldMissing, InvalidBirthDate) as error:
        errors["birth_date"] = birth_message(error, month, day)
    return found


def _licence_fields(values: dict[str, str], errors: dict[str, str]) -> dict[str, str | None]:
    number, state = values["licence_number"].upper(), values["licence_state"].upper()
    if number and (len(number) > LICENCE_MAX or not _LICENCE.match(number)):
        errors["licence_number"] = (
            f"A licence number has letters, digits, spaces, periods, slashes or hyphens, at most "
            f"{LICENCE_MAX} characters."
        )
    if state and state not in LICENSING_STATES:
        errors["licence_state"] = "Choose the licensing state from the list."
    elif number and not state:
        errors["licence_state"] = "Choose the state that issued your licence."
    return {"licence_number": number or None, "licence_state": state or None}


def _physician_fields(
    values: dict[str, str], activity: Activity, errors: dict[str, str]
) -> PhysicianClaim | None:
    designation = activity.designation(Profession.PHYSICIAN)
    assert designation is not None  # the profession was checked against the activity
    minutes: int | None = None
    raw_minutes = values["time_spent_minutes"]
    if not raw_minutes:
        errors["time_spent_minutes"] = "Enter the minutes you actually spent on this activity."
    elif not raw_minutes.isdigit() or not 1 <= int(raw_minutes) <= MAX_MINUTES:
        errors["time_spent_minutes"] = (
            f"Enter the minutes as a whole number between 1 and {MAX_MINUTES}, e.g. 45."
        )
    else:
        minutes = int(raw_minutes)

    credits: Decimal | None = None
    try:
        amount = parse_credit_amount(values["credits"]) if values["credits"] else None
        credits = check_physician_amount(designation, amount)
    except CreditError as error:
        errors["credits"] = physician_amount_message(error, designation.max_credits)

    if credits is not None and minutes is not None and credits > credits_for_minutes(minutes):
        allowed = credits_for_minutes(minutes)
        errors["credits"] = (
            f"You recorded {minutes} minutes, which is {format_credits(allowed)} credits at one "
            f"credit per hour (rounded to the nearest quarter hour). Claim at most that, or "
            f"correct the time: {format_credits(credits)} credits need at least "
            f"{minutes_for_credits(credits)} minutes."
        )
    attested = values["attestation"] == "yes"
    if not attested:
        errors["attestation"] = (
            "Confirm that you claim only the credit commensurate with the extent of your "
            "participation."
        )
    if minutes is None or credits is None or not attested or "credits" in errors:
        return None
    return PhysicianClaim(minutes, credits, attested)
