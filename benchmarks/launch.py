"""Launch throughput: complete OIDC login + launch round trips against gunicorn.

Runs the tool under gunicorn on a temporary SQLite database (or --database-url), serves
the sandbox LMS in this process for its JWKS and registrations, and drives launches from
client processes acting as the platform: GET /lti/login, read state and nonce from the
redirect to the platform, sign an id_token with the sandbox platform's key, POST it to
/lti/launch with the state cookie, and expect the 303 to the activity. Prints launches
per second and p50/p95/p99 latency of whole round trips at each concurrency.

    .venv/bin/python benchmarks/launch.py [--concurrency 1 4 16] [--launches 400]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lti_tool.config import Settings  # noqa: E402
from lti_tool.devserver import prepare  # noqa: E402
from lti_tool.sandbox import platform_registration, serve_in_thread  # noqa: E402
from lti_tool.sandbox.keys import KEY_FILE_NAME, public_jwk  # noqa: E402
from lti_tool.sandbox_link import build_sandbox_app, register_sandbox_platforms  # noqa: E402

RESOURCE_LINK = "https://purl.imsglobal.org/spec/lti/claim/"


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
        RESOURCE_LINK + "message_type": "LtiResourceLinkRequest",
        RESOURCE_LINK + "version": "1.3.0",
        RESOURCE_LINK + "deployment_id": platform["deployment_ids"][0],
        RESOURCE_LINK + "target_link_uri": tool_url + "/lti/launch",
        RESOURCE_LINK + "resource_link": {"id": "bench-link", "title": "Benchmark"},
        RESOURCE_LINK + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
        RESOURCE_LINK + "context": {"id": "bench-course", "title": "Benchmark course"},
        RESOURCE_LINK + "custom": {"activity": "cervical-dystonia"},
    }


class _Http:
    """A keep-alive HTTP/1.1 client on http.client: a fraction of requests' CPU per call,
    which matters when 16 clients share two cores with the server they measure."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def call(
        self, method: str, path: str, body: str | None = None, cookies: str = ""
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        if cookies:
            headers["Cookie"] = cookies
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        return response.status, response.headers, response.read()


def _client(args: tuple[str, dict[str, Any], bytes, str, int, int]) -> list[float]:
    tool_url, platform, key_pem, kid, count, seed = args
    key = serialization.load_pem_private_key(key_pem, password=None)
    http_client = _Http(tool_url)
    timings: list[float] = []
    for index in range(count):
        user = f"bench-{seed}-{index % 50}"
        started = time.perf_counter()
        query_string = urlencode(
            {
                "iss": platform["issuer"],
                "client_id": platform["client_id"],
                "login_hint": user,
                "target_link_uri": tool_url + "/lti/launch",
                "lti_deployment_id": platform["deployment_ids"][0],
            }
        )
        status, headers, body = http_client.call("GET", "/lti/login?" + query_string)
        if status != 302:
            raise RuntimeError(f"login answered {status}: {body[:200]!r}")
        # The state cookies the login set (Secure one and the plain-http one), sent back.
        cookies = "; ".join(c.split(";", 1)[0] for c in headers.get_all("Set-Cookie") or [])
        query = parse_qs(urlsplit(headers["Location"]).query)
        token = jwt.encode(
            _claims(platform, tool_url, query["nonce"][0], user),
            key,
            algorithm="RS256",
            headers={"kid": kid},
        )
        form = urlencode({"id_token": token, "state": query["state"][0]})
        status, headers, body = http_client.call("POST", "/lti/launch", form, cookies)
        if status != 303:
            raise RuntimeError(f"launch answered {status}: {body[:300]!r}")
        timings.append(time.perf_counter() - started)
    return timings


