"""Wiring the sandbox LMS and the tool to each other (embedded default and tests).

The sandbox registers the tool in both its flavours; the tool registers both sandbox
platforms, trusting their deployments. Only the sandbox's public HTTP interface and
``platform_registration`` are used, as an admin would copy values between two systems.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy.orm import Session

from lti_tool.config import Settings
from lti_tool.models import Registration
from lti_tool.registration.platforms import add_platform

FLAVOURS = ("canvas", "moodle")


def build_sandbox_app(settings: Settings, sandbox_base_url: str, root: Path) -> Flask:
    from lti_tool.sandbox import SandboxSettings, ToolSettings, create_sandbox_app

    return create_sandbox_app(
        SandboxSettings(
            base_url=sandbox_base_url,
            database_path=root / "sandbox.sqlite3",
            keys_dir=root / "sandbox-keys",
            tool=ToolSettings(base_url=settings.base_url, name="CME activities"),
        )
    )


def add_sandbox_platform(
    session: Session,
    details: dict[str, Any],
    name: str,
    *,
    auto_approve_deployments: bool = True,
) -> Registration:
    """Register with the tool one sandbox registration, from the values the sandbox's
    ``platform_registration`` gives (what an admin copies from the LMS)."""
    return add_platform(
        session,
        issuer=details["issuer"],
        client_id=details["client_id"],
        auth_login_url=details["auth_login_url"],
        auth_token_url=details["auth_token_url"],
        key_set_url=details["key_set_url"],
        deployment_ids=details["deployment_ids"],
        auth_audience=details.get("auth_audience"),
        name=name,
        product_family=details.get("product_family_code", ""),
        # Sandbox courses are created freely; trust their deployments.
        auto_approve_deployments=auto_approve_deployments,
    )


def register_sandbox_platforms(tool_app: Flask, sandbox_app: Flask) -> None:
    from lti_tool.sandbox import platform_registration

    services = tool_app.extensions["lti_tool"]
    with services.session_factory.begin() as session:
        for flavour in FLAVOURS:
            details = platform_registration(sandbox_app, flavour)
            add_sandbox_platform(session, details, f"Sandbox LMS ({flavour})")


def start_sandbox(tool_app: Flask, settings: Settings, port: int) -> str:
    from lti_tool.sandbox import serve_in_thread

    host = urlsplit(settings.sandbox_base_url).hostname or "localhost"
    sandbox_app = build_sandbox_app(
        settings, f"http://{host}:{port}", settings.instance_dir / "sandbox"
    )
    base_url, _stop = serve_in_thread(sandbox_app, host=host, port=port)
    register_sandbox_platforms(tool_app, sandbox_app)
    return base_url
