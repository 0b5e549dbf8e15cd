"""The metadata of an accredited CME activity (``activity.yaml``) as pydantic v2 models.

Every fact an accredited enduring activity must show its learners is a field here: the provider
and its accreditation statements, statement of need, target audience, learning objectives,
agenda, faculty and planners with their disclosures, commercial support, off-label use notice,
conflict-of-interest mitigation, credit designations per profession, dates, fee, system
requirements and instructions. See docs/authoring-activities.md for each field's meaning, and
docs/activity-format.md for the folder contract.

Rules that need one field only, or earlier fields of the same model, are validators here so the
error lands on the right field. Rules across lists and files (unique section ids, objective
indexes in question banks, files that exist) live in ``checks.py``.

References:
- ACCME Standards for Integrity and Independence (disclosure, mitigation, commercial support):
  https://accme.org/rules/standards-for-integrity-and-independence-in-accredited-ce/
- AMA PRA credit system (designation statement, 0.25 credit increments):
  https://www.ama-assn.org/education/ama-pra-credit-system
- ACPE UAN format and activity types: https://www.acpe-accredit.org/
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
IDENTIFIER_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SECTION_FILE_PATTERN = r"^sections/[0-9]{2}-[a-z0-9-]+\.md$"
DIGITS_PATTERN = r"^[0-9]+$"
Identifier = Annotated[str, StringConstraints(pattern=IDENTIFIER_PATTERN)]

DEFAULT_TIMEZONE = "America/New_York"
DEFAULT_PASSING_PERCENT = 70
DEFAULT_ATTEMPT_LIMIT = 3

# AMA PRA Category 1 Credit is designated and claimed in quarter-credit (15 minute) steps.
AMA_CREDIT_STEP = Decimal("0.25")
MINUTES_PER_CREDIT = 60

# ACCME and ACPE both require enduring material to be reviewed at least every three years.
MAX_YEARS_BETWEEN_REVIEWS = 3

# ACPE Universal Activity Number: provider-joint provider-year-sequence-format+topic-audience,
# e.g. 0574-0000-26-009-H01-P. Format letter: L live, H home study (enduring), B blended.
# Audience: P pharmacists, T pharmacy technicians.
ACPE_UAN_PATTERN = re.compile(r"^[0-9]{4}-[0-9]{4}-[0-9]{2}-[0-9]{3}-[LHB][0-9]{2}-[PT]$")


class Model(BaseModel):
    """Frozen, strict about unknown keys so a misspelt field is reported, not ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Profession(StrEnum):
    PHYSICIAN = "physician"
    PHARMACIST = "pharmacist"
    PHARMACY_TECHNICIAN = "pharmacy_technician"
    NURSE = "nurse"
    PHYSICIAN_ASSISTANT = "physician_assistant"
    NURSE_PRACTITIONER = "nurse_practitioner"
    OTHER = "other"


# How each profession is named to people (forms, certificates, reports).
PROFESSION_LABELS = {
    Profession.PHYSICIAN: "Physician",
    Profession.PHARMACIST: "Pharmacist",
    Profession.PHARMACY_TECHNICIAN: "Pharmacy technician",
    Profession.NURSE: "Nurse",
    Profession.PHYSICIAN_ASSISTANT: "Physician assistant",
    Profession.NURSE_PRACTITIONER: "Nurse practitioner",
    Profession.OTHER: "Other health care professional",
}

PHARMACY_PROFESSIONS = frozenset({Profession.PHARMACIST, Profession.PHARMACY_TECHNICIAN})
# Nurses, PAs and NPs earn AMA PRA credit through their own body's acceptance (ANCC, AAPA,
# AANPCB); the certificate must quote that acceptance statement.
ACCEPTING_BODY_PROFESSIONS = frozenset(
    {Profession.NURSE, Profession.PHYSICIAN_ASSISTANT, Profession.NURSE_PRACTITIONER}
)


