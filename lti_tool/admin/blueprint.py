"""The console's blueprint: every view behind the sign-in guard, every page unframed."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from werkzeug.exceptions import BadRequest

from lti_tool.admin.security import csrf_token, guard, secure_headers

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(guard)
bp.after_request(secure_headers)


@bp.context_processor
def _console_globals() -> dict[str, Any]:
    return {"admin_csrf_token": csrf_token}


@bp.errorhandler(BadRequest)
def _bad_request(error: BadRequest) -> tuple[str, int]:
    if error.description == "csrf":
        message = (
            "This form is out of date or was not sent from the console. Nothing was changed; "
            "go back, reload the page and try again."
        )
    else:
        message = "The request was not understood. Nothing was changed."
    return render_template("admin/message.html", title="Form not accepted", message=message), 400
