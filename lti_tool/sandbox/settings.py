"""Settings of one sandbox LMS instance.

Every value is declared once with a comment. Nothing here is read from the environment:
whoever starts the sandbox (tests, the lead's start-up wiring, ``python -m lti_tool.sandbox``)
builds a ``SandboxSettings`` and hands it to ``create_sandbox_app``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class ToolSettings:
    """Where the tool under test lives; its URLs are fixed by docs/team-brief.md."""

    # e.g. http://127.0.0.1:5000 : a different *site* from the sandbox (localhost).
    base_url: str
    # Name shown in the sandbox pages and sent as client_name in registrations.
    name: str = "CME tool"

    @property
    def login_url(self) -> str:
        return self.base_url.rstrip("/") + "/lti/login"

    @property
    def launch_url(self) -> str:
        return self.base_url.rstrip("/") + "/lti/launch"

    @property
    def jwks_url(self) -> str:
        return self.base_url.rstrip("/") + "/.well-known/jwks.json"

    @property
    def registration_url(self) -> str:
        return self.base_url.rstrip("/") + "/lti/register"


@dataclass
class SandboxSettings:
    """Configuration of one sandbox platform app (both flavours)."""

    # Public URL of the sandbox, e.g. http://localhost:5001. Empty or port 0 means
    # "not known yet": serve_in_thread fills it in once the socket is bound.
    base_url: str = ""
    # The sandbox's own SQLite file (its own metadata, never the tool's database).
    database_path: Path = Path("instance/sandbox.sqlite")
    # Folder holding the platform's RSA private key (written 0600 on first run).
    keys_dir: Path = Path("keys")
    # The tool to register in both flavours at start-up; None registers nothing.
    tool: ToolSettings | None = None
    # Canvas's issuer is a constant, not its HTTP host (https://canvas.instructure.com).
    canvas_issuer: str = "https://canvas.sandbox.test"
    # Canvas developer-key privacy level: "public" (name + email), "name_only"
    # (names, no email), or "anonymous" (neither). Canvas often runs without email.
    canvas_privacy_level: str = "name_only"
    # Scopes the Canvas flavour refuses to grant in dynamic registration (an admin
    # unticking a service on the developer key), e.g. the NRPS scope.
    canvas_dropped_scopes: tuple[str, ...] = ()
    # Page size for NRPS and line item containers when the tool gives no `limit`.
    # Real Moodle returns every member unless asked to page; the sandbox always pages
    # so that paging code is exercised (27 members in the main course).
    default_page_size: int = 10
    # Lifetime of access tokens from the token endpoint, seconds.
    access_token_lifetime: int = 3600
    # Lifetime of dynamic registration tokens, seconds (both LMSs use an hour).
    registration_token_lifetime: int = 3600
    # Lifetime of the launch a message hint refers to, seconds.
    launch_hint_lifetime: int = 3600
    # Seconds allowed between the tool's clock and ours when checking iat/exp.
    clock_leeway: int = 60
    # Timeout for fetching the tool's JWKS, seconds.
    http_timeout: float = 5.0
    # Expose /_sandbox/* (call log, fault injection, signing oracle for forged-token
    # tests). Never turn this on for a sandbox reachable from outside this machine.
    test_hooks: bool = True

    @property
    def base_url_known(self) -> bool:
        return bool(self.base_url) and urlsplit(self.base_url).port != 0
