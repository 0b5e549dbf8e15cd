"""Using the sandbox LMS and the tool in its iframe the way a person does: pages, buttons, keys.

``CoursePage`` is a course of the sandbox LMS: its launch buttons post into the iframe named
``tool_content``, and its script answers the tool's LTI postMessages (platform storage,
frame resizing) and logs them. ``Keyboard`` moves through the focused document with the keys
a keyboard-only learner uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lti_tool.sandbox.seed import GRADED_ACTIVITY_TITLE
from tests.browsers import painted

TOOL_FRAME = "tool_content"


@dataclass
class CoursePage:
    """The main course of one flavour of the sandbox LMS, open in a browser tab."""

    page: Any
    url: str

    def open(self) -> CoursePage:
        self.page.goto(self.url)
        return self

    @property
    def frame(self) -> Any:
        frame = self.page.frame(name=TOOL_FRAME)
        assert frame is not None, "the course page has no tool frame"
        return frame

    def launch(self, username: str, link_text: str = GRADED_ACTIVITY_TITLE) -> Any:
        """Launch the link whose row shows ``link_text`` as ``username``; returns the frame."""
        row = self.page.locator("tr", has_text=link_text)
        row.locator("select[name=user]").select_option(username)
        row.get_by_role("button", name="Launch", exact=True).click()
        return self.frame

    def launch_as_instructor(self, link_text: str) -> Any:
        row = self.page.locator("tr", has_text=link_text)
        row.get_by_role("button", name="Launch as instructor").click()
        return self.frame

    def open_content_picker(self) -> Any:
        self.page.get_by_role("button", name="Content picker (deep linking) as instructor").click()
        return self.frame

    def platform_messages(self) -> list[str]:
        """The postMessage log of the course page, one entry per message it answered."""
        texts: list[str] = self.page.locator("#platform-messages-log li").all_text_contents()
        return [text.split(" ", 1)[1] for text in texts]


# Resolves once a frame has produced two more frames: what it shows is on screen.


def click_settled(page: Any, locator: Any) -> None:
    """Scroll ``locator`` into view, let every frame paint, then click it.

    Chromium hit-tests a cross-site iframe with the place it was last painted at: after a
    long scroll, a click sent at once can land in the tool's frame where it used to be, not
    on the course page's button now under the pointer.
    """
    locator.scroll_into_view_if_needed()
    for frame in page.frames:
        painted(frame)
    locator.click()


def wait_for_page(frame: Any, path: str) -> None:
    """Wait until the frame shows the tool's page ``/a/<launch_token>/<path>``."""
    frame.wait_for_url(re.compile(r"/a/[^/]+/" + re.escape(path) + r"(\?.*)?$"))


def heading(frame: Any) -> str:
    text: str = frame.locator("h1").first.inner_text()
    return text.strip()


def radio_names(frame: Any) -> list[str]:
    """The radio groups of the page's form that are shown, in page order."""
    names: list[str] = frame.eval_on_selector_all(
        "main form input[type=radio]",
        "inputs => [...new Set(inputs.filter(i => !i.closest('[hidden]')).map(i => i.name))]",
    )
    return names


def choice_values(frame: Any, name: str) -> list[str]:
    values: list[str] = frame.eval_on_selector_all(
        f'input[type=radio][name="{name}"]', "inputs => inputs.map(i => i.value)"
    )
    return values


_FOCUSED = """() => {
  const e = document.activeElement;
  if (!document.hasFocus() || !e || e === document.body) return null;
  return {tag: e.tagName.toLowerCase(), type: (e.type || "").toLowerCase(), name: e.name || "",
          value: e.value || "", text: (e.innerText || "").trim(), checked: !!e.checked};
}"""


class Keyboard:
    """Tab, Space, Enter, and the arrow keys that move within a radio group (HTML gives a
    radio group one tab stop; the choice inside it is made with the arrows)."""

    def __init__(self, page: Any, frame: Any) -> None:
        self.page = page
        self.frame = frame
        self.pressed: list[str] = []

    def press(self, key: str) -> None:
        self.pressed.append(key)
        self.page.keyboard.press(key)

    def focused(self) -> dict[str, Any] | None:
        focused: dict[str, Any] | None = self.frame.evaluate(_FOCUSED)
        return focused

    def tab_to(self, wanted: Callable[[dict[str, Any]], bool], limit: int = 120) -> dict[str, Any]:
        for _ in range(limit):
            self.press("Tab")
            focused = self.focused()
            if focused is not None and wanted(focused):
                return focused
        raise AssertionError(f"{limit} presses of Tab never reached the wanted element")

    def choose(self, name: str, from_value: str, to_value: str) -> None:
        """Pick ``to_value`` in the radio group whose ``from_value`` radio has the focus."""
        values = choice_values(self.frame, name)
        steps = values.index(to_value) - values.index(from_value)
        if steps == 0:
            self.press("Space")
        for _ in range(abs(steps)):
            self.press("ArrowDown" if steps > 0 else "ArrowUp")

    def activate(self, tag: str, text: str) -> None:
        """Tab to the link or button showing ``text`` and press Enter on it."""
        self.tab_to(lambda f: f["tag"] == tag and f["text"].startswith(text))
        self.press("Enter")
