"""Browsers ask every site for an icon: the tool answers with one instead of a 404."""

from __future__ import annotations

import re

import requests

from tests.conftest import Served


def test_the_icon_is_served_and_every_page_names_it(tool: Served) -> None:
    fallback = requests.get(f"{tool.base_url}/favicon.ico", timeout=10)
    assert fallback.status_code == 200
    assert fallback.headers["Content-Type"].startswith("image/svg+xml")
    assert fallback.content.startswith(b"<svg")

    home = requests.get(f"{tool.base_url}/", timeout=10)
    named = re.search(r'<link rel="icon" href="([^"]+)"', home.text)
    assert named is not None
    linked = requests.get(tool.base_url + named.group(1), timeout=10)
    assert linked.status_code == 200 and linked.content == fallback.content
