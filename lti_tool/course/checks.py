"""Cross-reference rules of an activity folder, beyond what one pydantic field can see.

Each rule returns ``Finding``s addressed by file and field location; the loader turns the
location into a line number. Rules come from docs/activity-format.md and from the
accreditors: credit cannot exceed the time the activity takes (one AMA PRA credit or ACPE
contact hour per 60 minutes), AMA PRA credit is claimed in 0.25 steps, enduring CPE is a
home-study ("H") UAN, and AMA-based credit needs the provider's ACCME accreditation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from lti_tool.course.evaluation import EvaluationForm, EvaluationKind, expand_evaluation
from lti_tool.course.markdown import forbidden_markup
from lti_tool.course.questions import QuestionBank
from lti_tool.course.schema import (
    AMA_CREDIT_STEP,
    MINUTES_PER_CREDIT,
    PHARMACY_PROFESSIONS,
    Accreditor,
    ActivityMeta,
    FollowUp,
    Profession,
    SectionRef,
)

ENDURING_MEDIUM = "enduring material"
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


@dataclass(frozen=True)
class Finding:
    file: str
    loc: tuple[str | int, ...]
    message: str
    # For Markdown files, which have no YAML location: the 1-based line.
    line: int | None = None


def _mentions_amount(statement: str, amount: Decimal) -> bool:
    numbers = []
    for match in _NUMBER.findall(statement):
        try:
            numbers.append(Decimal(match))
        except InvalidOperation:  # pragma: no cover - the pattern only matches numbers
            continue
    return amount in numbers


def check_sections(
    sections: Sequence[SectionRef], files: Mapping[str, bytes], file: str
) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[str] = set()
    for index, section in enumerate(sections):
        if section.id in seen:
            findings.append(Finding(file, ("sections", index, "id"), "duplicate section id"))
        seen.add(section.id)
        number = f"{index + 1:02d}"
        if section.file[len("sections/") : len("sections/NN")] != number:
            findings.append(
                Finding(
                    file,
                    ("sections", index, "file"),
                    f"section {index + 1} must be numbered {number}",
                )
            )
        if section.file not in files:
            findings.append(
                Finding(file, ("sections", index, "file"), f"{section.file} does not exist")
            )
    listed = {section.file for section in sections}
    for path in sorted(files):
        if path.startswith("sections/") and path not in listed:
            findings.append(Finding(path, (), "this file is not listed in activity.yaml sections"))
    return findings


def check_credits(meta: ActivityMeta, file: str) -> list[Finding]:
    findings: list[Finding] = []
    accreditors = [a.accreditor for a in meta.provider.accreditations]
    for index, accreditor in enumerate(accreditors):
        if accreditors.index(accreditor) != index:
            findings.append(
                Finding(file, ("provider", "accreditations", index, "accreditor"), "listed twice")
            )
    max_by_time = Decimal(meta.estimated_minutes) / MINUTES_PER_CREDIT
    shown_limit = max_by_time.quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    needs_accme = needs_acpe = False
    for index, designation in enumerate(meta.credits):
        here = ("credits", index)
        if designation.max_credits > max_by_time:
            findings.append(
                Finding(
                    file,
                    (*here, "max_credits"),
                    f"{designation.max_credits} exceeds the {meta.estimated_minutes} minutes "
                    f"the activity takes (at most {shown_limit} at 60 minutes per credit)",
                )
            )
        if (
            designation.profession is Profession.PHYSICIAN
            and designation.max_credits % AMA_CREDIT_STEP
        ):
            findings.append(
                Finding(
                    file,
                    (*here, "max_credits"),
                    f"AMA PRA credit comes in steps of {AMA_CREDIT_STEP}",
                )
            )
        if not _mentions_amount(designation.designation_statement, designation.max_credits):
            findings.append(
                Finding(
                    file,
                    (*here, "designation_statement"),
                    f"the statement does not mention the designated {designation.max_credits}",
                )
            )
        if designation.profession in PHARMACY_PROFESSIONS:
            needs_acpe = True
            uan = designation.acpe_uan or ""
            if meta.medium == ENDURING_MEDIUM and uan[-5:-4] != "H":
                findings.append(
                    Finding(
                        file, (*here, "acpe_uan"), "enduring material needs a home-study (H) UAN"
                    )
                )
        elif designation.profession is not Profession.OTHER:
            needs_accme = True
    if needs_accme and Accreditor.ACCME not in accreditors:
        findings.append(
            Finding(
                file,
                ("provider", "accreditations"),
                "AMA PRA credit needs the ACCME accreditation statement",
            )
        )
    if needs_accme and meta.accme_activity_number is None:
        findings.append(Finding(file, ("accme_activity_number",), "required for AMA PRA credit"))
    if needs_acpe and Accreditor.ACPE not in accreditors:
        findings.append(
            Finding(
                file,
                ("provider", "accreditations"),
                "pharmacy credit needs the ACPE accreditation statement",
            )
        )
    return findings


def check_bank(
    bank: QuestionBank, file: str, objective_count: int, *, rationale_required: bool
) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[str] = set()
    for index, question in enumerate(bank.questions):
        here = ("questions", index)
        if question.id in seen:
            findings.append(Finding(file, (*here, "id"), f"duplicate question id {question.id!r}"))
        seen.add(question.id)
        if question.objective > objective_count:
            findings.append(
                Finding(
                    file,
                    (*here, "objective"),
                    f"objective {question.objective} does not exist "
                    f"(activity.yaml lists {objective_count})",
                )
            )
        texts: list[tuple[tuple[str | int, ...], str | None]] = [
            ((*here, "stem"), question.stem),
            ((*here, "rationale"), question.rationale),
        ]
        texts += [((*here, "choices", n), choice.text) for n, choice in enumerate(question.choices)]
        for loc, text in texts:
            # Stems, choices and rationales are Markdown too: same rules as sections.
            findings.extend(
                Finding(file, loc, message) for _, message in forbidden_markup(text or "")
            )
        if rationale_required and question.rationale is None:
            findings.append(
                Finding(file, (*here, "rationale"), "post-test questions need a rationale")
            )
    return findings


def check_pairs(pretest: QuestionBank, posttest: QuestionBank, file: str) -> list[Finding]:
    """Each pre-test ``same_as`` names a post-test question, at most once (the outcomes
    report groups the pair under the post-test question's objective)."""
    findings: list[Finding] = []
    named: set[str] = set()
    for index, question in enumerate(pretest.questions):
        if question.same_as is None:
            continue
        here = ("questions", index, "same_as")
        repeated = posttest.question(question.same_as)
        if repeated is None:
            findings.append(Finding(file, here, f"no post-test question {question.same_as!r}"))
        if question.same_as in named:
            findings.append(Finding(file, here, f"{question.same_as!r} is paired twice"))
        named.add(question.same_as)
    return findings


def check_evaluation(form: EvaluationForm, file: str, objectives: Sequence[str]) -> list[Finding]:
    findings: list[Finding] = []
    items = expand_evaluation(form, objectives)
    # Map each expanded item back to the YAML question it came from.
    source_index: dict[str, int] = {}
    position = 0
    for index, question in enumerate(form.questions):
        count = len(objectives) if question.per_objective else 1
        for item in items[position : position + count]:
            if item.id in source_index:
                findings.append(
                    Finding(file, ("questions", index, "id"), f"duplicate question id {item.id!r}")
                )
            source_index.setdefault(item.id, index)
        position += count
    earlier: dict[str, tuple[str, ...]] = {}
    position = 0
    for index, question in enumerate(form.questions):
        condition = question.when
        if condition is not None:
            options = earlier.get(condition.question)
            if options is None:
                findings.append(
                    Finding(
                        file,
                        ("questions", index, "when", "question"),
                        f"{condition.question!r} is not an earlier question",
                    )
                )
            elif condition.answer not in options:
                findings.append(
                    Finding(
                        file,
                        ("questions", index, "when", "answer"),
                        f"expected one of {', '.join(options)}"
                        if options
                        else "a text question cannot be a condition",
                    )
                )
        count = len(objectives) if question.per_objective else 1
        for item in items[position : position + count]:
            is_text = item.kind is EvaluationKind.TEXT
            earlier[item.id] = () if is_text else tuple(value for value, _ in item.options)
        position += count
    return findings


def check_follow_up(
    follow_up: FollowUp, form: EvaluationForm, objectives: Sequence[str], file: str
) -> list[Finding]:
    """The follow-up names a choice question of the evaluation and answers it offers."""
    items = {item.id: item for item in expand_evaluation(form, objectives)}
    item = items.get(follow_up.question)
    if item is None or item.kind is EvaluationKind.TEXT:
        return [
            Finding(
                file,
                ("follow_up", "question"),
                f"{follow_up.question!r} is not a choice or scale question of the evaluation",
            )
        ]
    offered = {value for value, _ in item.options}
    return [
        Finding(
            file, ("follow_up", "answers", index), f"expected one of {', '.join(sorted(offered))}"
        )
        for index, answer in enumerate(follow_up.answers)
        if answer not in offered
    ]
