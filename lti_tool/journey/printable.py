"""The printable version of an activity's content, as a PDF rendered with WeasyPrint.

The seed activity offers a "Printable PDF Version"; here it holds the title, objectives,
disclosures and every section. It depends on the activity version alone, so it is rendered
once per content hash and kept in ``<instance>/printable/`` (written to a temporary file
and renamed, so a reader never sees half a file). Nothing is fetched while rendering (the
sections contain no images by contract), and WeasyPrint runs under a lock because a Pango
font map is not safe to share between threads (see lti_tool/certificates/render.py).
Output is a tagged PDF (PDF/UA-1) with the activity's title and language.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from lti_tool.course import Activity
from lti_tool.pdfengine import load_weasyprint

_render_lock = threading.Lock()


def printable_path(cache_dir: Path, activity: Activity) -> Path:
    # A sign-off changes what the PDF says (no demonstration notice) but not the hash.
    suffix = "" if activity.is_demonstration else "-signed-off"
    return cache_dir / f"{activity.content_hash}{suffix}.pdf"


def printable_pdf(cache_dir: Path, activity: Activity, html: Callable[[], str]) -> Path:
    """The cached PDF of ``activity``, rendering ``html()`` first if there is none."""
    path = printable_path(cache_dir, activity)
    if path.is_file():
        return path
    with _render_lock:
        if path.is_file():  # another thread rendered it while this one waited
            return path
        # Imported here, not at the top: WeasyPrint loads Pango when imported, and most
        # processes that import the journey never print (lti_tool.pdfengine).
        load_weasyprint()
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher

        cache_dir.mkdir(parents=True, exist_ok=True)
        document = HTML(string=html(), url_fetcher=URLFetcher(allowed_protocols=("data",)))
        pdf = document.write_pdf(pdf_variant="pdf/ua-1")
        partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        partial.write_bytes(pdf)
        os.replace(partial, path)
    return path
