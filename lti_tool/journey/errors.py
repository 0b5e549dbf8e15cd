"""Why a journey page cannot be shown, as types, and the one handler that maps every type
(these and the domain's ``lti_tool.course`` errors) to a page and an HTTP status.

A locked step's page links to the step the learner must do first; before release the page
says when the activity opens; after expiration it says plainly that credit is closed and the
content can still be read.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, g, redirect, render_template, url_for
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from lti_tool.course import (
    Activity,
    ActivityExpired,
    ActivityNotReleased,
    AttemptLimitReached,
    CourseError,
    DisclosuresNotAcknowledged,
    EvaluationIncomplete,
    InvalidAnswer,
    PosttestNotPassed,
    PretestUndecided,
    SectionsIncomplete,
    StepLocked,
    UnknownSection,
)
from lti_tool.course.dates import long_date


class JourneyPageError(Exception):
    """Base of the web layer's own journey errors."""


class NoResourceLink(JourneyPageError):
    """The launch came without a resource link (e.g. deep linking): nothing to deliver."""


class ActivityNotChosen(JourneyPageError):
    """The resource link names no activity yet; an instructor chooses one once."""


class ActivityUnavailable(JourneyPageError):
    """The link names an activity the catalog does not hold (never loaded, or removed)."""

    def __init__(self, slug: str) -> None:
        self.slug = slug
        super().__init__(f"no activity {slug!r} in the catalog")


class ActivityRetired(JourneyPageError):
    """The provider closed the activity's current version to new learners."""

    def __init__(self, slug: str) -> None:
        self.slug = slug
        super().__init__(f"activity {slug!r} is closed to new learners")


class AttemptNotFound(JourneyPageError):
    """No attempt with this id belongs to the learner (a stale or foreign link)."""


class AttemptClosed(JourneyPageError):
    """The attempt was already submitted; its answers can no longer change."""


class NotInstructor(JourneyPageError):
    """Only an instructor may choose the activity of a link."""


@dataclass(frozen=True)
class Page:
    status: int
    title: str
    message: str
    link_url: str | None = None
    link_text: str | None = None
    sections: tuple[tuple[str, str], ...] = ()  # (url, title) of sections still to view


def _journey_activity() -> Activity | None:
    journey = g.get("journey")
    return journey.activity if journey is not None else None


def _not_released(error: ActivityNotReleased) -> Page:
    activity = _journey_activity()
    if activity is not None:
        meta = activity.meta
        when = f"{long_date(meta.release_date)} ({meta.provider.timezone} time)"
    else:
        when = f"{error.opens_at:%Y-%m-%d %H:%M} UTC"
    return Page(
        403,
        "This activity is not open yet",
        f"It opens on {when}. Come back from your course then; nothing is needed from you now.",
    )


def _expired(error: ActivityExpired) -> Page:
    journey = g.get("journey")
    unavailable = journey.unavailable if journey is not None else None
    message = (
        unavailable.message
        if unavailable is not None
        else "This activity has expired: credit and certificates can no longer be earned. "
        "You can still read the content."
    )
    return Page(
        410,
        "Credit can no longer be earned",
        message,
        url_for("journey.resume"),
        "Read the content",
    )


