"""The servers the journey benchmark loads, started fresh for each run and stopped after.

- ``embedded``: ``lti-tool serve`` as a subprocess on a new instance folder (SQLite, the
  sandbox LMS in the same process, the inline grade worker): the README's embedded default.
- ``postgres``: gunicorn (gthread) on the PostgreSQL database given, the sandbox LMS served
  by a process of its own and registered with the tool as ``serve`` registers it, and one
  ``lti-tool worker``: the production shape.

Both serve the tool on 127.0.0.1 and the sandbox on localhost (two sites) on free ports.
The sandbox seeds 26 learners per flavour; a class of N gets N ``benchNNN`` learners
enrolled in the main course of each flavour (written to the sandbox's own database, as an
LMS administrator would enrol them).

The database's connection high-water mark is measured from outside the tool: for SQLite,
the server process's open file descriptors on the database file (one per connection,
pooled idle ones included), for PostgreSQL ``pg_stat_activity`` by ``application_name``.
Both are sampled (every 50 ms and 100 ms), so a peak shorter than that can be missed.

Run as ``python benchmarks/journey_targets.py sandbox …`` it is the sandbox process of
the ``postgres`` target (internal).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections import Counter
from pathlib import Path
from typing import IO, Any

import requests
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BIN = Path(sys.executable).parent
FLAVOURS = ("canvas", "moodle")
WEB_APP_NAME = "journeys-web"
WORKER_APP_NAME = "journeys-grades"
BENCH_LMS_IDS = 50_000  # far above the sandbox's seeded user numbers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def learner_names(count: int) -> list[tuple[str, str]]:
    """(flavour, username) of a class of ``count``: alternately Canvas and Moodle."""
    return [(FLAVOURS[n % 2], f"bench{n // 2:03d}") for n in range(count)]


def enrol(session: Session, flavour_name: str, username: str, lms_id: int) -> None:
    """Enrol a new learner in the main course of a flavour of the sandbox LMS."""
    from lti_tool.sandbox.flavours import flavour_named
    from lti_tool.sandbox.models import Course, Enrollment, Person
    from lti_tool.sandbox.seed import MAIN_COURSE

    course = session.scalars(
        select(Course).where(
            Course.flavour == flavour_name, Course.lms_id == MAIN_COURSE[flavour_name]
        )
    ).one()
    person = Person(
        flavour=flavour_name,
        lms_id=lms_id,
        sub=flavour_named(flavour_name).sub(lms_id),
        username=username,
        given_name="Bench",
        family_name=f"Learner {lms_id}",
        email=f"{username}@{flavour_name}.sandbox.test",
    )
    session.add(person)
    session.add(Enrollment(course=course, person=person, role="learner"))


def enrol_learners(sandbox_database: Path, count: int) -> None:
    """Enrol the class of ``learner_names(count)`` in the sandbox's database file."""
    engine = create_engine(f"sqlite:///{sandbox_database}", connect_args={"timeout": 30})
    with Session(engine) as session, session.begin():
        for index, (flavour_name, username) in enumerate(learner_names(count)):
            enrol(session, flavour_name, username, BENCH_LMS_IDS + index)
    engine.dispose()


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode} at start")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


class Watcher(ABC):
    """Samples a connection count in a thread; ``peaks`` keeps each series' maximum."""

    interval = 0.05

    def __init__(self) -> None:
        self.peaks: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="watcher")

    @abstractmethod
    def sample(self) -> dict[str, int]:
        """The current value of each series."""

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                for name, value in self.sample().items():
                    self.peaks[name] = max(self.peaks[name], value)
            except Exception:  # a process ending mid-sample; the next one reads again
                continue

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> dict[str, int]:
        self._stop.set()
        self._thread.join(timeout=5)
        return dict(self.peaks)


class SqliteFiles(Watcher):
    """Connections of one process to one SQLite file: its descriptors on that file."""

    def __init__(self, pid: int, database: Path) -> None:
        super().__init__()
        self.folder = Path(f"/proc/{pid}/fd")
        self.database = str(database.resolve())

    def sample(self) -> dict[str, int]:
        count = 0
        for entry in os.scandir(self.folder):
            try:
                count += os.readlink(entry.path) == self.database
            except OSError:
                continue
        return {"open": count}


