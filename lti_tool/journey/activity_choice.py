"""Choosing the activity of a resource link that arrived without one.

A link placed by Deep Linking names its activity in a custom parameter; a link added by
hand in the LMS (or by an LMS without Deep Linking) names none, and the first instructor to
launch it chooses one, once, from the open catalog. Learners cannot choose.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from lti_tool.catalog import CatalogEntry, open_catalog
from lti_tool.journey import events
from lti_tool.journey.errors import NoResourceLink, NotInstructor
from lti_tool.launch.context import LaunchContext
from lti_tool.models import AuditEvent, ResourceLink


class NotInCatalog(ValueError):
    """The chosen slug is not an open activity (a stale page or a forged form)."""


def choose_activity(
    session: Session, launch: LaunchContext, slug: str, now: datetime
) -> CatalogEntry | None:
    """Set the link's activity if it has none yet; returns the chosen entry, or ``None``
    when the link already had an activity (another instructor was first)."""
    link = launch.resource_link
    if link is None:
        raise NoResourceLink()
    if not launch.is_instructor:
        raise NotInstructor()
    entry = next((e for e in open_catalog(session, now) if e.slug == slug), None)
    if entry is None:
        raise NotInCatalog(slug)
    result = session.execute(
        update(ResourceLink)
        .where(
            ResourceLink.id == link.id,
            or_(ResourceLink.activity_slug.is_(None), ResourceLink.activity_slug == ""),
        )
        .values(activity_slug=slug)
        .execution_options(synchronize_session=False)
    )
    session.refresh(link)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    session.add(
        AuditEvent(
            at=now,
            user_id=launch.user.id,
            event=events.ACTIVITY_CHOSEN,
            details={
                "resource_link": link.resource_link_id,
                "activity": slug,
                "activity_version": entry.content_hash,
            },
        )
    )
    return entry
