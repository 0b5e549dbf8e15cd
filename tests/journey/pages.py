"""Reading the journey's HTML the way a browser would: forms with their fields, links, text.

Tests drive the pages through the forms the server rendered (hidden CSRF token, action URL,
the radio buttons offered) rather than building requests by hand, so a form that lost a
field or points to the wrong URL fails the test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    method: str
    hidden: dict[str, str] = field(default_factory=dict)
    radios: dict[str, list[str]] = field(default_factory=dict)  # name -> values in page order
    checked: dict[str, str] = field(default_factory=dict)
    textareas: dict[str, str] = field(default_factory=dict)
    buttons: list[str] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)

    def data(self, answers: dict[str, str] | None = None) -> dict[str, str]:
        """What the browser would send: hidden fields, checked radios, text, plus answers."""
        sent = {**self.hidden, **self.checked, **self.textareas}
        sent.update(answers or {})
        return sent


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[tuple[str, str]] = []
        self.text: list[str] = []
        self._form: Form | None = None
        self._link: list[str] | None = None
        self._href = ""
        self._button: list[str] | None = None
        self._textarea: tuple[str, list[str]] | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "form":
            self._form = Form(
                values.get("action", ""), values.get("method", "get").lower(), attrs=values
            )
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None:
            kind, name = values.get("type", "text"), values.get("name", "")
            if kind == "hidden":
                self._form.hidden[name] = values.get("value", "")
            elif kind == "radio":
                self._form.radios.setdefault(name, []).append(values.get("value", ""))
                if "checked" in values:
                    self._form.checked[name] = values.get("value", "")
        elif tag == "textarea" and self._form is not None:
            self._textarea = (values.get("name", ""), [])
        elif tag == "button":
            self._button = []
        elif tag == "a":
            self._link, self._href = [], values.get("href", "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
        elif tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            name, parts = self._textarea
            self._form.textareas[name] = "".join(parts)
            self._textarea = None
        elif tag == "button" and self._button is not None:
            label = " ".join("".join(self._button).split())
            if self._form is not None:
                self._form.buttons.append(label)
            self._button = None
        elif tag == "a" and self._link is not None:
            self.links.append((self._href, " ".join("".join(self._link).split())))
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        for collector in (self._button, self._link):
            if collector is not None:
                collector.append(data)
        if self._textarea is not None:
            self._textarea[1].append(data)


class Page:
    def __init__(self, status: int, path: str, html: str) -> None:
        self.status = status
        self.path = path
        self.html = html
        parser = _Parser()
        parser.feed(html)
        self.forms = parser.forms
        self.links = parser.links
        self.text = " ".join(" ".join(parser.text).split())

    def form(self, button: str) -> Form:
        """The form with a submit button whose label contains ``button``."""
        found = [f for f in self.forms if any(button in label for label in f.buttons)]
        assert len(found) == 1, f"expected one form with button {button!r} on {self.path}"
        return found[0]

    def link(self, text: str) -> str:
        found = [href for href, label in self.links if text in label]
        assert found, f"no link {text!r} on {self.path}"
        return found[0]

    def __repr__(self) -> str:
        return f"<Page {self.status} {self.path}>"
