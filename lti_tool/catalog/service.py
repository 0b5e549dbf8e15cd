"""Loading activity folders into ``ActivityVersion`` rows, and what the catalog offers.

Rules (docs/activity-format.md is the folder contract):

- A version is identified by the domain loader's content hash of the folder's files.
  Reloading an unchanged folder changes nothing.
- An edited folder becomes a new row marked current; older rows stay, because a learner's
  participation and attempts name the version they were taken on (accreditors ask for six
  years of records). Restoring earlier content makes that earlier row current again.
- Every folder is validated before any row is written. One invalid folder refuses the
  whole load with every issue of every folder, so the catalog is never half-loaded.
- Files are stored as UTF-8 text, the folder's name must be its slug, and both are checked
  here because the domain loader accepts any bytes and any folder name.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.catalog.cache import activity_for_version
from lti_tool.catalog.version_rows import current_version
from lti_tool.course import (
    Activity,
    ActivityInvalid,
    CreditDesignation,
    ValidationIssue,
    activity_from_files,
    activity_window,
    authoring_warnings,
    read_activity_files,
    validate_files,
)
from lti_tool.models import ActivitySignOff, ActivityVersion, AuditEvent

ACTIVITY_FILE = "activity.yaml"


class ActivitiesRefused(Exception):
    """At least one folder is invalid; nothing was loaded. ``folders`` maps each refused
    folder to its issues (file paths inside an issue are relative to that folder)."""

    def __init__(self, folders: dict[Path, tuple[ValidationIssue, ...]]) -> None:
        self.folders = folders
        count = sum(len(issues) for issues in folders.values())
        names = ", ".join(str(folder) for folder in folders)
        super().__init__(f"{count} issue(s) in {names}; nothing was loaded")


class Change(enum.StrEnum):
    NEW = "new version"
    UNCHANGED = "unchanged"
    RESTORED = "earlier version made current"


@dataclass(frozen=True)
class LoadedVersion:
    version: ActivityVersion
    change: Change


@dataclass(frozen=True)
class CatalogEntry:
    """An activity an instructor may place today (released, not expired)."""

    slug: str
    title: str
    version_id: int
    content_hash: str
    credits: tuple[CreditDesignation, ...]
    release_date: date
    expiration_date: date

    @property
    def max_credits(self) -> Decimal:
        return max(designation.max_credits for designation in self.credits)


def activity_folders(path: str | Path) -> list[Path]:
    """``path`` itself when it is an activity folder, else its non-hidden sub-folders."""
    root = Path(path)
    if (root / ACTIVITY_FILE).is_file():
        return [root]
    if not root.is_dir():
        return []
    return sorted(
        child for child in root.iterdir() if child.is_dir() and not child.name.startswith(".")
    )


def _text_issues(files: dict[str, bytes]) -> list[ValidationIssue]:
    issues = []
    for name, body in files.items():
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = body[: exc.start].count(b"\n") + 1
            issues.append(
                ValidationIssue(name, line, None, "not UTF-8 text; only text files can be stored")
            )
    return issues


def _line_of(files: dict[str, bytes], name: str, prefix: str) -> int | None:
    text = files.get(name, b"").decode("utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(prefix):
            return number
    return None


def validate_folder(folder: str | Path) -> tuple[Activity | None, list[ValidationIssue]]:
    """The folder's ``Activity`` if it would load, and every issue found otherwise."""
    folder = Path(folder)
    try:
        files = read_activity_files(folder)
    except ActivityInvalid as exc:
        return None, list(exc.issues)
    issues = _text_issues(files)
    issues += validate_files(files)
    if issues:
        return None, issues
    activity = activity_from_files(files)
    if activity.slug != folder.name:
        line = _line_of(files, ACTIVITY_FILE, "slug:")
        message = f"the folder is named {folder.name!r}; name it after the slug"
        return None, [ValidationIssue(ACTIVITY_FILE, line, "slug", message)]
    return activity, []


def folder_warnings(folder: str | Path) -> list[ValidationIssue]:
    """The authoring checks' warnings of a folder that validates (course/authoring.py)."""
    return authoring_warnings(read_activity_files(Path(folder)))


def _store(session: Session, activity: Activity, folder: Path, loaded_by: str) -> LoadedVersion:
    existing = session.scalar(
        select(ActivityVersion).where(
            ActivityVersion.slug == activity.slug,
            ActivityVersion.content_hash == activity.content_hash,
        )
    )
    if existing is not None and existing.is_current:
        return LoadedVersion(existing, Change.UNCHANGED)
    for older in session.scalars(
        select(ActivityVersion).where(
            ActivityVersion.slug == activity.slug, ActivityVersion.is_current.is_(True)
        )
    ):
        older.is_current = False
    if existing is not None:
        existing.is_current = True
        return LoadedVersion(existing, Change.RESTORED)
    version = ActivityVersion(
        slug=activity.slug,
        content_hash=activity.content_hash,
        title=activity.title,
        files={name: body.decode("utf-8") for name, body in activity.files.items()},
        source_dir=str(folder),
        is_current=True,
        loaded_by=loaded_by[:512],
    )
    session.add(version)
    session.flush()
    return LoadedVersion(version, Change.NEW)


