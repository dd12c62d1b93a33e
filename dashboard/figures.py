"""Pure figure builders: data in, Plotly figures out. Tested without Dash.

Colours are the Okabe-Ito palette, told apart with the common colour-vision deficiencies; lines also differ by
marker and dash and bars by pattern, so no series is known by its colour alone. Every figure has a text summary and
a table beside it on the page (dashboard/components.py `chart`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import plotly.graph_objects as go

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
MARKERS = ["circle", "square", "diamond", "triangle-up", "x", "cross", "star", "triangle-down"]
DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "solid", "dash"]
PATTERNS = ["", "/", ".", "x", "-", "|", "+", "\\"]
FONT = {"family": "Arial, Helvetica, sans-serif", "size": 16, "color": "#0b0c0c"}


def _layout(figure: go.Figure, height: int, **extra) -> go.Figure:
    figure.update_layout(
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        height=height,
        font=FONT,
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        legend={"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0},
        hoverlabel={"font": FONT},
        **extra,
    )
    return figure


def horizontal_bars(labels: Sequence[str], counts: Sequence[float], axis_title: str, percent: bool = False):
    texts = [f"{value:.1%}" if percent else f"{value:,}" for value in counts]
    figure = go.Figure(
        go.Bar(
            x=list(counts),
            y=list(labels),
            orientation="h",
            marker_color=PALETTE[0],
            text=texts,
            textposition="auto",
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    axis = {"title": {"text": axis_title}, "rangemode": "tozero"}
    if percent:
        axis["tickformat"] = ".0%"
    return _layout(
        figure, 60 + 40 * max(len(labels), 1), xaxis=axis, yaxis={"autorange": "reversed", "automargin": True}
    )


def cases_by_status(labels: list[str], counts: list[int]) -> go.Figure:
    return horizontal_bars(labels, counts, "Cases")


def stacked_bars(categories: Sequence[str], series: dict[str, Sequence[int]], axis_title: str) -> go.Figure:
    """Bars for the categories, each split by the series (officers' cases by status), with patterns as well."""
    figure = go.Figure(
        [
            go.Bar(
                name=name,
                x=list(values),
                y=list(categories),
                orientation="h",
                marker={"color": PALETTE[index % len(PALETTE)], "pattern": {"shape": PATTERNS[index % len(PATTERNS)]}},
                hovertemplate=f"%{{y}}, {name}: %{{x}}<extra></extra>",
            )
            for index, (name, values) in enumerate(series.items())
        ]
    )
    return _layout(
        figure,
        120 + 40 * max(len(categories), 1),
        barmode="stack",
        xaxis={"title": {"text": axis_title}, "rangemode": "tozero"},
        yaxis={"autorange": "reversed", "automargin": True},
    )


def lines(x: Sequence[date], series: dict[str, Sequence[float | None]], axis_title: str, percent: bool = True):
    """One line per series over time, each with its own marker and dash."""
    value = ".1%" if percent else ","
    figure = go.Figure(
        [
            go.Scatter(
                name=name,
                x=list(x),
                y=list(values),
                mode="lines+markers",
                line={"color": PALETTE[index % len(PALETTE)], "dash": DASHES[index % len(DASHES)], "width": 3},
                marker={"symbol": MARKERS[index % len(MARKERS)], "size": 8},
                connectgaps=False,
                hovertemplate=f"{name}: %{{y:{value}}}<extra></extra>",
            )
            for index, (name, values) in enumerate(series.items())
        ]
    )
    axis = {"title": {"text": axis_title}, "automargin": True}
    if percent:
        axis["tickformat"] = ".0%"
    return _layout(figure, 380, yaxis=axis, xaxis={"automargin": True}, hovermode="x unified")


def stacked_columns(x: Sequence[date], series: dict[str, Sequence[int]], axis_title: str) -> go.Figure:
    """Counts over time split by a category (referrals by source), stacked, with patterns as well."""
    figure = go.Figure(
        [
            go.Bar(
                name=name,
                x=list(x),
                y=list(values),
                marker={"color": PALETTE[index % len(PALETTE)], "pattern": {"shape": PATTERNS[index % len(PATTERNS)]}},
                hovertemplate=f"{name}: %{{y}}<extra></extra>",
            )
            for index, (name, values) in enumerate(series.items())
        ]
    )
    return _layout(
        figure,
        380,
        barmode="stack",
        hovermode="x unified",
        yaxis={"title": {"text": axis_title}, "rangemode": "tozero", "automargin": True},
        xaxis={"automargin": True},
    )
