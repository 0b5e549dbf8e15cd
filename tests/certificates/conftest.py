"""Fixtures for certificate tests: one renderer per session, PDF reading, loopback servers."""

from __future__ import annotations

import io
import re
import socket
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from pypdf import PdfReader

from lti_tool.certificates.cpe_monitor import CpeMonitorSettings
from lti_tool.certificates.cpe_monitor_standin import (
    STANDIN_PASSWORD,
    STANDIN_PROVIDER_NUMBER,
    STANDIN_USERNAME,
    StandinState,
)
from lti_tool.certificates.cpe_monitor_wire import SUBMIT_PATH
from lti_tool.certificates.fonts import load_font_faces
from tests.cpe_standin import served_standin

# WeasyPrint 70 warns at import when HarfBuzz-Subset (Debian: libharfbuzz-subset0) is missing,
# and pytest makes warnings errors. The renderer handles both cases (see render.py); the
# package belongs in the install scripts, after which this filter matches nothing.
warnings.filterwarnings(
    "ignore", message="HarfBuzz-Subset will be required", category=DeprecationWarning
)
from lti_tool.certificates.render import CertificateRenderer  # noqa: E402 - after the filter


@pytest.fixture(scope="session", params=["as_configured", "presubset_faces"])
def renderer(request: pytest.FixtureRequest) -> CertificateRenderer:
    """Both rendering paths, whichever this machine would pick by itself.

    "as_configured" follows the machine (per-document subsetting when HarfBuzz-Subset is
    installed); "presubset_faces" forces the path used without it. One renderer per path
    for the session: building the subsets takes a third of a second.
    """
    if request.param == "presubset_faces":
        return CertificateRenderer(font_faces=load_font_faces())
    return CertificateRenderer()


def read_pdf_text(pdf: bytes) -> str:
    """All text of the PDF with runs of whitespace collapsed to one space."""
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


@pytest.fixture(scope="session")
def pdf_text() -> Callable[[bytes], str]:
    """``read_pdf_text``, as a fixture so test modules need not import this file."""
    return read_pdf_text


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (bound, read and released)."""
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
    with served_standin() as (state, base_url):
        settings = CpeMonitorSettings(
            endpoint_url=base_url + SUBMIT_PATH,
            provider_number=STANDIN_PROVIDER_NUMBER,
            username=STANDIN_USERNAME,
            password=STANDIN_PASSWORD,
            connect_timeout_seconds=2,
            read_timeout_seconds=5,
        )
        yield Standin(state, base_url, settings)
