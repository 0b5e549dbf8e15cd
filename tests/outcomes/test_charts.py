"""The report's charts: plain inline SVG the page's CSP accepts and WeasyPrint draws."""

from __future__ import annotations

from lti_tool.outcomes.charts import funnel_svg, objectives_svg
from lti_tool.outcomes.knowledge import PairCounts, knowledge_change
from lti_tool.outcomes.report import STEPS, ObjectiveChange, OutcomesReport


def _report() -> OutcomesReport:
    report = OutcomesReport("slug", "Title")
    report.funnel = {"physician": {step: 100 - 10 * n for n, (step, _) in enumerate(STEPS)}}
    report.objectives = [
        ObjectiveChange(1, "Recognise <dystonia>", knowledge_change(PairCounts(2, 1, 8, 1))),
        ObjectiveChange(2, "Too few", knowledge_change(PairCounts(1, 0, 1, 0))),
    ]
    return report


def test_the_funnel_chart_shows_every_step_with_its_count_and_no_inline_style() -> None:
    svg = funnel_svg(_report())

    assert svg.startswith("<svg") and svg.endswith("</svg>")
    for _, label in STEPS:
        assert f">{label}</text>" in svg
    assert ">100</text>" in svg and ">40</text>" in svg
    assert 'fill="#1d4f91"' in svg
    assert 'style="' not in svg and " id=" not in svg  # CSP; no ids to clash on one page


def test_the_objectives_chart_draws_only_objectives_with_enough_pairs() -> None:
    svg = objectives_svg(_report())

    assert svg is not None
    assert ">Objective 1</text>" in svg and "Objective 2" not in svg
    assert ">25%</text>" in svg and ">83%</text>" in svg  # before 3/12, after 10/12
    nothing = OutcomesReport("slug", "Title")
    assert objectives_svg(nothing) is None


def test_an_empty_funnel_still_draws() -> None:
    report = OutcomesReport("slug", "Title")
    report.funnel = {"nurse": {step: 0 for step, _ in STEPS}}

    assert ">Launched</text>" in funnel_svg(report)
