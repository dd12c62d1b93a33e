"""Pure figure builders: data in, Plotly figures out. Tested without Dash."""

from __future__ import annotations

import plotly.graph_objects as go

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def cases_by_status(labels: list[str], counts: list[int]) -> go.Figure:
    figure = go.Figure(
        go.Bar(
            x=counts,
            y=labels,
            orientation="h",
            marker_color=PALETTE[0],
            text=counts,
            textposition="auto",
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    figure.update_layout(
        margin={"l": 10, "r": 10, "t": 10, "b": 30},
        height=60 + 45 * len(labels),
        xaxis={"title": {"text": "Cases"}, "rangemode": "tozero"},
        yaxis={"autorange": "reversed", "automargin": True},
        font={"family": "Arial, Helvetica, sans-serif", "size": 16},
        plot_bgcolor="#ffffff",
    )
    return figure
