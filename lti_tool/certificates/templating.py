"""The Jinja environment of certificates and certificate mail, and its filters.

Kept apart from :mod:`lti_tool.certificates.render` so that sending a certificate mail, and
every process that only imports the mail queue, does not import WeasyPrint (about 35 MiB
resident) until a PDF is actually rendered.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from lti_tool.course.dates import long_date

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates" / "certificates"
# The AMA asks for its credit names in italics wherever they appear, including inside the
# provider's verbatim statements; both the "Credit(s)™" and the "Credit™" spellings occur.
_CREDIT_NAMES = ("AMA PRA Category 1 Credit(s)\u2122", "AMA PRA Category 1 Credit\u2122")


def format_credits(value: Decimal) -> str:
    """Credits exactly as decided (``0.75`` stays ``0.75``), never in exponent notation."""
    return format(value, "f")


def credit_marked(text: str) -> Markup:
    """Escape ``text``, then italicise the AMA credit names inside it."""
    marked = str(escape(text))
    for name in _CREDIT_NAMES:
        marked = marked.replace(name, f'<em class="credit-name">{name}</em>')
    return Markup(marked)  # noqa: S704 - built from escaped text and our own markup


def build_environment(templates_dir: Path = TEMPLATES_DIR) -> Environment:
    """The Jinja environment for certificate and certificate-mail templates."""
    environment = Environment(
        loader=FileSystemLoader(templates_dir),
        # Everything is escaped except plain-text mail bodies, where an entity would show.
        autoescape=select_autoescape(disabled_extensions=("txt",), default=True),
        undefined=StrictUndefined,
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["long_date"] = long_date
    environment.filters["credits"] = format_credits
    environment.filters["credit_marked"] = credit_marked
    return environment


@functools.cache
def default_environment() -> Environment:
    """The process-wide environment over ``TEMPLATES_DIR`` (also used for certificate mail)."""
    return build_environment()
