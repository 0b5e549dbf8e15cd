"""The sandbox LMS: a small but real LTI 1.3 Advantage platform, in two flavours.

Newcomers launch the tool from it without an LMS; the test suite uses it as the real
counterpart over HTTP (RS256 signatures, OAuth 2 client credentials, AGS, NRPS, deep linking,
dynamic registration). It talks to the tool only over HTTP and imports nothing else from
``lti_tool``. Specs: LTI 1.3 Core, 1EdTech Security Framework 1.0, LTI Advantage AGS 2.0,
NRPS 2.0, Deep Linking 2.0, Dynamic Registration 1.0, Client Side postMessages.

Wiring::

    app = create_sandbox_app(SandboxSettings(base_url="http://localhost:5001",
                                             tool=ToolSettings("http://127.0.0.1:5000")))
    platform_registration(app, "canvas")   # what the tool must store about this platform
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from lti_tool.sandbox import (
    ags,
    ags_scores,
    deep_linking,
    dynamic_registration,
    inspection,
    nrps,
    oauth,
    oidc,
    pages,
)
from lti_tool.sandbox.errors import register_error_handlers
from lti_tool.sandbox.faults import install as install_faults
from lti_tool.sandbox.flavours import FLAVOURS
from lti_tool.sandbox.sandbox import EXTENSION_KEY, Sandbox, close_request_db, sandbox_of
from lti_tool.sandbox.serving import serve_in_thread
from lti_tool.sandbox.settings import SandboxSettings, ToolSettings
from lti_tool.sandbox.tools import RegisteredTool, platform_registration, register_tool

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

__all__ = [
    "RegisteredTool",
    "Sandbox",
    "SandboxSettings",
    "ToolSettings",
    "create_sandbox_app",
    "platform_registration",
    "register_tool",
    "sandbox_of",
    "serve_in_thread",
]


def create_sandbox_app(settings: SandboxSettings) -> Flask:
    """Build one sandbox platform app; each call is independent of every other."""
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder=None)
    sandbox = Sandbox(settings)
    app.extensions[EXTENSION_KEY] = sandbox
    app.teardown_appcontext(close_request_db)
    register_error_handlers(app)
    install_faults(app, sandbox.faults, sandbox.calls)
    for blueprint in (
        pages.bp,
        oidc.bp,
        oauth.bp,
        ags.bp,
        ags_scores.bp,
        nrps.bp,
        deep_linking.bp,
        dynamic_registration.bp,
        inspection.bp,
    ):
        app.register_blueprint(blueprint)
    if settings.tool is not None:
        for flavour in FLAVOURS:
            register_tool(
                sandbox, flavour, tool_base_url=settings.tool.base_url, name=settings.tool.name
            )
    return app
