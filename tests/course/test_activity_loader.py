"""Loading and validating activity folders: every issue with file, line and field."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pydantic
import pytest

from lti_tool.course import (
    ActivityInvalid,
    ValidationIssue,
    load_activity,
    render_markdown,
    validate_activity,
)


def issues_for(path: Path, file: str) -> list[ValidationIssue]:
    return [issue for issue in validate_activity(path) if issue.file == file]


def only_issue(path: Path, file: str) -> ValidationIssue:
    issues = validate_activity(path)
    assert len(issues) == 1, issues
    assert issues[0].file == file
    return issues[0]


# --- a good folder ----------------------------------------------------------------------------


def test_mini_activity_validates_without_issues(mini_path):
    assert validate_activity(mini_path) == []


def test_loaded_activity_has_sections_banks_and_expanded_evaluation(mini):
    assert mini.slug == "mini-activity"
    assert mini.section_ids == ("welcome", "key-facts")
    assert mini.sections[0].markdown.startswith("## Welcome")
    assert "<table>" in mini.sections[1].html
    assert "<blockquote>" in mini.sections[0].html
    assert mini.pretest is not None and len(mini.pretest.questions) == 2
    assert mini.posttest.question_ids == ("mini-post-01", "mini-post-02", "mini-post-03")
    assert [item.id for item in mini.evaluation_items] == [
        "objective-met-1",
        "objective-met-2",
        "fair-balance",
        "fair-balance-comment",
        "intent-to-change",
        "comments",
    ]
    assert mini.evaluation_items[1].prompt.endswith(
        "Choose between alcohol-based rub and soap and water."
    )


def test_credit_amounts_load_as_decimal_not_float(mini):
    designation = mini.designation("physician")
    assert designation is not None
    assert isinstance(designation.max_credits, Decimal)
    assert designation.max_credits == Decimal("0.50")


def test_defaults_apply_for_passing_score_attempts_and_timezone(mini):
    assert mini.meta.passing_percent == 70
    assert mini.meta.posttest_attempt_limit == 3
    assert mini.meta.provider.timezone == "America/New_York"
    assert mini.meta.faculty[0].disclosure == "has no relevant financial relationships."


def test_loaded_activity_cannot_be_changed(mini):
    with pytest.raises(dataclasses.FrozenInstanceError):
        mini.content_hash = "forged"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        mini.meta.passing_percent = 10  # type: ignore[misc]
    with pytest.raises(TypeError):
        mini.files["activity.yaml"] = b""  # type: ignore[index]
    assert isinstance(mini.meta.learning_objectives, tuple)


# --- Markdown ---------------------------------------------------------------------------------


def test_raw_html_is_escaped_when_rendered():
    html = render_markdown("## T\n\n<script>alert(1)</script>\n\nText <b>bold</b>\n")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>" not in html


def test_images_and_javascript_links_do_not_render():
    html = render_markdown("![logo](https://example.org/logo.png) [x](javascript:alert(1))\n")
    assert "<img" not in html
    assert 'href="javascript' not in html


def test_raw_html_in_a_section_is_reported_with_its_line(activity_copy):
    section = activity_copy / "sections" / "01-welcome.md"
    section.write_text("## Welcome\n\nFirst line\nthen <span>inline</span>\n\n<div>block</div>\n")
    issues = issues_for(activity_copy, "sections/01-welcome.md")
    assert {(issue.line, "raw HTML" in issue.message) for issue in issues} == {(4, True), (6, True)}


def test_an_image_in_a_section_is_reported_with_its_line(activity_copy):
    section = activity_copy / "sections" / "02-key-facts.md"
    section.write_text("## Key facts\n\nSee ![chart](chart.png)\n")
    issue = only_issue(activity_copy, "sections/02-key-facts.md")
    assert issue.line == 3 and "images" in issue.message


def test_a_section_must_open_with_its_title_as_a_level_two_heading(activity_copy):
    (activity_copy / "sections" / "01-welcome.md").write_text("# Welcome\n\nText\n")
    issue = only_issue(activity_copy, "sections/01-welcome.md")
    assert issue.line == 1 and "## Welcome" in issue.message


# --- files ------------------------------------------------------------------------------------


def test_missing_folder_is_an_issue_not_a_traceback(tmp_path):
    issues = validate_activity(tmp_path / "nope")
    assert len(issues) == 1 and "no activity folder" in issues[0].message


def test_each_missing_required_file_is_reported(activity_copy):
    (activity_copy / "posttest.yaml").unlink()
    (activity_copy / "evaluation.yaml").unlink()
    issues = validate_activity(activity_copy)
    assert {(issue.file, issue.line, issue.message) for issue in issues} == {
        ("posttest.yaml", None, "required file is missing"),
        ("evaluation.yaml", None, "required file is missing"),
    }


def test_the_pretest_is_optional(activity_copy):
    (activity_copy / "pretest.yaml").unlink()
    assert load_activity(activity_copy).pretest is None


def test_a_missing_section_file_is_reported_at_its_line_in_activity_yaml(activity_copy, line_of):
    (activity_copy / "sections" / "02-key-facts.md").unlink()
    issue = only_issue(activity_copy, "activity.yaml")
    assert issue.field == "sections[1].file"
    assert issue.line == line_of("activity.yaml", "file: sections/02-key-facts.md")
    assert "does not exist" in issue.message


def test_a_section_file_not_listed_in_activity_yaml_is_reported(activity_copy):
    (activity_copy / "sections" / "03-extra.md").write_text("## Extra\n")
    issue = only_issue(activity_copy, "sections/03-extra.md")
    assert "not listed" in issue.message


def test_a_section_file_must_be_numbered_and_named_after_its_id(activity_copy, edit, line_of):
    edit("activity.yaml", "file: sections/02-key-facts.md", "file: sections/02-facts.md")
    (activity_copy / "sections" / "02-key-facts.md").rename(
        activity_copy / "sections" / "02-facts.md"
    )
    issue = only_issue(activity_copy, "activity.yaml")
    assert issue.field == "sections[1].file"
    assert issue.line == line_of("activity.yaml", "file: sections/02-facts.md")


def test_yaml_syntax_error_is_an_issue_with_a_line(activity_copy):
    (activity_copy / "posttest.yaml").write_text("questions:\n  - id: [unclosed\n    stem: x\n")
    issue = only_issue(activity_copy, "posttest.yaml")
    assert issue.line in (2, 3, 4) and "YAML syntax error" in issue.message


def test_a_file_that_is_not_utf8_is_an_issue(activity_copy):
    (activity_copy / "evaluation.yaml").write_bytes(b"questions:\n  - id: caf\xe9\n")
    issue = only_issue(activity_copy, "evaluation.yaml")
    assert issue.line == 2 and "UTF-8" in issue.message


def test_a_yaml_list_at_the_top_is_an_issue(activity_copy):
    (activity_copy / "evaluation.yaml").write_text("- one\n- two\n")
    issue = only_issue(activity_copy, "evaluation.yaml")
    assert "mapping" in issue.message


# --- fields -----------------------------------------------------------------------------------


def test_a_wrong_type_is_reported_with_file_line_and_field(activity_copy, edit, line_of):
    edit("activity.yaml", "max_credits: 0.50", "max_credits: plenty")
    issue = only_issue(activity_copy, "activity.yaml")
    assert issue.field == "credits.physician.max_credits"
    assert issue.line == line_of("activity.yaml", "max_credits: plenty")
    assert str(issue).startswith(f"activity.yaml:{issue.line}: credits.physician.max_credits: ")


def test_an_impossible_date_is_reported_on_its_field(activity_copy, edit, line_of):
    edit("activity.yaml", "release_date: 2026-01-01", "release_date: 2026-02-30")
    issues = validate_activity(activity_copy)
    assert [(i.field, i.line) for i in issues] == [
        ("release_date", line_of("activity.yaml", "release_date"))
    ]


def test_an_unquoted_accreditor_number_is_reported_with_a_hint(activity_copy, edit):
    edit("activity.yaml", 'accme_activity_number: "100000001"', "accme_activity_number: 100000001")
    issue = only_issue(activity_copy, "activity.yaml")
    assert issue.field == "accme_activity_number" and "in quotes" in issue.message


def test_a_misspelt_field_is_reported_not_ignored(activity_copy, edit, line_of):
    edit("activity.yaml", "estimated_minutes: 30", "estimated_minutes: 30\nestimated_minuts: 31")
    issue = only_issue(activity_copy, "activity.yaml")
    assert issue.field == "estimated_minuts"
    assert issue.line == line_of("activity.yaml", "estimated_minuts")


def test_a_missing_field_is_named(activity_copy, edit):
    edit(
        "activity.yaml", "target_audience: Clinicians who see patients in outpatient clinics.\n", ""
    )
    issue = only_issue(activity_copy, "activity.yaml")
    assert issue.field == "target_audience" and issue.message == "Field required"


def test_a_duplicate_yaml_key_is_reported(activity_copy, edit, line_of):
    edit("activity.yaml", "estimated_minutes: 30", "estimated_minutes: 30\nestimated_minutes:  30")
    issue = only_issue(activity_copy, "activity.yaml")
    assert issue.field == "estimated_minutes" and "duplicate key" in issue.message
    assert issue.line == line_of("activity.yaml", "estimated_minutes:  30")


def test_unquoted_yes_and_no_stay_words(activity_copy, edit):
    # YAML 1.1 would read `no` as false, breaking the condition silently.
    edit("evaluation.yaml", 'answer: "no"', "answer: no")
    assert validate_activity(activity_copy) == []


def test_expiration_before_release_is_reported(activity_copy, edit, line_of):
    edit("activity.yaml", "expiration_date: 2027-12-31", "expiration_date: 2025-12-31")
    issue = only_issue(activity_copy, "activity.yaml")
    assert issue.field == "expiration_date"
    assert issue.line == line_of("activity.yaml", "expiration_date")
    assert "after the release date" in issue.message


def test_expiration_more_than_three_years_after_review_is_reported(activity_copy, edit):
    edit("activity.yaml", "expiration_date: 2027-12-31", "expiration_date: 2029-01-02")
    issue = only_issue(activity_copy, "activity.yaml")
    assert issue.field == "expiration_date" and "2029-01-01" in issue.message


def test_a_review_date_extends_the_allowed_expiration(activity_copy, edit):
    edit(
        "activity.yaml",
        "expiration_date: 2027-12-31",
        "review_date: 2027-01-01\nexpiration_date: 2029-12-31",
    )
    assert validate_activity(activity_copy) == []


def test_credit_above_the_time_the_activity_takes_is_reported(activity_copy, edit):
    edit("activity.yaml", "estimated_minutes: 30", "estimated_minutes: 20")
    issues = validate_activity(activity_copy)
    assert {issue.field for issue in issues} == {
        f"credits.{p}.max_credits" for p in ("physician", "pharmacist", "nurse", "other")
    }


def test_physician_credit_must_be_in_quarter_steps(activity_copy, edit):
    edit("activity.yaml", "max_credits: 0.50", "max_credits: 0.40")
    messages = {(i.field, i.message) for i in validate_activity(activity_copy)}
    assert ("credits.physician.max_credits", "AMA PRA credit comes in steps of 0.25") in messages


def test_the_designation_statement_must_state_the_designated_amount(activity_copy, edit):
    edit("activity.yaml", "approved for 0.5 contact hours", "approved for 0.75 contact hours")
    issue = only_issue(activity_copy, "activity.yaml")
    assert issue.field == "credits.pharmacist.designation_statement"


def test_a_pharmacist_uan_must_be_well_formed_and_for_pharmacists(activity_copy, edit):
    edit("activity.yaml", "acpe_uan: 0000-0000-26-001-H05-P", "acpe_uan: 0000-0000-26-001-H05-T")
    issue = only_issue(activity_copy, "activity.yaml")
    assert issue.field == "credits.pharmacist.acpe_uan" and "-P" in issue.message


def test_enduring_material_needs_a_home_study_uan(activity_copy, edit):
    edit("activity.yaml", "acpe_uan: 0000-0000-26-001-H05-P", "acpe_uan: 0000-0000-26-001-L05-P")
    issue = only_issue(activity_copy, "activity.yaml")
    assert issue.field == "credits.pharmacist.acpe_uan" and "home-study" in issue.message


def test_nurse_credit_needs_the_accepting_bodys_statement(activity_copy, edit):
    edit("activity.yaml", "    accepting_body: ANCC\n", "")
    issue = only_issue(activity_copy, "activity.yaml")
    assert issue.field == "credits.nurse.accepting_body" and "required for nurse" in issue.message


def test_an_unknown_profession_is_reported(activity_copy, edit, line_of):
    edit("activity.yaml", "  other:\n", "  dentist:\n")
    issue = only_issue(activity_copy, "activity.yaml")
    assert issue.field is not None and issue.field.startswith("credits.dentist")
    assert issue.line == line_of("activity.yaml", "dentist:")


def test_faculty_with_relationships_must_describe_them(activity_copy, edit):
    edit(
        "activity.yaml",
        "relevant_financial_relationships: false",
        "relevant_financial_relationships: true",
    )
    issue = only_issue(activity_copy, "activity.yaml")
    assert issue.field == "faculty[0].disclosure"


# --- question banks and evaluation ------------------------------------------------------------


def test_a_question_for_an_objective_that_does_not_exist_is_reported(activity_copy, edit, line_of):
    edit(
        "posttest.yaml",
        "  - id: mini-post-03\n    objective: 2",
        "  - id: mini-post-03\n    objective: 3",
    )
    issue = only_issue(activity_copy, "posttest.yaml")
    assert issue.field == "questions[2].objective"
    assert issue.line == line_of("posttest.yaml", "objective: 3")
    assert "objective 3 does not exist" in issue.message


def test_the_correct_key_must_be_one_of_the_choices(activity_copy, edit, line_of):
    edit("posttest.yaml", "correct: a\n", "correct: e\n")
    issue = only_issue(activity_copy, "posttest.yaml")
    assert issue.field == "questions[0].correct"
    assert issue.line == line_of("posttest.yaml", "correct: e")


def test_raw_html_in_a_question_is_reported_on_its_field(activity_copy, edit, line_of):
    edit("posttest.yaml", "      c: Gloves\n", "      c: Gloves <img src=x onerror=alert(1)>\n")
    issue = only_issue(activity_copy, "posttest.yaml")
    assert issue.field == "questions[1].choices.c"
    assert issue.line == line_of("posttest.yaml", "c: Gloves <img")
    assert "raw HTML" in issue.message


def test_choices_must_be_keyed_a_to_d_or_e_in_order(activity_copy, edit):
    edit("pretest.yaml", "      d: Once per clinic session\n", "      f: Once per clinic session\n")
    issue = only_issue(activity_copy, "pretest.yaml")
    assert issue.field == "questions[0].choices"


def test_question_ids_must_be_unique(activity_copy, edit):
    edit("posttest.yaml", "id: mini-post-03", "id: mini-post-01")
    issue = only_issue(activity_copy, "posttest.yaml")
    assert issue.field == "questions[2].id"
    lines = (activity_copy / "posttest.yaml").read_text().splitlines()
    second = [n for n, line in enumerate(lines, start=1) if "id: mini-post-01" in line][1]
    assert issue.line == second


def test_post_test_questions_need_a_rationale(activity_copy, edit):
    edit(
        "posttest.yaml",
        "    rationale: Alcohol rub does not remove visible soil; wash with soap and water.\n",
        "",
    )
    issue = only_issue(activity_copy, "posttest.yaml")
    assert issue.field == "questions[1].rationale"


def test_an_evaluation_condition_must_point_to_an_earlier_question(activity_copy, edit, line_of):
    edit("evaluation.yaml", "when: {question: fair-balance,", "when: {question: comments,")
    issue = only_issue(activity_copy, "evaluation.yaml")
    assert issue.field == "questions[2].when.question"
    assert issue.line == line_of("evaluation.yaml", "question: comments")


def test_a_per_objective_prompt_must_name_the_objective(activity_copy, edit):
    edit(
        "evaluation.yaml", '"The activity met this objective: {objective}"', "The activity was good"
    )
    issue = only_issue(activity_copy, "evaluation.yaml")
    assert issue.field == "questions[0].per_objective"


# --- all at once, nothing half-loaded ---------------------------------------------------------


def test_every_issue_in_every_file_is_reported_at_once(activity_copy, edit):
    edit("activity.yaml", "estimated_minutes: 30", "estimated_minutes: thirty")
    edit("posttest.yaml", "correct: a\n", "correct: z\n")
    edit("evaluation.yaml", "kind: yes_no", "kind: maybe")
    (activity_copy / "sections" / "01-welcome.md").write_text("No heading\n")
    files = {issue.file for issue in validate_activity(activity_copy)}
    assert files == {"activity.yaml", "posttest.yaml", "evaluation.yaml", "sections/01-welcome.md"}


def test_an_invalid_folder_never_yields_an_activity(activity_copy, edit):
    edit("posttest.yaml", "correct: a\n", "correct: z\n")
    (activity_copy / "sections" / "01-welcome.md").write_text("No heading\n")
    with pytest.raises(ActivityInvalid) as raised:
        load_activity(activity_copy)
    assert {issue.file for issue in raised.value.issues} == {
        "posttest.yaml",
        "sections/01-welcome.md",
    }
    assert "posttest.yaml" in str(raised.value)
