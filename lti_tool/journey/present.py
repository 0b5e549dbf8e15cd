"""How journey facts read on a page: dates, durations, scores, Markdown, the step list.

Markdown (question stems, rationales, sections) is rendered by the domain with raw HTML
disabled, so its output may be marked safe; LMS-provided strings never pass through here
and stay escaped by Jinja's autoescape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import g, url_for
from markupsafe import Markup

from lti_tool import protocol
from lti_tool.course import (
    Profession,
    Step,
    can_enter,
    dates,
    display_percent,
    missing_sections,
    posttest_passed,
    render_markdown,
    resume_section,
)
from lti_tool.extensions import services
from lti_tool.journey.state import Journey
from lti_tool.models import Attempt

UTC_ZONE = ZoneInfo("UTC")

PROFESSION_LABELS = {
    Profession.PHYSICIAN: "Physicians",
    Profession.PHARMACIST: "Pharmacists",
    Profession.PHARMACY_TECHNICIAN: "Pharmacy technicians",
    Profession.NURSE: "Nurses",
    Profession.PHYSICIAN_ASSISTANT: "Physician assistants",
    Profession.NURSE_PRACTITIONER: "Nurse practitioners",
    Profession.OTHER: "Other health care professionals",
}

_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)


def long_date(day: date | None) -> str:
    return "" if day is None else dates.long_date(day)


def moment(at: datetime | None, zone: ZoneInfo = UTC_ZONE) -> str:
    """A recorded instant in ``zone``, spelled out with the zone's name."""
    if at is None:
        return ""
    local = at.astimezone(zone)
    return f"{long_date(local.date())}, {local:%H:%M} ({zone.key})"


def zone_named(name: object) -> ZoneInfo | None:
    """The IANA zone ``name`` names, or None (unexpanded "$Person…", Moodle's "99", junk)."""
    if not isinstance(name, str) or not name or len(name) > 64 or name.startswith("$"):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def learner_zone(claims: dict[str, Any], provider_zone: str) -> ZoneInfo:
    """The learner's zone as the LMS sent it, else the provider's, else UTC."""
    custom = claims.get(protocol.CLAIM_CUSTOM) or {}
    sent = custom.get("timezone") if isinstance(custom, dict) else None
    return zone_named(sent) or zone_named(provider_zone) or UTC_ZONE


def duration(seconds: int) -> str:
    minutes = seconds // 60
    if minutes < 1:
        return "less than a minute"
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


def credits(amount: Decimal) -> str:
    return format(amount, "f")


def percent(attempt: Attempt) -> Decimal | None:
    if attempt.correct is None or not attempt.total:
        return None
    return display_percent(Fraction(attempt.correct, attempt.total))


def markdown(text: str | None) -> Markup:
    # The domain renders with raw HTML and images disabled (lti_tool/course/markdown.py).
    return Markup(render_markdown(text or ""))  # noqa: S704


def stem_legend(text: str) -> Markup | None:
    """The stem as phrasing content for a ``<legend>`` when it is only paragraphs (the usual
    case), so screen readers announce the whole question with its choices; ``None`` when it
    holds lists or tables, which a legend cannot contain."""
    html = render_markdown(text).strip()
    if _PARAGRAPH.sub("", html).strip():
        return None
    parts = [f'<span class="stem-paragraph">{inner}</span>' for inner in _PARAGRAPH.findall(html)]
    return Markup("".join(parts))  # noqa: S704


@dataclass(frozen=True)
class StepLink:
    label: str
    url: str | None
    done: bool
    current: bool


def step_list(journey: Journey, current: Step | None) -> list[StepLink]:
    activity, progress, now = journey.activity, journey.progress, journey.now

    def reachable(step: Step) -> bool:
        return can_enter(step, activity, progress, now)

    passed = posttest_passed(activity, progress)
    steps = [
        StepLink(
            "Overview and disclosures",
            url_for("journey.overview"),
            progress.disclosures_acknowledged_at is not None,
            current is Step.OVERVIEW,
        ),
    ]
    if activity.pretest is not None:
        steps.append(
            StepLink(
                "Pre-test (optional)",
                url_for("journey.pretest") if reachable(Step.PRETEST) else None,
                progress.pretest_decided,
                current is Step.PRETEST,
            )
        )
    section = resume_section(activity, progress)
    steps += [
        StepLink(
            "Content",
            url_for("journey.section", section_id=section) if reachable(Step.CONTENT) else None,
            not missing_sections(activity, progress),
            current is Step.CONTENT,
        ),
        StepLink(
            "Post-test",
            url_for("journey.posttest") if reachable(Step.POSTTEST) or passed else None,
            passed,
            current is Step.POSTTEST,
        ),
        StepLink(
            "Evaluation",
            url_for("journey.evaluation") if reachable(Step.EVALUATION) else None,
            progress.evaluation_completed_at is not None,
            current is Step.EVALUATION,
        ),
        StepLink(
            "Completion",
            url_for("journey.complete"),
            progress.evaluation_completed_at is not None,
            current is Step.COMPLETE,
        ),
    ]
    return steps


def template_helpers() -> dict[str, Any]:
    launch = g.get("launch")
    zone = learner_zone(launch.claims if launch else {}, services().settings.timezone)
    return {
        "long_date": long_date,
        "moment": lambda at: moment(at, zone),
        "duration": duration,
        "credits": credits,
        "percent": percent,
        "markdown": markdown,
        "stem_legend": stem_legend,
        "profession_label": lambda profession: PROFESSION_LABELS.get(profession, profession),
    }
