"""``lti-tool activities validate PATH`` and ``lti-tool activities load [PATH]``.

PATH is one activity folder or a folder of activity folders (``configs/activities/``).
Issues and authoring warnings (``lti_tool.course.authoring``) print one per line as
``file:line: field: message`` with the file's path as given,
so editors and CI logs can jump to the line.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from lti_tool.catalog.service import (
    ActivitiesRefused,
    SignOffRefused,
    activity_folders,
    folder_warnings,
    load_folders,
    sign_off_version,
    validate_folder,
    who_ran,
)
from lti_tool.config import Settings
from lti_tool.course import ValidationIssue


def _located(folder: Path, issue: ValidationIssue) -> str:
    """The issue with its file given relative to where the command was pointed."""
    path = Path(issue.file)
    shown = issue.file if path.is_absolute() else str(folder / path)
    return str(ValidationIssue(shown, issue.line, issue.field, issue.message, issue.warning))


def _echo_refused(refused: ActivitiesRefused) -> None:
    for folder, issues in refused.folders.items():
        for issue in issues:
            click.echo(_located(folder, issue), err=True)
    click.echo(f"refused: {refused}", err=True)


@click.group()
def activities() -> None:
    """Activity folders: validate them, load them into the catalog."""


@activities.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Fail on authoring warnings too.")
def validate(path: Path, strict: bool) -> None:
    """Check activity folders; print every issue and authoring warning, and exit 1 if there
    is any issue (or, with --strict, any warning)."""
    folders = activity_folders(path)
    if not folders:
        click.echo(f"{path}: no activity folder here", err=True)
        sys.exit(1)
    failed = False
    for folder in folders:
        activity, issues = validate_folder(folder)
        for issue in issues:
            click.echo(_located(folder, issue))
        if activity is None:
            failed = True
            continue
        warnings = folder_warnings(folder)
        for warning in warnings:
            click.echo(_located(folder, warning))
        if warnings and strict:
            failed = True
            click.echo(f"{folder}: {len(warnings)} warning(s), refused by --strict")
            continue
        questions = len(activity.posttest.questions)
        click.echo(
            f"{folder}: ok ({activity.slug}, {len(activity.sections)} sections, "
            f"{questions} post-test questions, version {activity.version})"
        )
    if failed:
        sys.exit(1)


@activities.command("load")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def load(path: Path | None) -> None:
    """Load activity folders into the catalog (default: LTI_TOOL_ACTIVITIES_DIR)."""
    from lti_tool.db import open_database, transaction

    settings = Settings.from_env()
    source = path or settings.activities_dir
    folders = activity_folders(source)
    if not folders:
        click.echo(f"{source}: no activity folder here", err=True)
        sys.exit(1)
    try:
        with open_database(settings.database_url) as factory, transaction(factory) as session:
            loaded = load_folders(session, folders, loaded_by=who_ran(f"activities load {source}"))
            for item in loaded:
                version = item.version
                click.echo(f"{version.slug}: {item.change} ({version.content_hash[:12]})")
    except ActivitiesRefused as refused:
        _echo_refused(refused)
        sys.exit(1)


@activities.command("approve")
@click.argument("slug")
@click.option("--reviewer", required=True, help="The reviewer who signs the content off.")
@click.option(
    "--date",
    "signed_on",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Date of the sign-off, YYYY-MM-DD.",
)
def approve(slug: str, reviewer: str, signed_on: datetime) -> None:
    """Sign off the current version of SLUG: it stops being a demonstration."""
    from lti_tool.db import open_database, transaction

    settings = Settings.from_env()
    try:
        with open_database(settings.database_url) as factory, transaction(factory) as session:
            sign_off = sign_off_version(session, slug, reviewer, signed_on.date())
            version = sign_off.activity_version
            click.echo(
                f"{slug}: version {version.content_hash[:12]} signed off by "
                f"{sign_off.reviewer} on {sign_off.signed_on.isoformat()}"
            )
    except SignOffRefused as refused:
        click.echo(f"{slug}: not signed off: {refused}", err=True)
        sys.exit(1)
