"""What the tool can do with a platform, given the scopes the platform granted.

LTI Advantage services are granted per registration through OAuth scopes (AGS 2.0 §3.1,
NRPS 2.0 §2.3). Canvas admins may untick scopes on the developer key after Dynamic
Registration, so the tool keeps what was granted and explains here, in plain words,
what works and what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from lti_tool import protocol
from lti_tool.models import Registration


@dataclass(frozen=True)
class ServiceLine:
    name: str
    # "granted", "missing" or "unknown" (registered by hand: the tool finds out at launch).
    state: str
    explanation: str


def service_status(registration: Registration) -> list[ServiceLine]:
    """What the tool can do with this platform given the scopes it was granted, in plain words.

    Canvas admins may untick scopes on the developer key after Dynamic Registration; what
    the platform finally granted is in ``granted_scopes`` (None when registered by hand).
    """
    granted = registration.granted_scopes
    if granted is None:
        return [
            ServiceLine(
                "Grades and course roster",
                "unknown",
                "Registered by hand, so the granted services are not known. The tool uses "
                "whatever each launch offers; run the self-check to test grade passback.",
            )
        ]
    scopes = set(granted)
    lines = []
    if protocol.SCOPE_SCORE in scopes:
        lines.append(ServiceLine("Grade passback", "granted", "Scores are sent to the gradebook."))
    else:
        lines.append(
            ServiceLine(
                "Grade passback",
                "missing",
                "The LMS did not grant the score scope: scores stay in the tool and are not "
                "sent to the gradebook. Certificates are not affected. Grant 'score' in the "
                "LMS to turn it on.",
            )
        )
    if protocol.SCOPE_LINEITEM in scopes:
        lines.append(
            ServiceLine("Gradebook columns", "granted", "The tool can create its own columns.")
        )
    else:
        lines.append(
            ServiceLine(
                "Gradebook columns",
                "missing",
                "The tool cannot create gradebook columns: scores go only to activities "
                "the LMS created a column for (graded assignments).",
            )
        )
    if protocol.SCOPE_NRPS in scopes:
        lines.append(ServiceLine("Course roster", "granted", "Instructors see the whole class."))
    else:
        lines.append(
            ServiceLine(
                "Course roster",
                "missing",
                "The LMS did not grant Names and Role Provisioning: instructors see only "
                "learners who have opened the activity.",
            )
        )
    return lines
