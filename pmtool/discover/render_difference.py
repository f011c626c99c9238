"""The difference of two directly-follows graphs (before and after) as one figure.

Every transition of the difference table (:func:`pmtool.compare.before_after.difference`) is drawn once:
its width is its share of cases after, its colour says whether it became slower (red) or faster (blue) —
a diverging scale that survives grey print as dark and light — grey when its waiting time did not change or
cannot be compared; a transition that became more frequent is solid and bold, less frequent dotted, new
(fewer than the threshold's cases before) double-lined, gone dashed. Each label names the change:
``▲ 12 pp``/``▼ 8 pp`` for the share of cases and ``+1,5 d``/``−0,5 d`` for the median wait.
"""

from __future__ import annotations

import polars as pl

from pmtool.discover.dfg import END, START
from pmtool.formatting import format_hours
from pmtool.graphviz import FONT, attributes, html, html_label, run_dot, wrap
from pmtool.i18n import language, t

SLOWER = "#b2182b"
FASTER = "#2166ac"
SAME = "#8c8c8c"
_STYLE = {"more": "bold", "less": "dotted", "new": "bold", "gone": "dashed", "same": "solid"}


def _points(change: float | None, lang: str) -> str:
    if change is None:
        return ""
    points = round(change * 100)
    if points == 0:
        return "± 0 pp"
    return f"{'▲' if points > 0 else '▼'} {abs(points)} pp"


def _wait(row: dict, lang: str) -> str:
    before, after = row["median_hours_before"], row["median_hours_after"]
    if before is None or after is None:
        return ""
    delta = after - before
    sign = "+" if delta > 0 else "−" if delta < 0 else "±"
    return f"{sign}{format_hours(abs(delta), lang)}"


def difference_dot(diff: pl.DataFrame, *, title: str, subtitle: str, lang: str | None = None) -> str:
    """The DOT source of the difference figure (deterministic: rows in the table's order)."""
    lang = lang or language()
    names = sorted({*diff["source"].to_list(), *diff["target"].to_list()} - {START, END})
    ids = {START: "s", END: "e", **{n: f"n{i}" for i, n in enumerate(names)}}
    legend = " · ".join(t(f"render.diff.{k}", lang) for k in ("slower", "faster", "more", "less", "new", "gone"))
    header = html_label('<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2">'
                        f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="20"><B>{html(title)}</B></FONT></TD></TR>'
                        f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="12">{html(subtitle)}</FONT></TD></TR>'
                        f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="10">{html(legend)}</FONT></TD></TR></TABLE>')
    lines = ["digraph difference {",
             "  graph " + attributes({"rankdir": "LR", "fontname": FONT, "bgcolor": "white", "pad": "0.3",
                                      "nodesep": "0.35", "ranksep": "0.4", "labelloc": "t", "labeljust": "l",
                                      "label": header}) + ";",
             "  node " + attributes({"fontname": FONT, "fontsize": 11, "shape": "box", "style": "rounded,filled",
                                     "fillcolor": "#f3f3f3", "color": "#4d4d4d", "margin": "0.14,0.07"}) + ";",
             "  edge " + attributes({"fontname": FONT, "fontsize": 9, "arrowsize": 0.7}) + ";",
             "  s " + attributes({"shape": "circle", "style": "filled", "fillcolor": "#333333", "fontcolor": "white",
                                  "label": t("render.start", lang), "fixedsize": "true", "width": 0.62}) + ";",
             "  e " + attributes({"shape": "doublecircle", "style": "filled", "fillcolor": "#333333",
                                  "fontcolor": "white", "label": t("render.end", lang), "fixedsize": "true",
                                  "width": 0.56}) + ";"]
    for name in names:
        lines.append(f"  {ids[name]} " + attributes({
            "label": html_label("<BR/>".join(html(x) for x in wrap(name, 20)))}) + ";")
    for row in diff.iter_rows(named=True):
        share = row["share_after"] if row["share_after"] is not None else (row["share_before"] or 0.0)
        colour = {"slower": SLOWER, "faster": FASTER}.get(row["speed"] or "", SAME)
        label = "  ".join(x for x in (_points(row["share_change"], lang), _wait(row, lang)) if x)
        if row["frequency"] in ("new", "gone"):
            label = t(f"render.diff.{row['frequency']}", lang)
        attrs: dict[str, str | float | int] = {
            "penwidth": 1.0 + 6.0 * share, "color": colour if row["frequency"] != "new" else f"{colour}:{colour}",
            "style": _STYLE[row["frequency"]], "label": label, "fontcolor": colour if colour != SAME else "#222222"}
        lines.append(f"  {ids[row['source']]} -> {ids[row['target']]} " + attributes(attrs) + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_difference(diff: pl.DataFrame, *, title: str, subtitle: str, fmt: str = "svg",
                      lang: str | None = None, width_px: int | None = None) -> bytes:
    """The difference figure as ``fmt`` bytes (see :func:`difference_dot`)."""
    return run_dot(difference_dot(diff, title=title, subtitle=subtitle, lang=lang), fmt, width_px=width_px)