class CertificateKind(StrEnum):
    PHYSICIAN_CREDIT = "physician_credit"
    PARTICIPATION = "participation"
    PHARMACY_STATEMENT = "pharmacy_statement_of_participation"


class Accreditor(StrEnum):
    ACCME = "ACCME"
    ACPE = "ACPE"
    ANCC = "ANCC"
    AAPA = "AAPA"


class AcpeActivityType(StrEnum):
    KNOWLEDGE = "K"
    APPLICATION = "A"
    PRACTICE = "P"


class ProviderAccreditation(Model):
    accreditor: Accreditor
    statement: Text


class Provider(Model):
    name: Text
    # Dates in activity.yaml are calendar days in this zone: release opens at 00:00 and
    # expiration closes at the end of the day here.
    timezone: str = DEFAULT_TIMEZONE
    accreditations: tuple[ProviderAccreditation, ...] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class AgendaItem(Model):
    title: Text
    items: tuple[AgendaItem, ...] = ()


class Person(Model):
    """A faculty member or planner as printed in the disclosure list."""

    name: Text
    credentials: tuple[Text, ...] = ()
    title: Text
    affiliation: Text | None = None
    # As printed when it is not simply "title, affiliation" (e.g. "President of ScientiaCME").
    position: Text | None = None
    relevant_financial_relationships: bool
    # Verbatim predicate that follows the person's name, e.g. "has received ... support."
    disclosure: Text | None = Field(default=None, validate_default=True)

    @field_validator("disclosure")
    @classmethod
    def _disclosure_matches_flag(cls, value: str | None, info: ValidationInfo) -> str | None:
        has_relationships = info.data.get("relevant_financial_relationships")
        if value is None and has_relationships:
            raise ValueError("describe the relevant financial relationships")
        if value is None:
            return "has no relevant financial relationships."
        return value

    @property
    def byline(self) -> str:
        return ", ".join((self.name, *self.credentials))

    @property
    def position_line(self) -> str:
        if self.position:
            return self.position
        return f"{self.title}, {self.affiliation}" if self.affiliation else self.title

    @property
    def disclosure_line(self) -> str:
        return f"{self.byline}, {self.position_line}, {self.disclosure}"