class PgActivity(Watcher):
    """Client backends of the database by application name: open, and not idle (in use,
    including idle in a transaction). Autovacuum and this watcher are left out."""

    interval = 0.1

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.engine = create_engine(database_url, pool_size=1, max_overflow=0)
        self.connection = self.engine.connect()

    def sample(self) -> dict[str, int]:
        rows = self.connection.execute(
            text(
                "SELECT application_name, state, count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend' "
                "GROUP BY 1, 2"
            )
        ).all()
        self.connection.rollback()
        found: Counter[str] = Counter()
        for application, state, count in rows:
            name = application or "other"
            found[f"{name} open"] += count
            if state != "idle":
                found[f"{name} in use"] += count
        return dict(found)

    def stop(self) -> dict[str, int]:
        peaks = super().stop()
        self.connection.close()
        self.engine.dispose()
        return peaks


class Target(ABC):
    """Processes started for one run; ``stop`` ends them (and only them) and their groups."""

    name = ""

    def __init__(self, root: Path, learners: int) -> None:
        self.root = root
        self.learners = learners
        self.tool_url = ""
        self.sandbox_url = ""
        self.processes: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []
        self._log_files: list[IO[bytes]] = []
        self.watcher: Watcher | None = None
        self.database_url = ""
        self.description = ""

    def spawn(self, label: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = self.root / f"{label}.log"
        handle = log.open("wb")
        self._log_files.append(handle)
        self.logs.append(log)
        process = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own group, so stop() reaches its children too
        )
        self.processes.append(process)
        return process

    @abstractmethod
    def start(self) -> None:
        """Start the target's processes and wait until they answer."""

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        for handle in self._log_files:
            handle.close()


