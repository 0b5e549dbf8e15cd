"""Helpers for launch tests: row counts that show a refused launch wrote nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from lti_tool.extensions import ToolServices
from lti_tool.models import Context, Launch, ResourceLink, User

WRITTEN_BY_A_LAUNCH = (User, Context, ResourceLink, Launch)


def row_counts(services: ToolServices) -> dict[str, int]:
    with services.session_factory() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in WRITTEN_BY_A_LAUNCH
        }
