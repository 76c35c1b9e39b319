"""Accessible SVG charts rendered on the server for the reports page (docs/reports-dashboard.md).

Every chart is an ``<svg role="img">`` labelled by its own ``<title>`` and ``<desc>`` (``aria-labelledby``);
the page puts it in a ``<figure>`` with a ``<figcaption>`` and the data table beside it, which is the
full text alternative. Values are written as text next to the bars and the heat map uses a scale of
shades *and* numbers in the text alternative, so nothing is told by colour alone. No JavaScript.
"""

from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

# Colours with at least 3:1 contrast against white (WCAG 1.4.11 for graphical objects).
BAR = "#0b4f6c"
TEXT = "#1b1f23"
GRID = "#6b7580"
HEAT_SHADES = ["#ffffff", "#d6e6ef", "#9cc3d8", "#5b97b8", "#1f5f86", "#0b3550"]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    value_text: str


def _open_svg(chart_id: str, width: int, height: int, title: str, desc: str) -> str:
    return format_html(
        '<svg class="chart" id="{id}" role="img" aria-labelledby="{id}-title {id}-desc" '
        'viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMinYMin meet" '
        'xmlns="http://www.w3.org/2000/svg" focusable="false">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>',
        id=chart_id,
        w=width,
        h=height,
        title=title,
        desc=desc,
    )


def _n(value: float) -> str:
    return f"{value:.1f}"


