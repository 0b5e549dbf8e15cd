"""Recording a validated launch: the deployment, user, course, resource link and launch.

Runs only after every check passed, inside the request's transaction, so a refused
launch writes no user, course, link or launch.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, literal_column, select, update
from sqlalchemy.orm import Session

from lti_tool import protocol
from lti_tool.db import find_or_insert_row, utcnow
from lti_tool.journey import participation_read
from lti_tool.launch.errors import DeploymentPending, ReplayedLaunch, UnknownDeployment
from lti_tool.launch.storage import (
    STATE_USED_NOW,
    LoginStateData,
    sweep_now_and_then,
    use_up_params,
)
from lti_tool.models import (
    Context,
    Deployment,
    DeploymentStatus,
    Launch,
    Registration,
    ResourceLink,
    User,
)
from lti_tool.outbound import is_service_url, service_origins

log = logging.getLogger(__name__)


def _nothing() -> None:
    pass


_deployments = cast(Table, Deployment.__table__)
_FIND_DEPLOYMENT = select(_deployments.c.id, _deployments.c.status).where(
    _deployments.c.registration_id == bindparam("registration_id"),
    _deployments.c.deployment_id == bindparam("deployment_id"),
)


def resolve_deployment(
    session: Session,
    registration: Registration,
    deployment_id: str,
    known: KnownRows | None = None,
    before_writing: Callable[[], None] = _nothing,
) -> int:
    """The active deployment's primary key, or a refusal. A first-seen deployment is
    recorded: approved at once where the operator trusts the registration, otherwise
    pending until approved. ``known``: the launch's rows, read already; ``before_writing``
    is called before anything is written (see ``prepare_launch``)."""
    deployment = known.deployment if known else None
    if deployment is None:
        found = session.connection().execute(
            _FIND_DEPLOYMENT, {"registration_id": registration.id, "deployment_id": deployment_id}
        )
        deployment = found.first()
    if deployment is None:
        if not registration.auto_approve_deployments:
            raise UnknownDeployment(f"deployment {deployment_id!r} is not registered")
        before_writing()
        added = Deployment(
            registration_id=registration.id,
            deployment_id=deployment_id,
            status=DeploymentStatus.ACTIVE,
        )
        session.add(added)
        session.flush()
        return added.id
    if deployment.status is DeploymentStatus.PENDING:
        raise DeploymentPending(f"deployment {deployment_id!r} awaits approval")
    if deployment.status is not DeploymentStatus.ACTIVE:
        raise UnknownDeployment(f"deployment {deployment_id!r} is disabled")
    return int(deployment.id)


def record_pending_deployment(
    session: Session, registration: Registration, deployment_id: str
) -> None:
    """Remember an unknown deployment so an operator can approve it from the console."""
    exists = session.scalar(
        select(Deployment.id).where(
            Deployment.registration_id == registration.id,
            Deployment.deployment_id == deployment_id,
        )
    )
    if exists is None:
        session.add(
            Deployment(
                registration_id=registration.id,
                deployment_id=deployment_id,
                status=DeploymentStatus.PENDING,
            )
        )


# The launch's rows, read and written as plain statements built once: the ORM's unit of
# work cost more than the statements themselves on this path, which every launch takes.
_users, _contexts, _links, _launches = (
    cast(Table, model.__table__) for model in (User, Context, ResourceLink, Launch)
)
_FIND_USER = select(
    _users.c.id, _users.c.name, _users.c.given_name, _users.c.family_name, _users.c.email
).where(_users.c.issuer == bindparam("issuer"), _users.c.sub == bindparam("sub"))
_FIND_CONTEXT = select(_contexts.c.id, _contexts.c.label, _contexts.c.title).where(
    _contexts.c.registration_id == bindparam("registration_id"),
    _contexts.c.context_id == bindparam("context_id"),
)
_FIND_LINK = select(
    _links.c.id,
    _links.c.context_pk,
    _links.c.title,
    _links.c.activity_slug,
    _links.c.lineitem_url,
    _links.c.lineitems_url,
    _links.c.ags_scopes,
    _links.c.nrps_url,
).where(
    _links.c.registration_id == bindparam("registration_id"),
    _links.c.resource_link_id == bindparam("resource_link_id"),
)
_INSERT_LAUNCH = insert(_launches)

# A returning learner's launch finds its deployment, user, course and link recorded: one
# statement reads all four (each by its unique key, so at most one row each) instead of a
# round trip apiece, joining each table on its own find's condition. Whatever it does not
# find is then found or inserted on its own.
_FINDS = {
    "deployment": (_deployments, _FIND_DEPLOYMENT),
    "user": (_users, _FIND_USER),
    "context": (_contexts, _FIND_CONTEXT),
    "link": (_links, _FIND_LINK),
}
_known_from = reduce(
    lambda joined, table_and_find: joined.outerjoin(
        table_and_find[0], table_and_find[1].whereclause
    ),
    _FINDS.values(),
    cast(Any, select(literal_column("1").label("one")).subquery("one_row")),
)
# With them, the learner's participation in the link's activity, which the launch's first
# page shows (``participation_read``): one row per attempt, one when there is none.
_KNOWN = (
    select(
        *(
            column.label(f"{part}__{column.name}")
            for part, (_table, find) in _FINDS.items()
            for column in find.selected_columns
        ),
        *participation_read.COLUMNS,
    )
    .select_from(participation_read.joined_to(_known_from, _users.c.id, _links.c.activity_slug))
    .order_by(participation_read.ORDER_BY)
)


@dataclass(frozen=True)
class KnownRows:
    """The launch's rows already recorded (None: not recorded yet), and the rows of the
    learner's participation in the link's activity when both were."""

    deployment: Any
    user: Any
    context: Any
    link: Any
    participation_rows: Sequence[Any] = ()


def _claim_id(claim: Any) -> str | None:
    return str(claim["id"]) if isinstance(claim, dict) and claim.get("id") else None


def read_known(session: Session, registration: Registration, claims: dict[str, Any]) -> KnownRows:
    rows = [
        row._mapping
        for row in session.connection().execute(
            _KNOWN,
            {
                "registration_id": registration.id,
                "deployment_id": claims[protocol.CLAIM_DEPLOYMENT_ID],
                "issuer": registration.issuer,
                "sub": str(claims["sub"]),
                "context_id": _claim_id(claims.get(protocol.CLAIM_CONTEXT)),
                "resource_link_id": _claim_id(claims.get(protocol.CLAIM_RESOURCE_LINK)),
            },
        )
    ]
    found = rows[0]
    parts: dict[str, Any] = {}
    for part, (_table, find) in _FINDS.items():
        values = {column.name: found[f"{part}__{column.name}"] for column in find.selected_columns}
        parts[part] = SimpleNamespace(**values) if values["id"] is not None else None
    return KnownRows(**parts, participation_rows=rows)


def read_participation_ahead(session: Session, known: KnownRows, launch: RecordedLaunch) -> None:
    """Hand the participation read with the launch's rows to its first page, if that read
    was of this learner and activity. A new learner has none (a tab that starts it at the
    same moment is met by the participation's insert-if-absent). A link given its activity
    by this launch was read without it."""
    user, link, slug = known.user, known.link, launch.activity_slug
    if not slug:
        return
    if user is None:
        participation_read.read_ahead(session, launch.user_id, slug, ())
        return
    if link is None:
        return
    if (user.id, link.activity_slug) != (launch.user_id, slug):
        return
    participation_read.read_ahead(session, launch.user_id, slug, known.participation_rows)


@dataclass(frozen=True)
class RecordedLaunch:
    """The launch as recorded: its id and the rows it points at."""

    id: str
    user_id: int
    context_pk: int | None
    resource_link_pk: int | None
    activity_slug: str | None
    message_type: str
    role: str


@dataclass(frozen=True)
class RecordedRows:
    """The columns of the launch's user, course and link as the launch leaves them (each
    by its natural key, what was read, and what was written), so its first page needs no
    second read of them (``LaunchTokens.hand_over``). Columns not listed are read if used."""

    user: dict[str, Any]
    context: dict[str, Any] | None
    link: dict[str, Any] | None


def _update_changed(
    session: Session,
    table: Table,
    row: Any,
    key: dict[str, Any],
    wanted: dict[str, Any],
    before_writing: Callable[[], None],
) -> dict[str, Any]:
    """Write what changed; return the row's columns as they now are."""
    columns = row._asdict() if hasattr(row, "_asdict") else dict(vars(row))
    changed = {name: value for name, value in wanted.items() if columns[name] != value}
    if changed:
        before_writing()
        session.connection().execute(update(table).where(table.c.id == row.id).values(**changed))
    return {**key, **columns, **wanted}


