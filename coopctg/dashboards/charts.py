"""Server-rendered SVG charts (pure module, no Django import).

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` (referenced by
``aria-labelledby``), a text label and a value written next to every bar, so that it reads
without colour; the page shows the same figures in a data table next to it. Colours are CSS
classes (``bar``, ``bar-alerte``…) defined in ``dashboards.css``: no inline style, no script.

    svg = horizontal_bars(
        "progression", "Avancement moyen par thématique",
        [Bar("Petite enfance", Decimal("40"), "40 %")], maximum=Decimal(100),
    )
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

#: Geometry of the horizontal bar chart, in viewBox units.
WIDTH = 560
#: The narrow (phone) variant: a label line above each bar, so that 13-unit text stays about
#: 13 px on a 360 px wide screen instead of shrinking to 7 px.
NARROW_WIDTH = 340
STACKED_LABEL = 17
LABEL_WIDTH = 190
VALUE_WIDTH = 160
BAR_HEIGHT = 20
ROW_GAP = 10
LINE_HEIGHT = 15  # a second label line
TOP = 6
CHAR_WIDTH = 7  # average width of a character of the 13-unit labels


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal  # what the bar's length shows (negative values are drawn as 0)
    display: str  # the value as written next to the bar (« 48 000 € », « 40 % »)
    css_class: str = "db-bar"
    note: str = ""  # written after the value (« 2 en retard »)


def _num(value: Decimal) -> str:
    """One decimal, no trailing zero: ``Decimal("12.50")`` → ``"12.5"``."""
    text = f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("", "-0") else text


def bar_length(value: Decimal, maximum: Decimal, plot_width: Decimal) -> Decimal:
    """The length of a bar of ``value`` on a scale where ``maximum`` fills ``plot_width``
    (clamped to ``[0, plot_width]``; 0 when the maximum is not positive)."""
    if maximum <= 0 or value <= 0:
        return Decimal(0)
    return min(plot_width, plot_width * value / maximum)


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def wrap_label(text: str, width: int) -> list[str]:
    """The label on one line, or on two split at the space nearest the middle when it is
    longer than ``width`` units (a second cut when still too long would not help: the page's
    table gives the full text)."""
    if len(text) * CHAR_WIDTH <= width or " " not in text:
        return [text]
    middle = len(text) / 2
    cut = min((i for i, char in enumerate(text) if char == " "), key=lambda i: abs(i - middle))
    return [text[:cut], text[cut + 1 :]]


def horizontal_bars(
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    *,
    maximum: Decimal | None = None,
    description: str = "",
    width: int = WIDTH,
    label_width: int = LABEL_WIDTH,
) -> str:
    """An accessible horizontal bar chart: one row per bar, label on the left, the bar, and
    its value (and note) on the right. ``maximum`` defaults to the largest value."""
    plot = Decimal(width - label_width - VALUE_WIDTH)
    top = max((b.value for b in bars), default=Decimal(0))
    scale = maximum if maximum is not None else top
    labels = [wrap_label(b.label, label_width - 8) for b in bars]
    wrapped = any(len(lines) > 1 for lines in labels) or any(b.note for b in bars)
    extra = LINE_HEIGHT if wrapped else 0
    row = BAR_HEIGHT + ROW_GAP + extra
    height = TOP * 2 + max(1, len(bars)) * row - ROW_GAP
    desc = description or "; ".join(
        f"{b.label} : {b.display}{f' ({b.note})' if b.note else ''}" for b in bars
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="db-chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{chart_id}-titre {chart_id}-desc">',
        f'<title id="{chart_id}-titre">{_esc(title)}</title>',
        f'<desc id="{chart_id}-desc">{_esc(desc or "Aucune donnée.")}</desc>',
    ]
    if not bars:
        parts.append(
            f'<text class="db-label" x="0" y="{TOP + BAR_HEIGHT - 6}">Aucune donnée.</text>'
        )
    for index, (bar, lines) in enumerate(zip(bars, labels, strict=True)):
        y = TOP + index * row
        length = bar_length(bar.value, scale, plot)
        text_y = y + BAR_HEIGHT - 6
        label = "".join(
            f'<tspan x="{label_width - 8}" dy="{0 if i == 0 else LINE_HEIGHT}">{_esc(line)}</tspan>'
            for i, line in enumerate(lines)
        )
        parts.append(
            f'<g class="db-row"><text class="db-label" x="{label_width - 8}" y="{text_y}" '
            f'text-anchor="end">{label}</text>'
            f'<rect class="db-track" x="{label_width}" y="{y}" width="{_num(plot)}" '
            f'height="{BAR_HEIGHT}"/>'
            f'<rect class="{_esc(bar.css_class)}" x="{label_width}" y="{y}" '
            f'width="{_num(length)}" height="{BAR_HEIGHT}" data-value="{_esc(str(bar.value))}"/>'
            f'<text class="db-value" x="{_num(label_width + plot + 6)}" y="{text_y}">'
            f"{_esc(bar.display)}"
            + (
                f'<tspan class="db-note" x="{_num(label_width + plot + 6)}" dy="{LINE_HEIGHT}">'
                f"{_esc(bar.note)}</tspan>"
                if bar.note
                else ""
            )
            + "</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_bars(
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    *,
    maximum: Decimal | None = None,
    description: str = "",
    width: int = NARROW_WIDTH,
) -> str:
    """The phone variant of :func:`horizontal_bars`: for each bar, its label and value on one
    line, the bar across the whole width under it."""
    top = max((b.value for b in bars), default=Decimal(0))
    scale = maximum if maximum is not None else top
    row = STACKED_LABEL + BAR_HEIGHT + ROW_GAP
    height = TOP * 2 + max(1, len(bars)) * row - ROW_GAP
    desc = description or "; ".join(
        f"{b.label} : {b.display}{f' ({b.note})' if b.note else ''}" for b in bars
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="db-chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{chart_id}-titre {chart_id}-desc">',
        f'<title id="{chart_id}-titre">{_esc(title)}</title>',
        f'<desc id="{chart_id}-desc">{_esc(desc or "Aucune donnée.")}</desc>',
    ]
    if not bars:
        parts.append(f'<text class="db-label" x="0" y="{TOP + 13}">Aucune donnée.</text>')
    for index, bar in enumerate(bars):
        y = TOP + index * row
        value = bar.display + (f" — {bar.note}" if bar.note else "")
        label_room = max(4, (width - len(value) * CHAR_WIDTH - 8) // CHAR_WIDTH)
        label = bar.label if len(bar.label) <= label_room else bar.label[: label_room - 1] + "…"
        length = bar_length(bar.value, scale, Decimal(width))
        parts.append(
            f'<g class="db-row"><text class="db-label" x="0" y="{y + 13}">{_esc(label)}</text>'
            f'<text class="db-value" x="{width}" y="{y + 13}" text-anchor="end">'
            f"{_esc(value)}</text>"
            f'<rect class="db-track" x="0" y="{y + STACKED_LABEL}" width="{width}" '
            f'height="{BAR_HEIGHT}"/>'
            f'<rect class="{_esc(bar.css_class)}" x="0" y="{y + STACKED_LABEL}" '
            f'width="{_num(length)}" height="{BAR_HEIGHT}" data-value="{_esc(str(bar.value))}"/>'
            "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def responsive_bars(
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    *,
    maximum: Decimal | None = None,
    description: str = "",
    label_width: int = LABEL_WIDTH,
) -> str:
    """Both variants, the page's style sheet showing one: :func:`horizontal_bars` on a
    laptop, :func:`stacked_bars` on a phone (the hidden one is hidden from screen readers
    too: ``display: none``)."""
    wide = horizontal_bars(
        chart_id,
        title,
        bars,
        maximum=maximum,
        description=description,
        label_width=label_width,
    )
    narrow = stacked_bars(
        f"{chart_id}-etroit", title, bars, maximum=maximum, description=description
    )
    return f'<div class="db-wide">{wide}</div><div class="db-narrow">{narrow}</div>'


@dataclass(frozen=True)
class Segment:
    label: str
    count: int
    css_class: str


def stacked_bar(
    chart_id: str, title: str, segments: Sequence[Segment], *, width: int = WIDTH
) -> str:
    """One bar split in proportion to ``segments`` (e.g. territories per status), with the
    counts written under it: a legend that reads without colour."""
    total = sum(s.count for s in segments)
    columns = 2 if width >= WIDTH else 1
    legend_rows = (len(segments) + columns - 1) // columns
    height = 34 + max(1, legend_rows) * 20
    desc = "; ".join(f"{s.label} : {s.count}" for s in segments) or "Aucune donnée."
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="db-chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{chart_id}-titre {chart_id}-desc">',
        f'<title id="{chart_id}-titre">{_esc(title)}</title>',
        f'<desc id="{chart_id}-desc">{_esc(desc)}</desc>',
        f'<rect class="db-track" x="0" y="0" width="{width}" height="24"/>',
    ]
    x = Decimal(0)
    for segment in segments:
        length = bar_length(Decimal(segment.count), Decimal(total), Decimal(width))
        if length > 0:
            parts.append(
                f'<rect class="{_esc(segment.css_class)}" x="{_num(x)}" y="0" '
                f'width="{_num(length)}" height="24"/>'
            )
        x += length
    step = width // columns
    for index, segment in enumerate(segments):
        x0, y0 = (index % columns) * step, 34 + (index // columns) * 20
        parts.append(
            f'<rect class="{_esc(segment.css_class)}" x="{x0}" y="{y0}" width="12" '
            f'height="12"/><text class="db-label" x="{x0 + 16}" y="{y0 + 11}">'
            f"{_esc(segment.label)} : {segment.count}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def responsive_stacked_bar(chart_id: str, title: str, segments: Sequence[Segment]) -> str:
    """:func:`stacked_bar` on a laptop, its one-column legend variant on a phone."""
    wide = stacked_bar(chart_id, title, segments)
    narrow = stacked_bar(f"{chart_id}-etroit", title, segments, width=NARROW_WIDTH)
    return f'<div class="db-wide">{wide}</div><div class="db-narrow">{narrow}</div>'
