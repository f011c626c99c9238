"""The directly-follows graph as a figure for a steering committee: SVG or PNG through Graphviz.

Reading aid, not decoration: left to right from Start to Ende; boxes carry the German activity names
(wrapped) and their number of cases; an arrow's width and its label give the number of cases that take
it, its colour the median waiting time in fixed classes (the same colour means the same waiting time in
every office's figure). The colours run from light orange to dark red, so they stay in order when printed
in grey. A header names office, process and period, explains width and colour, and says how many rare
transitions are hidden.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pmtool.discover.dfg import END, START, DirectlyFollowsGraph
from pmtool.formatting import format_cases, format_hours, format_number, format_period, format_share
from pmtool.graphviz import FONT, attributes, html, html_label, run_dot, wrap
from pmtool.i18n import language, t


@dataclass(frozen=True)
class WaitClass:
    """Median waits up to ``upper_hours`` (inclusive) get ``colour``; ``key`` names the legend text."""

    upper_hours: float
    colour: str
    key: str


#: Sequential scale (ColorBrewer OrRd, light to dark), monotone in lightness, so it survives grey print.
WAIT_CLASSES: tuple[WaitClass, ...] = (
    WaitClass(1.0, "#fdbb84", "render.wait.h1"),
    WaitClass(8.0, "#fc8d59", "render.wait.h8"),
    WaitClass(24.0, "#ef6548", "render.wait.d1"),
    WaitClass(72.0, "#d7301f", "render.wait.d3"),
    WaitClass(168.0, "#a50f15", "render.wait.d7"),
    WaitClass(float("inf"), "#4a0508", "render.wait.more"),
)
NO_WAIT_COLOUR = "#9a9a9a"  # edges from Start and into Ende: no waiting time
TEXT = "#222222"
MUTED = "#595959"
NODE_FILL = "#f3f3f3"
NODE_LINE = "#4d4d4d"
MAX_PEN = 7.0
MIN_PEN = 1.0
LABEL_WIDTH = 20


def wait_colour(median_hours: float | None) -> str:
    """The colour of a median waiting time (grey when there is none)."""
    if median_hours is None:
        return NO_WAIT_COLOUR
    return next(c.colour for c in WAIT_CLASSES if median_hours <= c.upper_hours)


def dfg_title(offices: Sequence[str], process: str | None = None, process_name: str | None = None) -> str:
    """„GA-01 · Meldefallbearbeitung (P1)“; the office alone when the process is not known."""
    where = ", ".join(offices)
    if process_name:
        return f"{where} · {process_name} ({process})" if process else f"{where} · {process_name}"
    return f"{where} · {process}" if process else where


def dfg_to_dot(dfg: DirectlyFollowsGraph, *, title: str, lang: str | None = None) -> str:
    """The DOT source of the figure (deterministic: nodes and edges in the graph's sorted order)."""
    lang = lang or language()
    ids = {name: f"n{i}" for i, name in enumerate(dfg.nodes["activity"].to_list())}
    max_cases = max([1, *dfg.edges["cases"].to_list()])
    lines = [
        "digraph dfg {",
        "  graph " + attributes({
            "rankdir": "LR", "fontname": FONT, "bgcolor": "white", "pad": "0.3", "nodesep": "0.35",
            "ranksep": "0.4", "labelloc": "t", "labeljust": "l", "outputorder": "edgesfirst",
            "label": _header(dfg, title, lang)}) + ";",
        "  node " + attributes({
            "fontname": FONT, "fontsize": 11, "fontcolor": TEXT, "shape": "box", "style": "rounded,filled",
            "fillcolor": NODE_FILL, "color": NODE_LINE, "penwidth": 1.2, "margin": "0.14,0.07"}) + ";",
        "  edge " + attributes({"fontname": FONT, "fontsize": 9, "fontcolor": TEXT, "arrowsize": 0.7}) + ";",
    ]
    for row in dfg.nodes.iter_rows(named=True):
        lines.append(f"  {ids[row['activity']]} " + attributes(_node(row, lang)) + ";")
    for row in dfg.edges.iter_rows(named=True):
        lines.append(f"  {ids[row['source']]} -> {ids[row['target']]} "
                     + attributes(_edge(row, max_cases, lang)) + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_dfg(dfg: DirectlyFollowsGraph, *, title: str, fmt: str = "svg", lang: str | None = None,
               width_px: int | None = None) -> bytes:
    """The figure as ``fmt`` (``svg`` or ``png``; a PNG ``width_px`` wide if given) bytes; raises
    :class:`RenderError` without Graphviz.

    >>> render_dfg(dfg, title="GA-01 · Meldefallbearbeitung (P1)")[:5]  # doctest: +SKIP
    b'<?xml'
    """
    return run_dot(dfg_to_dot(dfg, title=title, lang=lang), fmt, width_px=width_px)


def _node(row: dict, lang: str) -> dict[str, str | float | int]:
    if row["kind"] == "start":
        return {"shape": "circle", "style": "filled", "fillcolor": "#333333", "color": "#333333",
                "fontcolor": "white", "fontsize": 10, "width": 0.62, "fixedsize": "true",
                "label": t("render.start", lang)}
    if row["kind"] == "end":
        return {"shape": "doublecircle", "style": "filled", "fillcolor": "#333333", "color": "#333333",
                "fontcolor": "white", "fontsize": 10, "width": 0.56, "fixedsize": "true",
                "label": t("render.end", lang)}
    name = "<BR/>".join(html(line) for line in wrap(row["activity"], LABEL_WIDTH))
    parts = []
    if row["cases"] is not None:  # None: a view that does not print the activity's counts (the report's)
        parts.append(format_cases(row["cases"], lang))
        if row["events"] != row["cases"]:
            parts.append(t("render.events_n", lang, n=format_number(row["events"], lang)))
    if row.get("service_median_hours") is not None:  # activity instances: how long the work itself takes
        parts.append(t("render.service", lang, hours=format_hours(row["service_median_hours"], lang)))
    counts = f'<BR/><FONT POINT-SIZE="9" COLOR="{MUTED}">{html(" · ".join(parts))}</FONT>' if parts else ""
    return {"label": html_label(f"{name}{counts}")}


def _edge(row: dict, max_cases: int, lang: str) -> dict[str, str | float | int]:
    share = row["cases"] / max_cases
    median = row["median_hours"]
    cells = [f"<TR><TD>{html(format_cases(row['cases'], lang))}</TD></TR>"]
    if median is not None:
        cells.append(f'<TR><TD><FONT POINT-SIZE="8" COLOR="{MUTED}">{html(format_hours(median, lang))}'
                     "</FONT></TD></TR>")
    # dot runs the edge along the bottom of its label: an empty row keeps the line off the text
    cells.append(f'<TR><TD HEIGHT="{4 + round(MAX_PEN * share)}"></TD></TR>')
    attrs: dict[str, str | float | int] = {
        "penwidth": MIN_PEN + (MAX_PEN - MIN_PEN) * share,
        "color": wait_colour(median),
        "label": html_label('<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">'
                            + "".join(cells) + "</TABLE>"),
        "weight": 1 + round(9 * share),
    }
    if row["source"] == START or row["target"] == END:
        attrs["style"] = "dashed"  # grey alone could be read as a waiting-time class in grey print
        attrs["penwidth"] = min(float(attrs["penwidth"]), 3.0)  # heavy dashes look like a different mark
    return attrs


def _header(dfg: DirectlyFollowsGraph, title: str, lang: str) -> str:
    """Title, period and size, the colour legend and the caption on hidden parts, as one HTML table."""
    facts = " · ".join([
        t("render.period", lang, period=format_period(dfg.period_start, dfg.period_end, lang)),
        format_cases(dfg.cases, lang),
        t("render.events_n", lang, n=format_number(dfg.events, lang)),
    ])
    swatches = "".join(
        f'<TD BGCOLOR="{c.colour}" WIDTH="18" HEIGHT="10" FIXEDSIZE="TRUE"></TD>'
        f'<TD ALIGN="LEFT"><FONT POINT-SIZE="10">{html(t(c.key, lang))}</FONT></TD>'
        for c in WAIT_CLASSES)
    legend = (f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="1"><TR>'
              f'<TD ALIGN="LEFT"><FONT POINT-SIZE="10"><B>{html(t("render.legend_wait", lang))}:</B>'
              "</FONT></TD>"
              f"{swatches}</TR></TABLE>")
    rows = [
        f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="20"><B>{html(title)}</B></FONT></TD></TR>',
        f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="12" COLOR="{MUTED}">'
        f'{html(t("render.dfg_kind", lang))} · {html(facts)}</FONT></TD></TR>',
        f'<TR><TD ALIGN="LEFT">{legend}</TD></TR>',
        f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="10">{html(t("render.legend_width", lang))}</FONT></TD></TR>',
        f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="10" COLOR="{MUTED}">{html(_caption(dfg, lang))}'
        "</FONT></TD></TR>",
    ]
    return html_label('<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2">' + "".join(rows)
                      + "</TABLE>")


def _caption(dfg: DirectlyFollowsGraph, lang: str) -> str:
    parts = []
    if dfg.hidden_edges:
        parts.append(t("render.hidden_edges", lang, hidden=format_number(dfg.hidden_edges, lang),
                       total=format_number(dfg.total_edges, lang),
                       share=format_share(dfg.min_edge_share, lang)))
    else:
        parts.append(t("render.all_edges", lang, total=format_number(dfg.total_edges, lang)))
    if dfg.hidden_activities:
        hidden, total = format_number(dfg.hidden_activities, lang), format_number(dfg.total_activities, lang)
        if dfg.top_activities is not None and dfg.activities.height == dfg.top_activities:
            parts.insert(0, t("render.hidden_activities_top", lang, hidden=hidden, total=total,
                              top=dfg.top_activities))
        else:
            parts.insert(0, t("render.hidden_activities", lang, hidden=hidden, total=total,
                              share=format_share(dfg.min_activity_share, lang)))
    return " ".join(parts)
