"""The journey's pages under ``/a/<launch_token>/activity/``; each view parses the request,
calls one service and renders (or redirects after a POST).

Steps come from the domain state machine; every page is plain HTML forms, and
``static/journey.js`` only adds draft saving and the showing of conditional questions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g, redirect, render_template, request, send_file, url_for
from werkzeug.wrappers import Response

from lti_tool import course
from lti_tool.catalog import open_catalog
from lti_tool.course import Question, Step
from lti_tool.db import utcnow
from lti_tool.extensions import db, services
from lti_tool.journey import attempts, events, navigation, present, steps
from lti_tool.journey.activity_choice import NotInCatalog, choose_activity
from lti_tool.journey.answers import evaluation_answers
from lti_tool.journey.errors import AttemptClosed, AttemptNotFound, register_error_handler
from lti_tool.journey.front_matter import front_matter
from lti_tool.journey.printable import printable_pdf
from lti_tool.journey.state import POSTTEST, PRETEST, Journey, open_journey
from lti_tool.launch.pages import current_launch, launch_blueprint
from lti_tool.models import Attempt

bp = launch_blueprint("journey", __name__, "/activity")
register_error_handler(bp)
bp.context_processor(present.template_helpers)

CLAIM_ENDPOINT = "certificates.claim"


def _journey() -> Journey:
    journey = open_journey(db(), current_launch(), utcnow())
    g.journey = journey  # the error handler explains pages with the activity's dates
    # Nothing of an activity opens before its release date.
    course.require_entry(Step.OVERVIEW, journey.activity, journey.progress, journey.now)
    return journey


def _render(template: str, journey: Journey, step: Step | None, **context: Any) -> str:
    return render_template(
        template,
        journey=journey,
        activity=journey.activity,
        meta=journey.activity.meta,
        progress=journey.progress,
        unavailable=journey.unavailable,
        steps=present.step_list(journey, step),
        **context,
    )


def _attempt(journey: Journey, attempt_id: str) -> Attempt:
    attempt = journey.attempt(attempt_id)
    if attempt is None:
        raise AttemptNotFound(attempt_id)
    return attempt


def _see_other(endpoint: str, **values: Any) -> Response:
    return redirect(url_for(endpoint, **values), code=303)


@bp.get("/")
def resume() -> Response:
    journey = _journey()
    endpoint, values = navigation.next_page(journey.activity, journey.progress, journey.now)
    return redirect(url_for(endpoint, **values))


@bp.route("/choose", methods=["GET", "POST"])
def choose() -> Response | str:
    launch = current_launch()
    link = launch.resource_link
    if link is None:
        return redirect(url_for("home.start"))
    if link.activity_slug:
        return redirect(url_for(".resume"))
    if not launch.is_instructor:
        return render_template("journey/not_set_up.html")
    now = utcnow()
    error = None
    if request.method == "POST":
        try:
            entry = choose_activity(db(), launch, request.form.get("activity", ""), now)
        except NotInCatalog:
            error = "Choose one of the activities listed."
        else:
            if entry is None:
                return redirect(url_for(".resume"), code=303)
            return render_template("journey/chosen.html", entry=entry)
    entries = open_catalog(db(), now)
    return render_template("journey/choose.html", entries=entries, error=error)


@bp.get("/overview")
def overview() -> str:
    journey = _journey()
    return _render(
        "journey/overview.html",
        journey,
        Step.OVERVIEW,
        front_matter=front_matter(journey.activity),
    )


@bp.post("/overview")
def acknowledge() -> Response:
    steps.acknowledge_disclosures(db(), _journey())
    return _see_other(".resume")


@bp.get("/pretest")
def pretest() -> Response | str:
    journey = _journey()
    if journey.activity.pretest is None or journey.progress.pretest_decided:
        return redirect(url_for(".resume"))
    attempt = attempts.open_attempt(db(), journey, PRETEST)
    return _attempt_form("journey/pretest.html", journey, attempt, Step.PRETEST, [])


@bp.post("/pretest/skip")
def skip_pretest() -> Response:
    steps.skip_pretest(db(), _journey())
    return _see_other(".resume")


def _attempt_form(
    template: str, journey: Journey, attempt: Attempt, step: Step, missing: list[str]
) -> str:
    bank = attempts.bank_of(journey, attempt.kind)
    questions = [bank.question(question_id) for question_id in attempt.question_order]
    error_links = [
        (
            f"{question.id}-{_first_shown(question, attempt)}",
            f"Question {number}: choose an answer.",
        )
        for number, question in enumerate(questions, start=1)
        if question is not None and question.id in missing
    ]
    return _render(
        template,
        journey,
        step,
        attempt=attempt,
        questions=questions,
        answers=attempt.answers,
        missing=missing,
        error_links=error_links,
    )


def _first_shown(question: Question, attempt: Attempt) -> str:
    """The key of the choice the learner sees first (the error summary links to it)."""
    return question.choices_in(attempt.choice_order.get(question.id, ()))[0].key


def _keep_before_submit(save_draft: Callable[[], object]) -> None:
    """Commit the learner's answers as a draft before the submit is processed: if scoring,
    the grade or the database fails after this, the form shows them again on return."""
    save_draft()
    db().commit()


@bp.post("/attempts/<attempt_id>")
def submit_attempt(attempt_id: str) -> Response | str:
    journey = _journey()
    attempt = _attempt(journey, attempt_id)
    _keep_before_submit(lambda: attempts.save_draft(journey, attempt, request.form))
    missing = attempts.submit_attempt(db(), journey, attempt, request.form)
    if missing:
        return _attempt_form("journey/posttest.html", journey, attempt, Step.POSTTEST, missing)
    if attempt.kind == PRETEST:
        after = course.next_step(journey.activity, journey.refreshed().progress, journey.now)
        if after.step is Step.CONTENT:
            return _see_other(".section", section_id=after.section_id, pretest="recorded")
        return _see_other(".resume")
    return _see_other(".attempt_result", attempt_id=attempt.public_id)


@bp.post("/attempts/<attempt_id>/draft")
def save_draft(attempt_id: str) -> tuple[str, int]:
    journey = _journey()
    if not attempts.save_draft(journey, _attempt(journey, attempt_id), request.form):
        raise AttemptClosed(attempt_id)
    return "", 204


@bp.get("/attempts/<attempt_id>")
def attempt_result(attempt_id: str) -> Response | str:
    journey = _journey()
    attempt = _attempt(journey, attempt_id)
    if attempt.kind != POSTTEST or attempt.submitted_at is None:
        return redirect(url_for(".resume"))
    activity, progress = journey.activity, journey.progress
    passed_any = course.posttest_passed(activity, progress)
    reviews = []
    if passed_any:
        # Rationales are shown only once the learner has passed, so they cannot be used
        # to pass a retake.
        for question_id in attempt.question_order:
            question = activity.posttest.question(question_id)
            assert question is not None  # the order was drawn from this version's bank
            chosen = attempt.answers.get(question_id)
            # Letters as the learner saw them: positions in the attempt's shuffled order.
            shown = question.choices_in(attempt.choice_order.get(question_id, ()))
            letters = {choice.key: "ABCDE"[n] for n, choice in enumerate(shown)}
            reviews.append((question, chosen, chosen == question.correct, letters))
    return _render(
        "journey/result.html",
        journey,
        Step.POSTTEST,
        attempt=attempt,
        passed_any=passed_any,
        reviews=reviews,
        used=progress.attempts_used,
        limit=activity.meta.posttest_attempt_limit,
        can_retake=course.can_enter(Step.POSTTEST, activity, progress, journey.now),
    )


@bp.get("/sections/<section_id>")
def section(section_id: str) -> str:
    journey = _journey()
    steps.view_section(db(), journey, section_id)
    journey = journey.refreshed()
    activity = journey.activity
    index = activity.section_ids.index(section_id)
    sections = activity.sections
    return _render(
        "journey/section.html",
        journey,
        Step.CONTENT,
        section=sections[index],
        number=index + 1,
        previous=sections[index - 1] if index > 0 else None,
        following=sections[index + 1] if index + 1 < len(sections) else None,
        missing=course.missing_sections(activity, journey.progress),
        pretest_recorded=request.args.get("pretest") == "recorded",
    )


@bp.get("/printable.pdf")
def printable() -> Response:
    journey = _journey()
    course.require_entry(Step.CONTENT, journey.activity, journey.progress, journey.now)
    activity = journey.activity
    path = printable_pdf(
        services().settings.instance_dir / "printable",
        activity,
        lambda: render_template("journey/printable.html", activity=activity, meta=activity.meta),
    )
    events.record(db(), journey.participation, events.PRINTABLE_DOWNLOADED, at=journey.now)
    return send_file(
        path,
        mimetype="application/pdf",
        download_name=f"{activity.slug}.pdf",
        max_age=0,
    )


@bp.get("/posttest")
def posttest() -> Response | str:
    journey = _journey()
    if course.posttest_passed(journey.activity, journey.progress):
        passed = next(a for a in journey.attempts(POSTTEST) if a.passed)
        return redirect(url_for(".attempt_result", attempt_id=passed.public_id))
    attempt = attempts.open_attempt(db(), journey, POSTTEST)
    return _attempt_form("journey/posttest.html", journey, attempt, Step.POSTTEST, [])


def _evaluation_form(journey: Journey, values: dict[str, Any], errors: dict[str, str]) -> str:
    items = journey.activity.evaluation_items
    error_links = [
        (
            item.id if not item.options else f"{item.id}-{item.options[0][0]}",
            f"{item.prompt} — {errors[item.id]}",
        )
        for item in items
        if item.id in errors
    ]
    return _render(
        "journey/evaluation.html",
        journey,
        Step.EVALUATION,
        items=items,
        values=values,
        errors=errors,
        error_links=error_links,
    )


@bp.get("/evaluation")
def evaluation() -> Response | str:
    journey = _journey()
    if journey.progress.evaluation_completed_at is not None:
        return redirect(url_for(".complete"))
    course.require_entry(Step.EVALUATION, journey.activity, journey.progress, journey.now)
    return _evaluation_form(journey, dict(journey.participation.evaluation_draft), {})


@bp.post("/evaluation")
def submit_evaluation() -> Response | str:
    journey = _journey()
    answers = evaluation_answers(journey.activity.evaluation_items, request.form)
    if journey.participation.evaluation_completed_at is None:
        _keep_before_submit(lambda: steps.save_evaluation_draft(journey, answers))
    errors = steps.submit_evaluation(db(), journey, answers)
    if errors:
        return _evaluation_form(journey, answers, errors)
    return _see_other(".complete")


@bp.post("/evaluation/draft")
def save_evaluation_draft() -> tuple[str, int]:
    journey = _journey()
    answers = evaluation_answers(journey.activity.evaluation_items, request.form)
    steps.save_evaluation_draft(journey, answers)
    return "", 204


@bp.get("/complete")
def complete() -> str:
    journey = _journey()
    activity, progress = journey.activity, journey.progress
    claimable = progress.credit_claimed_at is not None or course.can_enter(
        Step.CREDIT, activity, progress, journey.now
    )
    claim_url = url_for(CLAIM_ENDPOINT) if claimable else None
    pretest = next((a for a in journey.attempts(PRETEST) if a.submitted_at), None)
    return _render(
        "journey/complete.html",
        journey,
        Step.COMPLETE,
        participation=journey.participation,
        pretest=pretest,
        posttests=[a for a in journey.attempts(POSTTEST) if a.submitted_at is not None],
        passed=course.posttest_passed(activity, progress),
        claim_url=claim_url,
    )
