"""Reports at scale: 100,000 learners with full journeys on PostgreSQL, and what each of
the provider's exports costs in time and memory.

Generates (once; kept in the database for later runs) a cohort on the bundled activity:
every learner launched, most acknowledged the disclosures, took the pre-test, read the
content, passed the post-test, filled in the evaluation (with some free text) and claimed
credit, in realistic proportions; some committed to change and were followed up. Then runs
each export in a fresh process, three times, and prints its median wall time and the peak
resident memory of that process, next to a baseline process that only builds the app and
runs one query (the same run, the same machine):

    .venv/bin/python benchmarks/reports.py [--learners 100000] [--database-url URL]

Without --database-url a private PostgreSQL cluster is started under /tmp (as the
``postgres`` user when run as root) and left running for the next run (--stop-postgres).
Targets (issue 16): every export under 200 MB peak RSS; the outcomes page under 1 s
("page" counts in a fresh process; "page_cached" is the same page viewed again within
LTI_TOOL_OUTCOMES_MAX_AGE_SECONDS, as operators mostly see it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ISSUER = "https://bench.reports.example"
SLUG = "cervical-dystonia"
EXPORTS = ("baseline", "page", "page_cached", "csv", "json", "grantor_pdf")
PG_DIR = Path("/tmp/lti-tool-bench-pg")
PG_SOCK = Path("/tmp/lti-tool-bench-pg-sock")
PG_PORT = 55435
BATCH = 5000


# -- PostgreSQL ------------------------------------------------------------------------------
def _as_postgres(command: str) -> None:
    if os.geteuid() == 0:
        subprocess.run(["su", "postgres", "-s", "/bin/bash", "-c", command], check=True)
    else:
        subprocess.run(["bash", "-c", command], check=True)


def private_postgres() -> str:
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not bins:
        raise SystemExit("PostgreSQL is not installed: run bash scripts/install.sh --test")
    pg = bins[-1]
    for folder in (PG_DIR, PG_SOCK):
        folder.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            subprocess.run(["chown", "postgres", str(folder)], check=True)
    if not (PG_DIR / "PG_VERSION").exists():
        _as_postgres(f"{pg}/initdb -D {PG_DIR} -U postgres --auth=trust -E UTF8 >/dev/null")
    as_owner = ["su", "postgres", "-s", "/bin/bash", "-c"] if os.geteuid() == 0 else ["bash", "-c"]
    status = subprocess.run(
        [*as_owner, f"{pg}/pg_ctl -D {PG_DIR} status"], capture_output=True, check=False
    )
    if status.returncode != 0:
        _as_postgres(
            f'{pg}/pg_ctl -D {PG_DIR} -l {PG_DIR}/server.log -w -o "-p {PG_PORT} -k {PG_SOCK} '
            f"-c listen_addresses='' -c fsync=off\" start >/dev/null"
        )
    return f"postgresql+psycopg://postgres@/postgres?host={PG_SOCK}&port={PG_PORT}"


def stop_postgres() -> None:
    pg = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    _as_postgres(f"{pg}/pg_ctl -D {PG_DIR} -m fast stop >/dev/null")


# -- the cohort ----------------------------------------------------------------------------
def settings_for(database_url: str, root: Path):  # type: ignore[no-untyped-def]
    from lti_tool.config import Settings

    return Settings(
        database_url=database_url,
        instance_dir=root / "instance",
        keys_dir=root / "keys",
        base_url="http://127.0.0.1:5000",
        sandbox_enabled=False,
        inline_grade_worker=False,
        secret_key="bench-" + "x" * 40,
    )


def generate(database_url: str, learners: int, root: Path) -> None:
    from sqlalchemy import func, insert, select

    from lti_tool import build_services
    from lti_tool.catalog import activity_for_version, current_version, load_activities
    from lti_tool.course import load_activity
    from lti_tool.migrate import upgrade
    from lti_tool.models import (
        Attempt,
        EvaluationResponse,
        FollowUpRequest,
        Participation,
        User,
    )
    from lti_tool.models.certificates import LearnerProfile
    from lti_tool.outcomes.tallies import recount

    upgrade(database_url)
    services = build_services(settings_for(database_url, root))
    factory = services.session_factory
    with factory.begin() as session:
        load_activities(session, ROOT / "configs" / "activities")
        version = current_version(session, SLUG)
        assert version is not None
        have = session.scalar(select(func.count()).select_from(User).where(User.issuer == ISSUER))
    if have >= learners:
        print(f"cohort: {have} learners already in the database")
        return
    activity = load_activity(ROOT / "configs" / "activities" / SLUG)
    pre = activity.pretest.questions if activity.pretest else ()
    post = activity.posttest.questions
    evaluation = activity.evaluation_items
    rng = random.Random(20261205)
    professions = ["physician"] * 5 + ["nurse"] * 2 + ["pharmacist", "physician_assistant", None]
    started = time.perf_counter()
    now = time.time()
    for first in range(have, learners, BATCH):
        count = min(BATCH, learners - first)
        users = [
            {"issuer": ISSUER, "sub": f"bench-{n}", "name": f"Learner {n}"}
            for n in range(first, first + count)
        ]
        with factory.begin() as session:
            ids = list(session.scalars(insert(User).returning(User.id), users))
            profiles, parts = [], []
            planned: list[list[dict[str, object]]] = []
            for n, user_id in enumerate(ids):
                profession = rng.choice(professions)
                if profession:
                    profiles.append(
                        {"user_id": user_id, "certificate_name": f"Learner {first + n}",
                         "profession": profession, "email": f"l{first + n}@example.org"}
                    )  # fmt: skip
                went, skill = rng.random(), rng.random()
                day = _moment(now - rng.uniform(0, 300) * 86400)
                tests = []
                if went > 0.05:
                    tests.append(_attempt(0, version.id, "pretest", pre, skill * 0.7, rng))
                if went > 0.15:
                    tests.append(_attempt(0, version.id, "posttest", post, 0.5 + skill / 2, rng))
                # Only a learner who passed evaluates; most who evaluate claim credit.
                passed = bool(tests) and bool(tests[-1]["passed"])
                evaluated = passed and went > 0.25
                parts.append(
                    {
                        "user_id": user_id,
                        "activity_slug": SLUG,
                        "activity_version_id": version.id,
                        "started_at": day,
                        "disclosures_acknowledged_at": day if went > 0.05 else None,
                        "sections_viewed": list(activity.section_ids) if went > 0.15 else [],
                        "evaluation_completed_at": day if evaluated else None,
                        "credit_claimed_at": day if evaluated and went > 0.3 else None,
                    }
                )
                planned.append(tests)
            if profiles:
                session.execute(insert(LearnerProfile), profiles)
            part_ids = list(
                session.scalars(insert(Participation).returning(Participation.id), parts)
            )
            attempts, evaluations, follow_ups = [], [], []
            for part_id, part, tests in zip(part_ids, parts, planned, strict=True):
                attempts += [{**test, "participation_id": part_id} for test in tests]
                if part["evaluation_completed_at"] is None:
                    continue
                answers = {item.id: _answer(item, rng) for item in evaluation}
                evaluations.append(
                    {"participation_id": part_id, "activity_version_id": version.id,
                     "answers": answers}
                )  # fmt: skip
                if answers.get("intent-to-change") == "yes":
                    answered = rng.random() < 0.4
                    follow_ups.append(
                        {"participation_id": part_id, "user_id": part["user_id"],
                         "activity_slug": SLUG, "token": uuid.uuid4().hex,
                         "status": "answered" if answered else "sent",
                         "next_attempt_at": part["evaluation_completed_at"] + timedelta(days=60),
                         "changed": rng.choice(["yes", "partly", "no"]) if answered else "",
                         "what_changed": "Started EMG guidance" if answered else "",
                         "barriers": "Prior authorization" if answered else ""}
                    )  # fmt: skip
            session.execute(insert(Attempt), attempts)
            if evaluations:
                session.execute(insert(EvaluationResponse), evaluations)
            if follow_ups:
                session.execute(insert(FollowUpRequest), follow_ups)
        done = first + count
        if done % 20000 == 0 or done == learners:
            print(f"cohort: {done} learners ({time.perf_counter() - started:.0f} s)", flush=True)
    # The rows were inserted in bulk, not through the journey that tallies answers as it
    # stores them: count the outcomes report's tallies as revision 0010 does.
    with factory.begin() as session:
        stored = current_version(session, SLUG)
        assert stored is not None
        recount(session, {stored.id: activity_for_version(stored)})
    print(f"cohort: tallies counted ({time.perf_counter() - started:.0f} s)", flush=True)
    services.engine.dispose()


def _moment(seconds: float):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC)


def _attempt(part_id, version_id, kind, questions, skill, rng):  # type: ignore[no-untyped-def]
    answers = {
        q.id: q.correct
        if rng.random() < skill
        else rng.choice([c.key for c in q.choices if c.key != q.correct])
        for q in questions
    }
    right = sum(answers[q.id] == q.correct for q in questions)
    return {
        "public_id": uuid.uuid4().hex,
        "participation_id": part_id,
        "activity_version_id": version_id,
        "kind": kind,
        "number": 1,
        "answers": answers,
        "correct": right,
        "total": len(questions),
        "passed": kind == "posttest" and right * 10 >= len(questions) * 7,
        "submitted_at": _moment(time.time()),
    }


def _answer(item, rng):  # type: ignore[no-untyped-def]
    from lti_tool.course import EvaluationKind

    if item.kind is EvaluationKind.TEXT:
        return "More case videos, please." if rng.random() < 0.1 else ""
    return rng.choice([value for value, _ in item.options])


# -- one export, in a process of its own ---------------------------------------------------
def child(export: str, database_url: str, root: Path) -> None:
    from lti_tool import create_app
    from lti_tool.admin.activity_views import grantor_report, outcomes, outcomes_csv, outcomes_json

    app = create_app(settings_for(database_url, root))
    views = {
        "page": outcomes,
        "page_cached": outcomes,
        "csv": outcomes_csv,
        "json": outcomes_json,
        "grantor_pdf": grantor_report,
    }
    if export == "page_cached":  # the page again within LTI_TOOL_OUTCOMES_MAX_AGE_SECONDS
        with app.test_request_context(f"/admin/activities/{SLUG}/outcomes"):
            outcomes(SLUG)
    started = time.perf_counter()
    size = 0
    with app.test_request_context(f"/admin/activities/{SLUG}/outcomes"):
        if export == "baseline":
            from sqlalchemy import text

            from lti_tool.extensions import db

            db().execute(text("SELECT 1"))
        else:
            answer = views[export](SLUG)
            if isinstance(answer, str):
                size = len(answer.encode())
            else:
                for chunk in answer.response:
                    size += len(chunk)
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": elapsed, "peak_mib": peak_kib / 1024, "bytes": size}))


def measure(export: str, database_url: str, root: Path) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", export, "--database-url", database_url,
         "--root", str(root)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", choices=EXPORTS)
    parser.add_argument("--root", default="")
    parser.add_argument("--stop-postgres", action="store_true")
    args = parser.parse_args()
    if args.stop_postgres:
        stop_postgres()
        return
    root = Path(args.root or tempfile.mkdtemp(prefix="lti-bench-reports-"))
    database_url = args.database_url or private_postgres()
    if args.child:
        child(args.child, database_url, root)
        return
    generate(database_url, args.learners, root)
    rows = {export: [] for export in EXPORTS}  # type: dict[str, list[dict[str, float]]]
    for _ in range(args.repeats):
        for export in EXPORTS:  # interleaved, so noise hits every export alike
            rows[export].append(measure(export, database_url, root))
    base = statistics.median(r["peak_mib"] for r in rows["baseline"])
    print(f"\n{args.learners} learners; median of {args.repeats} fresh processes per export")
    print(f"{'export':<12} {'seconds':>8} {'peak RSS MiB':>13} {'over baseline':>14} {'size':>10}")
    for export, results in rows.items():
        seconds = statistics.median(r["seconds"] for r in results)
        peak = statistics.median(r["peak_mib"] for r in results)
        size = statistics.median(r["bytes"] for r in results)
        print(f"{export:<12} {seconds:>8.3f} {peak:>13.1f} {peak - base:>14.1f} {size:>10.0f}")


if __name__ == "__main__":
    main()
