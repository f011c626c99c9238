"""Soll and Ist pictures for the report, drawn with Graphviz, top to bottom so that they fit a portrait page.

- :func:`soll_figure`: the Soll process as a BPMN-like flow (tasks with their role, gateways ×/+, start and
  end), optionally with the deviations overlaid: each activity filled by the share of cases (all offices)
  in which it was skipped, done out of order, inserted or repeated, its lines naming those shares and the
  offices with a significant difference there; activities the Soll does not have at all are drawn dashed
  below the flow. Without a BPMN file the activities of the Petri net are drawn in their order.
- :func:`ist_figure`: an office's directly-follows graph with every node and arrow below the privacy
  threshold removed (the caption says how many are hidden).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import polars as pl

from pmtool.discover.dfg import END, START, DirectlyFollowsGraph
from pmtool.discover.graphviz import FONT, attributes, html, run_dot, wrap
from pmtool.discover.render import MUTED, NODE_LINE, TEXT, dfg_to_dot
from pmtool.i18n import t
from pmtool.models.petri import PetriNet
from pmtool.report import numbers
from pmtool.report.bpmn_view import FlowNode, ProcessView
from pmtool.report.palette import RATE_BOUNDS, RATE_COLOURS, RATE_TEXT, rate_class

LABEL_WIDTH = 26
PLAIN_FILL = "#f3f3f3"
CODES = ("SKIP", "ORDER", "INSERT", "REPEAT")


@dataclass(frozen=True)
class ActivityOverlay:
    """What the overlay shows for one activity: pooled rates per deviation code (all comparable offices,
    suppressed cells left out) and the offices with a significant difference at this activity."""

    rates: Mapping[str, float]
    offices: tuple[str, ...] = ()

    @property
    def total(self) -> float:
        return min(1.0, sum(self.rates.values()))


def soll_figure(view: ProcessView | None, net: PetriNet, *, title: str, lang: str, roles: bool = True,
                overlay: Mapping[str, ActivityOverlay] | None = None) -> bytes:
    """The Soll picture as SVG bytes (see the module docstring)."""
    return run_dot(soll_dot(view, net, title=title, lang=lang, roles=roles, overlay=overlay), "svg")


def soll_dot(view: ProcessView | None, net: PetriNet, *, title: str, lang: str, roles: bool = True,
             overlay: Mapping[str, ActivityOverlay] | None = None) -> str:
    if view is None:
        view = _view_from_net(net)
    ids = {n.id: f"n{i}" for i, n in enumerate(view.nodes)}
    lines = ["digraph soll {",
             "  graph " + attributes({"rankdir": "TB", "fontname": FONT, "bgcolor": "white", "pad": "0.2",
                                      "nodesep": "0.3", "ranksep": "0.28", "labelloc": "t", "labeljust": "l",
                                      "newrank": "true", "label": _header(title, lang, overlay)}) + ";",
             "  node " + attributes({"fontname": FONT, "fontsize": 12, "fontcolor": TEXT, "color": NODE_LINE,
                                     "penwidth": 1.2}) + ";",
             "  edge " + attributes({"color": "#555555", "arrowsize": 0.7, "penwidth": 1.1, "fontname": FONT,
                                     "fontsize": 10, "fontcolor": MUTED}) + ";"]
    for node in view.nodes:
        lines.append(f"  {ids[node.id]} " + attributes(_node(node, lang, roles, overlay)) + ";")
    for src, dst, label in view.flows:
        if src in ids and dst in ids:
            extra = {"label": f" {label} "} if label else {}
            lines.append(f"  {ids[src]} -> {ids[dst]}" + (" " + attributes(extra) if extra else "") + ";")
    if overlay:
        lines += _extra_activities(view, overlay, ids, lang)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node(node: FlowNode, lang: str, roles: bool,
          overlay: Mapping[str, ActivityOverlay] | None) -> dict[str, str | float | int]:
    if node.kind == "start":
        return {"shape": "circle", "label": "", "width": 0.36, "fixedsize": "true", "penwidth": 1.5,
                "xlabel": _small(node.name, 9), "tooltip": node.name or "Start"}
    if node.kind == "end":
        return {"shape": "circle", "label": "", "width": 0.36, "fixedsize": "true", "penwidth": 4.0,
                "xlabel": _small(node.name, 9), "tooltip": node.name or "Ende"}
    if node.kind == "event":
        return {"shape": "doublecircle", "label": "", "width": 0.3, "fixedsize": "true",
                "xlabel": _small(node.name, 9)}
    if node.kind in ("xor", "and", "or"):
        mark = {"xor": "×", "and": "+", "or": "○"}[node.kind]
        attrs: dict[str, str | float | int] = {"shape": "diamond", "label": mark, "width": 0.46, "height": 0.46,
                                               "fixedsize": "true", "fontsize": 16, "style": "filled",
                                               "fillcolor": "white"}
        if node.name:
            attrs["xlabel"] = _small(node.name, 9)
        return attrs
    rows = ["<BR/>".join(html(line) for line in wrap(node.name, LABEL_WIDTH))]
    fill, fontcolor, pen = PLAIN_FILL, TEXT, 1.2
    if roles and node.lane:
        rows.append(f'<FONT POINT-SIZE="9" COLOR="{MUTED}">{html(node.lane)}</FONT>')
    if overlay is not None:
        info = overlay.get(node.name)
        if info is not None:
            cls = rate_class(info.total) or 0
            fill, fontcolor = RATE_COLOURS[cls], RATE_TEXT[cls]
            rows += _overlay_lines(info, lang, fontcolor)
            if info.offices:
                pen = 3.0
        else:
            fill = RATE_COLOURS[0]
        if fontcolor != TEXT:  # the role line must stay readable on a dark fill
            rows = [r.replace(f'COLOR="{MUTED}"', f'COLOR="{fontcolor}"') for r in rows]
    return {"shape": "box", "style": "rounded,filled", "fillcolor": fill, "fontcolor": fontcolor,
            "penwidth": pen, "margin": "0.14,0.06", "label": "<" + "<BR/>".join(rows) + ">",
            "tooltip": node.name}


def _overlay_lines(info: ActivityOverlay, lang: str, colour: str) -> list[str]:
    parts = [f"{t('report.code_short.' + code, lang)} {numbers.rate(info.rates[code], lang)}"
             for code in CODES if info.rates.get(code, 0.0) > 0]
    lines = []
    if parts:
        lines.append(f'<FONT POINT-SIZE="10" COLOR="{colour}">{html(" · ".join(parts))}</FONT>')
    if info.offices:
        text = t("report.overlay.offices", lang, offices=", ".join(info.offices))
        for chunk in wrap(text, 34):
            lines.append(f'<FONT POINT-SIZE="10" COLOR="{colour}"><B>{html(chunk)}</B></FONT>')
    return lines


def _extra_activities(view: ProcessView, overlay: Mapping[str, ActivityOverlay], ids: dict[str, str],
                      lang: str) -> list[str]:
    """Activities with deviations that the Soll does not contain: dashed boxes below the flow."""
    known = {n.name for n in view.tasks}
    extra = sorted(a for a in overlay if a not in known)
    if not extra:
        return []
    ends = [ids[n.id] for n in view.nodes if n.kind == "end"] or [ids[view.nodes[-1].id]]
    lines = ["  subgraph cluster_extra {",
             "    graph " + attributes({"label": t("report.overlay.not_in_soll", lang), "fontname": FONT,
                                        "fontsize": 11, "fontcolor": MUTED, "style": "dashed",
                                        "color": "#888888"}) + ";"]
    for i, activity in enumerate(extra):
        info = overlay[activity]
        cls = rate_class(info.total) or 0
        rows = ["<BR/>".join(html(line) for line in wrap(activity, LABEL_WIDTH))]
        rows += _overlay_lines(info, lang, RATE_TEXT[cls])
        lines.append(f"    x{i} " + attributes({
            "shape": "box", "style": "rounded,dashed,filled", "fillcolor": RATE_COLOURS[cls],
            "fontcolor": RATE_TEXT[cls], "penwidth": 3.0 if info.offices else 1.2, "margin": "0.14,0.06",
            "label": "<" + "<BR/>".join(rows) + ">", "tooltip": activity}) + ";")
    lines.append("  }")
    lines += [f"  {ends[0]} -> x{i} [style=invis];" for i in range(len(extra))]
    return lines


def _header(title: str, lang: str, overlay: Mapping[str, ActivityOverlay] | None) -> str:
    rows = [f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="16"><B>{html(title)}</B></FONT></TD></TR>']
    if overlay is None:
        rows.append(f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="10" COLOR="{MUTED}">'
                    f'{html(t("report.soll.legend", lang))}</FONT></TD></TR>')
    else:
        cells = "".join(
            f'<TD BGCOLOR="{colour}" WIDTH="22" HEIGHT="12" FIXEDSIZE="TRUE" BORDER="1" COLOR="#888888"></TD>'
            f'<TD ALIGN="LEFT"><FONT POINT-SIZE="10">{html(_class_label(i, lang))}</FONT></TD>'
            for i, colour in enumerate(RATE_COLOURS))
        rows.append(f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="10" COLOR="{MUTED}">'
                    f'{html(t("report.overlay.legend", lang))}</FONT></TD></TR>')
        rows.append(f'<TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3"><TR>{cells}</TR>'
                    "</TABLE></TD></TR>")
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="1">' + "".join(rows) + "</TABLE>>"


def _class_label(i: int, lang: str) -> str:
    lower = 0.0 if i == 0 else RATE_BOUNDS[i - 1]
    if i == len(RATE_BOUNDS) - 1:
        return t("report.overlay.class_from", lang, low=numbers.rate(lower, lang))
    return t("report.overlay.class", lang, low=numbers.rate(lower, lang), high=numbers.rate(RATE_BOUNDS[i], lang))


def _small(text: str, size: int) -> str:
    if not text:
        return ""
    return "<" + "<BR/>".join(f'<FONT POINT-SIZE="{size}" COLOR="{MUTED}">{html(line)}</FONT>'
                              for line in wrap(text, 28)) + ">"


def _view_from_net(net: PetriNet) -> ProcessView:
    """A flow of the net's activities (for PNML models): a → b when b can follow a through places and
    silent transitions only."""
    labels = {tr.id: tr.label for tr in net.transitions}
    succ: dict[str, list[str]] = {}
    for src, dst, _ in net.arcs:
        succ.setdefault(src, []).append(dst)
    start = [p for p, _ in net.initial]
    final = {p for p, _ in net.final}

    def reach(sources: Sequence[str]) -> tuple[set[str], bool]:
        seen, found, ends = set(sources), set(), False
        queue = deque(sources)
        while queue:
            node = queue.popleft()
            if node in final:
                ends = True
            for nxt in succ.get(node, ()):
                if labels.get(nxt) is not None:
                    found.add(nxt)
                elif nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return found, ends

    nodes = [FlowNode("start", "start", "")]
    flows: list[tuple[str, str, str]] = []
    visible = sorted((tr for tr in net.transitions if tr.label is not None), key=lambda tr: tr.id)
    first, _ = reach(start)
    flows += [("start", tid, "") for tid in sorted(first)]
    for tr in visible:
        nodes.append(FlowNode(tr.id, "task", tr.label or tr.id))
        after, ends = reach(succ.get(tr.id, []))
        flows += [(tr.id, nxt, "") for nxt in sorted(after)]
        if ends:
            flows.append((tr.id, "end", ""))
    nodes.append(FlowNode("end", "end", ""))
    return ProcessView(net.name, tuple(nodes), tuple(flows))


def private_dfg(dfg: DirectlyFollowsGraph, k: int) -> DirectlyFollowsGraph | None:
    """The figure's view of ``dfg`` without activities or transitions of fewer than ``k`` cases
    (``None`` when the office itself has fewer than ``k`` cases)."""
    if dfg.cases < k:
        return None
    share = k / dfg.cases
    view = dfg.filter(min_edge_share=max(dfg.min_edge_share, share), min_activity_share=max(
        dfg.min_activity_share, share), keep_connected=True)
    edges = view.edges.filter(pl.col("cases") >= k)
    linked = set(edges["source"].to_list()) | set(edges["target"].to_list()) | {START, END}
    nodes = view.nodes.filter(pl.col("activity").is_in(sorted(linked)))
    return replace(view, nodes=nodes, edges=edges)


def ist_figure(dfg: DirectlyFollowsGraph, *, title: str, lang: str) -> bytes:
    """The office's Ist process (already privacy-filtered) as SVG bytes, top to bottom."""
    dot = dfg_to_dot(dfg, title=title, lang=lang).replace('rankdir="LR"', 'rankdir="TB"', 1)
    return run_dot(dot, "svg")
