"""Finding or creating the line item of a placement whose launch named none.

AGS 2.0 §3.2 https://www.imsglobal.org/spec/lti-ags/v2p0/#line-item-service : when the AGS
claim has ``lineitems`` but no ``lineitem``, the tool looks for a line item with its
``resourceId`` (the activity) and creates one if there is none. The ``grade_line_items`` row
is both the result and a lock, so one dispatcher at a time (on any host) resolves a
placement and it never gets two line items.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from lti_tool.grades.ags import AgsClient, AgsError
from lti_tool.grades.outbox import score_pair_key
from lti_tool.models import ResourceLink
from lti_tool.models.grades import FailureKind, GradeLineItem, ScoreOutbox

log = logging.getLogger("lti_tool.grades")


@dataclass(frozen=True)
class Placement:
    """What a queued score knows about where it goes."""

    resource_link_pk: int | None
    lineitems_url: str | None
    resource_id: str
    label: str


class LineItemResolver:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Callable[[], dt.datetime],
        lock_seconds: float,
    ) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self.lock_seconds = lock_seconds

    def resolve(self, placement: Placement, client: AgsClient, owner: str) -> str:
        """The placement's line item URL; raises AgsError(WAITING) while another resolves it."""
        link_pk = placement.resource_link_pk
        if link_pk is None or not placement.lineitems_url:
            raise AgsError(
                FailureKind.PERMANENT,
                "the launch named no line item and no line item container to find one in",
            )
        known, locked = self._lock(link_pk, owner)
        if known:
            self.bind(link_pk, known)
            return known
        if not locked:
            raise AgsError(FailureKind.WAITING, "another dispatcher is finding the line item")
        resolved = False
        try:
            with self.session_factory() as session:
                link = session.get(ResourceLink, link_pk)
                resource_link_id = link.resource_link_id if link else None
            url, how = client.find_or_create_line_item(
                placement.lineitems_url,
                resource_id=placement.resource_id,
                resource_link_id=resource_link_id,
                label=placement.label,
            )
            with self.session_factory.begin() as session:
                session.execute(
                    update(GradeLineItem)
                    .where(GradeLineItem.resource_link_pk == link_pk)
                    .values(
                        line_item_url=url,
                        how=how,
                        resolved_at=self.clock(),
                        resolving_by=None,
                        resolving_until=None,
                    )
                )
            resolved = True
            log.info("resource link %s: %s line item %s", link_pk, how, url)
        finally:
            if not resolved:  # the next try (any dispatcher) may resolve it
                self._unlock(link_pk, owner)
        self.bind(link_pk, url)
        return url

    def _lock(self, link_pk: int, owner: str) -> tuple[str | None, bool]:
        """(the URL if already known, whether ``owner`` now holds the resolving lock)."""
        now = self.clock()
        with self.session_factory.begin() as session:
            dialect = session.get_bind().dialect.name
            insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
            session.execute(
                insert(GradeLineItem)
                .values(resource_link_pk=link_pk, created_at=now)
                .on_conflict_do_nothing(index_elements=["resource_link_pk"])
            )
            taken = session.execute(
                update(GradeLineItem)
                .where(
                    GradeLineItem.resource_link_pk == link_pk,
                    GradeLineItem.line_item_url.is_(None),
                    or_(
                        GradeLineItem.resolving_until.is_(None),
                        GradeLineItem.resolving_until < now,
                    ),
                )
                .values(
                    resolving_by=owner,
                    resolving_until=now + dt.timedelta(seconds=self.lock_seconds),
                )
                .returning(GradeLineItem.id)
            ).first()
            known = session.scalar(
                select(GradeLineItem.line_item_url).where(GradeLineItem.resource_link_pk == link_pk)
            )
        return known, taken is not None

    def _unlock(self, link_pk: int, owner: str) -> None:
        with self.session_factory.begin() as session:
            session.execute(
                update(GradeLineItem)
                .where(
                    GradeLineItem.resource_link_pk == link_pk, GradeLineItem.resolving_by == owner
                )
                .values(resolving_by=None, resolving_until=None)
            )

    def bind(self, link_pk: int, url: str) -> None:
        """Point the placement's waiting rows at its line item; their pair key changes from
        the placement to the line item, as for rows queued once the line item was known."""
        with self.session_factory.begin() as session:
            waiting = session.execute(
                select(ScoreOutbox.id, ScoreOutbox.user_id).where(
                    ScoreOutbox.resource_link_pk == link_pk,
                    ScoreOutbox.line_item_url.is_(None),
                )
            ).all()
            for row_id, user_id in waiting:
                session.execute(
                    update(ScoreOutbox)
                    .where(ScoreOutbox.id == row_id, ScoreOutbox.line_item_url.is_(None))
                    .values(line_item_url=url, pair_key=score_pair_key(user_id, url, link_pk))
                    .execution_options(synchronize_session=False)
                )
