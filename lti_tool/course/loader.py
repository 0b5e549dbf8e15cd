"""Load an activity folder (docs/activity-format.md) into an immutable, versioned ``Activity``.

The folder is first read into a snapshot (relative path → bytes); everything else works on that
snapshot, so the content hash always describes exactly the bytes that were parsed, and a
snapshot stored in the database can be turned back into the same ``Activity`` later
(``activity_from_files``). Validation collects every issue in every file, each with file, line
and field, and never lets a malformed file escape as a traceback; ``load_activity`` returns an
``Activity`` only when there are no issues at all, so nothing is ever half-loaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from lti_tool.course import checks
from lti_tool.course.errors import ActivityInvalid, ValidationIssue
from lti_tool.course.evaluation import EvaluationForm, EvaluationItem, expand_evaluation
from lti_tool.course.markdown import check_section_markdown, render_markdown
from lti_tool.course.questions import QuestionBank
from lti_tool.course.schema import ActivityMeta, CreditDesignation, Profession
from lti_tool.course.yamlsource import YamlDocument, parse_yaml

ACTIVITY_FILE = "activity.yaml"
PRETEST_FILE = "pretest.yaml"
POSTTEST_FILE = "posttest.yaml"
EVALUATION_FILE = "evaluation.yaml"
REQUIRED_FILES = (ACTIVITY_FILE, POSTTEST_FILE, EVALUATION_FILE)

# Bumped if the canonical listing below ever changes, so old and new hashes cannot collide.
_HASH_FORMAT = b"lti-tool activity snapshot v1\n"

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    file: str
    markdown: str
    html: str


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


def _is_hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def read_activity_files(path: str | Path) -> dict[str, bytes]:
    """Every regular, non-hidden file under ``path`` as ``{posix relative path: bytes}``.

    Hidden files and folders (``.DS_Store``, ``.git``, editor swap files) are left out so they
    cannot change the version. Raises ``ActivityInvalid`` if ``path`` is not a folder.
    """
    root = Path(path)
    if not root.is_dir():
        raise ActivityInvalid([ValidationIssue(str(root), None, None, "no activity folder here")])
    files: dict[str, bytes] = {}
    unreadable: list[ValidationIssue] = []
    for file in sorted(root.rglob("*")):
        relative = file.relative_to(root)
        if file.is_file() and not _is_hidden(relative):
            try:
                files[relative.as_posix()] = file.read_bytes()
            except OSError as exc:
                unreadable.append(
                    ValidationIssue(relative.as_posix(), None, None, f"cannot read: {exc.strerror}")
                )
    if unreadable:
        raise ActivityInvalid(unreadable)
    return files


def content_hash(files: Mapping[str, bytes]) -> str:
    """sha256 over a canonical listing: sorted paths, each with its length-prefixed bytes."""
    digest = hashlib.sha256(_HASH_FORMAT)
    for name in sorted(files):
        encoded = name.encode("utf-8")
        body = files[name]
        digest.update(b"%d:%s\n%d:" % (len(encoded), encoded, len(body)))
        digest.update(body)
        digest.update(b"\n")
    return digest.hexdigest()


def _validate_model(
    model: type[ModelT], document: YamlDocument, issues: list[ValidationIssue]
) -> ModelT | None:
    try:
        return model.model_validate(document.data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            message = error["msg"].removeprefix("Value error, ")
            issues.append(document.issue(error["loc"], message))
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
    if document is None or parse_issues:
        return None, document
    return _validate_model(model, document, issues), document


def _sections(
    meta: ActivityMeta, files: Mapping[str, bytes], issues: list[ValidationIssue]
) -> tuple[Section, ...]:
    sections = []
    for ref in meta.sections:
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
        sections.append(Section(ref.id, ref.title, ref.file, source, render_markdown(source)))
    return tuple(sections)


def _build(files: Mapping[str, bytes]) -> tuple[Activity | None, list[ValidationIssue]]:
    issues: list[ValidationIssue] = []
    meta, meta_doc = _parse(files, ACTIVITY_FILE, ActivityMeta, issues)
    pretest, pre_doc = _parse(files, PRETEST_FILE, QuestionBank, issues)
    posttest, post_doc = _parse(files, POSTTEST_FILE, QuestionBank, issues)
    evaluation, eval_doc = _parse(files, EVALUATION_FILE, EvaluationForm, issues)

    findings: list[checks.Finding] = []
    sections: tuple[Section, ...] = ()
    if meta is not None:
        findings += checks.check_sections(meta, files, ACTIVITY_FILE)
        findings += checks.check_credits(meta, ACTIVITY_FILE)
        sections = _sections(meta, files, issues)
        count = len(meta.learning_objectives)
        if pretest is not None:
            findings += checks.check_bank(pretest, PRETEST_FILE, count, rationale_required=False)
        if posttest is not None:
            findings += checks.check_bank(posttest, POSTTEST_FILE, count, rationale_required=True)
        if evaluation is not None:
            findings += checks.check_evaluation(
                evaluation, EVALUATION_FILE, meta.learning_objectives
            )
    documents = {
        ACTIVITY_FILE: meta_doc,
        PRETEST_FILE: pre_doc,
        POSTTEST_FILE: post_doc,
        EVALUATION_FILE: eval_doc,
    }
    for finding in findings:
        document = documents.get(finding.file)
        if document is not None:
            issues.append(document.issue(finding.loc, finding.message))
        else:
            issues.append(ValidationIssue(finding.file, None, None, finding.message))

    if issues or meta is None or posttest is None or evaluation is None:
        return None, issues
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
    return activity, []


def validate_files(files: Mapping[str, bytes]) -> list[ValidationIssue]:
    return _build(files)[1]


def activity_from_files(files: Mapping[str, bytes]) -> Activity:
    """Build an ``Activity`` from a snapshot (e.g. one stored when it was loaded)."""
    activity, issues = _build(files)
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