def _known_or_found(
    session: Session,
    known: Any,
    table: Table,
    find: Any,
    key: dict[str, Any],
    defaults: dict[str, Any],
    *,
    read: bool,
    before_writing: Callable[[], None],
) -> Any:
    """The row ``read_known`` found; else (a first launch, or nothing read) the row
    inserted or found."""
    if known is not None:
        return known
    before_writing()
    return find_or_insert_row(session, table, find, key, defaults, just_missed=read)


def _upsert_user(
    session: Session,
    issuer: str,
    claims: dict[str, Any],
    known: Any,
    read: bool,
    before_writing: Callable[[], None],
) -> dict[str, Any]:
    # Name and email are optional claims (Canvas omits email under some privacy settings);
    # keep what we had rather than blanking it.
    wanted: dict[str, Any] = {}
    for field in ("name", "given_name", "family_name", "email"):
        value = claims.get(field)
        if isinstance(value, str) and value.strip():
            wanted[field] = value.strip()[: 255 if field != "email" else 320]
    key = {"issuer": issuer, "sub": str(claims["sub"])}
    user = _known_or_found(
        session, known, _users, _FIND_USER, key, wanted, read=read, before_writing=before_writing
    )
    return _update_changed(session, _users, user, key, wanted, before_writing)


def _upsert_context(
    session: Session,
    registration: Registration,
    claim: Any,
    known: Any,
    read: bool,
    before_writing: Callable[[], None],
) -> dict[str, Any] | None:
    if not isinstance(claim, dict) or not claim.get("id"):
        return None  # a launch without a course (e.g. from a user's own space) is allowed
    wanted = {
        "label": str(claim.get("label") or "")[:255],
        "title": str(claim.get("title") or "")[:1024],
    }
    key = {"registration_id": registration.id, "context_id": str(claim["id"])}
    context = _known_or_found(
        session,
        known,
        _contexts,
        _FIND_CONTEXT,
        key,
        wanted,
        read=read,
        before_writing=before_writing,
    )
    return _update_changed(session, _contexts, context, key, wanted, before_writing)


