"""The report's two charts as inline SVG, written out directly: the completion funnel, and %
correct before and after by objective.

Two bar charts need no plotting library: matplotlib cost each process that drew them about
36 MiB resident and half a second to import, more than the rest of the outcomes page, and
its SVG drew every letter as a path with ids that clashed when both charts shared a page.
Here text stays text (the page's font, DejaVu Sans in the PDF), there are no ids, and colours
are presentation attributes, not ``style``: the page's CSP refuses inline styles. Inline SVG
keeps the page and the PDF free of images from elsewhere.
"""

from __future__ import annotations

from markupsafe import escape

from lti_tool.outcomes.report import STEPS, OutcomesReport

BLUE, GREY, INK, RULE = "#1d4f91", "#9aa5b1", "#222222", "#666666"
WIDTH = 700
FONT = 'font-family="DejaVu Sans, Verdana, sans-serif"'


def _text(
    x: float, y: float, text: str, size: int = 12, anchor: str = "start", **extra: str
) -> str:
    attributes = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in extra.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{INK}"{attributes}>{escape(text)}</text>'
    )


def _rect(x: float, y: float, width: float, height: float, colour: str) -> str:
    box = f'x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}"'
    return f'<rect {box} fill="{colour}"/>'


def _svg(height: int, label: str, parts: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(label)}" {FONT}>'
        + "".join(parts)
        + "</svg>"
    )


def _nice_top(value: int) -> int:
    """The axis end: the value rounded up to 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= value:
                return step * scale
        scale *= 10


def funnel_svg(report: OutcomesReport) -> str:
    total = report.funnel_total()
    title = "Completion funnel (all professions)"
    left, bar_width, bar, gap, top = 200, 420, 22, 8, 36
    end = _nice_top(max(total.values(), default=0))
    parts = [_text(WIDTH / 2, 20, title, 14, "middle")]
    for row, (step, label) in enumerate(STEPS):
        y = top + row * (bar + gap)
        width = bar_width * total[step] / end
        parts += [
            _text(left - 8, y + bar * 0.7, label, anchor="end"),
            _rect(left, y, width, bar, BLUE),
            _text(left + width + 4, y + bar * 0.7, f"{total[step]:,}"),
        ]
    axis = top + len(STEPS) * (bar + gap)
    frame = f"M{left} {top - 4}V{axis}H{left + bar_width}"
    parts.append(f'<path d="{frame}" stroke="{RULE}" fill="none"/>')
    for tick in range(6):
        x = left + bar_width * tick / 5
        parts += [
            f'<path d="M{x:.1f} {axis}v4" stroke="{RULE}"/>',
            _text(x, axis + 16, f"{end * tick / 5:,.0f}", 11, "middle"),
        ]
    parts.append(_text(left + bar_width / 2, axis + 34, "Learners", anchor="middle"))
    return _svg(axis + 42, title, parts)


def objectives_svg(report: OutcomesReport) -> str | None:
    shown = [o for o in report.objectives if o.change.computed]
    if not shown:
        return None
    title = "Knowledge change by objective"
    left, top, plot_height, plot_width = 70, 40, 200, 600
    slot = plot_width / len(shown)
    bar = min(40.0, slot * 0.35)
    axis = top + plot_height
    parts = [
        _text(WIDTH / 2, 20, title, 14, "middle"),
        f'<path d="M{left} {top}V{axis}H{left + plot_width}" stroke="{RULE}" fill="none"/>',
        _text(
            18, top + plot_height / 2, "% correct (paired learners)", 11, "middle",
            transform=f"rotate(-90 18 {top + plot_height / 2})",
        ),
    ]  # fmt: skip
    for percent in range(0, 101, 20):
        y = axis - plot_height * percent / 100
        parts += [
            f'<path d="M{left - 4} {y:.1f}h4" stroke="{RULE}"/>',
            _text(left - 8, y + 4, str(percent), 11, "end"),
        ]
    for index, objective in enumerate(shown):
        middle = left + slot * (index + 0.5)
        change = objective.change
        for offset, value, colour in (
            (-bar, change.percent_before or 0.0, GREY),
            (0.0, change.percent_after or 0.0, BLUE),
        ):
            height = plot_height * value / 100
            parts += [
                _rect(middle + offset, axis - height, bar, height, colour),
                _text(middle + offset + bar / 2, axis - height - 4, f"{value:.0f}%", 10, "middle"),
            ]
        parts.append(_text(middle, axis + 16, f"Objective {objective.number}", 11, "middle"))
    legend = left + plot_width - 150  # on the title's line, right
    for offset, label, colour in ((0, "Pre-test", GREY), (80, "Post-test", BLUE)):
        parts += [
            _rect(legend + offset, 9, 12, 12, colour),
            _text(legend + offset + 16, 19, label, 11),
        ]
    return _svg(axis + 28, title, parts)
