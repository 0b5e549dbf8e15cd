"""The model activity: its metadata matches the provider's page, and the folder validates.

The facts are read from activity.yaml alone, so they are checked even while the section
Markdown and question banks are being written; the last test needs the whole folder.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from lti_tool.course import CertificateKind, Profession, validate_activity
from lti_tool.course.schema import AcpeActivityType, ActivityMeta, AgendaItem
from lti_tool.course.yamlsource import parse_yaml

# The provider's activity page, kept beside the repository in shared/seed/.
# A copy of the provider's public activity page (the seed handed to the team), kept with the
# tests so the verbatim check runs wherever the repository is cloned.
SEED_PAGE = Path(__file__).resolve().parents[1] / "fixtures" / "cervical-dystonia-activity-page.txt"

SECTION_IDS = (
    "introduction",
    "epidemiology",
    "burden",
    "clinical-features",
    "diagnosis",
    "goals-monitoring",
    "botulinum-toxins",
    "dosing-intervals",
    "injection-technique",
    "antibodies-adverse-effects",
    "special-considerations",
    "second-line",
    "deep-brain-stimulation",
    "young-onset",
    "non-response",
    "patient-case",
    "summary",
)


@pytest.fixture
def meta(cervical_dystonia_path) -> ActivityMeta:
    raw = (cervical_dystonia_path / "activity.yaml").read_bytes()
    document, issues = parse_yaml("activity.yaml", raw)
    assert issues == [] and document is not None
    return ActivityMeta.model_validate(document.data)


def test_identity_dates_and_rules_match_the_provider_page(meta):
    assert meta.title == (
        "Breaking the hold: avoiding missteps and optimizing management in the identification "
        "and treatment of cervical dystonia"
    )
    assert meta.provider.name == "ScientiaCME"
    assert meta.accme_activity_number == "203368584"
    assert meta.release_date == date(2026, 1, 14)
    assert meta.expiration_date == date(2028, 1, 14)
    assert meta.passing_percent == 70
    assert meta.posttest_attempt_limit == 3
    assert meta.estimated_minutes == 75
    assert meta.fee.is_free and meta.fee.statement == "This activity is free of charge."
    assert (meta.medium, meta.method_of_participation) == ("enduring material", "online")
    assert len(meta.learning_objectives) == 4


def test_credit_designations_match_the_provider_page(meta):
    physician = meta.designation(Profession.PHYSICIAN)
    assert physician is not None
    assert physician.max_credits == Decimal("1.25")
    assert "maximum of 1.25 AMA PRA Category 1 Credit(s)™" in physician.designation_statement
    pharmacist = meta.designation(Profession.PHARMACIST)
    assert pharmacist is not None
    assert pharmacist.acpe_uan == "0574-0000-26-009-H01-P"
    assert pharmacist.acpe_activity_type is AcpeActivityType.APPLICATION
    assert pharmacist.max_credits == Decimal("1.25") and pharmacist.ceus == Decimal("0.125")
    assert pharmacist.certificate_kind is CertificateKind.PHARMACY_STATEMENT
    assert pharmacist.nabp_instructions is not None
    assert "will NOT receive CPE credit" in pharmacist.nabp_instructions
    bodies = {
        p: meta.designation(p).accepting_body  # type: ignore[union-attr]
        for p in (Profession.NURSE, Profession.PHYSICIAN_ASSISTANT, Profession.NURSE_PRACTITIONER)
    }
    assert bodies == {
        Profession.NURSE: "ANCC",
        Profession.PHYSICIAN_ASSISTANT: "AAPA",
        Profession.NURSE_PRACTITIONER: "AANPCB",
    }


def test_disclosures_match_the_provider_page(meta):
    (faculty,) = meta.faculty
    assert faculty.disclosure_line == (
        "Hwai Yin (Evelyn) Ooi, MD, Assistant Professor of Clinical Neurology, Weill Cornell "
        "Medicine, has received financial compensation from Blue Rock, MeiraGTX, Novo Nordisk, "
        "Biogen, Genentech, UCB, Cerevance, Biohaven, and Vima Therapeutics for research/clinical "
        "trial support."
    )
    (planner,) = meta.planners
    assert planner.disclosure_line == (
        "Charles Turck, PharmD, BCPS, BCCCP, President of ScientiaCME, has no relevant "
        "financial disclosures."
    )
    assert meta.commercial_support.supporters == ("Merz Pharmaceuticals",)
    assert meta.off_label_use.discussed is True
    assert meta.conflict_of_interest.mitigation == (
        "All relevant financial relationships have been mitigated."
    )


def test_sections_are_the_seventeen_of_the_format_contract(meta):
    assert tuple(section.id for section in meta.sections) == SECTION_IDS
    assert meta.sections[6].title == "First-line therapy: the botulinum toxins compared"
    assert meta.sections[16].file == "sections/17-summary.md"


def test_the_cervical_dystonia_activity_validates_with_no_issues(cervical_dystonia_path):
    issues = validate_activity(cervical_dystonia_path)
    assert [str(issue) for issue in issues] == []


def _agenda_titles(items: tuple[AgendaItem, ...]) -> list[str]:
    return [title for item in items for title in (item.title, *_agenda_titles(item.items))]


def test_every_statement_is_verbatim_from_the_provider_page(meta):
    def normalize(text: str) -> str:
        return re.sub(r"\s+", " ", text).strip()

    page = normalize(SEED_PAGE.read_text(encoding="utf-8"))
    statements = [
        meta.title,
        meta.statement_of_need,
        meta.target_audience,
        *meta.learning_objectives,
        *(a.statement for a in meta.provider.accreditations),
        meta.faculty[0].disclosure_line,
        meta.planners[0].disclosure_line,
        meta.commercial_support.acknowledgement,
        meta.off_label_use.notice,
        meta.conflict_of_interest.policy,
        meta.conflict_of_interest.mitigation,
        meta.conflict_of_interest.standards or "",
        meta.fee.statement,
        *meta.instructions,
        *(r for p in meta.system_requirements.platforms for r in p.requirements),
        *meta.system_requirements.notes,
        *_agenda_titles(meta.agenda),
    ]
    for designation in meta.credits:
        statements += [
            designation.designation_statement,
            designation.acceptance_statement or "",
            designation.nabp_instructions or "",
        ]
    assert [s for s in statements if normalize(s) not in page] == []
