"""How credit facts read on a page: profession choices, the mail and CPE Monitor notices,
the credit line of a certificate. Plain values for templates; Jinja escapes them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lti_tool.course import Activity, Profession
from lti_tool.course.dates import MONTH_NAMES, long_date
from lti_tool.course.schema import (
    ACCEPTING_BODY_PROFESSIONS,
    PHARMACY_PROFESSIONS,
    PROFESSION_LABELS,
)
from lti_tool.credit.documents import credit_name
from lti_tool.credit.forms import (
    FIELDS,
    LICENCE_PROFESSIONS,
    format_credits,
)
from lti_tool.credit.us_states import LICENSING_STATES
from lti_tool.models import Certificate, CertificateMail, CpeMonitorReport
from lti_tool.models.certificates import MailStatus, ReportStatus

# The element an error message links to, per field (radio groups: their first option).
FIELD_ANCHORS = {
    "certificate_name": "certificate_name",
    "degree": "degree",
    "email": "email",
    "nabp_eprofile_id": "nabp_eprofile_id",
    "birth_date": "birth_month",
    "licence_number": "licence_number",
    "licence_state": "licence_state",
    "time_spent_minutes": "time_spent_minutes",
    "credits": "credits",
    "attestation": "attestation",
}


@dataclass(frozen=True)
class ProfessionChoice:
    value: str
    label: str
    hint: str


def profession_choices(activity: Activity) -> list[ProfessionChoice]:
    """The professions the activity designates credit for, with what each receives."""
    choices = []
    for designation in activity.meta.credits:
        profession = designation.profession
        amount = format_credits(designation.max_credits)
        if profession is Profession.PHYSICIAN:
            hint = (
                f"A certificate of credit for the {credit_name(designation.credit_type)} you "
                f"claim, up to {amount}."
            )
        elif profession in PHARMACY_PROFESSIONS:
            hint = (
                f"A statement of participation for {amount} contact hours; the credit is "
                "reported to NABP CPE Monitor."
            )
        elif profession in ACCEPTING_BODY_PROFESSIONS:
            hint = (
                f"A certificate of participation for {amount} hours, with the "
                f"{designation.accepting_body} statement accepting AMA PRA Category 1 Credit™."
            )
        else:
            hint = f"A certificate of participation for {amount} hours."
        choices.append(ProfessionChoice(profession.value, PROFESSION_LABELS[profession], hint))
    # Physicians first, as the provider's page lists them; the others as the activity does.
    return sorted(choices, key=lambda choice: choice.value != Profession.PHYSICIAN.value)


def form_context(
    activity: Activity, values: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    """Everything the claim/correction form template needs besides the URLs."""
    offered = {designation.profession for designation in activity.meta.credits}
    physician = activity.designation(Profession.PHYSICIAN)
    pharmacy = next((activity.designation(p) for p in PHARMACY_PROFESSIONS if p in offered), None)
    return {
        "values": values,
        "errors": errors,
        "error_links": [
            (FIELD_ANCHORS.get(name, name), errors[name]) for name in FIELDS if name in errors
        ],
        "professions": profession_choices(activity),
        # The profession whose fields the form shows (step two); None: choose one first.
        "chosen_profession": values.get("profession")
        if values.get("profession") in {p.value for p in offered}
        else None,
        "profession_labels": {p.value: label for p, label in PROFESSION_LABELS.items()},
        "offers_physician": physician is not None,
        "credit_steps": [format_credits(a) for a in _steps(physician.max_credits)]
        if physician
        else [],
        "physician_maximum": format_credits(physician.max_credits) if physician else "",
        "offers_pharmacy": pharmacy is not None,
        "nabp_instructions": pharmacy.nabp_instructions if pharmacy else "",
        "offers_licence": bool(offered & LICENCE_PROFESSIONS),
        "months": list(enumerate(MONTH_NAMES, start=1)),
        "days": list(range(1, 32)),
        "states": sorted(LICENSING_STATES.items(), key=lambda item: item[1]),
    }


def _steps(maximum: Decimal) -> list[Decimal]:
    step = Decimal("0.25")
    return [step * n for n in range(1, int(maximum / step) + 1)]


@dataclass(frozen=True)
class Notice:
    tone: str  # "ok", "error" or "" (neutral)
    text: str


def mail_notice(mail: CertificateMail | None) -> Notice | None:
    if mail is None:
        return None
    if mail.status is MailStatus.SENT:
        return Notice("ok", f"Your certificate was emailed to {mail.recipient}.")
    if mail.status is MailStatus.SAVED:
        # Never the file's path: server paths are not for learners' eyes.
        return Notice(
            "ok",
            "This installation has no mail server configured, so the message to "
            f"{mail.recipient} was kept on the server for its administrator instead. "
            "Download your certificate below.",
        )
    if mail.status is MailStatus.HELD:
        return Notice(
            "",
            f"{mail.recipient} is not an address we know is yours, so we sent it a link to "
            "confirm it first (that message holds no certificate details). Your certificate "
            "is emailed there once you open the link and confirm. Meanwhile, download it below.",
        )
    if mail.status is MailStatus.FAILED:
        return Notice(
            "error",
            f"We could not email your certificate to {mail.recipient}. Download it below; "
            "it is also kept in your transcript.",
        )
    return Notice(
        "",
        f"Your certificate is being emailed to {mail.recipient}. If it does not arrive, "
        "download it below; it is also kept in your transcript.",
    )


def cpe_notice(report: CpeMonitorReport | None) -> Notice | None:
    if report is None:
        return None
    if report.status is ReportStatus.ACCEPTED:
        assert report.accepted_at is not None
        return Notice(
            "ok",
            f"CPE Monitor accepted your credit on {long_date(report.accepted_at.date())}; "
            "it appears in your NABP e-Profile.",
        )
    if report.status is ReportStatus.REJECTED:
        return Notice(
            "error",
            f"CPE Monitor could not post your credit: {report.error_text} Please check your "
            "NABP e-Profile ID and birth date and correct them; we will report it again.",
        )
    if report.status is ReportStatus.EXPORTED:
        return Notice("", "Your provider has sent your completion to CPE Monitor.")
    return Notice(
        "",
        "Your completion is queued for NABP CPE Monitor; it appears in your NABP e-Profile "
        "once reported (within 4 to 6 weeks).",
    )


def credit_line(certificate: Certificate) -> str:
    """What the certificate awards, in one line (transcript and verification page)."""
    amount = format_credits(certificate.credits)
    if certificate.kind == "physician_credit":
        return f"{amount} {certificate.credit_type} claimed"
    if certificate.kind == "pharmacy_statement_of_participation":
        return f"{amount} contact hours of continuing pharmacy education (ACPE)"
    return f"{amount} hours of participation; designated for {certificate.credit_type}"


def profession_label(value: str) -> str:
    try:
        return PROFESSION_LABELS[Profession(value)]
    except ValueError:
        return value
