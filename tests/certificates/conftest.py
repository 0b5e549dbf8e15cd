"""Fixtures for certificate tests: one renderer per session, PDF reading, loopback servers."""

from __future__ import annotations

import io
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from pypdf import PdfReader
from werkzeug.serving import make_server

from lti_tool.certificates.cpe_monitor import CpeMonitorSettings
from lti_tool.certificates.cpe_monitor_standin import (
    STANDIN_PASSWORD,
    STANDIN_PROVIDER_NUMBER,
    STANDIN_USERNAME,
    StandinState,
    create_standin_app,
)
from lti_tool.certificates.cpe_monitor_wire import SUBMIT_PATH
from lti_tool.certificates.render import CertificateRenderer


@pytest.fixture(scope="session")
def renderer() -> CertificateRenderer:
    # Building the font subsets takes a third of a second; once is enough for the session.
    return CertificateRenderer()


def pdf_text(pdf: bytes) -> str:
    """All text of the PDF with runs of whitespace collapsed to one space."""
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Standin:
    state: StandinState
    base_url: str
    settings: CpeMonitorSettings


@pytest.fixture
def standin() -> Iterator[Standin]:
    """The CPE Monitor stand-in served over real HTTP on loopback."""
    app = create_standin_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    settings = CpeMonitorSettings(
        endpoint_url=base_url + SUBMIT_PATH,
        provider_number=STANDIN_PROVIDER_NUMBER,
        username=STANDIN_USERNAME,
        password=STANDIN_PASSWORD,
        connect_timeout_seconds=2,
        read_timeout_seconds=5,
    )
    try:
        yield Standin(app.extensions["cpe_monitor_standin"], base_url, settings)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
