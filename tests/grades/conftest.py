"""Fixtures for grade passback: a fresh sandbox LMS per test (see ``support.Lms``) and the
environment for running ``lti-tool grades`` as a separate process."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from lti_tool.db import transaction
from lti_tool.extensions import ToolServices
from lti_tool.sandbox import (
    SandboxSettings,
    ToolSettings,
    create_sandbox_app,
    platform_registration,
    sandbox_of,
)
from lti_tool.sandbox_link import add_sandbox_platform

from .support import Lms, unique


@pytest.fixture(scope="session")
def sandbox_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One key pair for every test's sandbox: generating RSA keys is most of a sandbox's
    start-up, and each test still gets its own platform (issuer, database)."""
    return tmp_path_factory.mktemp("sandbox-keys")


@pytest.fixture
def lms(
    tool: Any, tool_services: ToolServices, tmp_path: Path, sandbox_keys: Path
) -> Iterator[Lms]:
    app = create_sandbox_app(
        SandboxSettings(
            base_url="http://localhost:0",
            database_path=tmp_path / "sandbox.sqlite",
            keys_dir=sandbox_keys,
            tool=ToolSettings(tool.base_url),
            canvas_issuer=f"https://canvas-{unique()}.sandbox.test",
        )
    )
    # Served here rather than with serve_in_thread so that stopping takes milliseconds
    # (a short poll interval), which adds up over a sandbox per test.
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = sandbox_of(app).bind_base_url(f"http://127.0.0.1:{server.server_port}")
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    served = Lms(app=app, base_url=base_url, services=tool_services)
    with transaction(tool_services.session_factory) as session:
        for flavour in ("canvas", "moodle"):
            details = platform_registration(app, flavour)
            registration = add_sandbox_platform(
                session, details, f"sandbox {flavour}", auto_approve_deployments=False
            )
            served.registration_ids[flavour] = registration.id
    yield served
    server.shutdown()
    server.server_close()
    sandbox_of(app).dispose()


@pytest.fixture
def worker_env(tool_services: ToolServices) -> dict[str, str]:
    """Environment for an `lti-tool grades` subprocess or CLI run against the test database."""
    settings = tool_services.settings
    env = dict(os.environ)
    env.update(
        LTI_TOOL_DATABASE_URL=settings.database_url,
        LTI_TOOL_INSTANCE_DIR=str(settings.instance_dir),
        LTI_TOOL_KEYS_DIR=str(settings.keys_dir),
        LTI_TOOL_SECRET_KEY=settings.secret_key,
        LTI_TOOL_BASE_URL=settings.base_url,
        LTI_TOOL_SANDBOX="0",
        LTI_TOOL_INLINE_GRADE_WORKER="0",
    )
    return env
