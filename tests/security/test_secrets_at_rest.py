"""Issue 10, scenario 7: PII and bearer tokens outside the encrypted store.

Before, the mail drop (no SMTP) wrote the pharmacist's PDF and e-Profile ID in 0644 files,
the certificate page showed learners the server's absolute path of that file, and the access
log kept every ``/a/<launch token>/…`` path, an 8-hour bearer credential.
"""

from __future__ import annotations

import logging
import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from lti_tool.config import PROJECT_ROOT
from tests.conftest import TEST_SECRET
from tests.credit.conftest import CreditTool, credit_config, credit_tool  # noqa: F401  (fixtures)
from tests.credit.support import claim_form, launch_learner, make_eligible


def test_mail_drop_files_are_private_and_no_page_shows_a_server_path(
    credit_tool: CreditTool,  # noqa: F811
    credit_config,  # noqa: F811
) -> None:
    learner = launch_learner(credit_tool)
    make_eligible(credit_tool.services.session_factory, learner.participation_id)

    claimed = learner.claim(claim_form("pharmacist"))

    assert claimed.status_code == 200
    folder = credit_config.mail.outbox_dir
    files = list(folder.glob("*.eml"))
    assert len(files) == 1
    assert b"application/pdf" in files[0].read_bytes()  # the certificate, PII and all
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    for page in (claimed, learner.get("/certificates/transcript")):
        assert str(folder) not in page.text
        assert str(PROJECT_ROOT) not in page.text
        assert "/tmp/" not in page.text and ".eml" not in page.text


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    handler = _Lines()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler.lines
    root.removeHandler(handler)


def test_launch_tokens_never_reach_the_log(
    credit_tool: CreditTool,  # noqa: F811
    log_lines: list[str],
) -> None:
    learner = launch_learner(credit_tool)
    learner.get("/certificates/transcript")

    token = learner.token
    access = [line for line in log_lines if "GET /a/" in line]
    assert access, log_lines  # werkzeug's access log line for the pages under /a/
    assert not [line for line in log_lines if token in line]
    assert all("/a/~" in line for line in access)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_launch_tokens_never_reach_the_gunicorn_access_log(
    database_url: str, tmp_path: Path
) -> None:
    port = _free_port()
    access_log = tmp_path / "access.log"
    env = {
        **os.environ,
        "LTI_TOOL_DATABASE_URL": database_url,
        "LTI_TOOL_INSTANCE_DIR": str(tmp_path / "instance"),
        "LTI_TOOL_KEYS_DIR": str(tmp_path / "keys"),
        "LTI_TOOL_SECRET_KEY": TEST_SECRET,
        "LTI_TOOL_BASE_URL": f"http://127.0.0.1:{port}",
        "LTI_TOOL_SANDBOX": "false",
        "LTI_TOOL_INLINE_GRADE_WORKER": "false",
    }
    gunicorn = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(access_log),
            "lti_tool.wsgi:app",
        ],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    token = "IjNlNWFiNzRjM2VmZDQyMTVhOWI4NzA3ZWZiN2YyOGRhIg.axM72Q.Rq4a9sdxipCU2RmZoCYvuWYTyUU"
    try:
        for _ in range(150):
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        answer = requests.get(f"http://127.0.0.1:{port}/a/{token}/certificates/", timeout=10)
        assert urlsplit(answer.url).path.startswith("/a/")
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=20)

    logged = access_log.read_text()
    assert "GET /a/~" in logged
    assert token not in logged
