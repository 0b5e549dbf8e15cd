"""Launch throughput: our tool against a minimal PEER tool, both under gunicorn.

Runs our tool under gunicorn on a temporary SQLite database (or --database-url), and the
PEER tool of ``benchmarks/peer_tool.py`` (pylti1p3 2.0.0 following its own Flask example:
FlaskOIDCLogin, FlaskMessageLaunch, a Flask-Caching FileSystemCache, a ToolConfDict) under
the same gunicorn settings on its own port. The sandbox LMS runs in this process for its
JWKS and registrations: our tool is registered with its canvas flavour as usual, the PEER
tool as a second canvas tool (its own client_id, deployment and key pair).

The same client code drives both, from client processes acting as the platform and the
learner's browser: GET /lti/login, read state and nonce from the redirect to the platform,
sign an id_token with the sandbox platform's key, POST it to /lti/launch with the state
cookies, then follow every redirect (none today: both tools answer the launch with their
first page, ours with the activity's overview) until the first page the learner sees,
which must answer 200 with the tool's own content (our activity's title; the PEER tool's
"launch validated" page). A round trip is timed from the login to that page.

Learners: by default every cell launches the same --learners returning learners, each
launched once on both tools before the timed runs, as most launches resume an activity
(the cells used to mix in first launches in proportions that differed between cells: at
c=16 most launches of the first repeat were a new learner's). With --learners 0 every launch
is a new learner's first, which costs our tool its user, participation and placement rows
(the PEER tool stores nothing either way).

The PEER's store (--peer-store): ``file``, a FileSystemCache on the host's disk, serves one
host only (a login and its launch must reach the same host); ``database`` keeps state,
nonce and launch data in a table of the database (``peer_store``): PostgreSQL at
--database-url, as a production topology of two hosts shares it, or a SQLite file of its
own. Our tool keeps its used states in its database either way.

For each concurrency the PEER and our tool are run --repeats times in ABBA order (peer, ours,
ours, peer, ...) so drift hits both equally, by one pool of client processes started before
the first run; the figures printed are medians over the repeats: launches per second and
p50/p95/p99 ms of whole round trips, then the ratios ours/peer of launches/s (c=16 is the
figure to watch) and of p50 (c=1): of those medians, and the median and range of the
ratios of each repeat's two back-to-back runs (on a shared machine whose speed drifts from
minute to minute, the pairs are the steadier estimate).

    .venv/bin/python benchmarks/launch.py [--concurrency 1 4 16] [--launches 1000]
        [--repeats 5] [--workers 4] [--threads 2] [--database-url postgresql+psycopg://...]
        [--learners 50] [--peer-store file|database] [--our-page activity|small]

With --our-page small our launch lands on a small page like the PEER's instead of the
activity's overview (``ours_small_page.py``; everything else of the launch unchanged): what
our launch costs without its first page, the overview's cost being the difference.

Where the time goes inside our tool: ``benchmarks/launch_profile.py``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lti_tool.config import Settings  # noqa: E402
from lti_tool.devserver import prepare  # noqa: E402
from lti_tool.sandbox import platform_registration, register_tool, serve_in_thread  # noqa: E402
from lti_tool.sandbox.keys import KEY_FILE_NAME, public_jwk  # noqa: E402
from lti_tool.sandbox_link import build_sandbox_app, register_sandbox_platforms  # noqa: E402

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
REDIRECTS = (301, 302, 303, 307, 308)
# Text of the first page each tool shows after a launch (the activity's title for ours).
OUR_MARKER = b"Breaking the hold"
PEER_MARKER = b"PEER tool: launch validated"
OUR_SMALL_PAGE_MARKER = b"OUR tool: launch validated"  # --our-page small


@dataclass(frozen=True)
class Target:
    """One tool under test, as the client sees it."""

    name: str
    base_url: str
    platform: dict[str, Any]  # the sandbox's registration details for this tool
    marker: bytes


def database_label(database_url: str) -> str:
    if not database_url:
        return "SQLite (temporary file)"
    return database_url.split(":", 1)[0].split("+", 1)[0]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _claims(platform: dict[str, Any], tool_url: str, nonce: str, user: str) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": platform["issuer"],
        "aud": platform["client_id"],
        "azp": platform["client_id"],
        "sub": user,
        "iat": now,
        "exp": now + 300,
        "nonce": nonce,
        "name": "Bench Learner",
        CLAIM + "message_type": "LtiResourceLinkRequest",
        CLAIM + "version": "1.3.0",
        CLAIM + "deployment_id": platform["deployment_ids"][0],
        CLAIM + "target_link_uri": tool_url + "/lti/launch",
        CLAIM + "resource_link": {"id": "bench-link", "title": "Benchmark"},
        CLAIM + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
        CLAIM + "context": {"id": "bench-course", "title": "Benchmark course"},
        CLAIM + "custom": {"activity": "cervical-dystonia"},
    }


class HttpClient:
    """A keep-alive HTTP/1.1 client on http.client with a small cookie jar: a fraction of
    requests' CPU per call, which matters when 16 clients share the cores with the servers
    they measure."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.netloc = parts.netloc
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self.cookies: dict[str, tuple[str, str]] = {}  # name -> (path, value)

    def call(self, method: str, path: str, body: str | None = None) -> tuple[int, Any, bytes]:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        sent = "; ".join(
            f"{name}={value}"
            for name, (prefix, value) in self.cookies.items()
            if path.startswith(prefix)
        )
        if sent:
            headers["Cookie"] = sent
        status, response_headers, set_cookies, content = self.send(method, path, body, headers)
        for header in set_cookies:
            pair, _, attributes = header.partition(";")
            name, _, value = pair.strip().partition("=")
            lowered = attributes.lower().replace(" ", "")
            if not value or "max-age=0" in lowered or "expires=thu,01jan1970" in lowered:
                self.cookies.pop(name, None)
                continue
            cookie_path = "/"
            for attribute in attributes.split(";"):
                key, _, val = attribute.strip().partition("=")
                if key.lower() == "path" and val:
                    cookie_path = val
            self.cookies[name] = (cookie_path, value)
        return status, response_headers, content

    def send(
        self, method: str, path: str, body: str | None, headers: dict[str, str]
    ) -> tuple[int, Any, list[str], bytes]:
        """The transport: status, headers (``headers["Location"]``), Set-Cookie values, body."""
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        content = response.read()
        return (
            response.status,
            response.headers,
            response.headers.get_all("Set-Cookie") or [],
            content,
        )

    def local_path(self, location: str) -> str:
        parts = urlsplit(location)
        if parts.netloc and parts.netloc != self.netloc:
            raise RuntimeError(f"redirect leaves the tool: {location}")
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def launch_once(http_client: HttpClient, target: Target, key: Any, kid: str, user: str) -> int:
    """One learner's launch, from the OIDC login to the first page shown; returns the
    number of redirects followed after the launch POST."""
    http_client.cookies.clear()  # a fresh browser per launch
    platform = target.platform
    query_string = urlencode(
        {
            "iss": platform["issuer"],
            "client_id": platform["client_id"],
            "login_hint": user,
            "target_link_uri": target.base_url + "/lti/launch",
            "lti_deployment_id": platform["deployment_ids"][0],
        }
    )
    status, headers, body = http_client.call("GET", "/lti/login?" + query_string)
    if status != 302:
        raise RuntimeError(f"{target.name}: login answered {status}: {body[:200]!r}")
    query = parse_qs(urlsplit(headers["Location"]).query)
    token = jwt.encode(
        _claims(platform, target.base_url, query["nonce"][0], user),
        key,
        algorithm="RS256",
        headers={"kid": kid},
    )
    form = urlencode({"id_token": token, "state": query["state"][0]})
    status, headers, body = http_client.call("POST", "/lti/launch", form)
    redirects = 0
    while status in REDIRECTS:
        redirects += 1
        if redirects > 10:
            raise RuntimeError(f"{target.name}: more than 10 redirects")
        path = http_client.local_path(headers["Location"])
        status, headers, body = http_client.call("GET", path)
    if status != 200 or target.marker not in body:
        raise RuntimeError(f"{target.name}: first page answered {status}: {body[:300]!r}")
    return redirects


