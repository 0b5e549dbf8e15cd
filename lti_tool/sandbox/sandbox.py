"""One running sandbox platform: its settings, database, key, faults and call log.

Everything a request needs hangs off this object, stored in ``app.extensions["lti_sandbox"]``
(no module globals), so several sandboxes can run in threads of one process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, delete, event, select
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.sandbox import models
from lti_tool.sandbox.faults import CallLog, FaultInjector
from lti_tool.sandbox.flavours import FLAVOURS, Flavour
from lti_tool.sandbox.keys import PlatformKey
from lti_tool.sandbox.seed import place_tool, seed_flavour
from lti_tool.sandbox.settings import SandboxSettings

EXTENSION_KEY = "lti_sandbox"


def _sqlite_engine(path: str) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": 30}
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets page reads proceed while a score is being written from another thread.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


class Sandbox:
    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        settings.database_path.parent.mkdir(parents=True, exist_ok=True)
        self.engine = _sqlite_engine(str(settings.database_path))
        models.SandboxBase.metadata.create_all(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.key = PlatformKey.load_or_create(settings.keys_dir)
        self.faults = FaultInjector()
        self.calls = CallLog()
        # Serialises check-then-write sequences (score ordering, jti reuse, token use).
        self.write_lock = threading.RLock()
        self._base_url = settings.base_url.rstrip("/") if settings.base_url_known else ""
        with self.session() as session:
            for flavour in FLAVOURS.values():
                seed_flavour(session, flavour)

    # URLs ------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if not self._base_url:
            raise RuntimeError("the sandbox's base_url is not known yet (serve it first)")
        return self._base_url

    def bind_base_url(self, served_url: str) -> str:
        """Learn the public URL once the socket is bound; keeps a configured host name."""
        if self._base_url:
            return self._base_url
        served = urlsplit(served_url)
        configured = urlsplit(self.settings.base_url) if self.settings.base_url else served
        host = configured.hostname or served.hostname
        self._base_url = urlunsplit((served.scheme, f"{host}:{served.port}", "", "", ""))
        return self._base_url

    def root(self, flavour: Flavour) -> str:
        return f"{self.base_url}/{flavour.name}"

    def issuer(self, flavour: Flavour) -> str:
        return flavour.issuer(self.root(flavour), self.settings)

    # Database --------------------------------------------------------------------------
    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work outside a request: commits on success."""
        with self.sessions() as session, session.begin():
            yield session

    def reset(self) -> None:
        """Back to the seeded state: gradebook, launches, tokens, placements, faults, calls.

        Tool registrations survive (the tool under test keeps its client ids) and are
        placed again, with the same resource link and line item ids as after start-up.
        """
        with self.write_lock, self.session() as session:
            for model in (
                models.Score,
                models.DeepLinkReturn,
                models.LaunchHint,
                models.LineItem,
                models.ResourceLink,
                models.AccessToken,
                models.UsedAssertion,
                models.RegistrationToken,
            ):
                session.execute(delete(model))
            registrations = session.scalars(
                select(models.ToolRegistration).order_by(models.ToolRegistration.id)
            ).all()
            for registration in registrations:
                place_tool(session, FLAVOURS[registration.flavour], registration)
        self.faults.clear()
        self.calls.clear()

    def dispose(self) -> None:
        self.engine.dispose()


def sandbox_of(app: Flask) -> Sandbox:
    sandbox = app.extensions.get(EXTENSION_KEY)
    if not isinstance(sandbox, Sandbox):
        raise LookupError("this Flask app is not a sandbox LMS")
    return sandbox


def current_sandbox() -> Sandbox:
    return sandbox_of(current_app)


def request_db() -> Session:
    """The request's session; views commit explicitly, teardown closes it."""
    if "sandbox_db" not in g:
        g.sandbox_db = current_sandbox().sessions()
    session: Session = g.sandbox_db
    return session


def close_request_db(_exc: BaseException | None) -> None:
    session = g.pop("sandbox_db", None)
    if session is not None:
        session.close()
