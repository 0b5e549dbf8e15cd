"""A demonstration activity says so on the overview, every page's header and the printable
version, and the overview names who actually wrote it (issue 14)."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from lti_tool.catalog.service import sign_off_version

from .conftest import LaunchFactory
from .flows import begin
from .test_resume_and_content import _download

NOTICE = "Demonstration — not valid for credit"


def test_the_overview_shows_the_notice_and_everyone_in_control_of_content(
    launch: LaunchFactory,
) -> None:
    tab = launch()
    overview = tab.get("/")

    assert NOTICE in overview.text
    assert "Who wrote this activity (demonstration)" in overview.text
    assert "Alex Example (author, faculty): Wrote the sections and questions." in overview.text
    assert "Written by Alex Example for the tool's tests" in overview.text


def test_every_content_page_carries_the_notice_in_its_header(launch: LaunchFactory) -> None:
    tab = launch()
    first = begin(tab)
    second = tab.get(first.link("Next"))

    for page in (first, second):
        assert NOTICE in page.text
        assert page.link("who wrote it").endswith("/activity/overview#provenance")


def test_the_printable_version_carries_the_notice(
    launch: LaunchFactory, weasyprint_loaded: None
) -> None:
    tab = launch()
    section = begin(tab)

    status, _mimetype, pdf = _download(tab, section.link("Printable version (PDF)"))

    assert status == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Demonstration" in text and "not valid for credit" in text
    assert "Who wrote this activity" in text


def test_a_signed_off_version_shows_no_notice(launch: LaunchFactory) -> None:
    tab = launch()
    # Seen once before the sign-off: the overview's front matter, rendered once per version
    # and kept, must not keep saying "demonstration" afterwards.
    assert "Who wrote this activity (demonstration)" in tab.get("/").text
    with tab.tool.services.session_factory.begin() as session:
        sign_off_version(session, "mini-activity", "Dr. Rita Reviewer", date(2026, 5, 1))

    overview = tab.get("/")

    assert NOTICE not in overview.text
    assert "Who wrote this activity" in overview.text
    assert "(demonstration)" not in overview.text
