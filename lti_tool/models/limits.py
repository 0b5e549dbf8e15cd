"""Rate-limit counters shared by every worker: one row per (scope, key, window).

A fixed window: ``window`` is the Unix time divided by the scope's window length. The
counter is bumped by one atomic upsert (``lti_tool.limits``), so parallel requests in any
process each see a distinct count and no check-then-write race lets extra requests by.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.db import Base


class RateCounter(Base):
    __tablename__ = "rate_counters"
    __table_args__ = (Index("ix_rate_counters_expires_at", "expires_at"),)

    # What is limited ("signin-username", "lti-login", ...) and for whom (an address, a name).
    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    window: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hits: Mapped[int] = mapped_column(default=0)
    # Unix time when the window ends; expired rows are pruned.
    expires_at: Mapped[int] = mapped_column(BigInteger)
