"""From "claim" to the certificate: the learner's wait for the PDF, and the mail's for SMTP.

``lti-tool serve`` runs on a fresh instance folder (SQLite, sandbox LMS, the embedded default)
with its SMTP server set to an aiosmtpd server in this process. ``claims`` learners are
taken through the activity up to the credit claim form (benchmarks/journey_learner.py: a
real LTI launch by the sandbox, every page a browser requests), a few at a time; then, one
claim at a time so that each is timed alone, each learner posts the claim form over HTTP,
follows the redirect to the certificate page and downloads the PDF it links, as a browser
does. The server's first claim, which also loads the renderer and its fonts, is reported
apart. Timed from sending the claim's POST:

- "PDF in the browser": to the last byte of the PDF download;
- "mail handed to SMTP": to the aiosmtpd handler receiving the message (DATA), sent by the
  tool after the claim's commit off the request thread.

Used by ``benchmarks/certificates.py --claims N``.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from benchmarks.journey_learner import JourneyFailed, Learner, Page, the_activity
from benchmarks.journey_targets import Embedded, free_port, learner_names, log_summary
from lti_tool.sandbox.driver import SandboxDriver

# Learners walking to the claim form at once: enough to prepare a class quickly, few enough
# to leave the claims (timed one by one, after) a quiet server.
PREPARING_AT_ONCE = 4
MAIL_WAIT_SECONDS = 30.0


class MailArrivals:
    """aiosmtpd handler: when each message to each recipient was received."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._arrived: dict[str, list[float]] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        received = time.perf_counter()
        with self._changed:
            for recipient in envelope.rcpt_tos:
                self._arrived.setdefault(recipient.lower(), []).append(received)
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def count(self, recipient: str) -> int:
        with self._changed:
            return len(self._arrived.get(recipient.lower(), []))

    def wait_for(self, recipient: str, after: int, timeout: float) -> float | None:
        """When mail number ``after + 1`` to ``recipient`` arrived (``perf_counter``), or
        ``None``. (Canvas and Moodle learners share usernames, so addresses repeat.)"""
        with self._changed:
            if not self._changed.wait_for(
                lambda: len(self._arrived.get(recipient.lower(), [])) > after, timeout
            ):
                return None
            return self._arrived[recipient.lower()][after]


class SmtpTarget(Embedded):
    """The embedded default, mailing certificates to ``smtp_port`` on loopback."""

    def __init__(self, root: Path, learners: int, smtp_port: int) -> None:
        super().__init__(root, learners)
        self.smtp_env = {
            "LTI_TOOL_SMTP_HOST": "127.0.0.1",
            "LTI_TOOL_SMTP_PORT": str(smtp_port),
            "LTI_TOOL_SMTP_STARTTLS": "false",
        }

    def spawn(self, label: str, command: list[str], env: dict[str, str]) -> Any:
        return super().spawn(label, command, {**env, **self.smtp_env})


@dataclass
class ClaimTimes:
    to_pdf: list[float] = field(default_factory=list)
    to_smtp: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    first: tuple[float, float] | None = None  # the first claim, counted apart
    log_lines: list[str] = field(default_factory=list)


def _prepare(sandbox_url: str, flavour: str, username: str) -> tuple[Learner, Page | str]:
    """The learner on the claim form, or what stopped them on the way."""
    learner = Learner(SandboxDriver(sandbox_url, flavour), username, the_activity())
    try:
        return learner, learner.to_claim_form()
    except JourneyFailed as failed:
        return learner, f"{username} before the claim: {failed}"
    finally:
        # Waiting learners must not hold connections: waitress accepts 100 at most, and a
        # closed requests.Session opens new ones when it is used again.
        learner.browser.close()
        learner.driver.http.close()


def measure_claims(claims: int) -> ClaimTimes:
    """Serve the tool, prepare ``claims`` learners, time each claim alone; stop everything."""
    times = ClaimTimes()
    arrivals = MailArrivals()
    smtp = Controller(arrivals, hostname="127.0.0.1", port=free_port())
    smtp.start()
    with tempfile.TemporaryDirectory(prefix="certificate-claims-") as folder:
        target = SmtpTarget(Path(folder), claims, smtp.port)
        try:
            target.start()
            with ThreadPoolExecutor(PREPARING_AT_ONCE) as pool:
                prepared = list(
                    pool.map(
                        lambda named: _prepare(target.sandbox_url, *named), learner_names(claims)
                    )
                )
            for learner, claim_form in prepared:
                if isinstance(claim_form, str):
                    times.failures.append(claim_form)
                    continue
                recipient = f"{learner.username}@example.org"  # what Learner.claim enters
                before = arrivals.count(recipient)
                started = time.perf_counter()
                try:
                    learner.claim_and_download(claim_form)
                except Exception as error:  # one failed claim is reported, the others go on
                    times.failures.append(f"{learner.username}: {error}")
                    continue
                to_pdf = time.perf_counter() - started
                arrived = arrivals.wait_for(recipient, before, MAIL_WAIT_SECONDS)
                if arrived is None:
                    times.failures.append(f"{learner.username}: no mail within 30 s")
                elif times.first is None:  # the server's first certificate: loads the renderer
                    times.first = (to_pdf, arrived - started)
                else:
                    times.to_pdf.append(to_pdf)
                    times.to_smtp.append(arrived - started)
                learner.browser.close()
                learner.driver.http.close()
        finally:
            target.stop()
            smtp.stop()
            times.log_lines = log_summary(target.logs)
    return times


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, -(-round(fraction * 100) * len(ordered) // 100) - 1)]


def report(times: ClaimTimes) -> None:
    print(
        f"claims timed one at a time: {len(times.to_pdf)} ok after the first, "
        f"{len(times.failures)} failed"
    )
    if times.first:
        print(
            f"  first claim of the server (loads the renderer and fonts): to the PDF "
            f"{times.first[0] * 1000:.0f} ms, to SMTP {times.first[1] * 1000:.0f} ms"
        )
    for label, values in (
        ("claim -> PDF in the browser", times.to_pdf),
        ("claim -> mail handed to SMTP", times.to_smtp),
    ):
        if not values:
            print(f"  {label:30s} no sample")
            continue
        print(
            f"  {label:30s} p50 {statistics.median(values) * 1000:6.0f} ms   "
            f"p95 {percentile(values, 0.95) * 1000:6.0f} ms   "
            f"p99 {percentile(values, 0.99) * 1000:6.0f} ms   "
            f"max {max(values) * 1000:6.0f} ms"
        )
    for failure in times.failures[:5]:
        print(f"  failed: {failure}")
    for line in times.log_lines:
        print(f"  log: {line}")