def _service_url(
    registration: Registration, value: Any, claim: str, warnings: list[str]
) -> str | None:
    """A service URL from a launch claim, kept only on the registration's own origins.

    Another origin is ignored and noted for the operator: a platform's launch (or a
    platform registered through a trick) must not make the tool send scores or its access
    tokens to a third party.
    """
    if not isinstance(value, str) or not value:
        return None
    origins = service_origins(
        registration.issuer, registration.auth_token_url, registration.key_set_url
    )
    if is_service_url(value, origins):
        return value
    warnings.append(
        f"Ignored the {claim} URL {value[:300]}: it is not on the platform's own site "
        f"({', '.join(sorted(origins))}), so no score or roster call goes there."
    )
    return None


def _upsert_resource_link(
    session: Session,
    registration: Registration,
    context_pk: int | None,
    claims: dict[str, Any],
    warnings: list[str],
    known: Any,
    read: bool,
    before_writing: Callable[[], None],
) -> dict[str, Any] | None:
    claim = claims.get(protocol.CLAIM_RESOURCE_LINK)
    if not isinstance(claim, dict) or not claim.get("id"):
        return None
    key = {"registration_id": registration.id, "resource_link_id": str(claim["id"])}
    link = _known_or_found(
        session,
        known,
        _links,
        _FIND_LINK,
        key,
        {"ags_scopes": []},
        read=read,
        before_writing=before_writing,
    )
    wanted: dict[str, Any] = {
        "context_pk": context_pk,
        "title": str(claim.get("title") or "")[:1024],
    }
    custom = claims.get(protocol.CLAIM_CUSTOM)
    chosen = custom.get("activity") if isinstance(custom, dict) else None
    if isinstance(chosen, str) and chosen and not link.activity_slug:
        # Placed by Deep Linking: the content item named its activity in a custom parameter.
        wanted["activity_slug"] = chosen
    ags = claims.get(protocol.CLAIM_AGS_ENDPOINT)
    if isinstance(ags, dict):
        lineitem = _service_url(registration, ags.get("lineitem"), "AGS lineitem", warnings)
        lineitems = _service_url(registration, ags.get("lineitems"), "AGS lineitems", warnings)
        wanted["lineitem_url"] = lineitem or link.lineitem_url
        wanted["lineitems_url"] = lineitems or link.lineitems_url
        wanted["ags_scopes"] = [s for s in ags.get("scope", []) if isinstance(s, str)]
    nrps = claims.get(protocol.CLAIM_NRPS)
    if isinstance(nrps, dict):
        memberships = _service_url(
            registration, nrps.get("context_memberships_url"), "NRPS memberships", warnings
        )
        wanted["nrps_url"] = memberships or link.nrps_url
    return _update_changed(session, _links, link, key, wanted, before_writing)


