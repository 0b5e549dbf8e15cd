"""The report's two charts as SVG, drawn on the server with matplotlib's object API (no
pyplot: no display backend, no global figure state; no fonts fetched): the completion
funnel, and % correct before and after by objective. Inline SVG keeps the page and the
PDF free of images from elsewhere."""

from __future__ import annotations

import io
import re

from matplotlib.figure import Figure

from lti_tool.outcomes.report import STEPS, OutcomesReport

BLUE, GREY = "#1d4f91", "#9aa5b1"


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]  # drop the XML prolog and DOCTYPE: it is inlined
    # The page's CSP refuses inline styles: the <style> element (it only sets line joins)
    # goes, and each style="fill: …; stroke: …" becomes SVG presentation attributes, which
    # say the same and which no CSP blocks.
    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)
    return re.sub(r'\sstyle="([^"]*)"', _presentation_attributes, svg)


def _presentation_attributes(match: re.Match[str]) -> str:
    declarations = (part.split(":", 1) for part in match.group(1).split(";") if ":" in part)
    return "".join(
        f' {name.strip()}="{value.strip()}"'
        for name, value in declarations
        if re.fullmatch(r"[a-z-]+", name.strip()) and '"' not in value
    )


def funnel_svg(report: OutcomesReport) -> str:
    total = report.funnel_total()
    labels = [label for _, label in STEPS]
    values = [total[step] for step, _ in STEPS]
    figure = Figure(figsize=(7, 3.2))
    axes = figure.subplots()
    bars = axes.barh(labels[::-1], values[::-1], color=BLUE)
    axes.bar_label(bars, padding=3)
    axes.set_xlabel("Learners")
    axes.set_title("Completion funnel (all professions)")
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def objectives_svg(report: OutcomesReport) -> str | None:
    shown = [o for o in report.objectives if o.change.computed]
    if not shown:
        return None
    figure = Figure(figsize=(7, 3.2))
    axes = figure.subplots()
    positions = range(len(shown))
    before = [o.change.percent_before or 0 for o in shown]
    after = [o.change.percent_after or 0 for o in shown]
    axes.bar([p - 0.2 for p in positions], before, width=0.4, color=GREY, label="Pre-test")
    axes.bar([p + 0.2 for p in positions], after, width=0.4, color=BLUE, label="Post-test")
    axes.set_xticks(list(positions), [f"Objective {o.number}" for o in shown])
    axes.set_ylim(0, 100)
    axes.set_ylabel("% correct (paired learners)")
    axes.set_title("Knowledge change by objective")
    axes.legend(frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)
