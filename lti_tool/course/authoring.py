"""Authoring checks: what a CME editor would reject although the folder loads.

They came out of a content-integrity review of the model activity (issue 14): more reading
than the credit designated, answer keys given away by option length or by absolutes in the
distractors, objectives no post-test item tests, no items shared between pre- and post-test
(so knowledge change cannot be measured on the same items), and brand names in the teaching
text. They are warnings (``lti-tool activities validate`` prints them; ``--strict`` fails on
them) because each has legitimate exceptions an editor can judge.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction

from lti_tool.course.checks import Finding
from lti_tool.course.questions import Question, QuestionBank
from lti_tool.course.schema import MINUTES_PER_CREDIT, ActivityMeta

# Clinical reading speed for dense text; one minute per post-test vignette, half a minute
# per pre-test item (read once, no rationale).
WORDS_PER_MINUTE = 200
POSTTEST_MINUTES_PER_ITEM = Fraction(1)
PRETEST_MINUTES_PER_ITEM = Fraction(1, 2)
TIME_TOLERANCE = Fraction(1, 10)
LONGEST_KEY_LIMIT = Fraction(1, 3)
MIN_SHARED_FRACTION = Fraction(1, 2)
ABSOLUTES = ("always", "never", "all", "none", "every", "only", "completely", "guaranteed")
_ABSOLUTE = re.compile(rf"\b({'|'.join(ABSOLUTES)})\b", re.IGNORECASE)
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_WORD = re.compile(r"[A-Za-z0-9][\w'’.-]*")

ACTIVITY_FILE = "activity.yaml"
PRETEST_FILE = "pretest.yaml"
POSTTEST_FILE = "posttest.yaml"


def teaching_lines(markdown: str) -> list[tuple[int, str]]:
    """(1-based line, text) of a section outside its References list."""
    lines: list[tuple[int, str]] = []
    in_references = False
    for number, line in enumerate(markdown.splitlines(), start=1):
        heading = _HEADING.match(line)
        if heading:
            in_references = heading.group(2).strip().lower() == "references"
        if not in_references:
            lines.append((number, line))
    return lines


def section_words(markdown: str) -> int:
    return sum(len(_WORD.findall(line)) for _, line in teaching_lines(markdown))


def estimated_minutes(
    sections: Sequence[str], pretest: QuestionBank | None, posttest: QuestionBank | None
) -> Fraction:
    words = sum(section_words(markdown) for markdown in sections)
    minutes = Fraction(words, WORDS_PER_MINUTE)
    if posttest is not None:
        minutes += POSTTEST_MINUTES_PER_ITEM * len(posttest.questions)
    if pretest is not None:
        minutes += PRETEST_MINUTES_PER_ITEM * len(pretest.questions)
    return minutes


def check_time(
    meta: ActivityMeta,
    sections: Sequence[str],
    pretest: QuestionBank | None,
    posttest: QuestionBank | None,
) -> list[Finding]:
    designated = max(d.max_credits for d in meta.credits) * MINUTES_PER_CREDIT
    estimate = estimated_minutes(sections, pretest, posttest)
    if abs(estimate - Fraction(designated)) <= TIME_TOLERANCE * Fraction(designated):
        return []
    words = sum(section_words(markdown) for markdown in sections)
    return [
        Finding(
            ACTIVITY_FILE,
            ("estimated_minutes",),
            f"the content takes about {round(estimate)} minutes ({words} section words at "
            f"{WORDS_PER_MINUTE} a minute plus the questions), more than 10% away from the "
            f"{designated.normalize():f} minutes the designated credit stands for: cut or add "
            "content, or change the designation",
        )
    ]


def _correct_is_longest(question: Question) -> bool:
    lengths = {choice.key: len(choice.text) for choice in question.choices}
    key_length = lengths[question.correct]
    return all(key_length > length for key, length in lengths.items() if key != question.correct)


def check_cues(bank: QuestionBank, file: str) -> list[Finding]:
    findings: list[Finding] = []
    longest = [i for i, q in enumerate(bank.questions) if _correct_is_longest(q)]
    if Fraction(len(longest), len(bank.questions)) > LONGEST_KEY_LIMIT:
        findings += [
            Finding(
                file,
                ("questions", index, "correct"),
                f"the correct option is the longest in {len(longest)} of "
                f"{len(bank.questions)} items (more than a third): test-wise learners "
                "pick the longest option; make options similar in length",
            )
            for index in longest
        ]
    for index, question in enumerate(bank.questions):
        for number, choice in enumerate(question.choices):
            match = _ABSOLUTE.search(choice.text)
            if choice.key != question.correct and match:
                findings.append(
                    Finding(
                        file,
                        ("questions", index, "choices", number),
                        f"absolute {match.group(1)!r} in a distractor marks it as wrong "
                        "for test-wise learners; qualify it or rewrite it",
                    )
                )
    return findings


def check_objectives_tested(meta: ActivityMeta, posttest: QuestionBank) -> list[Finding]:
    tested = {question.objective for question in posttest.questions}
    return [
        Finding(
            ACTIVITY_FILE,
            ("learning_objectives", number - 1),
            f"no post-test item tests objective {number}",
        )
        for number in range(1, len(meta.learning_objectives) + 1)
        if number not in tested
    ]


def _asked(question: Question) -> tuple[str, ...]:
    def norm(text: str) -> str:
        return " ".join(text.split())

    return (norm(question.stem), *(norm(c.text) for c in question.choices), question.correct)


def shared_items(pretest: QuestionBank | None, posttest: QuestionBank) -> list[int]:
    """Indexes of post-test items asked identically (stem, options, key) in the pre-test."""
    if pretest is None:
        return []
    asked_before = {_asked(question) for question in pretest.questions}
    return [i for i, q in enumerate(posttest.questions) if _asked(q) in asked_before]


def check_shared(pretest: QuestionBank | None, posttest: QuestionBank) -> list[Finding]:
    shared = shared_items(pretest, posttest)
    total = len(posttest.questions)
    if Fraction(len(shared), total) >= MIN_SHARED_FRACTION:
        return []
    return [
        Finding(
            POSTTEST_FILE,
            ("questions",),
            f"only {len(shared)} of {total} post-test items are asked identically in the "
            "pre-test: share at least half (same stem, options and key) so knowledge change "
            "is measured on the same items",
        )
    ]


def _brand_pattern(meta: ActivityMeta) -> re.Pattern[str] | None:
    brands = sorted({b for p in meta.products for b in p.brands}, key=len, reverse=True)
    if not brands:
        return None
    return re.compile(rf"\b({'|'.join(re.escape(b) for b in brands)})\b", re.IGNORECASE)


def check_brands_in_section(meta: ActivityMeta, file: str, markdown: str) -> list[Finding]:
    pattern = _brand_pattern(meta)
    if pattern is None:
        return []
    return [
        Finding(
            file,
            (),
            f"brand name {match.group(1)!r} outside the references: use the generic name",
            number,
        )
        for number, line in teaching_lines(markdown)
        for match in pattern.finditer(line)
    ]


def check_brands_in_bank(meta: ActivityMeta, bank: QuestionBank, file: str) -> list[Finding]:
    pattern = _brand_pattern(meta)
    if pattern is None:
        return []
    findings: list[Finding] = []
    for index, question in enumerate(bank.questions):
        texts: list[tuple[tuple[str | int, ...], str]] = [
            (("questions", index, "stem"), question.stem),
            (("questions", index, "rationale"), question.rationale or ""),
        ]
        texts += [
            (("questions", index, "choices", n), choice.text)
            for n, choice in enumerate(question.choices)
        ]
        for loc, text in texts:
            match = pattern.search(text)
            if match:
                findings.append(
                    Finding(file, loc, f"brand name {match.group(1)!r}: use the generic name")
                )
    return findings


def check_uncited_sources(meta: ActivityMeta, cited: set[str]) -> list[Finding]:
    return [
        Finding(
            ACTIVITY_FILE,
            ("sources", index, "key"),
            f"no section cites [@{source.key}]: cite it where it is used or remove it",
        )
        for index, source in enumerate(meta.sources)
        if source.key not in cited
    ]
