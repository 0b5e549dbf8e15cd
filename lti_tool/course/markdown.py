"""Rendering and checking of section Markdown (CommonMark + tables).

Sections are written by content authors, not trusted as HTML: the renderer runs with raw HTML
disabled, so ``<script>`` in a section is shown as text, and with images disabled, so no
section can pull a tracker or a product logo from elsewhere (docs/activity-format.md: "No raw
HTML, no images, no product logos"). markdown-it-py also refuses ``javascript:`` links.
The checker reports what the contract forbids with a line number so the author can fix it.
See https://spec.commonmark.org/ and https://markdown-it-py.readthedocs.io/.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token

from lti_tool.course.errors import ValidationIssue

_renderer = MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")
# A second parser that *recognizes* HTML, only to find it and report it.
_inspector = MarkdownIt("commonmark", {"html": True}).enable("table")


def render_markdown(source: str) -> str:
    """HTML for a section, stem or rationale; raw HTML in the source comes out escaped."""
    return _renderer.render(source)


def _inline_line(inline: Token, index: int) -> int:
    """1-based line of the ``index``-th child of an inline token (children carry no map)."""
    start = inline.map[0] if inline.map else 0
    children = inline.children or []
    breaks = sum(1 for child in children[:index] if child.type in ("softbreak", "hardbreak"))
    return start + breaks + 1


def forbidden_markup(source: str) -> list[tuple[int | None, str]]:
    """(1-based line, message) for each piece of raw HTML or image in ``source``."""
    found: list[tuple[int | None, str]] = []
    for token in _inspector.parse(source):
        if token.type == "html_block":
            found.append((token.map[0] + 1 if token.map else None, "raw HTML is not allowed"))
        for index, child in enumerate(token.children or []):
            if child.type == "html_inline":
                line = _inline_line(token, index)
                found.append((line, f"raw HTML is not allowed: {child.content}"))
            elif child.type == "image":
                found.append((_inline_line(token, index), "images are not allowed"))
    return found


def check_section_markdown(file: str, source: str, title: str) -> list[ValidationIssue]:
    """Everything the activity-format contract forbids or requires in a section file."""
    issues: list[ValidationIssue] = []
    tokens = _inspector.parse(source)
    first = tokens[0] if tokens else None
    heading_ok = (
        first is not None
        and first.type == "heading_open"
        and first.markup == "##"
        and tokens[1].content.strip() == title
    )
    if not heading_ok:
        line = first.map[0] + 1 if first is not None and first.map else 1
        message = f"the section must start with the heading {f'## {title}'!r}"
        issues.append(ValidationIssue(file, line, None, message))
    issues.extend(
        ValidationIssue(file, line, None, message) for line, message in forbidden_markup(source)
    )
    return issues
