"""``/follow-up/<token>``: the page behind the follow-up mail, opened outside the LMS.

The token is the only credential (no launch). GET shows the questions or the opt-out
button; only POSTs change anything, because mail scanners fetch links. The opt-out URL also
takes the RFC 8058 one-click POST a mail client sends for its "unsubscribe" button.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from lti_tool.catalog import activity_for_version
from lti_tool.db import utcnow
from lti_tool.extensions import db
from lti_tool.followup.answers import (
    CHANGED,
    FollowUpNotFound,
    find,
    opt_out,
    read_form,
    record_answers,
)
from lti_tool.models import FollowUpRequest, FollowUpStatus, Participation

bp = Blueprint("follow_up", __name__)


@bp.errorhandler(FollowUpNotFound)
def _not_found(_error: FollowUpNotFound) -> tuple[str, int]:
    return render_template(
        "followup/message.html",
        title="This link cannot be used",
        message="We could not find this follow-up. Check that the whole link was copied from "
        "the email; if it was, there is nothing more to do.",
    ), 404


def _title(row: FollowUpRequest) -> str:
    participation = db().get(Participation, row.participation_id)
    assert participation is not None
    return activity_for_version(participation.activity_version).meta.title


@bp.get("/follow-up/<token>")
def ask(token: str) -> str:
    row = find(db(), token)
    return _page(row, {}, {})


def _page(row: FollowUpRequest, values: dict[str, str], errors: dict[str, str]) -> str:
    if row.status is FollowUpStatus.ANSWERED:
        return render_template(
            "followup/message.html",
            title="Thank you",
            message="Your answers were recorded. There is nothing more to do.",
        )
    if row.status is FollowUpStatus.OPTED_OUT:
        return render_template(
            "followup/message.html",
            title="No more follow-up",
            message="You asked for no follow-up on this activity; we will not write about it.",
        )
    return render_template(
        "followup/ask.html",
        title=_title(row),
        token=row.token,
        changed=CHANGED,
        values=values,
        errors=errors,
    )


@bp.post("/follow-up/<token>")
def answer(token: str) -> tuple[str, int] | str:
    session = db()
    row = find(session, token)
    values = {key: str(value) for key, value in request.form.items()}
    answers, errors = read_form(values)
    if answers is None:
        return _page(row, values, errors), 400
    if row.status is not FollowUpStatus.OPTED_OUT:
        record_answers(session, row, answers, utcnow())
    return _page(row, {}, {})


@bp.get("/follow-up/<token>/opt-out")
def ask_opt_out(token: str) -> str:
    row = find(db(), token)
    return render_template("followup/opt_out.html", title=_title(row), token=row.token)


@bp.post("/follow-up/<token>/opt-out")
def confirm_opt_out(token: str) -> str:
    session = db()
    row = find(session, token)
    opt_out(session, row, utcnow())
    return render_template(
        "followup/message.html",
        title="No more follow-up",
        message="Done: we will not write to you about this activity again.",
    )