def _baseline_client(args: tuple[str, dict[str, Any], bytes, str, int, int]) -> list[float]:
    """The harness alone: two trivial requests to the same gunicorn and the same RS256
    signature per round trip, so the launch figures can be read as a ratio to it."""
    tool_url, platform, key_pem, kid, count, seed = args
    key = serialization.load_pem_private_key(key_pem, password=None)
    http_client = _Http(tool_url)
    timings: list[float] = []
    for index in range(count):
        started = time.perf_counter()
        status, _, _ = http_client.call("GET", "/health")
        jwt.encode(
            _claims(platform, tool_url, "n", f"bench-{seed}-{index}"),
            key,
            algorithm="RS256",
            headers={"kid": kid},
        )
        status, _, _ = http_client.call("GET", "/health")
        if status != 200:
            raise RuntimeError(f"/health answered {status}")
        timings.append(time.perf_counter() - started)
    return timings


def _run(
    client: Any, jobs: list[tuple[str, dict[str, Any], bytes, str, int, int]]
) -> tuple[list[float], float]:
    started = time.perf_counter()
    with mp.get_context("fork").Pool(len(jobs)) as pool:
        results = pool.map(client, jobs)
    elapsed = time.perf_counter() - started
    return [t for chunk in results for t in chunk], elapsed


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--launches", type=int, default=400, help="launches per concurrency")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    parser.add_argument("--database-url", default="")
    options = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="lti-bench-"))
    port = _free_port()
    tool_url = f"http://127.0.0.1:{port}"
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
    if options.database_url:
        env["LTI_TOOL_DATABASE_URL"] = options.database_url
    os.environ.update(env)
    settings = Settings.from_env()
    prepare(settings)

    from lti_tool import create_app

    tool_app = create_app(settings)
    sandbox_app = build_sandbox_app(settings, "http://localhost:0", root / "sandbox")
    serve_in_thread(sandbox_app, host="localhost", port=0)
    register_sandbox_platforms(tool_app, sandbox_app)
    platform = platform_registration(sandbox_app, "canvas")
    key_pem = (root / "sandbox" / "sandbox-keys" / KEY_FILE_NAME).read_bytes()
    loaded = serialization.load_pem_private_key(key_pem, password=None)
    kid = public_jwk(loaded.public_key())["kid"]  # type: ignore[arg-type]

    gunicorn = subprocess.Popen(
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
            "lti_tool.wsgi:app",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        for _ in range(100):
            try:
                if requests.get(tool_url + "/health", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        _client((tool_url, platform, key_pem, kid, 20, 999))  # warm every worker's caches
        print(
            f"gunicorn: {options.workers} workers x {options.threads} threads; "
            f"database: {'SQLite' if not options.database_url else 'given URL'}; "
            f"{os.cpu_count()} CPUs"
        )
        print(
            "baseline = the same clients doing two GET /health and one RS256 signature per "
            "round trip; x = launch figure / baseline figure"
        )
        print(
            f"{'concurrency':>11} {'launches':>8} {'launches/s':>10} "
            f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
            f"{'base/s':>7} {'base p50':>8} {'rate x':>6} {'p50 x':>6}"
        )
        for concurrency in options.concurrency:
            per_client = max(1, options.launches // concurrency)
            jobs = [
                (tool_url, platform, key_pem, kid, per_client, seed) for seed in range(concurrency)
            ]
            base, base_elapsed = _run(_baseline_client, jobs)
            timings, elapsed = _run(_client, jobs)
            rate, base_rate = len(timings) / elapsed, len(base) / base_elapsed
            p50, base_p50 = statistics.median(timings), statistics.median(base)
            print(
                f"{concurrency:>11} {len(timings):>8} {rate:>10.1f} "
                f"{p50 * 1000:>7.1f} "
                f"{_percentile(timings, 0.95) * 1000:>7.1f} "
                f"{_percentile(timings, 0.99) * 1000:>7.1f} "
                f"{base_rate:>7.1f} {base_p50 * 1000:>8.1f} "
                f"{rate / base_rate:>6.2f} {p50 / base_p50:>6.2f}"
            )
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=10)


if __name__ == "__main__":
    main()
