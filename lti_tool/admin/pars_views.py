"""The year-end PARS files for ACCME: the year's page (activities, and each learner row with
its problems, paginated), the activity data as CSV and the learner credit data as the
tab-delimited upload file. Thin: :mod:`lti_tool.outcomes.pars` builds and checks, this
streams and renders.

The page names no learner: a row is shown by its line in the file, its certificate number,
activity ID, completion date and credits, with the fields in trouble, never their values.
"""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, stream_with_context, url_for
from werkzeug.wrappers import Response as BaseResponse

from lti_tool.admin.blueprint import bp
from lti_tool.db import utcnow
from lti_tool.extensions import db
from lti_tool.outcomes.pars import (
    FIELD_LABELS,
    activity_csv,
    activity_rows,
    learner_file,
    learner_rows,
    review_learners,
)

ROWS_PER_PAGE = 50
# Years the console answers for: older ones name no year this tool ran, later ones have
# no data yet (next year is allowed so a page opened on 31 December still works).
FIRST_YEAR = 2020


def _year_or_404(year: int) -> int:
    if not FIRST_YEAR <= year <= utcnow().year + 1:
        abort(404)
    return year


@bp.get("/pars")
def pars_index() -> BaseResponse:
    return redirect(url_for("admin.pars_year", year=utcnow().year))


@bp.get("/pars/<int:year>")
def pars_year(year: int) -> str:
    _year_or_404(year)
    page = request.args.get("page", "1")
    if not page.isdigit() or int(page) < 1:
        abort(400, description="page is a positive number")
    number = int(page)
    session = db()
    review = review_learners(
        learner_rows(session, year), (number - 1) * ROWS_PER_PAGE, ROWS_PER_PAGE, utcnow().date()
    )
    return render_template(
        "admin/pars.html",
        year=year,
        activities=list(activity_rows(session, year)),
        review=review,
        labels=FIELD_LABELS,
        page=number,
        pages=max(1, -(-review.rows_total // ROWS_PER_PAGE)),
    )


@bp.get("/pars/<int:year>/activities.csv")
def pars_activities_csv(year: int) -> Response:
    _year_or_404(year)
    lines = activity_csv(activity_rows(db(), year))
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="pars-activities-{year}.csv"'
    return response


@bp.get("/pars/<int:year>/learners.txt")
def pars_learners_txt(year: int) -> Response:
    _year_or_404(year)
    lines = learner_file(exported.row for exported in learner_rows(db(), year))
    response = Response(stream_with_context(lines), mimetype="text/plain")
    response.headers["Content-Disposition"] = f'attachment; filename="pars-learners-{year}.txt"'
    response.headers["Cache-Control"] = "no-store"  # learner PII
    return response