def check_rejects_forgery(target: Target, kid: str) -> None:
    """Both tools must refuse an id_token signed with another key under the platform's kid:
    the figures mean nothing for a tool that does not validate."""
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    try:
        launch_once(HttpClient(target.base_url), target, stranger, kid, "bench-forger")
    except RuntimeError as error:
        if "first page answered" in str(error):
            return
        raise
    raise RuntimeError(f"{target.name} accepted a forged id_token")


def learner(seed: int, index: int, learners: int) -> str:
    """The learner of a client's launch: one of ``learners`` returning learners (each
    client starts at its own place in the list), or a new learner each time (0)."""
    if learners == 0:
        return f"bench-new-{uuid.uuid4().hex}"
    return f"bench-learner-{(seed * 13 + index) % learners}"


def _client(args: tuple[Target, bytes, str, int, int, int]) -> tuple[list[float], set[int]]:
    target, key_pem, kid, count, seed, learners = args
    key = serialization.load_pem_private_key(key_pem, password=None)
    http_client = HttpClient(target.base_url)
    timings: list[float] = []
    redirects: set[int] = set()
    for index in range(count):
        user = learner(seed, index, learners)
        started = time.perf_counter()
        redirects.add(launch_once(http_client, target, key, kid, user))
        timings.append(time.perf_counter() - started)
    return timings, redirects


