"""The certificate typeface: DejaVu Serif from Debian, subset once per process when needed.

Without HarfBuzz-Subset (Debian: libharfbuzz-subset0), WeasyPrint subsets every embedded
font of every PDF with fontTools, which parses the whole font each time: that is most of
the cost of a one-page certificate. Certificates only ever need Latin script, so in that
case the renderer subsets the three faces it uses (regular, bold, italic) once, to
``REPERTOIRE``, registers them through ``@font-face`` under ``FAMILY``, and embeds these
already-small files as they are. With HarfBuzz-Subset, WeasyPrint's own per-document
subsetting is faster and smaller, and none of this is used.

A certificate whose text needs a character outside ``REPERTOIRE`` (a Vietnamese or Cyrillic
name, say) is rendered the ordinary way instead: ``certificate.css`` lists "DejaVu Serif"
after ``FAMILY``, so Pango falls back to the installed fonts and WeasyPrint subsets per
document.

The fonts are the locally installed DejaVu files (Debian packages ``fonts-dejavu-core`` for
the regular and bold faces, ``fonts-dejavu-extra`` for the italic); nothing is fetched.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

FAMILY = "CME Certificate Serif"

FONT_DIRECTORIES = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
)


def _ranges(*spans: tuple[int, int]) -> frozenset[int]:
    return frozenset(code for first, last in spans for code in range(first, last + 1))


# Latin-1 and Latin Extended-A cover the names of most learners in the Americas and Europe;
# U+0218..U+021B are the Romanian comma-below letters; U+2010..U+2026 the dashes, quotes,
# bullet and ellipsis; U+2122 the trademark sign of AMA PRA Category 1 Credit™.
REPERTOIRE = _ranges(
    (0x20, 0x7E),
    (0xA0, 0x17F),
    (0x218, 0x21B),
    (0x2010, 0x2026),
    (0x2122, 0x2122),
    (0x20AC, 0x20AC),
)
_LAYOUT_WHITESPACE = frozenset({0x09, 0x0A, 0x0D})


class CertificateFontsMissing(RuntimeError):
    """The DejaVu font files are not installed where fontconfig keeps them."""


@dataclass(frozen=True, slots=True)
class FontFace:
    """One face of the certificate family, as a ready-to-embed TrueType subset."""

    weight: str  # CSS font-weight
    style: str  # CSS font-style
    file_name: str  # the Debian file it is cut from
    data: bytes


FACE_FILES = (
    ("normal", "normal", "DejaVuSerif.ttf"),
    ("bold", "normal", "DejaVuSerif-Bold.ttf"),
    ("normal", "italic", "DejaVuSerif-Italic.ttf"),
)


def find_font_file(file_name: str, directories: Sequence[Path] = FONT_DIRECTORIES) -> Path:
    """Where ``file_name`` is installed, or ``CertificateFontsMissing``."""
    for directory in directories:
        if directory.is_dir():
            for found in sorted(directory.rglob(file_name)):
                return found
    raise CertificateFontsMissing(
        f"{file_name} is not installed; on Debian install fonts-dejavu-core and fonts-dejavu-extra"
    )


def subset_face(font_file: Path, repertoire: Iterable[int] = REPERTOIRE) -> bytes:
    """``font_file`` cut down to ``repertoire``, without hinting, keeping kerning."""
    options = subset.Options()
    options.hinting = False  # WeasyPrint's default drops hinting too; print needs none
    # Kerning only: a ligature glyph has no cmap entry, and with the file embedded as it is
    # the PDF could not map it back to text ("fi" in "certificates" would not copy).
    options.layout_features = ["kern"]
    options.notdef_outline = True
    options.drop_tables += ["FFTM", "MATH"]  # FontForge timestamp, math layout: unused
    font = TTFont(font_file)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=repertoire)
    subsetter.subset(font)
    output = io.BytesIO()
    font.save(output)
    return output.getvalue()


def load_font_faces() -> tuple[FontFace, ...]:
    """The certificate family's faces, subset from the installed DejaVu files."""
    return tuple(
        FontFace(weight, style, file_name, subset_face(find_font_file(file_name)))
        for weight, style, file_name in FACE_FILES
    )


def font_face_css(faces: Iterable[FontFace]) -> str:
    """``@font-face`` rules serving ``faces`` from ``data:`` URLs (no file, no network)."""
    rules = []
    for face in faces:
        encoded = base64.b64encode(face.data).decode("ascii")
        rules.append(
            f'@font-face {{ font-family: "{FAMILY}"; font-weight: {face.weight}; '
            f"font-style: {face.style}; "
            f'src: url("data:font/ttf;base64,{encoded}") format("truetype"); }}'
        )
    return "\n".join(rules)


def within_repertoire(text: str) -> bool:
    """Whether every character of ``text``, also upper-cased by CSS, is in the subset."""
    characters = {ord(character) for character in set(text) | set(text.upper())}
    return characters - _LAYOUT_WHITESPACE <= REPERTOIRE
