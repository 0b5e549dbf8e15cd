"""The grantor's outcomes report: one PDF per activity and date range, aggregate only.

ACCME Standard 2 (https://accme.org/standard-2-ensure-content-is-valid/ and the Standards
for Integrity and Independence, "Standard 4: Manage Commercial Support Appropriately")
forbids giving a commercial supporter learners' names or contact details without their
consent; so the report holds counts, percentages and test results only. Free-text
evaluation answers are left out: learners write names and places in them.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template

from lti_tool.outcomes.charts import funnel_svg, objectives_svg
from lti_tool.outcomes.knowledge import MIN_PAIRS
from lti_tool.outcomes.report import STEPS, OutcomesReport
from lti_tool.pdfengine import load_weasyprint

# Below this share of paired learners right after the activity, an objective is a gap the
# next activity should address.
GAP_BELOW_PERCENT = 80.0


@dataclass(frozen=True)
class Gap:
    objective: int
    text: str
    percent_after: float


def remaining_gaps(report: OutcomesReport) -> list[Gap]:
    return [
        Gap(o.number, o.text, o.change.percent_after)
        for o in report.objectives
        if o.change.computed
        and o.change.percent_after is not None
        and o.change.percent_after < GAP_BELOW_PERCENT
    ]


def grantor_pdf(report: OutcomesReport, supporters: tuple[str, ...], provider: str) -> bytes:
    html = render_template(
        "admin/grantor_report.html",
        report=report,
        steps=STEPS,
        min_pairs=MIN_PAIRS,
        supporters=supporters,
        provider=provider,
        gaps=remaining_gaps(report),
        gap_below=GAP_BELOW_PERCENT,
        funnel_chart=funnel_svg(report),
        objectives_chart=objectives_svg(report),
    )
    weasyprint = load_weasyprint()
    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf
