"""The objects the app is built from, created once in ``create_app`` and shared.

Views reach them with :func:`services` and the request's database session with
:func:`db`; the request boundary commits (see ``lti_tool.web``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.config import Settings
from lti_tool.keys import KeyStore
from lti_tool.launch.context import LaunchTokens
from lti_tool.launch.platform_keys import PlatformKeyCache
from lti_tool.launch.service import LaunchService
from lti_tool.launch.storage import LoginStates
from lti_tool.launch.tool_conf import DatabaseToolConf
from lti_tool.outbound import USER_AGENT, OutboundPolicy, PlatformHttp
from lti_tool.outbox import Outbox

log = logging.getLogger(__name__)

__all__ = ["USER_AGENT", "ToolServices", "after_commit", "db", "outbound_policy", "services"]


@dataclass
class ToolServices:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    key_store: KeyStore
    tool_conf: DatabaseToolConf
    platform_keys: PlatformKeyCache
    tokens: LaunchTokens
    # Signs and reads OIDC login states (a login writes nothing; a launch uses its state up).
    login_states: LoginStates
    # The one client for every call to a platform (lti_tool.outbound), and its rules.
    outbound: OutboundPolicy
    http: PlatformHttp
    # Every piece of work that leaves the tool (scores, certificate mail, CPE Monitor).
    outbox: Outbox
    # Completes launches (validation, deployment, launch record); the view only does HTTP.
    launches: LaunchService


def outbound_policy(settings: Settings) -> OutboundPolicy:
    read = float(settings.http_timeout_seconds)
    return OutboundPolicy(
        connect_timeout=min(float(settings.http_connect_timeout_seconds), read),
        read_timeout=read,
        max_response_bytes=settings.http_max_response_bytes,
        allow_private_addresses=bool(settings.allow_private_addresses),
        ca_bundle=settings.ca_bundle,
    )


def services() -> ToolServices:
    found: ToolServices = current_app.extensions["lti_tool"]
    return found


def db() -> Session:
    """The request's session; created on first use, committed at the request boundary."""
    if "db_session" not in g:
        g.db_session = services().session_factory()
    session: Session = g.db_session
    return session


def after_commit(task: Callable[[], object]) -> None:
    """Run ``task`` once the request's work is committed and its connection is back in the
    pool, so a request never holds two connections; dropped if the request rolls back."""
    g.setdefault("after_commit", []).append(task)


def run_after_commit(tasks: list[Callable[[], object]]) -> None:
    for task in tasks:
        try:
            task()
        except Exception:  # the request's work is committed; a follow-up must not undo the page
            log.exception("follow-up after commit failed")
