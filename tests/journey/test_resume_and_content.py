"""Content pages, time on content, resuming in a new launch, and the printable version."""

from __future__ import annotations

import datetime as dt
import io
import re

from pypdf import PdfReader
from sqlalchemy import select

from lti_tool.journey import events
from lti_tool.models import ActivityVersion, AuditEvent

from .conftest import LaunchFactory
from .flows import audit_events, begin, participation_of


def test_section_page_shows_progress_and_marks_viewed_sections(launch: LaunchFactory) -> None:
    tab = launch()
    first = begin(tab)

    assert first.path.endswith("/sections/welcome")
    assert "Section 1 of 2" in first.text
    assert "All sections (1 of 2 viewed)" in first.text
    second = tab.get(first.link("Next"))
    assert "Section 2 of 2" in second.text and "All sections (2 of 2 viewed)" in second.text
    assert second.link("Previous").endswith("/sections/welcome")
    assert second.link("Continue to the post-test").endswith("/activity/posttest")
    assert participation_of(tab).sections_viewed == ["welcome", "key-facts"]


def test_a_new_launch_resumes_at_the_section_where_the_learner_left_off(
    launch: LaunchFactory,
) -> None:
    first_launch = launch()
    begin(first_launch)  # lands on, and records, the first section

    next_day = launch()  # a new Launch row for the same user and link
    page = next_day.get("/")

    assert next_day.launch_id != first_launch.launch_id
    assert page.path.endswith("/activity/sections/key-facts")
    assert "Section 2 of 2" in page.text


def _age_last_view(tab, seconds: int) -> None:  # type: ignore[no-untyped-def]
    with tab.tool.services.session_factory.begin() as session:
        last = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.event == events.SECTION_VIEWED)
            .order_by(AuditEvent.id.desc())
        ).first()
        last.at = last.at - dt.timedelta(seconds=seconds)


def test_time_on_content_adds_the_time_between_views_capped_at_thirty_minutes(
    launch: LaunchFactory,
) -> None:
    tab = launch()
    begin(tab)
    assert participation_of(tab).seconds_on_content == 0

    _age_last_view(tab, 300)  # five minutes on the first section
    tab.get("/sections/key-facts")
    after_reading = participation_of(tab).seconds_on_content
    assert 300 <= after_reading < 310

    _age_last_view(tab, 10 * 3600)  # a tab left open overnight
    tab.get("/sections/welcome")
    assert participation_of(tab).seconds_on_content - after_reading == 30 * 60
    views = [e.details for e in audit_events(tab) if e.event == events.SECTION_VIEWED]
    assert [v["section"] for v in views] == ["welcome", "key-facts", "welcome"]
    assert views[-1]["seconds"] == 1800


def _download(tab, url: str) -> tuple[int, str, bytes]:  # type: ignore[no-untyped-def]
    response = tab.client.get(url)
    try:
        return response.status_code, response.mimetype, response.get_data()
    finally:
        response.close()


def test_printable_version_is_a_pdf_of_every_section_cached_per_version(
    launch: LaunchFactory, weasyprint_loaded: None
) -> None:
    tab = launch()
    section = begin(tab)
    url = section.link("Printable version (PDF)")

    status, mimetype, pdf = _download(tab, url)

    assert (status, mimetype) == (200, "application/pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Hand hygiene in clinic" in text
    assert "Key facts" in text and "Welcome" in text
    # The same front matter as the overview: accreditation and designation, dates in words.
    flat = " ".join(text.split())
    assert "Accreditation and credit designation" in flat
    assert "Example CME Provider is accredited by the Accreditation Council" in flat
    assert "designates this enduring material for a maximum of 0.50 AMA PRA" in flat
    assert "Statement of need" in flat and "Commercial support:" in flat
    assert not re.search(r"Released \d{4}-\d\d-\d\d", flat)
    with tab.tool.session() as session:
        content_hash = session.scalars(select(ActivityVersion.content_hash)).one()
    cached = list((tab.tool.services.settings.instance_dir / "printable").glob("*.pdf"))
    assert [path.name for path in cached] == [f"{content_hash}.pdf"]
    modified = cached[0].stat().st_mtime_ns
    assert _download(tab, url)[2] == pdf
    assert cached[0].stat().st_mtime_ns == modified


def test_printable_version_waits_for_the_disclosures(launch: LaunchFactory) -> None:
    tab = launch()
    assert _download(tab, tab.url("/printable.pdf"))[0] == 409
    assert not (tab.tool.services.settings.instance_dir / "printable").exists()