def prepare_launch(
    session: Session,
    registration: Registration,
    deployment_pk: int,
    claims: dict[str, Any],
    ttl_seconds: int,
    known: KnownRows | None = None,
    before_writing: Callable[[], None] = _nothing,
) -> tuple[RecordedLaunch, dict[str, Any], RecordedRows]:
    """Record the launch's user, course and link; return the launch, its row, which
    :func:`insert_launch` writes (last, so a write transaction stays short), and the rows
    it points at. ``known``: the rows :func:`read_known` found (each one missing is found
    or inserted here). ``before_writing`` is called before the first row is inserted or
    changed, if one is: a returning learner's launch usually writes none of them."""
    read = known is not None
    known = known or KnownRows(None, None, None, None)
    user = _upsert_user(session, registration.issuer, claims, known.user, read, before_writing)
    user_id = int(user["id"])
    context = _upsert_context(
        session,
        registration,
        claims.get(protocol.CLAIM_CONTEXT),
        known.context,
        read,
        before_writing,
    )
    context_pk = int(context["id"]) if context else None
    warnings: list[str] = []
    link = _upsert_resource_link(
        session, registration, context_pk, claims, warnings, known.link, read, before_writing
    )
    for warning in warnings:
        log.warning("launch from %s: %s", registration.issuer, warning)
    roles = [r for r in claims.get(protocol.CLAIM_ROLES, []) if isinstance(r, str)]
    now = utcnow()
    recorded = RecordedLaunch(
        id=uuid.uuid4().hex,
        user_id=user_id,
        context_pk=context_pk,
        resource_link_pk=int(link["id"]) if link else None,
        activity_slug=link["activity_slug"] if link else None,
        message_type=claims[protocol.CLAIM_MESSAGE_TYPE],
        role=protocol.classify_roles(roles),
    )
    row = {
        "id": recorded.id,
        "registration_id": registration.id,
        "deployment_pk": deployment_pk,
        "user_id": user_id,
        "context_pk": context_pk,
        "resource_link_pk": recorded.resource_link_pk,
        "message_type": recorded.message_type,
        "role": recorded.role,
        "roles": roles,
        "claims": claims,
        "warnings": warnings,
        "created_at": now,
        "expires_at": now + dt.timedelta(seconds=ttl_seconds),
    }
    return recorded, row, RecordedRows(user, context, link)


def insert_launch(session: Session, row: dict[str, Any]) -> None:
    session.connection().execute(_INSERT_LAUNCH, row)


# PostgreSQL: the launch inserted only if its state was not used yet, and the state used up,
# in one statement (a data-modifying WITH): atomic outside a transaction too.
_launch_columns = list(_launches.columns)
_INSERT_LAUNCH_USING_UP = (
    insert(_launches)
    .from_select(
        _launch_columns,
        select(
            *(bindparam(column.name, type_=column.type) for column in _launch_columns)
        ).select_from(STATE_USED_NOW),
    )
    .returning(_launches.c.id)
)


def insert_launch_using_up(
    session: Session, row: dict[str, Any], login_state: LoginStateData
) -> None:
    """:func:`insert_launch` and :func:`storage.use_up` in one statement (PostgreSQL)."""
    inserted = session.connection().execute(
        _INSERT_LAUNCH_USING_UP, {**row, **use_up_params(login_state)}
    )
    if inserted.first() is None:
        raise ReplayedLaunch("this state and nonce were already used")
    sweep_now_and_then(session)


def record_launch(
    session: Session,
    registration: Registration,
    deployment_pk: int,
    claims: dict[str, Any],
    ttl_seconds: int,
) -> RecordedLaunch:
    """The launch and its rows, recorded in the session's transaction."""
    recorded, row, _rows = prepare_launch(session, registration, deployment_pk, claims, ttl_seconds)
    insert_launch(session, row)
    return recorded