class CommercialSupport(Model):
    supporters: tuple[Text, ...] = ()
    acknowledgement: Text
    # ACCME Standard 4: how the provider kept the supporter away from content (who chose
    # topics, sources and faculty; what review caught). Required when anyone supports.
    mitigation: Text | None = Field(default=None, validate_default=True)

    @field_validator("acknowledgement")
    @classmethod
    def _names_every_supporter(cls, value: str, info: ValidationInfo) -> str:
        missing = [s for s in info.data.get("supporters", ()) if s not in value]
        if missing:
            raise ValueError(f"the acknowledgement must name {', '.join(missing)}")
        return value

    @field_validator("mitigation")
    @classmethod
    def _mitigation_when_supported(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("supporters"):
            raise ValueError(
                "say how the supporter was kept away from content (who chose topics, sources "
                "and authors, and what the independent review checked)"
            )
        return value


DEMONSTRATION_NOTICE = "Demonstration — not valid for credit"


class ContentRole(StrEnum):
    """Who controls content (ACCME Standards for Integrity and Independence, Standard 3)."""

    PLANNER = "planner"
    AUTHOR = "author"
    REVIEWER = "reviewer"
    FACULTY = "faculty"


class Contributor(Model):
    """Someone in control of content, with what they actually did.

    Faculty named on a provider's page did not necessarily write the text; ``contribution``
    says what each person did so no text is presented as written by someone who did not
    write it.
    """

    name: Text
    roles: tuple[ContentRole, ...] = Field(min_length=1)
    contribution: Text
    relevant_financial_relationships: bool
    disclosure: Text
    # Standard 3: how each relevant relationship was mitigated (e.g. independent review).
    mitigation: Text | None = Field(default=None, validate_default=True)

    @field_validator("mitigation")
    @classmethod
    def _mitigation_for_relationships(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("relevant_financial_relationships"):
            raise ValueError("say how the relevant financial relationships were mitigated")
        return value


class Source(Model):
    """A cited guideline, trial or study with what a learner needs to weigh it.

    Sections cite it as ``[@key]``; the validator refuses a key that is not listed here.
    """

    key: Identifier
    label: Text
    citation: Text
    design: Text
    funding: Text
    limits: Text


class Product(Model):
    """A product discussed, by generic name; its brand names may appear only in references."""

    generic: Text
    brands: tuple[Text, ...] = ()


class OffLabelUse(Model):
    discussed: bool
    notice: Text


class ConflictOfInterest(Model):
    policy: Text
    mitigation: Text
    standards: Text | None = None


class Fee(Model):
    amount: Decimal = Field(default=Decimal(0), ge=0)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "USD"
    statement: Text

    @property
    def is_free(self) -> bool:
        return self.amount == 0


class PlatformRequirements(Model):
    platform: Text
    requirements: tuple[Text, ...] = Field(min_length=1)


class SystemRequirements(Model):
    platforms: tuple[PlatformRequirements, ...] = Field(min_length=1)
    notes: tuple[Text, ...] = ()


class CreditDesignation(Model):
    """What one profession earns. Written in YAML as ``credits: {<profession>: {...}}``."""

    profession: Profession
    credit_type: Text
    max_credits: Decimal = Field(gt=0, max_digits=5, decimal_places=2)
    designation_statement: Text
    accepting_body: Text | None = Field(default=None, validate_default=True)
    acceptance_statement: Text | None = Field(default=None, validate_default=True)
    acpe_uan: str | None = Field(default=None, validate_default=True)
    acpe_activity_type: AcpeActivityType | None = Field(default=None, validate_default=True)
    nabp_instructions: Text | None = Field(default=None, validate_default=True)

    @field_validator("accepting_body", "acceptance_statement")
    @classmethod
    def _acceptance_for_nurses_pas_nps(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("profession") in ACCEPTING_BODY_PROFESSIONS:
            raise ValueError(f"required for {info.data['profession']}")
        return value

    @field_validator("acpe_uan")
    @classmethod
    def _uan_for_pharmacy(cls, value: str | None, info: ValidationInfo) -> str | None:
        profession = info.data.get("profession")
        if profession not in PHARMACY_PROFESSIONS:
            if value is not None:
                raise ValueError("only pharmacy designations carry an ACPE UAN")
            return value
        if value is None:
            raise ValueError(f"required for {profession}")
        if not ACPE_UAN_PATTERN.match(value):
            raise ValueError("expected an ACPE UAN like 0574-0000-26-009-H01-P")
        audience = "T" if profession is Profession.PHARMACY_TECHNICIAN else "P"
        if not value.endswith(f"-{audience}"):
            raise ValueError(f"a UAN for {profession} ends in -{audience}")
        return value

    @field_validator("acpe_activity_type", "nabp_instructions")
    @classmethod
    def _required_for_pharmacy(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.data.get("profession") in PHARMACY_PROFESSIONS:
            raise ValueError(f"required for {info.data['profession']}")
        return value

    @property
    def certificate_kind(self) -> CertificateKind:
        if self.profession is Profession.PHYSICIAN:
            return CertificateKind.PHYSICIAN_CREDIT
        if self.profession in PHARMACY_PROFESSIONS:
            return CertificateKind.PHARMACY_STATEMENT
        return CertificateKind.PARTICIPATION

    @property
    def ceus(self) -> Decimal | None:
        """ACPE continuing education units: contact hours / 10 (pharmacy only)."""
        if self.profession not in PHARMACY_PROFESSIONS:
            return None
        return self.max_credits / 10


class SectionRef(Model):
    id: Identifier
    title: Text
    file: Annotated[str, StringConstraints(pattern=SECTION_FILE_PATTERN)]

    @field_validator("file")
    @classmethod
    def _file_named_after_id(cls, value: str, info: ValidationInfo) -> str:
        section_id = info.data.get("id")
        if section_id is not None and value[len("sections/NN-") : -len(".md")] != section_id:
            raise ValueError(f"expected sections/NN-{section_id}.md")
        return value


def _credits_from_mapping(value: Any) -> Any:
    """``{physician: {...}}`` → ``[{profession: physician, ...}]`` so the model stays a tuple."""
    if isinstance(value, Mapping):
        return [
            {"profession": key, **body} if isinstance(body, Mapping) else body
            for key, body in value.items()
        ]
    return value


class FollowUp(Model):
    """A follow-up of learners' commitments to change practice: learners whose answer to
    the evaluation item ``question`` is one of ``answers`` are asked by email, ``after_days``
    after completing, what changed and what stood in the way."""

    after_days: int = Field(default=60, ge=1, le=365)
    question: Identifier
    answers: tuple[Text, ...] = Field(min_length=1)


class ActivityMeta(Model):
    """Everything in ``activity.yaml``."""

    slug: Identifier
    title: Text
    provider: Provider
    statement_of_need: Text
    target_audience: Text
    learning_objectives: tuple[Text, ...] = Field(min_length=1)
    agenda: tuple[AgendaItem, ...] = ()
    faculty: tuple[Person, ...] = Field(min_length=1)
    planners: tuple[Person, ...] = ()
    # Who wrote the content and how it came to be, in the provider's own words.
    provenance: Text
    content_control: tuple[Contributor, ...] = Field(min_length=1)
    sources: tuple[Source, ...] = ()
    products: tuple[Product, ...] = ()
    commercial_support: CommercialSupport
    off_label_use: OffLabelUse
    conflict_of_interest: ConflictOfInterest
    accme_activity_number: Annotated[str, StringConstraints(pattern=DIGITS_PATTERN)] | None = None
    credits: tuple[CreditDesignation, ...] = Field(min_length=1)
    release_date: date
    review_date: date | None = None
    expiration_date: date
    fee: Fee
    system_requirements: SystemRequirements
    medium: Text = "enduring material"
    method_of_participation: Text = "online"
    instructions: tuple[Text, ...] = Field(min_length=1)
    passing_percent: int = Field(default=DEFAULT_PASSING_PERCENT, ge=1, le=100)
    posttest_attempt_limit: int = Field(default=DEFAULT_ATTEMPT_LIMIT, ge=1)
    estimated_minutes: int = Field(gt=0)
    sections: tuple[SectionRef, ...] = Field(min_length=1)
    follow_up: FollowUp | None = None

    @field_validator("credits", mode="before")
    @classmethod
    def _credits_mapping(cls, value: Any) -> Any:
        return _credits_from_mapping(value)

    @field_validator("review_date")
    @classmethod
    def _review_after_release(cls, value: date | None, info: ValidationInfo) -> date | None:
        release = info.data.get("release_date")
        if value is not None and release is not None and value < release:
            raise ValueError("the review date cannot precede the release date")
        return value

    @field_validator("expiration_date")
    @classmethod
    def _expiration_in_window(cls, value: date, info: ValidationInfo) -> date:
        release = info.data.get("release_date")
        if release is None:
            return value
        if value <= release:
            raise ValueError("the expiration date must come after the release date")
        last_review = info.data.get("review_date") or release
        limit = add_years(last_review, MAX_YEARS_BETWEEN_REVIEWS)
        if value > limit:
            raise ValueError(
                f"enduring material must be reviewed every {MAX_YEARS_BETWEEN_REVIEWS} years: "
                f"expire on or before {limit.isoformat()} or record a later review_date"
            )
        return value

    def source(self, key: str) -> Source | None:
        return next((s for s in self.sources if s.key == key), None)

    def designation(self, profession: Profession | str) -> CreditDesignation | None:
        wanted = Profession(profession)
        return next((d for d in self.credits if d.profession is wanted), None)

    def accreditation_statement(self, accreditor: Accreditor) -> str | None:
        found = (a for a in self.provider.accreditations if a.accreditor is accreditor)
        return next((a.statement for a in found), None)


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
