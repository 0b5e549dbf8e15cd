"""The launch benchmark's client and its PEER tool (benchmarks/launch.py, peer_tool.py).

The benchmark is run on purpose, not by the tests; this runs its client once against the
session's served tool and a PEER tool served beside it, so that a changed page breaks a
test, not the next measurement, and so that the PEER tool is known to validate launches.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import jinja2
import pytest
from flask import Flask

from benchmarks.launch import (
    OUR_MARKER,
    OUR_SMALL_PAGE_MARKER,
    PEER_MARKER,
    HttpClient,
    Target,
    check_rejects_forgery,
    launch_once,
    peer_config,
)
from benchmarks.ours_small_page import land_on_small_page
from benchmarks.peer_tool import create_app as create_peer_app
from lti_tool.sandbox import platform_registration, register_tool, sandbox_of
from tests.conftest import Sandbox, Served, serve, unique


@pytest.fixture(scope="module", params=["file", "database"])
def peer(
    request: pytest.FixtureRequest, sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """The PEER tool with each of its stores (``--peer-store``); the database one in a
    SQLite file of its own, as the benchmark gives it beside our SQLite database."""
    root = tmp_path_factory.mktemp("peer")
    details: dict[str, object] = {}

    def build(base_url: str) -> Flask:
        registered = register_tool(
            sandbox.app, "canvas", tool_base_url=base_url, name="PEER tool", primary=False
        )
        details.update(platform_registration(sandbox.app, "canvas", registered.client_id))
        config = json.loads(peer_config(root, details, request.param).read_text())
        return create_peer_app(config)

    served = serve("127.0.0.1", build)
    _PEER_ROOTS[served.base_url] = root
    yield Target(f"peer-{request.param}", served.base_url, dict(details), PEER_MARKER)
    served.stop()


_PEER_ROOTS: dict[str, Path] = {}


def _database_store_keys(peer: Target) -> list[str]:
    """The keys the PEER keeps in its database store (none with the file store)."""
    store = _PEER_ROOTS[peer.base_url] / "peer" / "store.sqlite3"
    if peer.name != "peer-database":
        assert not store.exists()
        return []
    with closing(sqlite3.connect(store)) as connection:
        return [key for (key,) in connection.execute("SELECT key FROM peer_cache")]


def _ours(sandbox: Sandbox, tool: Served) -> Target:
    return Target("ours", tool.base_url, platform_registration(sandbox.app, "canvas"), OUR_MARKER)


def test_the_client_reaches_our_activity_page_in_the_launch_response(
    sandbox: Sandbox, tool: Served
) -> None:
    key = sandbox_of(sandbox.app).key
    target = _ours(sandbox, tool)

    redirects = launch_once(
        HttpClient(target.base_url), target, key.private_key, key.kid, unique("bench-")
    )

    assert redirects == 0


def test_our_launch_lands_on_the_small_page_when_asked_and_on_the_overview_again_after(
    sandbox: Sandbox, tool: Served
) -> None:
    key = sandbox_of(sandbox.app).key
    private, kid = key.private_key, key.kid
    ours = _ours(sandbox, tool)
    small = Target("ours-small", ours.base_url, ours.platform, OUR_SMALL_PAGE_MARKER)
    learner = unique("bench-")

    put_back = land_on_small_page(tool.app)
    try:
        # launch_once refuses a first page without the target's marker.
        assert launch_once(HttpClient(small.base_url), small, private, kid, learner) == 0
        with pytest.raises(RuntimeError, match="first page answered 200"):
            launch_once(HttpClient(ours.base_url), ours, private, kid, learner)
    finally:
        put_back()

    assert launch_once(HttpClient(ours.base_url), ours, private, kid, learner) == 0


def test_the_peer_tool_validates_a_launch_and_renders_its_page(
    sandbox: Sandbox, peer: Target
) -> None:
    key = sandbox_of(sandbox.app).key
    client = HttpClient(peer.base_url)

    assert launch_once(client, peer, key.private_key, key.kid, unique("bench-")) == 0
    # The login's state cookie was the peer's own (pylti1p3's lti1p3-state-…).
    assert all(name.startswith("lti1p3-state-") for name in client.cookies)
    if peer.name == "peer-database":
        # Its nonce and the launch's data went to the database, not to files.
        keys = _database_store_keys(peer)
        assert any(k.startswith("lti1p3-nonce-") for k in keys), keys
        assert any(k.startswith("lti1p3-launch-") for k in keys), keys
    else:
        assert _database_store_keys(peer) == []


def test_the_peer_tool_compiles_no_template_during_a_launch(
    sandbox: Sandbox, peer: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Compiling its page on every launch (render_template_string) cost the PEER 0.85 ms a
    # launch and flattered our tool's ratios; it compiles the page once, when it starts.
    compiled: list[str] = []
    from_string = jinja2.Environment.from_string

    def counted(self: jinja2.Environment, source: str, *args: Any, **kwargs: Any) -> Any:
        compiled.append(source)
        return from_string(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "from_string", counted)
    key = sandbox_of(sandbox.app).key
    client = HttpClient(peer.base_url)

    assert launch_once(client, peer, key.private_key, key.kid, unique("bench-")) == 0
    assert compiled == []


def test_both_tools_refuse_a_forged_id_token(sandbox: Sandbox, tool: Served, peer: Target) -> None:
    kid = sandbox_of(sandbox.app).key.kid

    check_rejects_forgery(peer, kid)
    check_rejects_forgery(_ours(sandbox, tool), kid)


def test_a_tool_that_accepts_anything_is_caught(sandbox: Sandbox, tmp_path: Path) -> None:
    lenient = Flask("lenient")
    lenient.add_url_rule(
        "/lti/login",
        "login",
        lambda: ("", 302, {"Location": "http://platform/auth?state=s&nonce=n"}),
    )
    lenient.add_url_rule("/lti/launch", "launch", lambda: PEER_MARKER, methods=["POST"])
    served = serve("127.0.0.1", lambda _url: lenient)
    try:
        target = Target(
            "lenient", served.base_url, platform_registration(sandbox.app, "canvas"), PEER_MARKER
        )
        with pytest.raises(RuntimeError, match="accepted a forged id_token"):
            check_rejects_forgery(target, "any-kid")
    finally:
        served.stop()
