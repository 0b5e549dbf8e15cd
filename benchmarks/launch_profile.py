"""Where a launch's time goes in OUR tool: one request at a time, in-process.

Prepares our tool and the sandbox LMS exactly as ``benchmarks/launch.py`` does (temporary
SQLite database, or --database-url), then drives launches through the Flask test client
with the very client code of ``launch.py`` (``launch_once``: OIDC login, signed id_token,
launch POST, every redirect followed to the first page, which must show the activity). No
gunicorn and no sockets: the figures are the application's own cost.

For each request of the path (login, launch, each redirect hop, the first page) it prints:
how many answered with a redirect, SQL statements and commits (SQLAlchemy ``before_cursor_
execute`` and ``commit`` events on the tool's engine), and the mean wall time, from a pass
without the profiler; then, from a second pass under cProfile, the top functions by
cumulative time for the login, the launch and the first page (and the hops with
--all-steps). Learners are returning ones (each launched during the warm-up), as most of
the benchmark's launches are.

    .venv/bin/python benchmarks/launch_profile.py [--launches 50] [--top 15]
        [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from flask import before_render_template, template_rendered
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent))

from launch import OUR_MARKER, HttpClient, Target, database_label, launch_once, set_up  # noqa: E402

from lti_tool.sandbox import platform_registration  # noqa: E402

TOOL_URL = "http://127.0.0.1:5999"  # never listened on: requests go through the test client
PEER_URL = "http://127.0.0.1:5998"  # the same, for the PEER tool (--peer)
USERS = 10


@dataclass
class StepFigures:
    requests: int = 0
    redirects: int = 0
    statements: int = 0
    commits: int = 0
    rollbacks: int = 0
    pings: int = 0
    seconds: float = 0.0
    sql_seconds: float = 0.0
    render_seconds: float = 0.0
    statuses: set[int] = field(default_factory=set)


class _Counters:
    """SQL statements, commits, rollbacks, pre-pings and time in the database driver
    (statements, COMMIT, ROLLBACK, ping) on the tool's engine; time rendering templates
    (Flask's template signals). One request at a time, one thread."""

    def __init__(self, engine: Any, app: Any) -> None:
        self.statements = 0
        self.commits = 0
        self.sql_seconds = 0.0
        self.render_seconds = 0.0
        self._sql_started = 0.0
        self._render_started: list[float] = []
        event.listen(engine, "before_cursor_execute", self._before_statement)
        event.listen(engine, "after_cursor_execute", self._after_statement)
        event.listen(engine, "commit", self._commit)
        # The driver's COMMIT and ROLLBACK (the pool's reset on return is a rollback) are
        # round trips too, outside cursor execute: time them on the dialect.
        self.rollbacks = 0
        dialect = engine.dialect
        dialect.do_commit = self._timed(dialect.do_commit, counted=False)
        dialect.do_rollback = self._timed(dialect.do_rollback, counted=True)
        # Liveness pings (PostgreSQL; db.ping_when_idle): a round trip per checkout of a
        # connection that sat idle in the pool.
        self.pings = 0
        original_ping = dialect.do_ping

        def timed_ping(connection: Any) -> bool:
            started = time.perf_counter()
            try:
                return bool(original_ping(connection))
            finally:
                self.sql_seconds += time.perf_counter() - started
                self.pings += 1

        dialect.do_ping = timed_ping  # type: ignore[method-assign]
        before_render_template.connect(self._before_render, app)
        template_rendered.connect(self._after_render, app)

    def _timed(self, call: Any, *, counted: bool) -> Any:
        def timed(connection: Any) -> None:
            started = time.perf_counter()
            try:
                call(connection)
            finally:
                self.sql_seconds += time.perf_counter() - started
                self.rollbacks += counted

        return timed

    def _before_statement(self, *_args: Any) -> None:
        self.statements += 1
        self._sql_started = time.perf_counter()

    def _after_statement(self, *_args: Any) -> None:
        self.sql_seconds += time.perf_counter() - self._sql_started

    def _commit(self, *_args: Any) -> None:
        self.commits += 1

    def _before_render(self, *_args: Any, **_kwargs: Any) -> None:
        self._render_started.append(time.perf_counter())

    def _after_render(self, *_args: Any, **_kwargs: Any) -> None:
        self.render_seconds += time.perf_counter() - self._render_started.pop()


def step_name(method: str, path: str) -> str:
    if path.startswith("/lti/login"):
        return "login"
    if path.startswith("/lti/launch"):
        return "launch"
    return f"{method} " + re.sub(r"^/a/[^/]+", "/a/<token>", path.split("?", 1)[0])


class _InProcess(HttpClient):
    """``launch.py``'s client over the Flask test client, measuring each request."""

    def __init__(self, app: Any, counters: _Counters, base_url: str = TOOL_URL) -> None:
        self.base_url = base_url
        self.netloc = base_url.split("//", 1)[1]
        self.cookies = {}
        self.client = app.test_client(use_cookies=False)
        self.counters = counters
        self.figures: dict[str, StepFigures] = defaultdict(StepFigures)
        self.order: list[str] = []
        self.profiles: dict[str, cProfile.Profile] | None = None

    def send(
        self, method: str, path: str, body: str | None, headers: dict[str, str]
    ) -> tuple[int, Any, list[str], bytes]:
        name = step_name(method, path)
        if name not in self.order:
            self.order.append(name)
        profile = None
        if self.profiles is not None:
            profile = self.profiles.setdefault(name, cProfile.Profile())
        counters = self.counters
        statements, commits = counters.statements, counters.commits
        rollbacks, pings = counters.rollbacks, counters.pings
        sql_seconds, render_seconds = counters.sql_seconds, counters.render_seconds
        started = time.perf_counter()
        if profile is not None:
            profile.enable()
        response = self.client.open(
            path, method=method, data=body, headers=headers, base_url=self.base_url
        )
        content = response.get_data()
        if profile is not None:
            profile.disable()
        elapsed = time.perf_counter() - started
        figures = self.figures[name]
        figures.requests += 1
        figures.redirects += response.status_code in (301, 302, 303, 307, 308)
        figures.statements += counters.statements - statements
        figures.commits += counters.commits - commits
        figures.rollbacks += counters.rollbacks - rollbacks
        figures.pings += counters.pings - pings
        figures.sql_seconds += counters.sql_seconds - sql_seconds
        figures.render_seconds += counters.render_seconds - render_seconds
        figures.seconds += elapsed
        figures.statuses.add(response.status_code)
        return (
            response.status_code,
            response.headers,
            response.headers.getlist("Set-Cookie"),
            content,
        )


def _row(name: str, statuses: str, figures: StepFigures, per: int, total: float) -> None:
    ms = figures.seconds * 1000 / per
    sql_ms = figures.sql_seconds * 1000 / per
    render_ms = figures.render_seconds * 1000 / per
    print(
        f"{name:<34} {statuses:>6} {figures.redirects / per:>8.1f} "
        f"{figures.statements / per:>5.1f} {figures.commits / per:>7.1f} "
        f"{figures.rollbacks / per:>6.1f} {figures.pings / per:>4.1f} {ms:>6.2f} "
        f"{sql_ms:>6.2f} {render_ms:>7.2f} {ms - sql_ms - render_ms:>7.2f} "
        f"{figures.seconds / total:>5.0%}"
    )


def _run(client: _InProcess, target: Target, key: Any, kid: str, launches: int) -> None:
    for index in range(launches):
        launch_once(client, target, key, kid, f"bench-profile-{index % USERS}")


def _short(function: tuple[str, int, str]) -> str:
    filename, line, name = function
    for marker in ("site-packages/", "/lti_tool/", "python3."):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            if marker == "/lti_tool/":
                filename = "lti_tool/" + filename
            break
    return f"{filename}:{line}({name})" if line else name


ENVELOPE = ("flask/testing.py", "werkzeug/test.py", "flask/app.py", "<string>", "~")


def _envelope(function: tuple[str, int, str]) -> bool:
    """The test client's and Flask's dispatch frames, around every request alike."""
    filename = function[0]
    return any(marker in filename for marker in ENVELOPE) or filename.endswith("disable")


def _print_top(
    name: str, profile: cProfile.Profile, requests: int, top: int, by_own: bool = False
) -> None:
    stats = pstats.Stats(profile)
    entries = sorted(
        stats.stats.items(),  # type: ignore[attr-defined]
        key=lambda item: item[1][2 if by_own else 3],
        reverse=True,
    )
    entries = [entry for entry in entries if not _envelope(entry[0])]
    order = "own" if by_own else "cumulative"
    print(f"\n{name}: top {top} by {order} time (ms per request, under cProfile)")
    print(f"{'cum ms':>8} {'own ms':>8} {'calls/req':>9}  function")
    for function, (_cc, calls, own, cumulative, _callers) in entries[:top]:
        print(
            f"{cumulative * 1000 / requests:>8.2f} {own * 1000 / requests:>8.2f} "
            f"{calls / requests:>9.1f}  {_short(function)}"
        )


def _time_peer(root: Path, side: Any, key: Any, counters: _Counters, launches: int) -> None:
    """The PEER tool of ``launch.py`` in this process, driven by the same client."""
    import json

    from launch import PEER_MARKER, peer_config
    from peer_tool import create_app as create_peer_app

    from lti_tool.sandbox import register_tool

    registered = register_tool(
        side.sandbox_app, "canvas", tool_base_url=PEER_URL, name="PEER tool", primary=False
    )
    platform = platform_registration(side.sandbox_app, "canvas", registered.client_id)
    peer_app = create_peer_app(json.loads(peer_config(root, platform).read_text()))
    target = Target("peer", PEER_URL, platform, PEER_MARKER)
    _run(_InProcess(peer_app, counters, PEER_URL), target, key, side.kid, max(USERS, 20))
    timed = _InProcess(peer_app, counters, PEER_URL)
    _run(timed, target, key, side.kid, launches)
    print(f"\nPEER tool in-process, same client, {launches} launches; mean ms per request")
    for name in timed.order:
        figures = timed.figures[name]
        print(f"{name:<34} {figures.seconds * 1000 / figures.requests:>6.2f}")
    whole = sum(f.seconds for f in timed.figures.values()) * 1000 / launches
    print(f"{'whole launch (server side)':<34} {whole:>6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--launches", type=int, default=50, help="launches per pass")
    parser.add_argument("--top", type=int, default=15, help="functions shown per step")
    parser.add_argument("--all-steps", action="store_true", help="cProfile every hop too")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--by-own", action="store_true", help="rank functions by own time")
    parser.add_argument(
        "--peer", action="store_true", help="also time the PEER tool in-process, same client"
    )
    options = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="lti-profile-"))
    side = set_up(root, TOOL_URL, options.database_url)
    target = Target("ours", TOOL_URL, platform_registration(side.sandbox_app, "canvas"), OUR_MARKER)
    key = serialization.load_pem_private_key(side.key_pem, password=None)
    counters = _Counters(side.tool_app.extensions["lti_tool"].engine, side.tool_app)

    warm = _InProcess(side.tool_app, counters)
    _run(warm, target, key, side.kid, max(USERS, 20))

    timed = _InProcess(side.tool_app, counters)
    _run(timed, target, key, side.kid, options.launches)
    n = options.launches
    total = sum(f.seconds for f in timed.figures.values())
    print(
        f"our tool in-process (Flask test client), "
        f"{database_label(options.database_url)}, {n} launches of "
        f"{USERS} returning learners; per request, means over the launches"
    )
    print(
        f"{'step':<34} {'status':>6} {'redirect':>8} {'SQL':>5} {'commits':>7} {'rollbk':>6} "
        f"{'ping':>4} {'ms':>6} {'SQL ms':>6} {'tmpl ms':>7} {'rest ms':>7} {'share':>5}"
    )
    sums = StepFigures()
    for name in timed.order:
        figures = timed.figures[name]
        per = figures.requests
        _row(name, ",".join(map(str, sorted(figures.statuses))), figures, per, total)
        sums.redirects += figures.redirects
        sums.statements += figures.statements
        sums.commits += figures.commits
        sums.rollbacks += figures.rollbacks
        sums.pings += figures.pings
        sums.seconds += figures.seconds
        sums.sql_seconds += figures.sql_seconds
        sums.render_seconds += figures.render_seconds
    _row("whole launch (server side)", "", sums, n, total)
    print(
        "ms = wall time of the request through the test client; SQL = statements executed;\n"
        "SQL ms = inside the database driver (statements, COMMIT, ROLLBACK incl. the pool's\n"
        "reset, liveness pings on PostgreSQL); tmpl ms = Jinja rendering; rest = everything else\n"
        "(Flask, ORM, JWT, our code). The login's redirect goes to the platform; the others\n"
        "are the tool's own."
    )

    if options.peer:
        _time_peer(root, side, key, counters, options.launches)

    profiled = _InProcess(side.tool_app, counters)
    profiled.profiles = {}
    _run(profiled, target, key, side.kid, options.launches)
    names = profiled.order
    shown = names if options.all_steps else [names[0], names[1], names[-1]]
    for name in shown:
        _print_top(
            name,
            profiled.profiles[name],
            profiled.figures[name].requests,
            options.top,
            options.by_own,
        )


if __name__ == "__main__":
    main()
