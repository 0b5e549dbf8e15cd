"""An activity version as the rest of the tool sees it: metadata, rendered sections, question
banks, the expanded evaluation, and the content hash that identifies the version.

Built only by ``loader.py`` after the whole folder validated; immutable afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from lti_tool.course.evaluation import EvaluationForm, EvaluationItem
from lti_tool.course.questions import QuestionBank
from lti_tool.course.schema import ActivityMeta, CreditDesignation, Profession


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    file: str
    markdown: str
    html: str


@dataclass(frozen=True)
class SignOff:
    """A named reviewer's sign-off of one version (``lti-tool activities approve``)."""

    reviewer: str
    signed_on: date


@dataclass(frozen=True, eq=False)
class Activity:
    """One version of an activity, identified (and compared) by ``content_hash``."""

    meta: ActivityMeta
    sections: tuple[Section, ...]
    pretest: QuestionBank | None
    posttest: QuestionBank
    evaluation: EvaluationForm
    evaluation_items: tuple[EvaluationItem, ...]
    content_hash: str
    files: Mapping[str, bytes]
    # Until a named reviewer signs this version off, it is a demonstration: every page and
    # certificate says "Demonstration — not valid for credit".
    sign_off: SignOff | None = None

    @property
    def is_demonstration(self) -> bool:
        return self.sign_off is None

    @property
    def slug(self) -> str:
        return self.meta.slug

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def version(self) -> str:
        """Short form of the content hash for display (full hash for storage)."""
        return self.content_hash[:12]

    @property
    def section_ids(self) -> tuple[str, ...]:
        return tuple(section.id for section in self.sections)

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def designation(self, profession: Profession | str) -> CreditDesignation | None:
        return self.meta.designation(profession)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Activity) and other.content_hash == self.content_hash

    def __hash__(self) -> int:
        return hash(self.content_hash)
