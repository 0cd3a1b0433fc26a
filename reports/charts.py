"""Plotly figures for the dashboards, built from plain data (lists of dicts).

Every builder takes already-computed figures (rates as fractions or None,
counts, Wilson intervals as ``[lo, hi]``) and returns a
``plotly.graph_objects.Figure``; nothing here touches the database. Numbers
are formatted the Vietnamese way (``96,88%``) through the layout's
``separators``; a bar's ``customdata[0]`` holds its drill-down URL, which
``static/js/charts.js`` follows on click.
"""

import plotly.graph_objects as go
from django.utils.translation import get_language
from django.utils.translation import gettext as _

COLOURS = {
    "primary": "#8b1a14",
    "satisfaction": "#1f6f8b",
    "on_time": "#2e7d32",
    "early": "#66bb6a",
    "late": "#c62828",
    "small": "#b0bec5",
    "below": "#ef6c00",
    "target": "#6a1b9a",
}
BAR_HEIGHT = 28


def number_separators(language=None):
    """Return Plotly's ``separators`` ("decimal" + "thousands") for ``language``."""
    language = (language or get_language() or "vi")[:2]
    return ".," if language == "en" else ",."


def _layout(fig, *, title, height, percent_axis=None, legend=True):
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        separators=number_separators(),
        height=height,
        margin={"l": 8, "r": 16, "t": 48 if title else (34 if legend else 12), "b": 8},
        font={"family": "Be Vietnam Pro, system-ui, sans-serif", "size": 12},
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        showlegend=legend,
        # Above the plot: below it the legend collides with the axis labels on a phone.
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "traceorder": "normal"},
        hoverlabel={"align": "left"},
    )
    if percent_axis == "x":
        fig.update_xaxes(tickformat=".0%", rangemode="tozero", gridcolor="#eeeeee")
    elif percent_axis == "y":
        fig.update_yaxes(tickformat=".0%", gridcolor="#eeeeee")
    return fig


def _ci_arrays(rows, key="rate", ci_key="ci"):
    plus, minus = [], []
    for row in rows:
        rate, ci = row.get(key), row.get(ci_key)
        if rate is None or not ci or ci[0] is None or ci[1] is None:
            plus.append(0)
            minus.append(0)
        else:
            plus.append(max(ci[1] - rate, 0))
            minus.append(max(rate - ci[0], 0))
    return plus, minus


def rate_ranking(rows, *, title, metric_label, target=None, colour=None):
    """Return a horizontal bar chart of units ranked by a rate, best on top.

    ``rows``: ``[{label, rate, ci, n, small_sample, below_target, url}]``.
    Bars with a small sample are pale and hatched; bars below target are
    orange; whiskers show the 95% interval; ``target`` (a fraction) draws a
    dashed line. Rows without a rate are left out (they have no answers).
    """
    shown = sorted(
        (r for r in rows if r.get("rate") is not None),
        key=lambda r: (r.get("small_sample", False), -r["rate"]),
    )
    colour = colour or COLOURS["satisfaction"]
    plus, minus = _ci_arrays(shown)
    labels = [
        f"{r['label']} ({_('ít mẫu')})" if r.get("small_sample") else r["label"] for r in shown
    ]
    fig = go.Figure(
        go.Bar(
            x=[r["rate"] for r in shown],
            y=labels,
            orientation="h",
            marker={
                "color": [
                    COLOURS["small"]
                    if r.get("small_sample")
                    else COLOURS["below"]
                    if r.get("below_target")
                    else colour
                    for r in shown
                ],
                "pattern": {"shape": ["/" if r.get("small_sample") else "" for r in shown]},
            },
            error_x={
                "type": "data",
                "symmetric": False,
                "array": plus,
                "arrayminus": minus,
                "color": "#555555",
                "thickness": 1.2,
            },
            customdata=[[r.get("url") or "", r.get("n") or 0] for r in shown],
            hovertemplate=(
                "<b>%{y}</b><br>"
                + metric_label
                + ": %{x:.2%}<br>n = %{customdata[1]:,}<extra></extra>"
            ),
            texttemplate="%{x:.2%}",
            textposition="inside",
            insidetextanchor="end",
            name=metric_label,
        )
    )
    if target is not None:
        fig.add_vline(
            x=target,
            line={"dash": "dash", "color": COLOURS["target"], "width": 1.5},
            annotation_text=_("Mục tiêu"),
            annotation_position="top",
        )
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(range=[0, 1.02])
    return _layout(
        fig,
        title=title,
        height=max(220, BAR_HEIGHT * len(shown) + 90),
        percent_axis="x",
        legend=False,
    )


