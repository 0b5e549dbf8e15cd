"""Typed errors of the CME domain core.

The web layer maps each type to one page and one HTTP status in a single error handler
(see docs/team-brief.md); nothing here formats HTML or knows about requests. Every error
carries the facts a page needs to explain itself (the missing sections, the release time,
the attempt limit) as attributes, not only inside its message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


class CourseError(Exception):
    """Base of every error raised by ``lti_tool.course``."""


# --- activity folders -------------------------------------------------------------------------


@dataclass(frozen=True)
class ValidationIssue:
    """One problem found in an activity folder, located as precisely as the file allows.

    ``file`` is relative to the activity folder (``activity.yaml``, ``sections/02-x.md``);
    ``line`` is 1-based, ``None`` when the problem concerns a whole (e.g. missing) file;
    ``field`` is a dotted path such as ``credits.physician.max_credits`` or
    ``questions[2].correct``.
    """

    file: str
    line: int | None
    field: str | None
    message: str
    # An authoring warning (course/authoring.py): the folder still loads.
    warning: bool = False

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        message = f"warning: {self.message}" if self.warning else self.message
        return f"{where}: {self.field}: {message}" if self.field else f"{where}: {message}"


class ActivityInvalid(CourseError):
    """An activity folder failed validation; ``issues`` lists every problem found."""

    def __init__(self, issues: Sequence[ValidationIssue]) -> None:
        self.issues = tuple(issues)
        lines = "\n".join(f"  {issue}" for issue in self.issues)
        super().__init__(f"activity is invalid ({len(self.issues)} issue(s)):\n{lines}")


# --- the learner journey ----------------------------------------------------------------------


class JourneyError(CourseError):
    """The learner asked for something the journey does not allow now."""


class ActivityNotReleased(JourneyError):
    """Nothing of the activity opens before its release date."""

    def __init__(self, opens_at: datetime) -> None:
        self.opens_at = opens_at
        super().__init__(f"the activity opens at {opens_at.isoformat()}")


class ActivityExpired(JourneyError):
    """Credit can no longer be earned: the activity expired (content stays readable)."""

    def __init__(self, closed_at: datetime) -> None:
        self.closed_at = closed_at
        super().__init__(f"the activity expired at {closed_at.isoformat()}; credit is closed")


class ActivityVersionMismatch(JourneyError):
    """A progress snapshot belongs to another version (content hash) of the activity."""

    def __init__(self, expected: str, actual: str) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"progress is for activity version {expected}, not {actual}")


class StepLocked(JourneyError):
    """A step of the journey cannot be entered yet (or any more); ``reason`` says why."""

    def __init__(self, step: str, reason: str) -> None:
        self.step = step
        self.reason = reason
        super().__init__(f"{step} is locked: {reason}")


class DisclosuresNotAcknowledged(StepLocked):
    """ACCME requires disclosures to be shown before the learner engages with content."""

    def __init__(self, step: str) -> None:
        super().__init__(step, "the disclosures have not been acknowledged")


class PretestUndecided(StepLocked):
    """The optional pre-test must be taken or explicitly skipped before the content."""

    def __init__(self, step: str) -> None:
        super().__init__(step, "take or skip the pre-test first")


class SectionsIncomplete(StepLocked):
    """The post-test unlocks only when every section has been viewed."""

    def __init__(self, step: str, missing: Sequence[str]) -> None:
        self.missing = tuple(missing)
        super().__init__(step, f"sections not yet viewed: {', '.join(self.missing)}")


class AttemptLimitReached(StepLocked):
    """Every allowed post-test attempt was used without passing."""

    def __init__(self, step: str, limit: int) -> None:
        self.limit = limit
        super().__init__(step, f"all {limit} post-test attempts have been used")


class PosttestNotPassed(StepLocked):
    """The evaluation opens only after the post-test was passed."""

    def __init__(self, step: str) -> None:
        super().__init__(step, "the post-test has not been passed")


class EvaluationIncomplete(StepLocked):
    """Credit needs the evaluation; also raised when required answers are missing."""

    def __init__(self, step: str, missing: Sequence[str] = ()) -> None:
        self.missing = tuple(missing)
        detail = f": unanswered {', '.join(self.missing)}" if self.missing else ""
        super().__init__(step, f"the evaluation is not complete{detail}")


class UnknownSection(JourneyError):
    def __init__(self, section_id: str) -> None:
        self.section_id = section_id
        super().__init__(f"no section {section_id!r} in this activity")


# --- answers ----------------------------------------------------------------------------------


class InvalidAnswer(CourseError, ValueError):
    """A stored or submitted answer does not fit the question it answers."""

    def __init__(self, question_id: str, reason: str) -> None:
        self.question_id = question_id
        self.reason = reason
        super().__init__(f"{question_id}: {reason}")


class UnknownQuestion(InvalidAnswer):
    def __init__(self, question_id: str) -> None:
        super().__init__(question_id, "no such question")


# --- credit -----------------------------------------------------------------------------------


class CreditError(CourseError):
    """A credit claim was refused."""


class ClaimNotAllowedYet(CreditError):
    """Credit is claimed only after the post-test was passed and the evaluation completed."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"credit cannot be claimed yet: {reason}")


class CreditAlreadyClaimed(CreditError):
    def __init__(self, claimed_at: datetime) -> None:
        self.claimed_at = claimed_at
        super().__init__(f"credit was already claimed at {claimed_at.isoformat()}")


class ProfessionNotOffered(CreditError):
    def __init__(self, profession: str) -> None:
        self.profession = profession
        super().__init__(f"this activity designates no credit for {profession}")


class ClaimFieldMissing(CreditError):
    """A field the claim needs is blank: ``learner_name``, ``amount`` (physicians),
    ``nabp_eprofile_id`` or ``birth_mmdd`` (pharmacists and pharmacy technicians)."""

    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(f"the claim needs {field}")


class ClaimAmountInvalid(CreditError):
    """The amount is not a plain decimal number (e.g. ``"abc"``, ``"NaN"``, a float)."""

    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__(f"{text!r} is not a credit amount")


class ClaimBelowMinimum(CreditError):
    def __init__(self, amount: Decimal, minimum: Decimal) -> None:
        self.amount = amount
        self.minimum = minimum
        super().__init__(f"claim {amount} is below the minimum of {minimum}")


class ClaimOverMaximum(CreditError):
    def __init__(self, amount: Decimal, maximum: Decimal) -> None:
        self.amount = amount
        self.maximum = maximum
        super().__init__(f"claim {amount} exceeds the designated maximum of {maximum}")


class ClaimOffGrid(CreditError):
    """AMA PRA credit is claimed in quarter-credit steps (0.25, 0.50, ...)."""

    def __init__(self, amount: Decimal, step: Decimal) -> None:
        self.amount = amount
        self.step = step
        super().__init__(f"claim {amount} is not a multiple of {step}")


class InvalidNabpId(CreditError):
    def __init__(self, value: str) -> None:
        self.value = value
        super().__init__("an NABP e-Profile ID is a 6 or 7 digit number")


class InvalidBirthDate(CreditError):
    def __init__(self, value: str) -> None:
        self.value = value
        super().__init__("birth month and day must be a real date written MMDD, e.g. 0229")
