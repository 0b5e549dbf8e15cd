"""Render a ``CertificateDocument`` to a printable, tagged PDF with WeasyPrint.

What a render costs, and what is therefore done once per process by ``CertificateRenderer``:

* the Jinja environment and its compiled templates;
* one ``FontConfiguration`` (a Fontconfig scan and a Pango font map that keeps loaded faces);
* the parsed stylesheets: ``certificate.css`` and the ``@font-face`` rules of
  ``lti_tool.certificates.fonts``;
* the font subsets. Without HarfBuzz-Subset, WeasyPrint subsets every font of every PDF
  with fontTools, which is most of its time for a one-page certificate; so the faces are
  subset once to the Latin repertoire and embedded as they are (``full_fonts=True``:
  "unmodified" here means the already-subset file). A certificate with a character outside
  the repertoire takes WeasyPrint's ordinary path (installed DejaVu, subset per document):
  slower, same look, still small. With HarfBuzz-Subset installed (Debian
  libharfbuzz-subset0), WeasyPrint subsets in C, faster and smaller than this, so the
  renderer then skips the pre-subset faces and uses the installed DejaVu Serif directly.

Thread safety: Jinja rendering is thread-safe, but a Pango font map is not safe to use from
two threads at once (WeasyPrint documents no thread safety and its tracker has crashes from
threaded servers), so the WeasyPrint step runs under the renderer's lock. A one-page
certificate takes tens of milliseconds, so serialising them costs little.

Output (WeasyPrint 70 ``write_pdf``): ``pdf_variant="pdf/ua-1"`` gives a tagged PDF (it sets
``pdf_tags=True``) with ``/Lang`` from ``<html lang>``, the ``<title>`` as document title
shown by viewers, and XMP metadata. Streams are compressed (``uncompressed_pdf=False``, the
default). The only image is the QR code, a PNG of one pixel per module drawn without
smoothing (see ``qr_png``); all text stays text.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import segno
from weasyprint import CSS, HTML
from weasyprint.text import ffi as weasyprint_ffi
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from lti_tool.certificates.document import CertificateDocument
from lti_tool.certificates.fonts import FontFace, font_face_css, load_font_faces, within_repertoire
from lti_tool.certificates.templating import (
    TEMPLATES_DIR,
    build_environment,
)

STYLESHEET_NAME = "certificate.css"

TEMPLATE_BY_KIND = {
    "physician_credit": "physician_credit.html",
    "participation": "participation.html",
    "pharmacist_statement": "pharmacist_statement.html",
}

PDF_OPTIONS: dict[str, Any] = {"pdf_variant": "pdf/ua-1"}

# Whether WeasyPrint found HarfBuzz-Subset (Debian: libharfbuzz-subset0) and so subsets in C.
HARFBUZZ_SUBSET = weasyprint_ffi.harfbuzz_subset is not None


# The QR code's mask pattern (see ``qr_png``): 0 is (row + column) mod 2.
QR_MASK = 0


def qr_png(url: str) -> str:
    """The verification URL as a QR code: a PNG ``data:`` URL, one pixel per module.

    A raster image rather than SVG: WeasyPrint parsed and drew an SVG QR code's path on every
    render (about a sixth of a certificate's time); an image costs nothing to place, and with
    ``image-rendering: pixelated`` (PDF ``/Interpolate false``) it prints as sharply.
    """
    # One mask pattern, not the best of eight: a reader takes the mask from the symbol's
    # format information, so every pattern decodes (ISO/IEC 18004, data masking); scoring all
    # eight in pure Python cost about 5 ms a render.
    symbol = segno.make(url, error="m", micro=False, mask=QR_MASK)
    # The QR specification requires a quiet zone four modules wide around the symbol.
    return str(symbol.png_data_uri(scale=1, border=4))


class CertificateRenderer:
    """Turns certificate documents into PDFs, reusing everything that can be reused."""

    def __init__(
        self, templates_dir: Path = TEMPLATES_DIR, font_faces: tuple[FontFace, ...] | None = None
    ) -> None:
        """``font_faces`` default: the pre-subset faces, unless HarfBuzz-Subset makes them moot."""
        self.templates_dir = templates_dir
        self.stylesheet_path = templates_dir / STYLESHEET_NAME
        self.environment = build_environment(templates_dir)
        self._base_url = templates_dir.as_uri() + "/"
        # Certificates reference nothing outside themselves and the fonts come as data: URLs;
        # refusing every other URL keeps a render off the network and the file system.
        self._url_fetcher = URLFetcher(allowed_protocols=("data",))
        self._font_config = FontConfiguration()
        if font_faces is None:
            font_faces = () if HARFBUZZ_SUBSET else load_font_faces()
        self.font_faces = font_faces
        sources = [font_face_css(font_faces)] if font_faces else []
        self._stylesheets = [
            CSS(string=source, font_config=self._font_config, url_fetcher=self._url_fetcher)
            for source in sources
        ]
        self._stylesheets.append(
            CSS(
                filename=str(self.stylesheet_path),
                font_config=self._font_config,
                url_fetcher=self._url_fetcher,
            )
        )
        self._lock = threading.Lock()

    def render_html(self, document: CertificateDocument) -> str:
        """The certificate as a standalone HTML document (the stylesheet is applied apart)."""
        template = self.environment.get_template(TEMPLATE_BY_KIND[document.kind])
        return template.render(
            doc=document,
            pharmacist=document.pharmacist,
            qr_png=qr_png(document.verification_url),
        )

    def render_pdf(self, document: CertificateDocument) -> bytes:
        """The certificate as PDF bytes."""
        html = self.render_html(document)
        # Only when every character is in the pre-subset faces is no fallback font embedded;
        # otherwise WeasyPrint must subset the fallback faces itself (see module docstring).
        presubset = bool(self.font_faces) and within_repertoire(html)
        with self._lock:
            pdf = HTML(
                string=html, base_url=self._base_url, url_fetcher=self._url_fetcher
            ).write_pdf(
                stylesheets=self._stylesheets,
                font_config=self._font_config,
                full_fonts=presubset,
                **PDF_OPTIONS,
            )
        assert pdf is not None  # write_pdf returns bytes when no target is given
        return pdf


_default_renderer: CertificateRenderer | None = None
_default_renderer_lock = threading.Lock()


def default_renderer() -> CertificateRenderer:
    """The process-wide renderer, created on first use."""
    global _default_renderer
    if _default_renderer is None:
        with _default_renderer_lock:
            if _default_renderer is None:
                _default_renderer = CertificateRenderer()
    return _default_renderer


def render_certificate_html(document: CertificateDocument) -> str:
    """HTML of ``document`` (previews, and the benchmark's baseline input)."""
    return default_renderer().render_html(document)


def render_certificate_pdf(document: CertificateDocument) -> bytes:
    """PDF of ``document``: US Letter landscape, tagged (PDF/UA-1), fonts subset."""
    return default_renderer().render_pdf(document)
