"""Why the dashboard is refused, as types; ``views`` maps them to pages."""

from __future__ import annotations


class DashboardError(Exception):
    status = 400
    title = "The dashboard cannot be shown"
    message = "Open the activity again from your course."


class InstructorsOnly(DashboardError):
    status = 403
    title = "The dashboard is for instructors"
    message = (
        "Learner progress is shown to the course's instructors and administrators only. "
        "To take the activity, open it from your course."
    )