def base_env(root: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LTI_TOOL_")}
    env.update(
        {
            "LTI_TOOL_ENV": "development",
            "LTI_TOOL_INSTANCE_DIR": str(root / "instance"),
            "LTI_TOOL_KEYS_DIR": str(root / "keys"),
            "LTI_TOOL_ACTIVITIES_DIR": str(ROOT / "configs" / "activities"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


class Embedded(Target):
    """``lti-tool serve`` on a fresh instance folder: SQLite, sandbox and grades inside."""

    name = "sqlite"

    def start(self) -> None:
        port, sandbox_port = free_port(), free_port()
        serve = self.spawn(
            "serve",
            [str(BIN / "lti-tool"), "serve", "--port", str(port), "--sandbox-port",
             str(sandbox_port)],
            base_env(self.root),
        )  # fmt: skip
        self.tool_url = f"http://127.0.0.1:{port}"
        self.sandbox_url = f"http://localhost:{sandbox_port}"
        wait_until_up(self.tool_url + "/health", serve)
        wait_until_up(self.sandbox_url + "/", serve)
        enrol_learners(self.root / "instance" / "sandbox" / "sandbox.sqlite3", self.learners)
        database = self.root / "instance" / "lti_tool.sqlite3"
        self.database_url = f"sqlite:///{database}"
        self.watcher = SqliteFiles(serve.pid, database)
        self.description = (
            f"lti-tool serve (waitress, LTI_TOOL_SERVER_THREADS threads), SQLite {database}, "
            "sandbox and inline "
            "grade worker in the same process"
        )


def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def with_application_name(url: str, name: str) -> str:
    return (
        make_url(url)
        .update_query_dict({"application_name": name})
        .render_as_string(hide_password=False)
    )


class Postgres(Target):
    """gunicorn on PostgreSQL, the sandbox in a process of its own, one outbox worker."""

    name = "postgres"

    def __init__(self, root: Path, learners: int, database_url: str, workers: int, threads: int):
        super().__init__(root, learners)
        self.database_url = database_url
        self.workers = workers
        self.threads = threads

    def start(self) -> None:
        from lti_tool.config import Settings
        from lti_tool.devserver import prepare

        port, sandbox_port = free_port(), free_port()
        self.tool_url = f"http://127.0.0.1:{port}"
        self.sandbox_url = f"http://localhost:{sandbox_port}"
        env = base_env(self.root)
        env.update(
            {
                "LTI_TOOL_BASE_URL": self.tool_url,
                "LTI_TOOL_SANDBOX_BASE_URL": self.sandbox_url,
                "LTI_TOOL_SECRET_KEY": "journeys-benchmark-" + uuid.uuid4().hex,
                "LTI_TOOL_INLINE_GRADE_WORKER": "false",
            }
        )
        reset_postgres(self.database_url)
        settings = Settings(
            instance_dir=self.root / "instance",
            database_url=self.database_url,
            base_url=self.tool_url,
            keys_dir=self.root / "keys",
            secret_key=env["LTI_TOOL_SECRET_KEY"],
            activities_dir=ROOT / "configs" / "activities",
        ).resolved()
        prepare(settings)
        sandbox = self.spawn(
            "sandbox",
            [sys.executable, str(Path(__file__)), "sandbox", "--tool-url", self.tool_url,
             "--database-url", self.database_url, "--root", str(self.root / "sandbox"),
             "--port", str(sandbox_port)],
            env,
        )  # fmt: skip
        wait_until_up(self.sandbox_url + "/", sandbox)
        enrol_learners(self.root / "sandbox" / "sandbox.sqlite3", self.learners)
        env["LTI_TOOL_DATABASE_URL"] = with_application_name(self.database_url, WEB_APP_NAME)
        web = self.spawn(
            "gunicorn",
            [str(BIN / "gunicorn"), "-w", str(self.workers), "-k", "gthread", "--threads",
             str(self.threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
             "lti_tool.wsgi:app"],
            env,
        )  # fmt: skip
        wait_until_up(self.tool_url + "/health", web)
        worker_env = {
            **env,
            "LTI_TOOL_DATABASE_URL": with_application_name(self.database_url, WORKER_APP_NAME),
        }
        self.spawn("worker", [str(BIN / "lti-tool"), "worker"], worker_env)
        self.watcher = PgActivity(self.database_url)
        self.description = (
            f"gunicorn {self.workers} workers x {self.threads} threads (gthread) on PostgreSQL "
            f"{make_url(self.database_url).render_as_string(hide_password=True)}; sandbox in its "
            "own process; one `lti-tool worker`"
        )


def serve_sandbox(argv: list[str]) -> None:
    """The sandbox process of the postgres target: serve it, register it with the tool."""
    from lti_tool.config import Settings
    from lti_tool.db import open_database, transaction
    from lti_tool.sandbox import platform_registration, serve_in_thread
    from lti_tool.sandbox_link import add_sandbox_platform, build_sandbox_app

    parser = argparse.ArgumentParser()
    parser.add_argument("--tool-url", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    options = parser.parse_args(argv)
    settings = Settings(base_url=options.tool_url, database_url=options.database_url)
    sandbox_app = build_sandbox_app(settings, f"http://localhost:{options.port}", options.root)
    serve_in_thread(sandbox_app, host="localhost", port=options.port)
    with open_database(options.database_url) as factory, transaction(factory) as session:
        for flavour in FLAVOURS:
            details = platform_registration(sandbox_app, flavour)
            add_sandbox_platform(session, details, f"Sandbox LMS ({flavour})")
    print("sandbox ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})


def database_state(database_url: str) -> str:
    """What the run left in the tool's database: certificates, claims without one (must be
    none) and certificate mails by status."""
    from sqlalchemy import func

    from lti_tool.models import Certificate, Participation
    from lti_tool.models.certificates import CertificateMail

    engine = create_engine(database_url)
    with Session(engine) as session:
        issued = session.scalar(select(func.count()).select_from(Certificate)) or 0
        in_force = select(Certificate.id).where(
            Certificate.participation_id == Participation.id, Certificate.revoked_at.is_(None)
        )
        orphans = session.scalar(
            select(func.count())
            .select_from(Participation)
            .where(Participation.credit_claimed_at.is_not(None), ~in_force.exists())
        )
        mails = session.execute(
            select(CertificateMail.status, func.count()).group_by(CertificateMail.status)
        ).all()
    engine.dispose()
    by_status = ", ".join(f"{status} {count}" for status, count in sorted(mails)) or "none"
    return (
        f"certificates {issued}; claims without a certificate {orphans}; "
        f"certificate mails: {by_status}"
    )


def log_summary(paths: list[Path], limit: int = 6) -> list[str]:
    """The most frequent error lines of the servers' logs, with their counts (timestamps
    and launch tokens left out so that the same error counts as one line; traceback frames
    skipped)."""
    found: Counter[str] = Counter()
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            if line[:1].isspace() or not any(
                word in line.lower() for word in ("error", "failed", "exception", "timeout")
            ):
                continue
            line = re.sub(r"^\d{4}-\d\d-\d\d [\d:,]+ ", "", line.strip())
            line = re.sub(r"/a/[^/\s]+/", "/a/<launch>/", line)
            line = re.sub(r"\b(mail|report|attempt|participation|outbox) \d+", r"\1 N", line)
            found[f"{path.stem}: {line[:200]}"] += 1
    return [f"{count:>5} x {line}" for line, count in found.most_common(limit)]


def main(argv: list[str]) -> Any:
    if argv[:1] == ["sandbox"]:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
        return serve_sandbox(argv[1:])
    raise SystemExit("internal module of benchmarks/journeys.py")


if __name__ == "__main__":
    main(sys.argv[1:])
