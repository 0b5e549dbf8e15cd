"""A real QR reader (zbar, Debian's zbar-tools) reads the verification URL from every kind of
certificate, printed as a learner's printer would: the PDF's page rasterised at 150 dpi."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pypdfium2
import pytest

from lti_tool.certificates import specimens
from lti_tool.certificates.document import CertificateDocument
from lti_tool.certificates.render import CertificateRenderer

KINDS = {
    "physician": specimens.physician_credit,
    "nurse": lambda: specimens.participation("nurse"),
    "pharmacist": specimens.pharmacist_statement,
}


def read_qr_codes(png: Path) -> list[str]:
    reader = shutil.which("zbarimg")
    if reader is None:
        if os.environ.get("CI"):
            pytest.fail("zbarimg is not installed (scripts/install.sh --test installs zbar-tools)")
        pytest.skip("zbarimg is not installed (scripts/install.sh --test installs zbar-tools)")
    found = subprocess.run(
        [reader, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    return found.stdout.splitlines()


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_qr_reader_finds_the_verification_url_on_the_printed_page(
    renderer: CertificateRenderer, kind: str, tmp_path: Path
) -> None:
    document: CertificateDocument = KINDS[kind]()
    pdf = pypdfium2.PdfDocument(renderer.render_pdf(document))
    page = tmp_path / "page.png"
    pdf[0].render(scale=150 / 72).to_pil().save(page)
    pdf.close()

    assert read_qr_codes(page) == [document.verification_url]
