"""Dates as learners and accreditors read them: ``January 14, 2026``.

Spelled out so no reader confuses day and month, and in English whatever the server's
locale (``%B`` follows it). Pages, messages of the domain core and certificates all use this.
"""

from __future__ import annotations

from datetime import date

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def long_date(day: date) -> str:
    return f"{MONTH_NAMES[day.month - 1]} {day.day}, {day.year}"
