"""The console's session and form protection.

The console is a first-party site: its own pages, never inside an LMS frame, reached only
by operators who signed in (an LTI role, even an LMS administrator's, gives no access).
The session lives in Flask's signed cookie (HttpOnly, SameSite=Lax, Secure over https,
set in ``create_app``) and ends after ``IDLE_TIMEOUT`` without a request, after
``MAX_SESSION`` in any case, and as soon as the operator's password changes or the
operator is disabled. Every POST carries the session's CSRF token.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import time
from typing import Any

from flask import abort, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from lti_tool import csp
from lti_tool.extensions import db
from lti_tool.models.admin import Operator

IDLE_TIMEOUT = dt.timedelta(minutes=30)
MAX_SESSION = dt.timedelta(hours=12)
SESSION_KEY = "operator"
CSRF_KEY = "admin_csrf"
# Views anyone may reach (the sign-in page itself).
PUBLIC_ENDPOINTS = {"admin.login"}


def csrf_token() -> str:
    token = session.get(CSRF_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_KEY] = token
    return token


def check_csrf() -> None:
    expected = session.get(CSRF_KEY)
    sent = request.form.get("csrf_token", "")
    if not isinstance(expected, str) or not expected or not hmac.compare_digest(expected, sent):
        abort(400, description="csrf")


def begin_session(operator: Operator) -> None:
    """A fresh session for a signed-in operator (a new CSRF token too)."""
    session.clear()
    now = int(time.time())
    session[SESSION_KEY] = {
        "id": operator.id,
        "epoch": operator.session_epoch,
        "since": now,
        "seen": now,
    }
    session[CSRF_KEY] = secrets.token_urlsafe(32)


def end_session() -> None:
    session.clear()


def _live_operator(data: Any) -> Operator | None:
    if not isinstance(data, dict):
        return None
    now = time.time()
    since, seen = data.get("since"), data.get("seen")
    if not isinstance(since, int | float) or not isinstance(seen, int | float):
        return None
    if now - seen > IDLE_TIMEOUT.total_seconds() or now - since > MAX_SESSION.total_seconds():
        return None
    operator = db().get(Operator, data.get("id"))
    if operator is None or not operator.active or operator.session_epoch != data.get("epoch"):
        return None
    return operator


def guard() -> Response | None:
    """Runs before every console view: sign-in, session expiry and CSRF."""
    if request.method == "POST":
        check_csrf()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    data = session.get(SESSION_KEY)
    operator = _live_operator(data)
    if operator is None or not isinstance(data, dict):
        expired = data is not None
        end_session()
        target = url_for("admin.login", next=request.full_path if request.method == "GET" else None)
        if expired:
            target = url_for("admin.login", expired=1)
        return redirect(target)
    session[SESSION_KEY] = {**data, "seen": int(time.time())}
    g.operator = operator
    return None


def current_operator() -> Operator:
    operator: Operator = g.operator
    return operator


def secure_headers(response: Response) -> Response:
    # First-party pages: never framed, never cached (they show registration secrets'
    # neighbours and learners' names).
    response.headers["Content-Security-Policy"] = csp.policy("'none'")
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response


def safe_next(target: str | None) -> str:
    """Only same-site paths after sign-in (no open redirect)."""
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return url_for("admin.dashboard")
