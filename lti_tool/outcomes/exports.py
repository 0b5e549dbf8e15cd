"""The outcomes report as CSV (one table, a "section" column per part) and JSON."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from lti_tool.outcomes.knowledge import KnowledgeChange
from lti_tool.outcomes.report import STEPS, OutcomesReport

CSV_HEADER = (
    "section",
    "name",
    "measure",
    "value",
)


def _change(change: KnowledgeChange) -> dict[str, Any]:
    counts = change.counts
    return {
        "pairs": counts.pairs,
        "both_right": counts.both_right,
        "right_before_only": counts.right_before_only,
        "right_after_only": counts.right_after_only,
        "both_wrong": counts.both_wrong,
        "computed": change.computed,
        "percent_before": change.percent_before,
        "percent_after": change.percent_after,
        "test": change.method,
        "chi_square": change.statistic,
        "p_value": change.p_value,
        "odds_ratio": change.odds_ratio,
        "effect_size_d": change.effect_size_d,
        "zero_cell_corrected": change.zero_cell_corrected,
        "note": change.note,
    }


def as_json(report: OutcomesReport) -> dict[str, Any]:
    return {
        "activity": report.slug,
        "title": report.title,
        "funnel": {p: report.funnel[p] for p in report.professions},
        "funnel_total": report.funnel_total(),
        "items": [
            {
                "pretest_item": item.pretest_id,
                "posttest_item": item.posttest_id,
                "objective": item.objective,
                **_change(item.change),
            }
            for item in report.items
        ],
        "objectives": [
            {"objective": o.number, "text": o.text, **_change(o.change)} for o in report.objectives
        ],
        "evaluation": [asdict(summary) for summary in report.evaluation],
        "follow_up": asdict(report.follow_up) if report.follow_up is not None else None,
    }


def csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A cell a spreadsheet would run as a formula is made text (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _number(text) else text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_rows(report: OutcomesReport) -> Iterator[str]:
    """The CSV, line by line (streamed by the view)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(*cells: Any) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_cell(cell) for cell in cells])
        return buffer.getvalue()

    yield "\ufeff" + line(*CSV_HEADER)
    for profession in report.professions:
        for step, label in STEPS:
            yield line("funnel", profession, label, report.funnel[profession][step])
    for item in report.items:
        for measure, value in _change(item.change).items():
            yield line("item", f"{item.pretest_id} / {item.posttest_id}", measure, value)
    for objective in report.objectives:
        for measure, value in _change(objective.change).items():
            yield line("objective", f"Objective {objective.number}", measure, value)
    for summary in report.evaluation:
        if summary.mean is not None:
            yield line("evaluation", summary.item_id, "mean", f"{summary.mean:.2f}")
        for label, count in summary.counts.items():
            yield line("evaluation", summary.item_id, label, count)
        for text in summary.texts:
            yield line("evaluation", summary.item_id, "text", text)
    if report.follow_up is not None:
        for status, count in report.follow_up.statuses.items():
            yield line("follow_up", "status", status, count)
        for label, count in report.follow_up.changed.items():
            yield line("follow_up", "practice changed", label, count)
        for text in report.follow_up.what_changed:
            yield line("follow_up", "what changed", "text", text)
        for text in report.follow_up.barriers:
            yield line("follow_up", "barriers", "text", text)
