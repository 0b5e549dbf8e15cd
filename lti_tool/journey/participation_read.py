"""A learner's participation as every page reads it: with its version (and the version's
sign-off) and its attempts, oldest first, in one statement.

The LEFT JOINs run as a plain statement and the rows are put into the session as a query
would leave them (``db.as_loaded``, relationships set as loaded): SQLAlchemy's loader
builds a row processor per entity and strategy on every execution of an ORM query with
joined eager loads. The same joins can ride on another statement (``joined_to``): a launch
reads the participation with its own rows, and hands it to its first page
(``read_ahead``), one round trip instead of two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, FromClause, Table, bindparam, literal_column, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from lti_tool.catalog.version_rows import SIGN_OFF_COLUMNS, VERSION_COLUMNS, loaded_version
from lti_tool.db import as_loaded, keys_of, labelled, values_of
from lti_tool.models import ActivitySignOff, ActivityVersion, Attempt, Participation

_participations, _versions, _sign_offs, _attempts = (
    cast(Table, model.__table__)
    for model in (Participation, ActivityVersion, ActivitySignOff, Attempt)
)
# A row's columns, each labelled with its part's prefix (the version's leave out its files:
# the activity's whole content, read only when the process has not built it yet).
_PARTICIPATION_COLUMNS = labelled(Participation, "participation__")
_ATTEMPT_COLUMNS = labelled(Attempt, "attempt__")
COLUMNS = [*_PARTICIPATION_COLUMNS, *VERSION_COLUMNS, *SIGN_OFF_COLUMNS, *_ATTEMPT_COLUMNS]
_PARTICIPATION_KEYS, _ATTEMPT_KEYS = keys_of(_PARTICIPATION_COLUMNS), keys_of(_ATTEMPT_COLUMNS)
# The rows of one participation come in attempt order (one row when it has none).
ORDER_BY = _attempts.c.id


def joined_to(
    from_clause: Any, user_id: ColumnElement[Any], slug: ColumnElement[Any]
) -> FromClause:
    """``from_clause`` LEFT JOINed to the participation of ``user_id`` in activity ``slug``
    and its version, sign-off and attempts (select ``COLUMNS``, order by ``ORDER_BY``)."""
    return cast(
        FromClause,
        from_clause.outerjoin(
            _participations,
            (_participations.c.user_id == user_id) & (_participations.c.activity_slug == slug),
        )
        .outerjoin(_versions, _versions.c.id == _participations.c.activity_version_id)
        .outerjoin(_sign_offs, _sign_offs.c.activity_version_id == _versions.c.id)
        .outerjoin(_attempts, _attempts.c.participation_id == _participations.c.id),
    )


# Built once: its construction costs as much as running it. One row of NULLs when the
# learner has no participation (a LEFT JOIN from a one-row select, as on a launch's read).
_READ = (
    select(*COLUMNS)
    .select_from(
        joined_to(
            select(literal_column("1").label("one")).subquery("one_row"),
            bindparam("user_id"),
            bindparam("slug"),
        )
    )
    .order_by(ORDER_BY)
)
_PARTICIPATION_MAPPER = sa_inspect(Participation)
_READ_AHEAD = "lti_tool.participation_read_ahead"


@dataclass(frozen=True)
class _ReadAhead:
    user_id: int
    slug: str
    rows: Sequence[Any]


def read_ahead(session: Session, user_id: int, slug: str, rows: Sequence[Any]) -> None:
    """Keep the participation rows another statement read (``joined_to``) for the next
    :func:`find_participation` of this learner and activity in ``session`` (once)."""
    session.info[_READ_AHEAD] = _ReadAhead(user_id, slug, rows)


def find_participation(session: Session, user_id: int, slug: str) -> Participation | None:
    """The learner's participation in activity ``slug``, its version, sign-off and attempts
    loaded; ``None`` if they have not started it."""
    ahead: _ReadAhead | None = session.info.pop(_READ_AHEAD, None)
    if ahead is not None and (ahead.user_id, ahead.slug) == (user_id, slug):
        rows = ahead.rows
    else:
        params = {"user_id": user_id, "slug": slug}
        rows = [row._mapping for row in session.connection().execute(_READ, params)]
    return _participation(session, rows)


def _participation(session: Session, rows: Sequence[Any]) -> Participation | None:
    if not rows or rows[0]["participation__id"] is None:
        return None
    values = values_of(rows[0], _PARTICIPATION_KEYS)
    held = session.identity_map.get(
        _PARTICIPATION_MAPPER.identity_key_from_primary_key((values["id"],))
    )
    if held is not None:
        # A query would keep what the session holds (and its unflushed changes): so do we.
        return cast(Participation, held)
    participation = as_loaded(session, Participation, values)
    version = loaded_version(session, rows[0])
    attempts = []
    for row in rows:
        taken = values_of(row, _ATTEMPT_KEYS)
        if taken["id"] is not None:
            attempt = as_loaded(session, Attempt, taken)
            set_committed_value(attempt, "participation", participation)
            attempts.append(attempt)
    set_committed_value(participation, "activity_version", version)
    set_committed_value(participation, "attempts", attempts)
    return participation
