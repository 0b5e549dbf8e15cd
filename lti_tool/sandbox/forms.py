"""Reading the auto-submitting HTML forms of an LTI browser flow, without a browser.

The platform's initiation page, its authorization response (``id_token`` + ``state``) and a
tool's deep linking response (``JWT``) are all one ``<form>`` of hidden inputs that a script
submits. The driver parses them with the standard library's HTML parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import jwt


@dataclass
class HtmlForm:
    action: str
    method: str = "get"
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def id_token(self) -> str:
        return self.fields["id_token"]

    @property
    def claims(self) -> dict[str, Any]:
        """The id_token's claims, not verified (for assertions in tests)."""
        claims: dict[str, Any] = jwt.decode(self.id_token, options={"verify_signature": False})
        return claims


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self._current: HtmlForm | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._current = HtmlForm(
                action=attributes.get("action", ""), method=attributes.get("method", "get").lower()
            )
            self.forms.append(self._current)
        elif (
            tag == "input"
            and self._current is not None
            and attributes.get("name")
            and attributes.get("type", "text").lower() not in ("submit", "button", "image")
        ):
            self._current.fields[attributes["name"]] = attributes.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def parse_forms(html: str, base_url: str = "") -> list[HtmlForm]:
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        form.action = urljoin(base_url, form.action) if base_url else form.action
    return parser.forms
