"""Every certificate kind fits the longest accepted input on one page without overprinting
(issue 13: a 120-character name with a long degree pushed the nurses' statement over the
certificate number and under the QR code).

The PDF's own text positions are read back (pdfplumber): no two words overlap, and no word
touches the QR code (drawn as short vector strokes, the only ones on the page).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pdfplumber
import pytest

from lti_tool.certificates import specimens
from lti_tool.certificates.document import CertificateDocument
from lti_tool.certificates.render import CertificateRenderer
from lti_tool.credit.forms import DEGREE_MAX, NAME_MAX

# Wide capitals and long words: the worst a real name does to a line.
LONGEST_NAME = ("MAXIMILIANA WOLFESCHLEGELSTEINHAUSEN-BERGERDORFF " * 3)[:NAME_MAX].strip()
LONGEST_DEGREE = "MSN, APRN, CNRN, SCRN, CCRN, CEN, NE-BC, MD"[:DEGREE_MAX]
KINDS: dict[str, Callable[[], CertificateDocument]] = {
    "physician": specimens.physician_credit,
    "nurse": lambda: specimens.participation("nurse"),
    "physician assistant": lambda: specimens.participation("physician_assistant"),
    "nurse practitioner": lambda: specimens.participation("nurse_practitioner"),
    "other": lambda: specimens.participation("other"),
    "pharmacist": specimens.pharmacist_statement,
}


def boxes_overlap(a: dict[str, Any], b: dict[str, Any], slack: float = 0.5) -> bool:
    return (
        min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > slack
        and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > slack
    )


def qr_box(page: Any) -> dict[str, float]:
    """Where the QR code, the page's one image, is drawn."""
    [image] = page.images
    return {key: float(image[key]) for key in ("x0", "x1", "top", "bottom")}


@pytest.fixture(scope="module")
def renderer() -> CertificateRenderer:
    return CertificateRenderer()


# The longest accepted values, and the longest that keeps the large name size (42
# characters with the degree: the fixed layout is used up to there).
NAMES = {
    "longest": (LONGEST_NAME, LONGEST_DEGREE),
    "longest large": ("MAXIMILIANA WOLFESCHLEGELSTEIN-HAUSEN", "MD"),
}


@pytest.mark.parametrize("name", list(NAMES))
@pytest.mark.parametrize("kind", list(KINDS))
def test_the_longest_accepted_name_and_degree_fit_one_page_without_overprinting(
    renderer: CertificateRenderer, kind: str, name: str
) -> None:
    learner_name, degree = NAMES[name]
    assert len(f"{learner_name}, {degree}") <= NAME_MAX + DEGREE_MAX + 2
    document = replace(
        KINDS[kind](),
        learner_name=learner_name,
        degree=degree,
        demonstration_notice="Demonstration activity — not valid for credit",
    )
    pdf = renderer.render_pdf(document)

    with pdfplumber.open(io.BytesIO(pdf)) as read:
        assert len(read.pages) == 1
        page = read.pages[0]
        words = page.extract_words(use_text_flow=True)
        qr = qr_box(page)
        text = page.extract_text()
    overlapping = [
        (first["text"], second["text"])
        for n, first in enumerate(words)
        for second in words[n + 1 :]
        if boxes_overlap(first, second)
    ]
    assert overlapping == []
    assert [word["text"] for word in words if boxes_overlap(word, qr)] == []
    assert "WOLFESCHLEGELSTEIN" in text
    assert "Certificate number" in text
