"""The objects the app is built from, created once in ``create_app`` and shared.

Views reach them with :func:`services` and the request's database session with
:func:`db`; the request boundary commits (see ``lti_tool.web``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import requests
from flask import current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.config import Settings
from lti_tool.keys import KeyStore
from lti_tool.launch.context import LaunchTokens
from lti_tool.launch.platform_keys import PlatformKeyCache
from lti_tool.launch.storage import DatabaseLaunchDataStorage
from lti_tool.launch.tool_conf import DatabaseToolConf

log = logging.getLogger(__name__)

USER_AGENT = "lti-tool-cme/0.1 (+LTI 1.3)"


@dataclass
class ToolServices:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    key_store: KeyStore
    tool_conf: DatabaseToolConf
    platform_keys: PlatformKeyCache
    launch_storage: DatabaseLaunchDataStorage
    tokens: LaunchTokens
    http: requests.Session


def outbound_http_session() -> requests.Session:
    http = requests.Session()
    # Canvas answers 403 to API calls without a User-Agent.
    http.headers["User-Agent"] = USER_AGENT
    return http


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
