"""The provider's side of the catalog: every activity and version, and each activity's
outcomes (page, CSV, JSON). Thin: :mod:`lti_tool.outcomes` computes, this renders."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from lti_tool.admin.blueprint import bp
from lti_tool.admin.security import current_operator
from lti_tool.catalog import activity_for_version
from lti_tool.catalog import reopen_version as reopen_for_new_learners
from lti_tool.catalog import retire_version as retire_version_for_new_learners
from lti_tool.course.errors import ActivityInvalid
from lti_tool.db import utcnow
from lti_tool.extensions import db, services
from lti_tool.models import ActivityVersion, Participation, ResourceLink
from lti_tool.outcomes.charts import funnel_svg, objectives_svg
from lti_tool.outcomes.exports import as_json, csv_rows
from lti_tool.outcomes.knowledge import MIN_PAIRS
from lti_tool.outcomes.report import STEPS, OutcomesReport, build_outcomes
from lti_tool.outcomes.snapshots import OutcomeSnapshots

log = logging.getLogger("lti_tool.admin")

# Free-text answers listed per question on the page (all of them are in the CSV and JSON).
TEXTS_SHOWN = 50


@dataclass(frozen=True)
class VersionRow:
    version: ActivityVersion
    release_date: date | None
    expiration_date: date | None
    review_date: date | None
    status: str  # "approved by …" | "demonstration"
    learners: int
    evaluated: int
    claimed: int
    loaded_at: datetime


def _versions(session: Session) -> dict[str, list[VersionRow]]:
    steps = {
        version_id: (int(started), int(evaluated or 0), int(claimed or 0))
        for version_id, started, evaluated, claimed in session.execute(
            select(
                Participation.activity_version_id,
                func.count(),
                func.count(Participation.evaluation_completed_at),
                func.count(Participation.credit_claimed_at),
            ).group_by(Participation.activity_version_id)
        )
    }
    found: dict[str, list[VersionRow]] = {}
    for version in session.scalars(
        select(ActivityVersion).order_by(ActivityVersion.slug, ActivityVersion.id.desc())
    ):
        sign_off = version.sign_off
        status = (
            f"approved by {sign_off.reviewer} on {sign_off.signed_on.isoformat()}"
            if sign_off
            else "demonstration (not signed off)"
        )
        dates: tuple[date | None, date | None, date | None]
        try:
            meta = activity_for_version(version).meta
            dates = (meta.release_date, meta.expiration_date, meta.review_date)
        except ActivityInvalid as invalid:
            # A stored version the current code can no longer read is listed, not fatal.
            dates = (None, None, None)
            status = f"cannot be read: {str(invalid).splitlines()[0]}"
        found.setdefault(version.slug, []).append(
            VersionRow(
                version,
                dates[0],
                dates[1],
                dates[2],
                status,
                *steps.get(version.id, (0, 0, 0)),
                version.loaded_at,
            )
        )
    return found


@bp.get("/activities")
def activities() -> str:
    session = db()
    placements = dict(
        session.execute(
            select(ResourceLink.activity_slug, func.count())
            .where(ResourceLink.activity_slug.is_not(None))
            .group_by(ResourceLink.activity_slug)
        ).all()
    )
    return render_template(
        "admin/activities.html", activities=_versions(session), placements=placements
    )


def _range() -> tuple[date | None, date | None]:
    try:
        since = date.fromisoformat(request.args["from"]) if request.args.get("from") else None
        until = date.fromisoformat(request.args["to"]) if request.args.get("to") else None
    except ValueError:
        abort(400, description="dates are YYYY-MM-DD")
    return since, until


def _report_or_404(slug: str, texts_limit: int | None = None) -> OutcomesReport:
    """Counted now: exports are exact at the time they are asked for."""
    since, until = _range()
    report = build_outcomes(db(), slug, since, until, texts_limit=texts_limit)
    if report is None:
        abort(404)
    return report


def _snapshots() -> OutcomeSnapshots:
    snapshots: OutcomeSnapshots | None = current_app.extensions.get("lti_tool_outcomes")
    if snapshots is None:
        max_age = services().settings.outcomes_max_age_seconds
        snapshots = current_app.extensions["lti_tool_outcomes"] = OutcomeSnapshots(max_age, utcnow)
    return snapshots


@bp.get("/activities/<slug>/outcomes")
def outcomes(slug: str) -> str:
    since, until = _range()
    snapshot = _snapshots().get(
        (slug, since, until),
        # The page shows the first TEXTS_SHOWN free-text answers; the exports have them all.
        lambda: build_outcomes(db(), slug, since, until, texts_limit=TEXTS_SHOWN),
        fresh=request.args.get("fresh") == "1",
    )
    if snapshot is None:
        abort(404)
    report = snapshot.report
    fresh_args = {**request.args.to_dict(), "fresh": "1"}
    return render_template(
        "admin/outcomes.html",
        counted_at=snapshot.counted_at,
        texts_shown=TEXTS_SHOWN,
        fresh_url=url_for("admin.outcomes", slug=slug) + "?" + urlencode(fresh_args),
        max_age_minutes=services().settings.outcomes_max_age_seconds // 60,
        report=report,
        steps=STEPS,
        min_pairs=MIN_PAIRS,
        funnel_chart=funnel_svg(report),
        objectives_chart=objectives_svg(report),
    )


@bp.get("/activities/<slug>/outcomes.csv")
def outcomes_csv(slug: str) -> Response:
    report = _report_or_404(slug)
    response = Response(stream_with_context(csv_rows(report)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="outcomes-{slug}.csv"'
    return response


@bp.get("/activities/<slug>/outcomes.json")
def outcomes_json(slug: str) -> Response:
    report = _report_or_404(slug)
    return Response(json.dumps(as_json(report), indent=2), mimetype="application/json")


@bp.get("/activities/<slug>/grantor-report.pdf")
def grantor_report(slug: str) -> Response:
    from lti_tool.outcomes.grantor import grantor_pdf

    report = _report_or_404(slug, texts_limit=0)  # free text is counted, not reproduced
    version = db().scalar(
        select(ActivityVersion)
        .where(ActivityVersion.slug == slug)
        .order_by(ActivityVersion.is_current.desc(), ActivityVersion.id.desc())
        .limit(1)
    )
    assert version is not None  # the report exists, so a version does
    meta = activity_for_version(version).meta
    pdf = grantor_pdf(report, tuple(meta.commercial_support.supporters), meta.provider.name)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="grantor-report-{slug}.pdf"'
    return response


def _version_or_404(version_id: int) -> ActivityVersion:
    version = db().get(ActivityVersion, version_id)
    if version is None:
        abort(404)
    return version


@bp.post("/activities/versions/<int:version_id>/retire")
def retire_version(version_id: int) -> BaseResponse:
    return _open_to_new_learners(version_id, False)


@bp.post("/activities/versions/<int:version_id>/reopen")
def reopen_version(version_id: int) -> BaseResponse:
    return _open_to_new_learners(version_id, True)


def _open_to_new_learners(version_id: int, is_open: bool) -> BaseResponse:
    version = _version_or_404(version_id)
    operator = current_operator().username
    if is_open:
        reopen_for_new_learners(db(), version)
        flash(f"{version.title}: open to new learners again.")
    else:
        retire_version_for_new_learners(db(), version, operator, utcnow())
        flash(f"{version.title}: closed to new learners; learners who started it can finish it.")
    log.info(
        "operator %s %s %s %s",
        operator,
        "reopened" if is_open else "closed",
        version.slug,
        version.content_hash[:12],
    )
    return redirect(url_for("admin.activities"))
