"""Request plumbing shared by every blueprint: transactions, errors, security headers."""

from __future__ import annotations

import logging
import threading
import time
from io import BytesIO
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from flask import Flask, Response, current_app, g, redirect, render_template, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as WerkzeugResponse

from lti_tool import csp, protocol
from lti_tool.extensions import run_after_commit, services
from lti_tool.launch.errors import LaunchError, NotEnrolled
from lti_tool.limits import RateLimited
from lti_tool.models import LaunchFailure, Registration

log = logging.getLogger("lti_tool")


def _origin(url: str | None) -> str | None:
    if not url or not isinstance(url, str):
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


class RegisteredOrigins:
    """Origins of the active registrations, re-read at most every ``ttl`` seconds."""

    def __init__(self, ttl: float = 30.0) -> None:
        self._ttl = ttl
        self._lock = threading.Lock()
        self._expires = 0.0
        self._origins: frozenset[str] = frozenset()

    def get(self) -> frozenset[str]:
        now = time.monotonic()
        with self._lock:
            if now < self._expires:
                return self._origins
        origins: set[str] = set()
        with services().session_factory() as session:
            rows = session.execute(
                select(
                    Registration.issuer, Registration.auth_login_url, Registration.product_family
                ).where(Registration.active.is_(True))
            ).all()
        for issuer, auth_login_url, product_family in rows:
            origins.update(o for o in (_origin(issuer), _origin(auth_login_url)) if o)
            if product_family == "canvas":
                # Canvas frames tools from the school's domain, not its issuer or OIDC host.
                origins.add("https://*.instructure.com")
        with self._lock:
            self._origins, self._expires = frozenset(origins), now + self._ttl
        return self._origins


def frame_ancestors(registered: frozenset[str], claims: dict[str, Any] | None) -> str:
    """Origins allowed to frame the tool: registered platforms and the launch's own LMS."""
    origins = {"'self'", *registered}
    if claims:
        presentation = claims.get(protocol.CLAIM_LAUNCH_PRESENTATION) or {}
        platform = claims.get(protocol.CLAIM_TOOL_PLATFORM) or {}
        for url in (presentation.get("return_url"), platform.get("url")):
            origin = _origin(url)
            if origin:
                origins.add(origin)
    origins.update(services().settings.extra_frame_ancestors)
    return " ".join(sorted(origins))


def lms_form_targets(claims: dict[str, Any] | None) -> set[str]:
    """Where the launch's own LMS expects a form from the tool: the Deep Linking return URL
    (Deep Linking 2.0 §4.4.1); everything else posts to the tool."""
    settings = (claims or {}).get(protocol.CLAIM_DL_SETTINGS)
    if not isinstance(settings, dict):
        return set()
    target = csp.form_target(settings.get("deep_link_return_url"))
    return {target} if target else set()


def _launch_claims() -> dict[str, Any] | None:
    """The current launch's claims, read once while its session is open (afterwards the
    rows are detached) and kept for the security headers."""
    if "launch_claims" not in g:
        launch = getattr(g, "launch", None)
        g.launch_claims = launch.claims if launch else None
    claims: dict[str, Any] | None = g.launch_claims
    return claims


class ConsoleSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, opened only when its cookie was sent: only the admin
    console keeps one, and launches and their pages (every request an LMS sends) would
    otherwise build a signing serializer each just to find no cookie."""

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def page_in_place(url: str, session: Session) -> WerkzeugResponse:
    """The tool's page at ``url``, rendered inside the current request as a GET of it would
    be, in ``session``. The launch answers with its first page this way rather than with a
    redirect to it (one round trip fewer before the learner sees anything). The page names
    its address (``Content-Location``, and a meta element that ``frame.js`` puts in the
    address bar with ``history.replaceState``), so reloading it is a GET of that page, not
    a second post of the request that made it."""
    parts = urlsplit(url)
    path = parts.path.removeprefix(request.script_root)
    environ = {
        **request.environ,
        "REQUEST_METHOD": "GET",
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),  # as WSGI (PEP 3333) has it
        "QUERY_STRING": parts.query,
        "CONTENT_LENGTH": "0",
        "wsgi.input": BytesIO(),
    }
    environ.pop("CONTENT_TYPE", None)
    environ.pop("werkzeug.request", None)
    try:
        with current_app.app_context(), current_app.request_context(environ):
            # The page's own request, with its own ``g``, in the caller's session (which
            # may hold what the caller read for it: see journey.state.hand_over).
            g.db_session = session
            g.page_url = url
            page = current_app.full_dispatch_request()
    except Exception:
        # What made the page is done and kept; a fault on the page must not strand the
        # browser on a spent form post: send it to the page's address, where a reload retries.
        log.exception("the page %s failed in place; redirecting to it", url)
        return redirect(url, code=303)
    if not 300 <= page.status_code < 400:
        page.headers["Content-Location"] = url
    return page


def install(app: Flask) -> None:
    app.session_interface = ConsoleSessions()
    registered_origins = RegisteredOrigins()
    app.jinja_env.globals["csp_nonce"] = csp.nonce

    @app.after_request
    def _commit_and_secure(response: Response) -> Response:
        claims = _launch_claims()
        session = g.pop("db_session", None)
        follow_ups = g.pop("after_commit", []) if response.status_code < 400 else []
        if session is not None:
            try:
                # A session the page never used (or one a launch committed already) has
                # nothing to end.
                if not session.in_transaction():
                    pass
                elif response.status_code < 400:
                    session.commit()
                else:
                    session.rollback()
            finally:
                session.close()
        run_after_commit(follow_ups)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = csp.policy(
                frame_ancestors(registered_origins.get(), claims), lms_form_targets(claims)
            )
        return response

    @app.teardown_request
    def _rollback_on_error(exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()

    @app.errorhandler(LaunchError)
    def _launch_error(error: LaunchError) -> tuple[str, int]:
        # Render while the launch's rows are still readable, then drop the request's work:
        # nothing from a refused request is kept.
        page = render_template("errors/launch_error.html", error=error, retry=error.retry)
        _launch_claims()
        session = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()
        issuer = request.values.get("iss", "") or getattr(error, "issuer", "")
        log.warning(
            "refused %s %s: %s (%s)", request.method, request.path, error.code, error.detail
        )
        with services().session_factory.begin() as failure_log:
            failure_log.add(
                LaunchFailure(
                    code=error.code,
                    issuer=str(issuer)[:1024],
                    client_id=str(request.values.get("client_id", ""))[:255],
                    detail=error.detail[:2000],
                )
            )
            # Anyone can send junk logins: keep the newest rows only, so the table is bounded.
            newest = failure_log.scalar(select(func.max(LaunchFailure.id))) or 0
            kept = services().settings.launch_failures_kept
            if newest > kept:
                failure_log.execute(delete(LaunchFailure).where(LaunchFailure.id <= newest - kept))
        return page, error.status

    @app.errorhandler(NotEnrolled)
    def _not_enrolled(error: NotEnrolled) -> tuple[str, int]:
        # The launch was valid and is in the console's launch list with its role; each page
        # an observer opens is not another failure row.
        return render_template(
            "errors/generic.html", title=error.title, message=error.message
        ), error.status

    @app.errorhandler(RateLimited)
    def _rate_limited(error: RateLimited) -> tuple[str, int, dict[str, str]]:
        log.warning(
            "rate limited %s %s from %s: %s",
            request.method,
            request.path,
            request.remote_addr,
            error,
        )
        minutes = max(1, round(error.retry_after / 60))
        page = render_template(
            "errors/generic.html",
            title="Too many requests",
            message=f"This tool has received too many {error.what} in a short time, so it "
            f"did not act on this one. Nothing was changed. Please wait about {minutes} "
            "minute(s) and try again; if it keeps happening, tell your course administrator.",
        )
        return page, 429, {"Retry-After": str(error.retry_after)}

    @app.errorhandler(404)
    def _not_found(_error: Any) -> tuple[str, int]:
        return render_template(
            "errors/generic.html",
            title="Page not found",
            message="There is nothing at this address.",
        ), 404

    @app.errorhandler(405)
    def _method_not_allowed(_error: Any) -> tuple[str, int]:
        return render_template(
            "errors/generic.html", title="Not allowed", message="This page cannot be used that way."
        ), 405

    @app.errorhandler(500)
    def _server_error(_error: Any) -> tuple[str, int]:
        return render_template(
            "errors/generic.html",
            title="Something went wrong on our side",
            message="Answers to the tests and the evaluation are saved before each submit: "
            "go back to the page and submit again in a moment. If it keeps happening, tell "
            "your course administrator.",
        ), 500
