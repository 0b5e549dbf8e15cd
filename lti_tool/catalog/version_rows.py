"""An activity version and its sign-off read as plain columns, and handed to the session as
loaded rows (``db.as_loaded``, the relationship set as loaded).

An ORM query with a joined eager load builds its row processors on every execution, which
cost more than the read itself on a learner's first launch. The version's ``files`` (the
activity's whole content) are left out: they are read on first use, only by a process that
has not built the activity yet (``catalog.cache``). ``journey.participation_read`` reads
the same columns with a learner's participation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from lti_tool.db import as_loaded, keys_of, labelled, table_of, values_of
from lti_tool.models import ActivitySignOff, ActivityVersion

_versions, _sign_offs = table_of(ActivityVersion), table_of(ActivitySignOff)

VERSION_COLUMNS = labelled(ActivityVersion, "version__", ("files",))
SIGN_OFF_COLUMNS = labelled(ActivitySignOff, "sign_off__")
_VERSION_KEYS, _SIGN_OFF_KEYS = keys_of(VERSION_COLUMNS), keys_of(SIGN_OFF_COLUMNS)


def loaded_version(session: Session, row: Mapping[Any, Any]) -> ActivityVersion:
    """The version (and its sign-off, or None) in ``row``'s labelled columns, in ``session``
    as a query would leave it. A version the session holds already is returned as it is."""
    version = as_loaded(session, ActivityVersion, values_of(row, _VERSION_KEYS))
    if "sign_off" not in version.__dict__:
        signed = values_of(row, _SIGN_OFF_KEYS)
        sign_off = as_loaded(session, ActivitySignOff, signed) if signed["id"] is not None else None
        if sign_off is not None:
            set_committed_value(sign_off, "activity_version", version)
        set_committed_value(version, "sign_off", sign_off)
    return version


# Built once (a new learner's first launch runs it).
_CURRENT_VERSION = (
    select(*VERSION_COLUMNS, *SIGN_OFF_COLUMNS)
    .select_from(
        _versions.outerjoin(_sign_offs, _sign_offs.c.activity_version_id == _versions.c.id)
    )
    .where(_versions.c.slug == bindparam("slug"), _versions.c.is_current.is_(True))
    .order_by(_versions.c.id.desc())
    .limit(1)
)


def current_version(session: Session, slug: str) -> ActivityVersion | None:
    """The current version of activity ``slug`` with its sign-off, or None."""
    if session.autoflush:
        session.flush()  # as an ORM query would: a version just added is found (clean: free)
    row = session.connection().execute(_CURRENT_VERSION, {"slug": slug}).first()
    return loaded_version(session, row._mapping) if row is not None else None
