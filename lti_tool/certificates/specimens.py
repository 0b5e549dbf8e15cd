"""Specimen certificates of the cervical dystonia activity, one per kind and profession.

The statements are quoted from the activity page (``/work/shared/seed/``) so that design
previews, the rendering benchmark and the tests print what a learner will really receive.
The learner, the dates and the numbers are made up.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from lti_tool.certificates.document import (
    AMA_PRA_CREDIT_NAME,
    CertificateDocument,
    PharmacistCredit,
)

PROVIDER = "ScientiaCME"
ACTIVITY_TITLE = (
    "Breaking the hold: avoiding missteps and optimizing management in the identification "
    "and treatment of cervical dystonia"
)
ACCME_ACCREDITATION = (
    "ScientiaCME is accredited by the Accreditation Council for Continuing Medical Education "
    "(ACCME) to provide continuing medical education for physicians."
)
DESIGNATION = (
    "ScientiaCME designates this educational activity for a maximum of 1.25 "
    "AMA PRA Category 1 Credit(s)\u2122 toward the AMA Physician's Recognition Award. "
    "Physicians should only claim credit commensurate with the extent of their participation "
    "in the activity."
)
ACPE_ACCREDITATION = (
    "ScientiaCME is accredited by the Accreditation Council for Pharmacy Education (ACPE) as "
    "a provider of continuing pharmacy education. This activity is approved for 1.25 contact "
    "hours of continuing pharmacy education credit. ACPE #0574-0000-26-009-H01-P. This is an "
    "Application (A)-type activity."
)
ANCC_ACCEPTANCE = (
    "Nurses: This activity is designated for up to 1.25 AMA PRA Category 1 Credit(s)\u2122, "
    "and the American Nurses Credentialing Center (ANCC) accepts AMA PRA Category 1 "
    "Credit(s)\u2122 to meet the continuing education renewal requirements of nursing "
    "re-certification for APRNs and RN specialty. Some state nursing boards accept AMA PRA "
    "Category 1 Credit(s)\u2122 for re-licensure requirements, some do not. Check your state "
    "board of nursing's CE requirements before applying credit from this course to your "
    "re-licensure."
)
AAPA_ACCEPTANCE = (
    "Physician Assistants: The American Academy of Physician Assistants (AAPA) accepts AMA PRA "
    "Category 1 Credit\u2122 assigned by organizations accredited by the ACCME as satisfying "
    "Category 1 CME for National Commission on Certification of Physician Assistants (NCCPA) "
    "national certification maintenance. This activity is designated for up to 1.25 AMA PRA "
    "Category 1 Credit(s)\u2122."
)
AANPCB_ACCEPTANCE = (
    "Nurse Practitioners: The American Academy of Nurse Practitioners Certification Board "
    "(AANPCB) states that continuing education providers accredited by the ACCME may provide "
    "acceptable, accredited Advanced Practice Provider content. This activity is designated "
    "for up to 1.25 AMA PRA Category 1 Credit(s)\u2122."
)
CPE_MONITOR_INSTRUCTIONS = (
    "Proof of participation will be posted to your NABP CPE profile within 4 to 6 weeks. "
    "To see it, sign in to your NABP e-Profile at nabp.pharmacy and open CPE Monitor; "
    "CPE Monitor, not this statement, is the record boards of pharmacy check."
)
VERIFY_BASE = "https://cme.example.org/certificates/verify/"


# A learner's name in each script the certificate fonts cover (tests and benchmarks).
NAMES_BY_SCRIPT = {
    "latin": "Zoë Ødegård-Łukasiewicz Nguyễn",
    "greek": "Ελένη Παπαδοπούλου",
    "cyrillic": "Анна Кузнецова",
    "arabic": "فاطمة الزهراء",
    "hebrew": "רחל כהן",
    "devanagari": "प्रिया शर्मा",
    "chinese": "王小明",
    "japanese": "山田 太郎",
    "korean": "김민준",
    "thai": "สมชาย ใจดี",
}


def physician_credit() -> CertificateDocument:
    """A physician who claimed 0.75 of the 1.25 credits designated."""
    return CertificateDocument(
        kind="physician_credit",
        certificate_number="CD26-7K4M-Q9XF-3T82",
        issue_date=date(2026, 3, 2),
        learner_name="Amelia R. Okonkwo-Lindqvist",
        degree="MD",
        profession_label="Physician",
        provider_name=PROVIDER,
        activity_title=ACTIVITY_TITLE,
        learning_format="Enduring material",
        accreditation_statements=(ACCME_ACCREDITATION,),
        designation_statement=DESIGNATION,
        credit_name=AMA_PRA_CREDIT_NAME,
        credits_claimed=Decimal("0.75"),
        completion_date=date(2026, 3, 2),
        release_date=date(2026, 1, 14),
        expiration_date=date(2028, 1, 14),
        verification_url=VERIFY_BASE + "CD26-7K4M-Q9XF-3T82",
    )


def participation(profession: str = "nurse") -> CertificateDocument:
    """A nurse, physician assistant, nurse practitioner or other professional."""
    label, degree, acceptance = {
        "nurse": ("Nurse", "RN, BSN", ANCC_ACCEPTANCE),
        "physician_assistant": ("Physician assistant", "PA-C", AAPA_ACCEPTANCE),
        "nurse_practitioner": ("Nurse practitioner", "DNP, FNP-BC", AANPCB_ACCEPTANCE),
        "other": ("Other health care professional", "", None),
    }[profession]
    return replace(
        physician_credit(),
        kind="participation",
        certificate_number="CD26-H2WN-5RZD-8P18",
        degree=degree,
        profession_label=label,
        credits_claimed=Decimal("1.25"),
        acceptance_statement=acceptance,
        verification_url=VERIFY_BASE + "CD26-H2WN-5RZD-8P18",
    )


def pharmacist_statement() -> CertificateDocument:
    """A pharmacist with an NABP e-Profile, reported to CPE Monitor."""
    return replace(
        physician_credit(),
        kind="pharmacist_statement",
        certificate_number="CD26-M6QA-T0VB-9K29",
        degree="PharmD, BCPS",
        profession_label="Pharmacist",
        accreditation_statements=(ACPE_ACCREDITATION,),
        credits_claimed=Decimal("1.25"),
        verification_url=VERIFY_BASE + "CD26-M6QA-T0VB-9K29",
        pharmacist=PharmacistCredit(
            uan="0574-0000-26-009-H01-P",
            activity_type_letter="A",
            activity_type_name="Application",
            contact_hours=Decimal("1.25"),
            ceus=Decimal("0.125"),
            nabp_eprofile_id="4123456",
            participation_date=date(2026, 3, 2),
            cpe_monitor_instructions=CPE_MONITOR_INSTRUCTIONS,
        ),
    )


def all_specimens() -> list[CertificateDocument]:
    """Every kind, and every profession the participation certificate serves."""
    return [
        physician_credit(),
        participation("nurse"),
        participation("physician_assistant"),
        participation("nurse_practitioner"),
        participation("other"),
        pharmacist_statement(),
    ]
