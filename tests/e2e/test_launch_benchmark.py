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

import pytest
from flask import Flask

from benchmarks.launch import (
    OUR_MARKER,
    PEER_MARKER,
    HttpClient,
    Target,
    check_rejects_forgery,
    launch_once,
    peer_config,
)
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
