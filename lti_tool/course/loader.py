"""Load an activity folder (docs/activity-format.md) into an immutable, versioned ``Activity``.

The folder is first read into a snapshot (``snapshot.py``); everything else works on that
snapshot, and a snapshot stored in the database can be turned back into the same ``Activity``
later (``activity_from_files``). Validation collects every issue in every file, each with
file, line and field, and never lets a malformed file escape as a traceback;
``load_activity`` returns an ``Activity`` only when there are no issues at all, so nothing is
ever half-loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from lti_tool.course import authoring, checks, integrity
from lti_tool.course.activity import Activity, Section
from lti_tool.course.errors import ActivityInvalid, ValidationIssue
from lti_tool.course.evaluation import EvaluationForm, expand_evaluation
from lti_tool.course.markdown import check_section_markdown, render_markdown
from lti_tool.course.questions import QuestionBank
from lti_tool.course.schema import (
    DIGITS_PATTERN,
    IDENTIFIER_PATTERN,
    SECTION_FILE_PATTERN,
    ActivityMeta,
    SectionRef,
    Source,
    Text,
)
from lti_tool.course.snapshot import content_hash, read_activity_files
from lti_tool.course.yamlsource import YamlDocument, parse_yaml

ACTIVITY_FILE = "activity.yaml"
PRETEST_FILE = "pretest.yaml"
POSTTEST_FILE = "posttest.yaml"
EVALUATION_FILE = "evaluation.yaml"
REQUIRED_FILES = (ACTIVITY_FILE, POSTTEST_FILE, EVALUATION_FILE)

ModelT = TypeVar("ModelT", bound=BaseModel)


# Regular expressions mean little to authors; say what the value should look like instead.
_PATTERN_HINTS = {
    IDENTIFIER_PATTERN: "use lowercase letters, digits and single hyphens, e.g. key-facts",
    SECTION_FILE_PATTERN: "expected sections/NN-<id>.md, e.g. sections/02-epidemiology.md",
    DIGITS_PATTERN: 'digits only, in quotes, e.g. "203368584"',
}


def _message(error: ErrorDetails) -> str:
    if error["type"] == "string_pattern_mismatch":
        hint = _PATTERN_HINTS.get(str(error.get("ctx", {}).get("pattern")))
        if hint:
            return hint
    if error["type"] == "string_type" and isinstance(error.get("input"), int | Decimal):
        return 'expected text: put numbers that are identifiers in quotes, e.g. "203368584"'
    return error["msg"].removeprefix("Value error, ")


def _validate_model(
    model: type[ModelT], document: YamlDocument, issues: list[ValidationIssue]
) -> ModelT | None:
    try:
        return model.model_validate(document.data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        for error in errors:
            loc = error["loc"]
            # pydantic also reports a list whose items failed as "too short after validation";
            # the item errors already say what is wrong.
            if error["type"] == "too_short" and any(
                other["loc"][: len(loc)] == loc and len(other["loc"]) > len(loc) for other in errors
            ):
                continue
            issues.append(document.issue(loc, _message(error)))
        return None


def _parse(
    files: Mapping[str, bytes], name: str, model: type[ModelT], issues: list[ValidationIssue]
) -> tuple[ModelT | None, YamlDocument | None]:
    if name not in files:
        if name in REQUIRED_FILES:
            issues.append(ValidationIssue(name, None, None, "required file is missing"))
        return None, None
    document, parse_issues = parse_yaml(name, files[name])
    issues.extend(parse_issues)
    if document is None or not isinstance(document.data, dict):
        return None, document
    return _validate_model(model, document, issues), document


def _sections(
    refs: tuple[SectionRef, ...],
    files: Mapping[str, bytes],
    issues: list[ValidationIssue],
    sources: tuple[Source, ...],
) -> tuple[Section, ...]:
    sections = []
    for ref in refs:
        raw = files.get(ref.file)
        if raw is None:
            continue  # reported by checks.check_sections, with the line in activity.yaml
        try:
            source = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            issues.append(ValidationIssue(ref.file, line, None, "the file is not valid UTF-8"))
            continue
        issues.extend(check_section_markdown(ref.file, source, ref.title))
        issues.extend(_issue(None, f) for f in integrity.check_citations(ref.file, source, sources))
        html = render_markdown(integrity.cite(source, sources))
        sections.append(Section(ref.id, ref.title, ref.file, source, html))
    return tuple(sections)


_Texts = Annotated[tuple[Text, ...], Field(min_length=1)]


def _salvage(document: YamlDocument | None, field: str, shape: Any) -> Any:
    """A field of an invalid activity.yaml that is valid on its own, so that the sections and
    question banks can still be checked against it and their issues reported in the same run.
    """
    if document is None or not isinstance(document.data, dict) or field not in document.data:
        return None
    try:
        return TypeAdapter(shape).validate_python(document.data[field])
    except ValidationError:
        return None  # already reported when activity.yaml was validated


def _issue(
    document: YamlDocument | None, finding: checks.Finding, *, warning: bool = False
) -> ValidationIssue:
    if document is not None:
        issue = document.issue(finding.loc, finding.message)
        return ValidationIssue(issue.file, issue.line, issue.field, issue.message, warning)
    return ValidationIssue(finding.file, finding.line, None, finding.message, warning)


def _warnings(
    meta: ActivityMeta,
    sections: tuple[Section, ...],
    pretest: QuestionBank | None,
    posttest: QuestionBank,
) -> list[checks.Finding]:
    """The authoring checks (course/authoring.py) of a folder that has no errors."""
    texts = [section.markdown for section in sections]
    found = authoring.check_time(meta, texts, pretest, posttest)
    found += authoring.check_objectives_tested(meta, posttest)
    cited = {key for text in texts for _, key in integrity.cited_keys(text)}
    found += authoring.check_uncited_sources(meta, cited)
    for section in sections:
        found += authoring.check_brands_in_section(meta, section.file, section.markdown)
    for bank, file in ((pretest, PRETEST_FILE), (posttest, POSTTEST_FILE)):
        if bank is not None:
            found += authoring.check_cues(bank, file)
            found += authoring.check_brands_in_bank(meta, bank, file)
    found += authoring.check_shared(pretest, posttest)
    return found


def _build(
    files: Mapping[str, bytes],
) -> tuple[Activity | None, list[ValidationIssue], list[ValidationIssue]]:
    issues: list[ValidationIssue] = []
    meta, meta_doc = _parse(files, ACTIVITY_FILE, ActivityMeta, issues)
    pretest, pre_doc = _parse(files, PRETEST_FILE, QuestionBank, issues)
    posttest, post_doc = _parse(files, POSTTEST_FILE, QuestionBank, issues)
    evaluation, eval_doc = _parse(files, EVALUATION_FILE, EvaluationForm, issues)

    findings: list[checks.Finding] = []
    sections: tuple[Section, ...] = ()
    refs = meta.sections if meta else _salvage(meta_doc, "sections", tuple[SectionRef, ...])
    objectives = (
        meta.learning_objectives if meta else _salvage(meta_doc, "learning_objectives", _Texts)
    )
    sources = meta.sources if meta else _salvage(meta_doc, "sources", tuple[Source, ...])
    if refs is not None:
        findings += checks.check_sections(refs, files, ACTIVITY_FILE)
        sections = _sections(refs, files, issues, sources or ())
    if meta is not None:
        findings += checks.check_credits(meta, ACTIVITY_FILE)
        findings += integrity.check_content_control(meta, ACTIVITY_FILE)
    if objectives is not None:
        count = len(objectives)
        if pretest is not None:
            findings += checks.check_bank(pretest, PRETEST_FILE, count, rationale_required=False)
        if posttest is not None:
            findings += checks.check_bank(posttest, POSTTEST_FILE, count, rationale_required=True)
        if pretest is not None and posttest is not None:
            findings += checks.check_pairs(pretest, posttest, PRETEST_FILE)
        if evaluation is not None:
            findings += checks.check_evaluation(evaluation, EVALUATION_FILE, objectives)
            if meta is not None and meta.follow_up is not None:
                findings += checks.check_follow_up(
                    meta.follow_up, evaluation, objectives, ACTIVITY_FILE
                )
    documents = {
        ACTIVITY_FILE: meta_doc,
        PRETEST_FILE: pre_doc,
        POSTTEST_FILE: post_doc,
        EVALUATION_FILE: eval_doc,
    }
    issues += [_issue(documents.get(finding.file), finding) for finding in findings]

    if issues or meta is None or posttest is None or evaluation is None:
        return None, issues, []
    warnings = [
        _issue(documents.get(finding.file), finding, warning=True)
        for finding in _warnings(meta, sections, pretest, posttest)
    ]
    activity = Activity(
        meta=meta,
        sections=sections,
        pretest=pretest,
        posttest=posttest,
        evaluation=evaluation,
        evaluation_items=expand_evaluation(evaluation, meta.learning_objectives),
        content_hash=content_hash(files),
        files=MappingProxyType(dict(files)),
    )
    return activity, [], warnings


def validate_files(files: Mapping[str, bytes]) -> list[ValidationIssue]:
    return _build(files)[1]


def authoring_warnings(files: Mapping[str, bytes]) -> list[ValidationIssue]:
    """The authoring checks' warnings of a folder without errors (errors first otherwise)."""
    return _build(files)[2]


def activity_from_files(files: Mapping[str, bytes]) -> Activity:
    """Build an ``Activity`` from a snapshot (e.g. one stored when it was loaded)."""
    activity, issues, _ = _build(files)
    if activity is None:
        raise ActivityInvalid(issues)
    return activity


def validate_activity(path: str | Path) -> list[ValidationIssue]:
    """Every issue in the folder at ``path``; an empty list means it would load."""
    try:
        files = read_activity_files(path)
    except ActivityInvalid as exc:
        return list(exc.issues)
    return validate_files(files)


def load_activity(path: str | Path) -> Activity:
    """The ``Activity`` in the folder at ``path``; ``ActivityInvalid`` lists every issue."""
    return activity_from_files(read_activity_files(path))