def monthly_trend(rows, *, title):
    """Return satisfaction and on-time rate by month as two lines.

    ``rows``: ``[{label, satisfaction_rate, satisfaction_n, on_time_rate}]``
    in month order; a month with no data leaves a gap.
    """
    labels = [r["label"] for r in rows]
    fig = go.Figure()
    for key, name, colour in (
        ("satisfaction_rate", _("Tỷ lệ hài lòng"), COLOURS["satisfaction"]),
        ("on_time_rate", _("Tỷ lệ đúng hạn"), COLOURS["on_time"]),
    ):
        fig.add_trace(
            go.Scatter(
                x=labels,
                y=[r.get(key) for r in rows],
                mode="lines+markers",
                name=name,
                line={"color": colour, "width": 2},
                connectgaps=False,
                hovertemplate="%{x}<br>" + name + ": %{y:.2%}<extra></extra>",
            )
        )
    fig.update_xaxes(type="category")
    return _layout(fig, title=title, height=320, percent_axis="y")


def criteria_bars(rows, *, title):
    """Return criteria from weakest (top) to strongest with 95% intervals.

    ``rows``: ``[{label, rate, ci, n}]``; criteria without answers are left out.
    """
    shown = sorted((r for r in rows if r.get("rate") is not None), key=lambda r: r["rate"])
    plus, minus = _ci_arrays(shown)
    fig = go.Figure(
        go.Bar(
            x=[r["rate"] for r in shown],
            y=[r["label"] for r in shown],
            orientation="h",
            marker={"color": COLOURS["satisfaction"]},
            error_x={"type": "data", "symmetric": False, "array": plus, "arrayminus": minus},
            customdata=[[r.get("url") or "", r.get("n") or 0] for r in shown],
            hovertemplate="<b>%{y}</b><br>%{x:.2%}<br>n = %{customdata[1]:,}<extra></extra>",
            texttemplate="%{x:.2%}",
            textposition="inside",
            insidetextanchor="end",
        )
    )
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(range=[0, 1.02])
    return _layout(
        fig,
        title=title,
        height=max(220, BAR_HEIGHT * len(shown) + 90),
        percent_axis="x",
        legend=False,
    )


def timeliness_stacked(rows, *, title):
    """Return early / on time / late shares of finished dossiers, stacked per unit.

    ``rows``: ``[{label, early, on_time, late, url}]`` (counts). Units with no
    finished dossier are left out; hovering shows the counts.
    """
    shown = [
        r for r in rows if (r.get("early") or 0) + (r.get("on_time") or 0) + (r.get("late") or 0)
    ]
    totals = [r.get("early", 0) + r.get("on_time", 0) + r.get("late", 0) for r in shown]
    labels = [r["label"] for r in shown]
    fig = go.Figure()
    for key, name, colour in (
        ("early", _("Trước hạn"), COLOURS["early"]),
        ("on_time", _("Đúng hạn"), COLOURS["on_time"]),
        ("late", _("Trễ hạn"), COLOURS["late"]),
    ):
        counts = [r.get(key) or 0 for r in shown]
        fig.add_trace(
            go.Bar(
                x=[c / t for c, t in zip(counts, totals, strict=True)],
                y=labels,
                orientation="h",
                name=name,
                marker={"color": colour},
                customdata=[[r.get("url") or "", c] for r, c in zip(shown, counts, strict=True)],
                hovertemplate="<b>%{y}</b><br>"
                + name
                + ": %{customdata[1]:,} (%{x:.2%})<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(range=[0, 1])
    return _layout(
        fig, title=title, height=max(240, BAR_HEIGHT * len(shown) + 110), percent_axis="x"
    )


def figure_json(fig):
    """Return the figure as JSON for ``static/js/charts.js`` to draw.

    ``</`` is escaped so a label can never close the ``<script>`` holding it.
    """
    return fig.to_json().replace("</", "<\\/")
