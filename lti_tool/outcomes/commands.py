"""``lti-tool reports recount-outcomes [--activity SLUG]``: rebuild the outcomes tallies from
the stored answers.

The journey keeps the tallies as it stores first post-tests and evaluations; rows written any
other way (a bulk import, a hand-repaired attempt, a restore of part of a backup) are not in
them until this runs. It replaces each readable version's tallies in one transaction, so a
report read meanwhile sees the old figures or the new ones, never a mix.
"""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_tool.catalog.cache import activity_for_version
from lti_tool.config import Settings
from lti_tool.course import Activity, ActivityInvalid
from lti_tool.db import open_database
from lti_tool.models import ActivityVersion
from lti_tool.outcomes.tallies import evaluation_counts, pair_counts, recount


def _learners_tallied(session: Session, version_ids: list[int]) -> tuple[int, int]:
    """(paired item answers, evaluation answers) in the versions' tallies, all days."""
    pairs = sum(
        counts.pairs
        for version_id in version_ids
        for counts in pair_counts(session, version_id, None, None).values()
    )
    answers = evaluation_counts(session, version_ids, None, None).values()
    return pairs, sum(sum(per_answer.values()) for per_answer in answers)


@click.command("recount-outcomes")
@click.option("--activity", "slug", default=None, help="Only this activity's versions (slug).")
def recount_outcomes(slug: str | None) -> None:
    """Rebuild the outcomes report's tallies from the stored answers."""
    settings = Settings.from_env()
    with open_database(settings.database_url) as factory, factory.begin() as session:
        query = select(ActivityVersion).order_by(ActivityVersion.id)
        if slug is not None:
            query = query.where(ActivityVersion.slug == slug)
        versions = session.scalars(query).all()
        if not versions:
            raise click.ClickException(
                f"no stored version of activity {slug!r}" if slug else "no activity is loaded"
            )
        readable: dict[int, Activity] = {}
        for version in versions:
            try:
                readable[version.id] = activity_for_version(version)
            except ActivityInvalid as exc:
                click.echo(
                    f"skipped {version.slug} version {version.id}: this code cannot read it "
                    f"({exc}); the report counts its learners apart.",
                    err=True,
                )
        ids = list(readable)
        before = _learners_tallied(session, ids)
        recount(session, readable)
        session.flush()
        after = _learners_tallied(session, ids)
    click.echo(
        f"recounted {len(ids)} version(s): paired item answers {before[0]} -> {after[0]}, "
        f"evaluation answers {before[1]} -> {after[1]}"
    )
