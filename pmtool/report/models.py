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

import re
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import polars as pl

from pmtool.discover.dfg import END, START, DirectlyFollowsGraph
from pmtool.discover.formatting import format_number, format_share
from pmtool.discover.render import MUTED, NODE_LINE, TEXT, WAIT_CLASSES, dfg_to_dot
from pmtool.graphviz import FONT, attributes, html, run_dot, wrap
from pmtool.i18n import t
from pmtool.models.petri import PetriNet
from pmtool.report import numbers
from pmtool.report.bpmn_view import FlowNode, ProcessView
from pmtool.report.palette import OVERLAY_BOUNDS, RATE_COLOURS, RATE_TEXT, rate_class

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
             "  graph " + attributes({"rankdir": "TB", "fontname": FONT, "bgcolor": "white", "pad": "0.15",
                                      "nodesep": "0.3", "ranksep": "0.2", "newrank": "true",
                                      "tooltip": title}) + ";",
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
        attrs: dict[str, str | float | int] = {"shape": "diamond", "label": mark, "width": 0.36, "height": 0.36,
                                               "fixedsize": "true", "fontsize": 13, "style": "filled",
                                               "fillcolor": "white"}
        if node.name:
            attrs["xlabel"] = _small(node.name, 9)
        return attrs
    rows = ["<BR/>".join(html(line) for line in wrap(node.name, LABEL_WIDTH))]
    fill, fontcolor, pen = PLAIN_FILL, TEXT, 1.2
    if roles and node.lane and overlay is None:
        rows.append(f'<FONT POINT-SIZE="9" COLOR="{MUTED}">{html(node.lane)}</FONT>')
    if overlay is not None:
        info = overlay.get(node.name)
        if info is not None:
            cls = rate_class(info.total, OVERLAY_BOUNDS) or 0
            fill, fontcolor = RATE_COLOURS[cls], RATE_TEXT[cls]
            rows += _overlay_lines(info, lang, fontcolor)
            if info.offices:
                pen = 3.0
        else:
            fill = RATE_COLOURS[0]
    return {"shape": "box", "style": "rounded,filled", "fillcolor": fill, "fontcolor": fontcolor,
            "penwidth": pen, "margin": "0.14,0.06", "label": "<" + "<BR/>".join(rows) + ">",
            "tooltip": node.name}


def _overlay_lines(info: ActivityOverlay, lang: str, colour: str) -> list[str]:
    parts = [t(f"report.code_short.{code}", lang) + " " + numbers.rate(info.rates[code], lang)
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
        cls = rate_class(info.total, OVERLAY_BOUNDS) or 0
        rows = ["<BR/>".join(html(line) for line in wrap(activity, LABEL_WIDTH))]
        rows += _overlay_lines(info, lang, RATE_TEXT[cls])
        lines.append(f"    x{i} " + attributes({
            "shape": "box", "style": "rounded,dashed,filled", "fillcolor": RATE_COLOURS[cls],
            "fontcolor": RATE_TEXT[cls], "penwidth": 3.0 if info.offices else 1.2, "margin": "0.14,0.06",
            "label": "<" + "<BR/>".join(rows) + ">", "tooltip": activity}) + ";")
    lines.append("  }")
    lines += [f"  {ends[0]} -> x{i} [style=invis];" for i in range(len(extra))]
    return lines


def drawn_overlay(overlay: Mapping[str, ActivityOverlay],
                  task_labels: Mapping[str, str]) -> dict[str, ActivityOverlay]:
    """``overlay`` (by the labels the logs show) keyed by the task names the model draws, so a task tied to
    another label (a label map, see pmtool.models.labels) carries its numbers; activities outside the Soll
    keep their label."""
    tied = set(task_labels.values())
    out = {task: overlay[label] for task, label in task_labels.items() if label in overlay}
    out.update({label: info for label, info in overlay.items() if label not in tied})
    return dict(sorted(out.items()))


def overlay_legend(lang: str) -> tuple[tuple[str, str], ...]:
    """(colour, label) of each rate class, for the legend beside the overlay figure."""
    out = []
    for i, colour in enumerate(RATE_COLOURS):
        lower = 0.0 if i == 0 else OVERLAY_BOUNDS[i - 1]
        if i == len(OVERLAY_BOUNDS) - 1:
            label = t("report.overlay.class_from", lang, low=numbers.rate(lower, lang))
        else:
            label = t("report.overlay.class", lang, low=numbers.rate(lower, lang),
                      high=numbers.rate(OVERLAY_BOUNDS[i], lang))
        out.append((colour, label))
    return tuple(out)


def wait_legend(lang: str) -> tuple[tuple[str, str], ...]:
    """(colour, label) of the waiting-time classes of the Ist figures."""
    return tuple((c.colour, t(c.key, lang)) for c in WAIT_CLASSES)


def dfg_caption(dfg: DirectlyFollowsGraph, lang: str) -> str:
    """What the Ist figure hides, in words (the same wording as ``pmtool discover``)."""
    parts = []
    if dfg.hidden_activities:
        parts.append(t("render.hidden_activities", lang, hidden=format_number(dfg.hidden_activities, lang),
                       total=format_number(dfg.total_activities, lang),
                       share=format_share(dfg.min_activity_share, lang)))
    if dfg.hidden_edges:
        parts.append(t("render.hidden_edges", lang, hidden=format_number(dfg.hidden_edges, lang),
                       total=format_number(dfg.total_edges, lang), share=format_share(dfg.min_edge_share, lang)))
    else:
        parts.append(t("render.all_edges", lang, total=format_number(dfg.total_edges, lang)))
    return " ".join(parts)


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
    """The office's Ist process (already privacy-filtered) as SVG bytes, top to bottom. The heading,
    legend and caption are text in the report beside the picture (:func:`wait_legend`, :func:`dfg_caption`),
    so the picture itself is only the graph."""
    lines = dfg_to_dot(dfg, title=title, lang=lang).splitlines()
    for i, line in enumerate(lines):
        if line.startswith("  graph "):
            cut = line.find(", label=<")
            line = (line[:cut] + "]" + ";") if cut > 0 else line
            lines[i] = line.replace('rankdir="LR"', 'rankdir="TB"').replace('pad="0.3"', 'pad="0.15"')
            break
    return run_dot("\n".join(lines) + "\n", "svg")


#: Usable size of a picture on an A4 and on an A3 page (points), after heading, legend and caption.
_A4 = (510.0, 620.0)
_A3 = (757.0, 980.0)
#: Below this scale on A4, a picture gets an A3 page of its own (text would fall under ~7 pt).
MIN_A4_SCALE = 0.6


def page_class(svg: bytes) -> str:
    """"page" (A4) or "a3": the page a picture needs so that its labels stay readable in print."""
    match = re.search(rb'<svg[^>]*?width="([\d.]+)pt"[^>]*?height="([\d.]+)pt"', svg[:2000], re.S)
    if not match:
        return "page"
    width, height = float(match.group(1)), float(match.group(2))
    scale = min(_A4[0] / width, _A4[1] / height, 1.0)
    return "page" if scale >= MIN_A4_SCALE else "a3"
