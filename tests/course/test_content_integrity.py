"""Content integrity (issue 14): provenance rules are errors, authoring checks are warnings.

Each check has a failing example (a copy of an activity with one problem put in, reported at
its file and line) and a passing one (the bundled cervical dystonia activity, which passes
them all).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lti_tool.course import authoring_warnings, read_activity_files, validate_activity
from lti_tool.course.authoring import section_words

from .conftest import CERVICAL_DYSTONIA


@pytest.fixture
def cd_copy(tmp_path: Path) -> Path:
    target = tmp_path / "cervical-dystonia"
    shutil.copytree(CERVICAL_DYSTONIA, target)
    return target


def _replace(folder: Path, file: str, old: str, new: str, count: int = 1) -> int:
    """Replace ``old`` (which must occur) and return the 1-based line of the first change."""
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return line


def _warnings(folder: Path) -> list[str]:
    return [str(issue) for issue in authoring_warnings(read_activity_files(folder))]


def _errors(folder: Path) -> list[str]:
    return [str(issue) for issue in validate_activity(folder)]


def _line(folder: Path, file: str, snippet: str) -> int:
    lines = (folder / file).read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if snippet in line)


# --- the bundled activity -------------------------------------------------------------------


def test_the_cervical_dystonia_activity_passes_every_authoring_check():
    assert _warnings(CERVICAL_DYSTONIA) == []


def test_the_cervical_dystonia_text_fits_its_credit_and_shares_items():
    activity_words = sum(
        section_words(path.read_text(encoding="utf-8"))
        for path in (CERVICAL_DYSTONIA / "sections").glob("*.md")
    )
    assert 11_500 <= activity_words <= 13_000


def test_the_bundled_activity_is_a_demonstration_that_names_its_real_authors():
    files = read_activity_files(CERVICAL_DYSTONIA)
    text = files["activity.yaml"].decode()
    assert "not been reviewed or approved by ScientiaCME" in text
    intro = files["sections/01-introduction.md"].decode()
    assert "not valid for credit" in intro
    assert "written by the lti-tool project's authors" in intro


# --- provenance errors ----------------------------------------------------------------------


def test_a_faculty_member_missing_from_content_control_is_an_error(cd_copy):
    _replace(
        cd_copy,
        "activity.yaml",
        "  - name: Hwai Yin (Evelyn) Ooi\n    roles:",
        "  - name: Dr Ooi\n    roles:",
    )
    line = _line(cd_copy, "activity.yaml", "- name: Hwai Yin (Evelyn) Ooi")
    assert any(
        e.startswith(
            f"activity.yaml:{line}: faculty[0].name: "
            "Hwai Yin (Evelyn) Ooi is not in content_control"
        )
        for e in _errors(cd_copy)
    )


def test_content_control_without_an_author_is_an_error(cd_copy):
    _replace(cd_copy, "activity.yaml", "roles: [author]", "roles: [reviewer]")
    assert any("content_control: name who wrote the content" in e for e in _errors(cd_copy))


def test_a_relevant_relationship_needs_its_mitigation(cd_copy):
    _replace(
        cd_copy,
        "activity.yaml",
        "    mitigation: >-\n      She had no part in this text",
        "    notes: >-\n      She had no part in this text",
    )
    errors = _errors(cd_copy)
    assert any(
        "content_control[1].mitigation: say how the relevant financial relationships" in e
        for e in errors
    )


def test_commercial_support_needs_its_mitigation(cd_copy):
    line = _replace(
        cd_copy,
        "activity.yaml",
        "  mitigation: >-\n    The acknowledgement is copied",
        "  notes: >-\n    The acknowledgement is copied",
    )
    errors = _errors(cd_copy)
    assert any(
        "commercial_support.mitigation: say how the supporter was kept away" in e for e in errors
    )
    assert any(f"activity.yaml:{line}: commercial_support.notes:" in e for e in errors)


def test_a_citation_of_an_unknown_source_is_an_error_at_its_line(cd_copy):
    line = _replace(
        cd_copy, "sections/10-antibodies-adverse-effects.md", "[@walter-2020]", "[@walter-2021]"
    )
    assert (
        f"sections/10-antibodies-adverse-effects.md:{line}: [@walter-2021] is not in "
        "activity.yaml sources: add it with its design, funding and limits"
    ) in _errors(cd_copy)


def test_a_cited_source_renders_as_its_label():
    from lti_tool.course import load_activity

    section = load_activity(CERVICAL_DYSTONIA).section("antibodies-adverse-effects")
    assert section is not None
    assert "(Walter 2020)" in section.html and "[@walter-2020]" not in section.html


# --- authoring warnings ---------------------------------------------------------------------


def test_reading_time_far_from_the_credit_is_a_warning(cd_copy):
    path = cd_copy / "sections" / "16-patient-case.md"
    text = path.read_text(encoding="utf-8")
    marker = "> **Key point:** Good CD care"
    path.write_text(
        text.replace(marker, "More case detail. " * 400 + "\n\n" + marker), encoding="utf-8"
    )
    line = _line(cd_copy, "activity.yaml", "estimated_minutes:")
    warnings = _warnings(cd_copy)
    assert any(
        w.startswith(f"activity.yaml:{line}: estimated_minutes: warning: the content takes about")
        and "more than 10% away from the 75 minutes" in w
        for w in warnings
    )


def test_the_correct_option_longest_in_more_than_a_third_is_a_warning(cd_copy):
    # Make the key the longest option in five of fourteen post-test items (more than a third).
    for old in (
        '"Screen for depression and anxiety and ask about pain, then treat what is found"',
        '"Treat as dystonic head tremor of cervical dystonia and plan toxin treatment"',
        '"No investigation: the diagnosis is clinical and treatment can start"',
        '"Re-map the pattern and treat the muscles driving it, with guidance for deep ones"',
        '"Switch to rimabotulinumtoxinB, with counselling about dry mouth"',
    ):
        _replace(cd_copy, "posttest.yaml", old, old[:-1] + " " + "x" * 60 + '"', count=2)
    warnings = [w for w in _warnings(cd_copy) if w.startswith("posttest.yaml")]
    longest = [w for w in warnings if "the correct option is the longest in 5 of 14 items" in w]
    assert len(longest) == 5
    assert (
        longest[0].startswith("posttest.yaml:") and ": questions[0].correct: warning:" in longest[0]
    )


def test_an_absolute_in_a_distractor_is_a_warning_at_its_line(cd_copy):
    line = _replace(
        cd_copy,
        "posttest.yaml",
        '"Refer for selective peripheral denervation, the usual next step"',
        '"Always refer for selective peripheral denervation"',
    )
    assert (
        f"posttest.yaml:{line}: questions[8].choices.d: warning: absolute 'Always' in a "
        "distractor marks it as wrong for test-wise learners; qualify it or rewrite it"
    ) in _warnings(cd_copy)


def test_an_objective_no_post_test_item_tests_is_a_warning(cd_copy):
    for item in ("cd-post-01", "cd-post-02"):
        _replace(
            cd_copy,
            "posttest.yaml",
            f"  - id: {item}\n    objective: 1",
            f"  - id: {item}\n    objective: 2",
        )
    line = _line(cd_copy, "activity.yaml", "- Recognize the clinical and societal burden")
    assert (
        f"activity.yaml:{line}: learning_objectives[0]: "
        "warning: no post-test item tests objective 1"
    ) in _warnings(cd_copy)


def test_too_few_items_shared_with_the_pre_test_is_a_warning(cd_copy):
    # Reword the shared items in the pre-test only: they no longer measure the same thing.
    path = cd_copy / "pretest.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("most appropriate", "best"),
        encoding="utf-8",
    )
    warnings = _warnings(cd_copy)
    assert any(
        w.startswith("posttest.yaml:")
        and "of 14 post-test items are asked identically in the pre-test" in w
        for w in warnings
    )


def test_a_brand_name_outside_the_references_is_a_warning(cd_copy):
    line = _replace(
        cd_copy,
        "sections/07-botulinum-toxins.md",
        "| incobotulinumtoxinA | A | Lyophilized; no complexing proteins",
        "| incobotulinumtoxinA (Xeomin) | A | Lyophilized; no complexing proteins",
    )
    assert (
        f"sections/07-botulinum-toxins.md:{line}: warning: brand name 'Xeomin' outside the "
        "references: use the generic name"
    ) in _warnings(cd_copy)


def test_brand_names_in_a_references_list_are_allowed():
    references = (CERVICAL_DYSTONIA / "sections" / "07-botulinum-toxins.md").read_text(
        encoding="utf-8"
    )
    assert "Xeomin (incobotulinumtoxinA)" in references.split("### References")[1]
    assert not [w for w in _warnings(CERVICAL_DYSTONIA) if "brand name" in w]


def test_a_source_no_section_cites_is_a_warning(cd_copy):
    _replace(cd_copy, "sections/09-injection-technique.md", " [@contarino-2017]", "")
    line = _line(cd_copy, "activity.yaml", "- key: contarino-2017")
    assert (
        f"activity.yaml:{line}: sources[24].key: warning: no section cites [@contarino-2017]: "
        "cite it where it is used or remove it"
    ) in _warnings(cd_copy)


def test_a_folder_with_errors_reports_no_warnings(cd_copy):
    _replace(cd_copy, "posttest.yaml", "    correct: b\n", "    correct: q\n")
    assert _errors(cd_copy) and _warnings(cd_copy) == []