@dataclass(frozen=True)
class RunFigures:
    launches: int
    rate: float
    p50: float
    p95: float
    p99: float
    redirects: frozenset[int]
    # CPU seconds per launch: the tool's gunicorn processes, and the benchmark's clients
    # (which sign the id_tokens and read the pages) on the same machine.
    server_cpu: float = 0.0
    client_cpu: float = 0.0


_TICKS = os.sysconf("SC_CLK_TCK")


def _tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and its children (gunicorn master + workers)."""
    total, pids = 0.0, [pid]
    while pids:
        current = pids.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / _TICKS
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        pids.extend(int(child) for child in children)
    return total


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _run(
    pool: Any,
    target: Target,
    key_pem: bytes,
    kid: str,
    concurrency: int,
    launches: int,
    server_pid: int,
    learners: int,
) -> RunFigures:
    """One cell: ``launches`` round trips by ``concurrency`` clients of ``pool`` (started
    before, so no cell times the forking of its clients, which left the servers idle for
    a fraction of a second and weighed most on the faster tool)."""
    per_client = max(1, launches // concurrency)
    jobs = [(target, key_pem, kid, per_client, seed, learners) for seed in range(concurrency)]
    client_pids = [process.pid for process in pool._pool]
    server_before = _tree_cpu(server_pid)
    clients_before = sum(_tree_cpu(pid) for pid in client_pids)
    started = time.perf_counter()
    results = pool.map(_client, jobs, chunksize=1)
    elapsed = time.perf_counter() - started
    server_cpu = _tree_cpu(server_pid) - server_before
    client_cpu = sum(_tree_cpu(pid) for pid in client_pids) - clients_before
    timings = [t for chunk, _ in results for t in chunk]
    return RunFigures(
        launches=len(timings),
        rate=len(timings) / elapsed,
        p50=statistics.median(timings),
        p95=_percentile(timings, 0.95),
        p99=_percentile(timings, 0.99),
        redirects=frozenset(r for _, chunk in results for r in chunk),
        server_cpu=server_cpu / len(timings),
        client_cpu=client_cpu / len(timings),
    )


def _median_figures(runs: list[RunFigures]) -> RunFigures:
    return RunFigures(
        launches=runs[0].launches,
        rate=statistics.median(r.rate for r in runs),
        p50=statistics.median(r.p50 for r in runs),
        p95=statistics.median(r.p95 for r in runs),
        p99=statistics.median(r.p99 for r in runs),
        redirects=frozenset().union(*(r.redirects for r in runs)),
        server_cpu=statistics.median(r.server_cpu for r in runs),
        client_cpu=statistics.median(r.client_cpu for r in runs),
    )


def _gunicorn(
    app: str,
    port: int,
    options: argparse.Namespace,
    env: dict[str, str],
    extra: list[str] | None = None,
) -> subprocess.Popen[bytes]:
    """Both tools run with exactly these settings."""
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-w",
            str(options.workers),
            "-k",
            "gthread",
            "--threads",
            str(options.threads),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            *(extra or []),
            app,
        ],
        env=env,
        cwd=ROOT,
    )


def _wait_healthy(base_url: str) -> None:
    for _ in range(150):
        try:
            if requests.get(base_url + "/health", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{base_url} did not come up")


def peer_config(
    root: Path, platform: dict[str, Any], store: str = "file", database_url: str = ""
) -> Path:
    """The PEER tool's key pair and ToolConfDict for its sandbox registration, and where it
    keeps state, nonce and launch data: ``file`` (a FileSystemCache), or ``database`` (a
    table in PostgreSQL at ``database_url``, or in a SQLite file of its own)."""
    peer_dir = root / "peer"
    peer_dir.mkdir(parents=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_file, public_file = peer_dir / "private.pem", peer_dir / "public.pem"
    private_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public_file.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    config = {
        "tool_conf": {
            platform["issuer"]: [
                {
                    "default": True,
                    "client_id": platform["client_id"],
                    "auth_login_url": platform["auth_login_url"],
                    "auth_token_url": platform["auth_token_url"],
                    "auth_audience": platform["auth_audience"],
                    "key_set_url": platform["key_set_url"],
                    "key_set": None,
                    "deployment_ids": platform["deployment_ids"],
                }
            ]
        },
        "private_key_file": str(private_file),
        "public_key_file": str(public_file),
        "cache_dir": str(peer_dir / "cache"),
        "secret_key": "peer-secret-" + uuid.uuid4().hex,
        "store": store,
        "store_database_url": database_url or f"sqlite:///{peer_dir / 'store.sqlite3'}",
    }
    path = peer_dir / "config.json"
    path.write_text(json.dumps(config))
    return path


@dataclass
class Side:
    """Our tool prepared (schema, keys, activities, registrations) and the sandbox LMS
    serving in this process."""

    env: dict[str, str]
    tool_app: Any
    sandbox_app: Any
    key_pem: bytes  # the sandbox platform's signing key
    kid: str


def set_up(root: Path, tool_url: str, database_url: str) -> Side:
    env = {
        **os.environ,
        "LTI_TOOL_INSTANCE_DIR": str(root / "instance"),
        "LTI_TOOL_KEYS_DIR": str(root / "keys"),
        "LTI_TOOL_BASE_URL": tool_url,
        "LTI_TOOL_SECRET_KEY": "benchmark-secret-" + uuid.uuid4().hex,
        "LTI_TOOL_SANDBOX": "false",
        "LTI_TOOL_INLINE_GRADE_WORKER": "false",
        # Every simulated learner comes from 127.0.0.1: lift the per-address login limit.
        "LTI_TOOL_LOGIN_RATE_PER_MINUTE": "1000000",
    }
    if database_url:
        env["LTI_TOOL_DATABASE_URL"] = database_url
    os.environ.update(env)
    settings = Settings.from_env()
    prepare(settings)

    from lti_tool import create_app

    tool_app = create_app(settings)
    sandbox_app = build_sandbox_app(settings, "http://localhost:0", root / "sandbox")
    serve_in_thread(sandbox_app, host="localhost", port=0)
    register_sandbox_platforms(tool_app, sandbox_app)
    key_pem = (root / "sandbox" / "sandbox-keys" / KEY_FILE_NAME).read_bytes()
    loaded = serialization.load_pem_private_key(key_pem, password=None)
    kid = public_jwk(loaded.public_key())["kid"]  # type: ignore[arg-type]
    return Side(env, tool_app, sandbox_app, key_pem, kid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument(
        "--launches",
        type=int,
        default=1000,
        # 200 made a cell at 16 at once last about a second, where ramp-up and tail weigh
        # on the faster tool: the c=16 ratio read some 0.05-0.1 high.
        help="launches per tool, concurrency and repeat",
    )
    parser.add_argument("--repeats", type=int, default=5, help="runs per tool and concurrency")
    parser.add_argument(
        "--learners",
        type=int,
        default=50,
        help="returning learners, each launched once before the timed runs (most launches "
        "resume an activity); 0: every launch is a new learner's first",
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--peer-store",
        choices=["file", "database"],
        default="file",
        help="where the PEER tool keeps state, nonce and launch data: a FileSystemCache "
        "(one host only), or a table in the database (PostgreSQL: ours; SQLite: a file of "
        "its own), which two hosts can share",
    )
    parser.add_argument(
        "--our-page",
        choices=["activity", "small"],
        default="activity",
        help="the first page our launch lands on: the activity's overview, or a small page "
        "like the PEER's (benchmarks/ours_small_page.py: what our launch costs without it)",
    )
    options = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="lti-bench-"))
    port, peer_port = _free_port(), _free_port()
    tool_url, peer_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{peer_port}"
    side = set_up(root, tool_url, options.database_url)
    env, sandbox_app, key_pem, kid = side.env, side.sandbox_app, side.key_pem, side.kid
    # The PEER tool: a second canvas tool with its own client_id and deployment, whose
    # login and launch URLs are on its own port.
    peer_registered = register_tool(
        sandbox_app, "canvas", tool_base_url=peer_url, name="PEER tool", primary=False
    )
    peer_platform = platform_registration(sandbox_app, "canvas", peer_registered.client_id)
    if options.our_page == "activity":
        our_app, our_marker = "lti_tool.wsgi:app", OUR_MARKER
    else:
        our_app, our_marker = "benchmarks.ours_small_page:small_page_app()", OUR_SMALL_PAGE_MARKER
    ours = Target("ours", tool_url, platform_registration(sandbox_app, "canvas"), our_marker)
    peer = Target("peer", peer_url, peer_platform, PEER_MARKER)
    peer_config_file = peer_config(root, peer_platform, options.peer_store, options.database_url)
    peer_env = {**env, "PEER_TOOL_CONFIG": str(peer_config_file)}
    servers = [
        _gunicorn(our_app, port, options, env),
        _gunicorn(
            "peer_tool:app",
            peer_port,
            options,
            peer_env,
            ["--pythonpath", str(ROOT / "benchmarks")],
        ),
    ]
    try:
        server_pids = {"ours": servers[0].pid, "peer": servers[1].pid}
        for target in (ours, peer):
            _wait_healthy(target.base_url)
            # Warm every worker's caches, and launch each returning learner once.
            _client((target, key_pem, kid, max(20, options.learners), 0, options.learners))
            check_rejects_forgery(target, kid)
        print(
            f"gunicorn for both: {options.workers} workers x {options.threads} threads "
            f"(gthread); our database: "
            f"{database_label(options.database_url)}; the PEER's store: "
            f"{'FileSystemCache' if options.peer_store == 'file' else 'a database table'}; "
            f"our first page: "
            f"{'the activity overview' if options.our_page == 'activity' else 'a small one'}; "
            f"{os.cpu_count()} CPUs; {options.repeats} repeats per cell, ABBA order, "
            "medians shown"
        )
        print(
            f"learners: {options.learners} returning learners, each launched once before"
            if options.learners
            else "learners: every launch is a new learner's first launch"
        )
        print(
            "round trip = GET /lti/login, sign id_token, POST /lti/launch, follow redirects "
            "to the first page (200 + its content)"
        )
        print(
            f"{'concurrency':>11} {'tool':>4} {'launches':>8} {'launches/s':>10} "
            f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'redirects':>9} "
            f"{'server CPU ms':>13} {'client CPU ms':>13}"
        )
        results: dict[int, dict[str, RunFigures]] = {}
        paired: dict[int, tuple[list[float], list[float]]] = {}
        for concurrency in options.concurrency:
            runs: dict[str, list[RunFigures]] = {"peer": [], "ours": []}
            with mp.get_context("fork").Pool(concurrency) as pool:
                for repeat in range(options.repeats):
                    order = (peer, ours) if repeat % 2 == 0 else (ours, peer)
                    for target in order:
                        runs[target.name].append(
                            _run(
                                pool,
                                target,
                                key_pem,
                                kid,
                                concurrency,
                                options.launches,
                                server_pids[target.name],
                                options.learners,
                            )
                        )
            results[concurrency] = {name: _median_figures(r) for name, r in runs.items()}
            # Each repeat ran both tools back to back: their ratio is the least drift-prone.
            paired[concurrency] = (
                [o.rate / p.rate for o, p in zip(runs["ours"], runs["peer"], strict=True)],
                [o.p50 / p.p50 for o, p in zip(runs["ours"], runs["peer"], strict=True)],
            )
            for name in ("peer", "ours"):
                figures = results[concurrency][name]
                print(
                    f"{concurrency:>11} {name:>4} {figures.launches:>8} {figures.rate:>10.1f} "
                    f"{figures.p50 * 1000:>7.1f} {figures.p95 * 1000:>7.1f} "
                    f"{figures.p99 * 1000:>7.1f} "
                    f"{','.join(str(r) for r in sorted(figures.redirects)):>9} "
                    f"{figures.server_cpu * 1000:>13.2f} {figures.client_cpu * 1000:>13.2f}"
                )
        print(
            "ratios ours/peer (launches/s: above 1 is better for ours; p50: below 1 is): "
            "of the medians, then the median and range of each repeat's back-to-back pair"
        )
        for concurrency, cell in results.items():
            rate_ratio = cell["ours"].rate / cell["peer"].rate
            p50_ratio = cell["ours"].p50 / cell["peer"].p50
            rates, p50s = paired[concurrency]
            focus = " <- launches/s focus" if concurrency == 16 else ""
            focus = " <- p50 focus" if concurrency == 1 else focus
            print(
                f"  c={concurrency:<3} launches/s {rate_ratio:5.2f} "
                f"(pairs {statistics.median(rates):4.2f}, {min(rates):4.2f}-{max(rates):4.2f})  "
                f"p50 {p50_ratio:5.2f} "
                f"(pairs {statistics.median(p50s):4.2f}, {min(p50s):4.2f}-{max(p50s):4.2f}){focus}"
            )
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
