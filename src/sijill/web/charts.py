"""Charts for the pages: a plotly figure written as JSON beside its place on the page, drawn by
plotly's bundled JavaScript served from its wheel (static/charts.js), so nothing comes from a CDN."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

PLOTLY_SCRIPT = "/static/vendor/plotly/plotly.min.js"


def figure_json(figure: go.Figure) -> str:
    # `</` cannot end the script element the JSON sits in, whatever the data's labels hold.
    text: str = figure.to_json()
    return text.replace("</", "<\\/")


def bar_chart(title: str, categories: list[str], series: dict[str, list[Any]], *, stacked: bool = False) -> str:
    figure = go.Figure([go.Bar(name=name, x=categories, y=values) for name, values in series.items()])
    figure.update_layout(
        title=title, barmode="stack" if stacked else "group", margin={"t": 48, "l": 48, "r": 24, "b": 64}
    )
    return figure_json(figure)


def line_chart(title: str, x: list[Any], series: dict[str, list[Any]]) -> str:
    figure = go.Figure([go.Scatter(name=name, x=x, y=values, mode="lines+markers") for name, values in series.items()])
    figure.update_layout(title=title, margin={"t": 48, "l": 48, "r": 24, "b": 64})
    return figure_json(figure)