def load_folders(
    session: Session, folders: Sequence[Path], loaded_by: str = ""
) -> list[LoadedVersion]:
    """Validate every folder, then store each (see the module docstring for the rules)."""
    valid: list[tuple[Activity, Path]] = []
    refused: dict[Path, tuple[ValidationIssue, ...]] = {}
    for folder in folders:
        activity, issues = validate_folder(folder)
        if activity is None:
            refused[folder] = tuple(issues)
        else:
            valid.append((activity, folder))
    if refused:
        raise ActivitiesRefused(refused)
    return [_store(session, activity, folder, loaded_by) for activity, folder in valid]


def load_activities(
    session: Session, activities_dir: str | Path, loaded_by: str = ""
) -> list[ActivityVersion]:
    """Load every activity folder under ``activities_dir`` (or that folder itself).

    Raises ``ActivitiesRefused`` without writing anything when any folder is invalid or
    when ``activities_dir`` does not exist.
    """
    root = Path(activities_dir)
    if not root.is_dir():
        issue = ValidationIssue(str(root), None, None, "no such folder")
        raise ActivitiesRefused({root: (issue,)})
    return [loaded.version for loaded in load_folders(session, activity_folders(root), loaded_by)]


class SignOffRefused(Exception):
    """The sign-off cannot be recorded; the message says why and what to do."""


ACTIVITY_SIGNED_OFF = "activity_signed_off"


def sign_off_version(
    session: Session, slug: str, reviewer: str, signed_on: date
) -> ActivitySignOff:
    """Record ``reviewer``'s sign-off of the current version of ``slug``, and audit it.

    The sign-off names the version's content hash: an edited folder is a new version and a
    demonstration again until it is signed off in turn.
    """
    name = reviewer.strip()
    if not name:
        raise SignOffRefused("name the reviewer who signs the content off (--reviewer)")
    version = current_version(session, slug)
    if version is None:
        raise SignOffRefused(f"no activity {slug!r} is loaded: run lti-tool activities load first")
    if version.sign_off is not None:
        raise SignOffRefused(
            f"{slug} version {version.content_hash[:12]} was already signed off by "
            f"{version.sign_off.reviewer} on {version.sign_off.signed_on.isoformat()}"
        )
    sign_off = ActivitySignOff(activity_version=version, reviewer=name, signed_on=signed_on)
    session.add(sign_off)
    session.add(
        AuditEvent(
            event=ACTIVITY_SIGNED_OFF,
            details={
                "slug": slug,
                "content_hash": version.content_hash,
                "reviewer": name,
                "signed_on": signed_on.isoformat(),
            },
        )
    )
    session.flush()
    return sign_off


def current_versions(session: Session) -> list[ActivityVersion]:
    """The current, unretired version of every activity."""
    return list(
        session.scalars(
            select(ActivityVersion).where(
                ActivityVersion.is_current.is_(True), ActivityVersion.retired_at.is_(None)
            )
        )
    )


def open_catalog(session: Session, now: datetime) -> list[CatalogEntry]:
    """Current activities that are released and not expired at ``now``, by title."""
    entries = []
    for version in current_versions(session):
        activity = activity_for_version(version)
        window = activity_window(activity.meta)
        if window.is_released(now) and not window.is_expired(now):
            meta = activity.meta
            entries.append(
                CatalogEntry(
                    slug=activity.slug,
                    title=activity.title,
                    version_id=version.id,
                    content_hash=version.content_hash,
                    credits=meta.credits,
                    release_date=meta.release_date,
                    expiration_date=meta.expiration_date,
                )
            )
    return sorted(entries, key=lambda entry: (entry.title.casefold(), entry.slug))


def who_ran(command: str) -> str:
    """What the console shows as "loaded by": the command, the account and the host."""
    import getpass
    import socket

    try:
        account = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        account = "unknown"
    return f"lti-tool {command} ({account}@{socket.gethostname()})"


def retire_version(
    session: Session, version: ActivityVersion, operator: str, now: datetime
) -> None:
    """Close the version to new learners; learners who started it keep going."""
    version.retired_at, version.retired_by = now, operator[:255]


def reopen_version(session: Session, version: ActivityVersion) -> None:
    version.retired_at, version.retired_by = None, ""
