"""Names in every script a learner may type print with real glyphs on every certificate kind
(issue 13: 山田 太郎 printed as □□ □□ when only DejaVu was installed).

A glyph the fonts lack is drawn as a box whose text, read back from the PDF, is not the
learner's letters (the CJK name above came back as "†‡ ·µ"). So each name is read back from
the PDF: every one of its characters must be there. Scripts whose shaping reorders marks
(Devanagari's pre-base vowel sign) read back in another order, so characters are counted,
not matched as one string; scripts read back in order are matched exactly as well.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace

import pytest

from lti_tool.certificates import specimens
from lti_tool.certificates.document import CertificateDocument
from lti_tool.certificates.render import CertificateRenderer

NAMES = specimens.NAMES_BY_SCRIPT
REORDERED_WHEN_READ = {"devanagari"}
KINDS: dict[str, Callable[[], CertificateDocument]] = {
    "physician": specimens.physician_credit,
    "participation": specimens.participation,
    "pharmacist": specimens.pharmacist_statement,
}
SIZE_LIMIT = 100 * 1024


@pytest.fixture(scope="module")
def renderer() -> CertificateRenderer:
    return CertificateRenderer()


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("script", list(NAMES))
def test_a_name_in_any_script_prints_with_real_glyphs(
    renderer: CertificateRenderer, pdf_text: Callable[[bytes], str], script: str, kind: str
) -> None:
    name = NAMES[script]
    pdf = renderer.render_pdf(replace(KINDS[kind](), learner_name=name))
    text = pdf_text(pdf)

    missing = Counter(name.replace(" ", "")) - Counter(text)
    assert not missing, f"{script}: {''.join(missing)} not printed as text (boxes?)"
    if script not in REORDERED_WHEN_READ:
        assert name in text
    assert len(pdf) < SIZE_LIMIT  # only the glyphs used are embedded
