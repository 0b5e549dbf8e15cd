"""Console: one-time Dynamic Registration invitations (see registration/invitations.py)."""

from __future__ import annotations

import logging

from flask import render_template, request

from lti_tool.admin.blueprint import bp
from lti_tool.admin.security import current_operator
from lti_tool.extensions import db, services
from lti_tool.registration.invitations import (
    DEFAULT_LIFETIME_HOURS,
    create_invitation,
    invitation_url,
    list_invitations,
)

log = logging.getLogger("lti_tool.admin")


@bp.get("/invitations")
def invitations() -> str:
    return render_template(
        "admin/invitations.html",
        invitations=list_invitations(db()),
        default_hours=DEFAULT_LIFETIME_HOURS,
        production=services().settings.is_production,
    )


@bp.post("/invitations")
def new_invitation() -> tuple[str, int] | str:
    try:
        hours = int(request.form.get("hours") or DEFAULT_LIFETIME_HOURS)
        made = create_invitation(
            db(),
            operator=current_operator().username,
            note=request.form.get("note", ""),
            hours=hours,
        )
    except ValueError as error:
        page = render_template(
            "admin/invitations.html",
            invitations=list_invitations(db()),
            default_hours=DEFAULT_LIFETIME_HOURS,
            production=services().settings.is_production,
            error=str(error) if "hours" in str(error) else "Give the lifetime in whole hours.",
        )
        return page, 400
    log.info(
        "operator %s made registration invitation #%s",
        current_operator().username,
        made.invitation.id,
    )
    return render_template(
        "admin/invitations.html",
        invitations=list_invitations(db()),
        default_hours=DEFAULT_LIFETIME_HOURS,
        production=services().settings.is_production,
        new_url=invitation_url(services().settings.base_url, made.secret),
        new_invitation=made.invitation,
    )