def _locked(error: StepLocked) -> Page:
    title = "This step is not open yet"
    if isinstance(error, DisclosuresNotAcknowledged):
        return Page(
            409,
            title,
            "Please read the activity overview and disclosures first.",
            url_for("journey.overview"),
            "Read the overview and disclosures",
        )
    if isinstance(error, PretestUndecided):
        return Page(
            409,
            title,
            "Please take the optional pre-test or skip it first.",
            url_for("journey.pretest"),
            "Go to the pre-test",
        )
    if isinstance(error, SectionsIncomplete):
        activity = _journey_activity()
        sections = tuple(
            (url_for("journey.section", section_id=sid), _section_title(activity, sid))
            for sid in error.missing
        )
        return Page(
            409,
            "The post-test opens after all sections",
            "The post-test opens once you have viewed every section. Still to view:",
            sections[0][0] if sections else url_for("journey.resume"),
            "Go to the next section to view",
            sections,
        )
    if isinstance(error, AttemptLimitReached):
        journey = g.get("journey")
        unavailable = journey.unavailable if journey is not None else None
        message = unavailable.message if unavailable else str(error.reason).capitalize() + "."
        return Page(
            409,
            "No post-test attempts left",
            message,
            url_for("journey.complete"),
            "See your activity record",
        )
    if isinstance(error, PosttestNotPassed):
        return Page(
            409,
            title,
            "The evaluation opens after you pass the post-test.",
            url_for("journey.posttest"),
            "Go to the post-test",
        )
    if isinstance(error, EvaluationIncomplete):
        return Page(
            409,
            title,
            "Please complete the evaluation first.",
            url_for("journey.evaluation"),
            "Go to the evaluation",
        )
    return Page(
        409,
        "This step is not available",
        f"{str(error.reason).capitalize()}.",
        url_for("journey.resume"),
        "Continue where you left off",
    )


def _section_title(activity: Activity | None, section_id: str) -> str:
    section = activity.section(section_id) if activity is not None else None
    return section.title if section is not None else section_id


def _page_for(error: Exception) -> Page | Response:
    if isinstance(error, NoResourceLink):
        return redirect(url_for("home.start"))
    if isinstance(error, ActivityNotChosen):
        return redirect(url_for("journey.choose"))
    if isinstance(error, IntegrityError):
        # Two requests raced to record the same thing (two tabs, a double click): the
        # other one won. Start over from the stored state, which now includes it.
        return redirect(url_for("journey.resume"), code=303)
    if isinstance(error, ActivityNotReleased):
        return _not_released(error)
    if isinstance(error, ActivityExpired):
        return _expired(error)
    if isinstance(error, StepLocked):
        return _locked(error)
    if isinstance(error, ActivityUnavailable):
        return Page(
            404,
            "This activity is not available",
            "The activity this link points to is not in the tool's catalog. "
            "Please tell your instructor.",
        )
    if isinstance(error, ActivityRetired):
        return Page(
            410,
            "This activity is closed to new learners",
            "The provider has withdrawn this activity for now, so it cannot be started. "
            "Learners who already started it can finish it. Please tell your instructor.",
        )
    if isinstance(error, AttemptNotFound | UnknownSection):
        return Page(
            404,
            "Page not found",
            "There is nothing at this address in your activity.",
            url_for("journey.resume"),
            "Continue where you left off",
        )
    if isinstance(error, AttemptClosed):
        return Page(
            409,
            "This attempt was already submitted",
            "Its answers were recorded and can no longer change.",
            url_for("journey.resume"),
            "Continue where you left off",
        )
    if isinstance(error, NotInstructor):
        return Page(
            403,
            "Only an instructor can do this",
            "Choosing the activity of a course link is for instructors.",
        )
    if isinstance(error, InvalidAnswer):
        return Page(
            400,
            "This answer does not fit the question",
            "The form sent an answer that is not one of the choices. "
            "Please go back, reload the page and answer again.",
            url_for("journey.resume"),
            "Continue where you left off",
        )
    return Page(
        409,
        "This step is not available",
        "Please continue where you left off.",
        url_for("journey.resume"),
        "Continue where you left off",
    )


def journey_error_page(error: Exception) -> Response | tuple[str, int]:
    """The single handler for every journey error type."""
    session = g.get("db_session")
    if session is not None:  # nothing from a refused request is kept
        session.rollback()
    page = _page_for(error)
    if isinstance(page, Response):
        return page
    return render_template("journey/blocked.html", page=page), page.status


def register_error_handler(bp: Blueprint) -> None:
    for error_type in (JourneyPageError, CourseError, IntegrityError):
        bp.register_error_handler(error_type, journey_error_page)