def _shorten(label: str, limit: int = 28) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def horizontal_bars(
    bars: list[Bar], *, chart_id: str, title: str, desc: str, maximum: float | None = None
) -> SafeString:
    """One horizontal bar per row, its value written at the bar's end (so the length is not the only cue).

    Without ``maximum`` the longest bar fills the width (hours: only the comparison matters). With it the
    scale is fixed — occupancy passes 1.0, so the full width is 100 % and a bar for 1 % stays small
    instead of looking full when it is the largest; a dashed line marks the full scale and larger values
    stop there (their number still says it)."""
    row_height, label_width, bar_width, value_width = 28, 220, 360, 110
    width = label_width + bar_width + value_width
    height = max(row_height * len(bars), row_height) + 8
    largest = maximum or max((bar.value for bar in bars), default=0) or 1
    parts = [_open_svg(chart_id, width, height, title, desc)]
    parts.append(
        format_html(
            '<line x1="{x}" y1="0" x2="{x}" y2="{h}" stroke="{c}" stroke-width="1"/>',
            x=label_width,
            h=height,
            c=GRID,
        )
    )
    if maximum:
        parts.append(
            format_html(
                '<line class="chart-scale-end" x1="{x}" y1="0" x2="{x}" y2="{h}" stroke="{c}" '
                'stroke-width="1" stroke-dasharray="4 3"/>',
                x=label_width + bar_width,
                h=height,
                c=GRID,
            )
        )
    for index, bar in enumerate(bars):
        y = index * row_height + 4
        length = min(max(bar.value, 0) / largest, 1) * bar_width
        parts.append(
            format_html(
                '<text x="{lx}" y="{ty}" text-anchor="end" font-size="13" fill="{tc}">{label}</text>'
                '<rect x="{x}" y="{y}" width="{w}" height="{bh}" fill="{bc}"/>'
                '<text x="{vx}" y="{ty}" font-size="13" fill="{tc}">{value}</text>',
                lx=label_width - 8,
                ty=y + 15,
                tc=TEXT,
                label=_shorten(bar.label),
                x=label_width,
                y=y,
                w=_n(length),
                bh=row_height - 8,
                bc=BAR,
                vx=_n(label_width + length + 6),
                value=bar.value_text,
            )
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — every piece above went through format_html


def columns(bars: list[Bar], *, chart_id: str, title: str, desc: str) -> SafeString:
    """Vertical columns (one per month), the value written above each column and the label below."""
    column_width, gap, chart_height, top, bottom = 56, 16, 180, 24, 28
    width = max(len(bars), 1) * (column_width + gap) + gap
    height = top + chart_height + bottom
    largest = max((bar.value for bar in bars), default=0) or 1
    parts = [_open_svg(chart_id, width, height, title, desc)]
    base = top + chart_height
    parts.append(
        format_html(
            '<line x1="0" y1="{y}" x2="{w}" y2="{y}" stroke="{c}" stroke-width="1"/>', y=base, w=width, c=GRID
        )
    )
    for index, bar in enumerate(bars):
        x = gap + index * (column_width + gap)
        length = max(bar.value, 0) / largest * chart_height
        parts.append(
            format_html(
                '<rect x="{x}" y="{y}" width="{cw}" height="{h}" fill="{bc}"/>'
                '<text x="{cx}" y="{vy}" text-anchor="middle" font-size="12" fill="{tc}">{value}</text>'
                '<text x="{cx}" y="{ly}" text-anchor="middle" font-size="12" fill="{tc}">{label}</text>',
                x=x,
                y=_n(base - length),
                cw=column_width,
                h=_n(length),
                bc=BAR,
                cx=x + column_width // 2,
                vy=_n(base - length - 6),
                tc=TEXT,
                value=bar.value_text,
                ly=base + 18,
                label=bar.label,
            )
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308


def heat_shade(value: float, largest: float) -> int:
    """The step (0–5) of the shade scale for ``value``; 0 only for nothing booked."""
    if value <= 0 or largest <= 0:
        return 0
    return min(5, 1 + int(value / largest * 4.999))


def heat_map(
    matrix: list[list[float]], *, weekdays: list[str], chart_id: str, title: str, desc: str
) -> SafeString:
    """Weekday (rows) × hour (columns) grid; darker is busier. Each cell carries the step of the scale as a
    pattern of dots too (steps 4–5), and the legend maps shades to steps; the table has the numbers."""
    cell, left, top = 22, 40, 22
    width = left + 24 * cell + 4
    height = top + 7 * cell + 40
    largest = max((value for row in matrix for value in row), default=0)
    parts = [_open_svg(chart_id, width, height, title, desc)]
    for hour in range(0, 24, 3):
        parts.append(
            format_html(
                '<text x="{x}" y="{y}" text-anchor="middle" font-size="11" fill="{c}">{h}</text>',
                x=left + hour * cell + cell // 2,
                y=top - 6,
                c=TEXT,
                h=f"{hour:02d}",
            )
        )
    for day, row in enumerate(matrix[:7]):
        y = top + day * cell
        parts.append(
            format_html(
                '<text x="{x}" y="{y}" text-anchor="end" font-size="12" fill="{c}">{d}</text>',
                x=left - 6,
                y=y + 15,
                c=TEXT,
                d=weekdays[day],
            )
        )
        for hour, value in enumerate(row[:24]):
            step = heat_shade(value, largest)
            parts.append(
                format_html(
                    '<rect x="{x}" y="{y}" width="{s}" height="{s}" fill="{f}" '
                    'stroke="{g}" stroke-width="0.5"/>',
                    x=left + hour * cell,
                    y=y,
                    s=cell,
                    f=HEAT_SHADES[step],
                    g=GRID,
                )
            )
            if step >= 4:  # a white dot on the darkest cells: readable without telling shades apart
                parts.append(
                    format_html(
                        '<circle cx="{cx}" cy="{cy}" r="3" fill="#ffffff"/>',
                        cx=left + hour * cell + cell // 2,
                        cy=y + cell // 2,
                    )
                )
    legend_y = top + 7 * cell + 12
    for step, colour in enumerate(HEAT_SHADES):
        parts.append(
            format_html(
                '<rect x="{x}" y="{y}" width="16" height="16" fill="{f}" stroke="{g}" stroke-width="0.5"/>'
                '<text x="{tx}" y="{ty}" font-size="11" fill="{c}">{n}</text>',
                x=left + step * 48,
                y=legend_y,
                f=colour,
                g=GRID,
                tx=left + step * 48 + 20,
                ty=legend_y + 12,
                c=TEXT,
                n=step,
            )
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308
