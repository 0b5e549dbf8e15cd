"""Error types of the sandbox platform and how each becomes an HTTP response.

OAuth 2 errors follow RFC 6749 §5.2 (token endpoint) and RFC 6750 §3.1 (bearer tokens).
Service errors are rendered the way each LMS renders them: Canvas answers JSON
``{"errors": {"type": ..., "message": ...}}``; Moodle answers a bare status with a text reason.
Launch and deep-linking errors are pages a person reads inside the tool frame.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template

# Canvas names the status in its error bodies the way Rails does.
CANVAS_ERROR_TYPES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    415: "unsupported_media_type",
    422: "unprocessable_entity",
}


class SandboxError(Exception):
    status: int = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class OAuthError(SandboxError):
    """RFC 6749 error from the token endpoint or a bearer token check."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description, status)
        self.error = error


class ServiceError(SandboxError):
    """AGS/NRPS/registration error, rendered in the style of the flavour that raised it."""

    def __init__(
        self, flavour: str, message: str, status: int, *, body: dict | None = None
    ) -> None:
        super().__init__(message, status)
        self.flavour = flavour
        self.body = body


class LaunchError(SandboxError):
    """OIDC authorization or launch problem: shown as a page, never redirected to the tool."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description, status)
        self.error = error


def _oauth_response(exc: OAuthError) -> Response:
    response = jsonify(error=exc.error, error_description=exc.message)
    response.status_code = exc.status
    if exc.status in (401, 403):
        response.headers["WWW-Authenticate"] = (
            f'Bearer error="{exc.error}", error_description="{exc.message}"'
        )
    return response


def _service_response(exc: ServiceError) -> Response:
    if exc.flavour == "canvas":
        body = exc.body or {
            "errors": {
                "type": CANVAS_ERROR_TYPES.get(exc.status, "error"),
                "message": exc.message,
            }
        }
        response = jsonify(body)
    else:
        # Moodle's service layer sets a status and a reason and sends no JSON.
        response = Response(exc.message, mimetype="text/plain")
    response.status_code = exc.status
    return response


def _launch_response(exc: LaunchError) -> tuple[str, int]:
    return (
        render_template("sandbox/error.html", error=exc.error, description=exc.message),
        exc.status,
    )


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(OAuthError, _oauth_response)
    app.register_error_handler(ServiceError, _service_response)
    app.register_error_handler(LaunchError, _launch_response)
