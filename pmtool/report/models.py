"""Soll and Ist pictures for the report, drawn with Graphviz, top to bottom so that they fit a portrait page.

- :func:`soll_figure`: the Soll process as a BPMN-like flow (tasks with their role, gateways ×/+, start and
  end), optionally with the deviations overlaid: each activity filled by the share of cases (all offices)
  in which it was skipped, done out of order, inserted or repeated, its lines naming those shares and the
  offices with a significant difference there; activities the Soll does not have at all are drawn dashed
  below the flow. Every other kind of finding sits at its place too (:class:`RuleMark`): a deadline or an
  order rule as a red dashed arrow between its two tasks, a role, mandatory or "must not occur" rule and
  never-closed cases as a line in the task's box. Without a BPMN file the activities of the Petri net are
  drawn in their order. ``keep`` draws only part of the flow (an excerpt or one part of a long process):
  where the flow leaves the part, a "⋯" box names the tasks it continues with.
- :func:`ist_figure`: an office's directly-follows graph with every node and arrow below the privacy
  threshold removed (the caption says how many are hidden).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import polars as pl

from pmtool.discover.dfg import END, START, DirectlyFollowsGraph
from pmtool.discover.render import MUTED, NODE_LINE, TEXT, WAIT_CLASSES, dfg_to_dot
from pmtool.formatting import format_cases, format_number, format_share
from pmtool.graphviz import FONT, attributes, html, html_label, run_dot, wrap
from pmtool.i18n import t
from pmtool.models.petri import PetriNet
from pmtool.report import numbers
from pmtool.report.bpmn_view import FlowNode, ProcessView
from pmtool.report.palette import OVERLAY_BOUNDS, OVERLAY_COLOURS, OVERLAY_TEXT, rate_class

LABEL_WIDTH = 26
PLAIN_FILL = "#f3f3f3"
CODES = ("SKIP", "ORDER", "INSERT", "REPEAT")


@dataclass(frozen=True)
class RuleMark:
    """A rule (or never-closed cases) at its place in the Soll: ``kind`` deadline or order between ``start``
    and ``end``; role, mandatory, absent or no_closure at ``activity``. ``rate``: pooled share of cases
    violating it (all comparable offices, suppressed cells left out); ``offices``: those with a finding."""

    kind: str
    label: str
    rate: float | None
    offices: tuple[str, ...] = ()
    activity: str | None = None
    start: str | None = None
    end: str | None = None

    @property
    def on_edge(self) -> bool:
        return self.kind in ("deadline", "order")


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
                overlay: Mapping[str, ActivityOverlay] | None = None, marks: Sequence[RuleMark] = (),
                keep: frozenset[str] | None = None) -> bytes:
    """The Soll picture as SVG bytes (see the module docstring)."""
    return run_dot(soll_dot(view, net, title=title, lang=lang, roles=roles, overlay=overlay, marks=marks,
                            keep=keep), "svg")


def flow_view(view: ProcessView | None, net: PetriNet) -> ProcessView:
    """The BPMN view, or a flow of the net's activities when there is no BPMN file."""
    return view if view is not None else _view_from_net(net)


def soll_dot(view: ProcessView | None, net: PetriNet, *, title: str, lang: str, roles: bool = True,
             overlay: Mapping[str, ActivityOverlay] | None = None, marks: Sequence[RuleMark] = (),
             keep: frozenset[str] | None = None) -> str:
    """The DOT text of :func:`soll_figure` (``keep``: ids of the flow nodes to draw; all when ``None``)."""
    full = flow_view(view, net)
    view = full if keep is None else ProcessView(full.name, tuple(n for n in full.nodes if n.id in keep),
                                                 tuple(f for f in full.flows if f[0] in keep and f[1] in keep))
    ids = {n.id: f"n{i}" for i, n in enumerate(view.nodes)}
    lines = ["digraph soll {",
             "  graph " + attributes({"rankdir": "TB", "fontname": FONT, "bgcolor": "white", "pad": "0.15",
                                      "nodesep": "0.3", "ranksep": "0.2", "newrank": "true"}) + ";",
             "  node " + attributes({"fontname": FONT, "fontsize": 12, "fontcolor": TEXT, "color": NODE_LINE,
                                     "penwidth": 1.2}) + ";",
             "  edge " + attributes({"color": "#555555", "arrowsize": 0.7, "penwidth": 1.1, "fontname": FONT,
                                     "fontsize": 10, "fontcolor": MUTED}) + ";"]
    at_task: dict[str, list[RuleMark]] = {}
    for mark in marks:
        if not mark.on_edge and mark.activity:
            at_task.setdefault(mark.activity, []).append(mark)
    for node in view.nodes:
        lines.append(f"  {ids[node.id]} " + attributes(_node(node, lang, roles, overlay,
                                                             at_task.get(node.name, ()))) + ";")
    for src, dst, label in view.flows:
        if src in ids and dst in ids:
            extra = {"label": f" {label} "} if label else {}
            lines.append(f"  {ids[src]} -> {ids[dst]}" + (" " + attributes(extra) if extra else "") + ";")
    if keep is not None:
        lines += _stubs(full, keep, ids, lang)
    lines += _edge_marks(view, [m for m in marks if m.on_edge], ids, lang)
    if overlay:
        lines += _extra_activities(view, full, overlay, ids, lang, keep)
    lines.append("}")
    return "\n".join(lines) + "\n"


#: Colour of the rule marks: a dark red that keeps a contrast of 4.5:1 even on the darkest orange but one.
MARK_COLOUR = "#7a1008"


def _edge_marks(view: ProcessView, marks: Sequence[RuleMark], ids: dict[str, str], lang: str) -> list[str]:
    """Deadline and order rules as red dashed arrows between their tasks (both must be drawn)."""
    by_name = {n.name: ids[n.id] for n in view.tasks if n.id in ids}
    lines = []
    for mark in marks:
        src, dst = by_name.get(mark.start or ""), by_name.get(mark.end or "")
        if not src or not dst:
            continue
        rows = [html(mark.label)]
        rows += [html(chunk) for chunk in wrap(_mark_numbers(mark, lang), 30)]
        lines.append(f"  {src} -> {dst} " + attributes({
            "style": "dashed", "color": MARK_COLOUR, "fontcolor": MARK_COLOUR, "constraint": "false",
            "penwidth": 2.4 if mark.offices else 1.3, "arrowhead": "vee", "fontsize": 10,
            "label": html_label("<BR/>".join(rows))}) + ";")
    return lines


def _mark_numbers(mark: RuleMark, lang: str) -> str:
    text = t("report.overlay.mark_rate", lang, rate=numbers.rate(mark.rate, lang)) if mark.rate else ""
    if mark.offices:
        text += (" · " if text else "") + t("report.overlay.offices", lang, offices=", ".join(mark.offices))
    return text


def _stubs(full: ProcessView, keep: frozenset[str], ids: dict[str, str], lang: str) -> list[str]:
    """"⋯" boxes where the drawn part of the flow continues outside it, naming the tasks it leads to or
    comes from (through gateways and events)."""
    by_id = {n.id: n for n in full.nodes}
    succ: dict[str, list[str]] = {}
    pred: dict[str, list[str]] = {}
    for src, dst, _ in full.flows:
        succ.setdefault(src, []).append(dst)
        pred.setdefault(dst, []).append(src)
    lines = []
    for i, node in enumerate(n for n in full.nodes if n.id in keep):
        after = _next_tasks([d for d in succ.get(node.id, ()) if d not in keep], succ, by_id)
        before = _next_tasks([s for s in pred.get(node.id, ()) if s not in keep], pred, by_id)
        for direction, names in (("out", after), ("in", before)):
            if not names:
                continue
            key = "report.overlay.continues" if direction == "out" else "report.overlay.comes_from"
            quoted = (f"'{n}'" if lang == "en" else f"„{n}“" for n in names[:2])  # the language's quotes
            text = t(key, lang, tasks=", ".join(quoted) + (" …" if len(names) > 2 else ""))
            stub = f"s{direction}{i}"
            lines.append(f"  {stub} " + attributes({
                "shape": "box", "style": "dashed,rounded", "color": "#888888", "fontcolor": MUTED, "fontsize": 10,
                "margin": "0.08,0.03", "label": html_label("<BR/>".join(html(x) for x in wrap(text, 30)))}) + ";")
            edge = f"{ids[node.id]} -> {stub}" if direction == "out" else f"{stub} -> {ids[node.id]}"
            lines.append(f"  {edge} [style=dashed, color=\"#888888\"];")
    return lines


def _next_tasks(start: Sequence[str], step: Mapping[str, Sequence[str]], by_id: Mapping[str, FlowNode]) -> list[str]:
    """The names of the first tasks (or end events) reached from ``start`` through gateways and events."""
    found: list[str] = []
    seen = set(start)
    queue = deque(start)
    while queue:
        node = by_id.get(queue.popleft())
        if node is None:
            continue
        if node.kind == "task" or (node.kind in ("start", "end") and node.name):
            if node.name not in found:
                found.append(node.name)
            continue
        for nxt in step.get(node.id, ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return found


def _node(node: FlowNode, lang: str, roles: bool, overlay: Mapping[str, ActivityOverlay] | None,
          marks: Sequence[RuleMark] = ()) -> dict[str, str | float | int]:
    if node.kind == "start":
        return {"shape": "circle", "label": "", "width": 0.36, "fixedsize": "true", "penwidth": 1.5,
                "xlabel": _small(node.name, 9)}
    if node.kind == "end":
        return {"shape": "circle", "label": "", "width": 0.36, "fixedsize": "true", "penwidth": 4.0,
                "xlabel": _small(node.name, 9)}
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
    if roles and node.lane and (overlay is None or any(m.kind == "role" for m in marks)):
        rows.append(f'<FONT POINT-SIZE="9" COLOR="{MUTED}">{html(node.lane)}</FONT>')
    if overlay is not None:
        info = overlay.get(node.name)
        if info is not None:
            cls = rate_class(info.total, OVERLAY_BOUNDS) or 0
            fill, fontcolor = OVERLAY_COLOURS[cls], OVERLAY_TEXT[cls]
            rows += _overlay_lines(info, lang, fontcolor)
            if info.offices:
                pen = 3.0
        else:
            fill = OVERLAY_COLOURS[0]
        for mark in marks:
            rows += [f'<FONT POINT-SIZE="10" COLOR="{MARK_COLOUR if fontcolor == TEXT else fontcolor}">'
                     f'{"<B>" if mark.offices else ""}{html(chunk)}{"</B>" if mark.offices else ""}</FONT>'
                     for chunk in wrap(mark.label + ": " + _mark_numbers(mark, lang), 34)]
            if mark.offices:
                pen = 3.0
    return {"shape": "box", "style": "rounded,filled", "fillcolor": fill, "fontcolor": fontcolor,
            "penwidth": pen, "margin": "0.14,0.06", "label": html_label("<BR/>".join(rows))}


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


#: ``keep`` holds ``extra:<name>`` for an activity outside the Soll that a part of the flow shows.
EXTRA = "extra:"


def _extra_activities(view: ProcessView, full: ProcessView, overlay: Mapping[str, ActivityOverlay],
                      ids: dict[str, str], lang: str, keep: frozenset[str] | None) -> list[str]:
    """Activities with deviations that the Soll does not contain: dashed boxes below the flow (in a part of
    the flow only those ``keep`` names)."""
    known = {n.name for n in full.nodes}
    extra = sorted(a for a in overlay if a not in known and (keep is None or EXTRA + a in keep))
    if not extra:
        return []
    # below the end of the flow; a part of the flow that shows only such activities has no end to hang them on
    ends = [ids[n.id] for n in view.nodes if n.kind == "end"] or [ids[n.id] for n in view.nodes[-1:]]
    lines = ["  subgraph cluster_extra {",
             "    graph " + attributes({"label": t("report.overlay.not_in_soll", lang), "fontname": FONT,
                                        "fontsize": 11, "fontcolor": MUTED, "style": "dashed",
                                        "color": "#888888"}) + ";"]
    for i, activity in enumerate(extra):
        info = overlay[activity]
        cls = rate_class(info.total, OVERLAY_BOUNDS) or 0
        rows = ["<BR/>".join(html(line) for line in wrap(activity, LABEL_WIDTH))]
        rows += _overlay_lines(info, lang, OVERLAY_TEXT[cls])
        lines.append(f"    x{i} " + attributes({
            "shape": "box", "style": "rounded,dashed,filled", "fillcolor": OVERLAY_COLOURS[cls],
            "fontcolor": OVERLAY_TEXT[cls], "penwidth": 3.0 if info.offices else 1.2, "margin": "0.14,0.06",
            "label": html_label("<BR/>".join(rows))}) + ";")
    lines.append("  }")
    lines += [f"  {ends[0]} -> x{i} [style=invis];" for i in range(len(extra)) if ends]
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
    return scale_legend(OVERLAY_COLOURS, OVERLAY_BOUNDS, lang)


def scale_legend(colours: Sequence[str], bounds: Sequence[float], lang: str) -> tuple[tuple[str, str], ...]:
    """(colour, label) of each class of a colour scale with class upper ``bounds`` (the last open):
    „unter 0,5 %“, „0,5 % bis unter 1,0 %“, …, „ab 5,0 %“."""
    out = []
    for i, colour in enumerate(colours):
        if i == 0:
            label = t("report.heat.class_below", lang, high=numbers.rate(bounds[0], lang))
        elif i == len(bounds) - 1:
            label = t("report.overlay.class_from", lang, low=numbers.rate(bounds[i - 1], lang))
        else:
            label = t("report.overlay.class", lang, low=numbers.rate(bounds[i - 1], lang),
                      high=numbers.rate(bounds[i], lang))
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
    return html_label("<BR/>".join(f'<FONT POINT-SIZE="{size}" COLOR="{MUTED}">{html(line)}</FONT>'
                                   for line in wrap(text, 28)))


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


@dataclass(frozen=True)
class CutFlow:
    """A transition of the whole Ist map that a narrowed map leaves out because one end is hidden:
    ``shown`` → ``hidden`` (``outgoing``) or ``hidden`` → ``shown``, taken by ``cases`` cases."""

    shown: str
    hidden: str
    cases: int
    outgoing: bool


def cut_flows(whole: DirectlyFollowsGraph, view: DirectlyFollowsGraph) -> tuple[CutFlow, ...]:
    """The transitions of ``whole`` that ``view`` (a narrowed ``whole``) must not silently leave out: for
    every activity of ``view``, its strongest outgoing and its strongest incoming transition where the
    other end is an activity ``view`` hides. Drawn as a dashed arrow to or from a "⋯" box, they keep a
    narrowed map from showing false dead ends and false starts."""
    shown = set(view.activities["activity"].to_list()) & set(view.nodes["activity"].to_list())
    hidden = set(whole.nodes["activity"].to_list()) - shown - {START, END}
    out: list[CutFlow] = []
    edges = whole.edges.sort(["cases", "source", "target"], descending=[True, False, False])
    for outgoing, near, far in ((True, "source", "target"), (False, "target", "source")):
        strongest = edges.filter(pl.col(near).is_in(sorted(shown))).unique(near, keep="first", maintain_order=True)
        for row in strongest.filter(pl.col(far).is_in(sorted(hidden))).iter_rows(named=True):
            out.append(CutFlow(row[near], row[far], int(row["cases"]), outgoing))
    return tuple(sorted(out, key=lambda c: (not c.outgoing, c.shown, c.hidden)))


def ist_figure(dfg: DirectlyFollowsGraph, *, title: str, lang: str, cut: Sequence[CutFlow] = (),
               compact: bool = False) -> bytes:
    """The office's Ist process (already privacy-filtered) as SVG bytes, top to bottom. The heading,
    legend and caption are text in the report beside the picture (:func:`wait_legend`, :func:`dfg_caption`),
    so the picture itself is only the graph; ``cut``: transitions to or from hidden activities, each drawn
    dashed to or from a "⋯" box naming the hidden activity (:func:`cut_flows`); ``compact``: less room
    between the rows (a map narrowed for print keeps one more activity on the page)."""
    lines = dfg_to_dot(dfg, title=title, lang=lang).splitlines()
    for i, line in enumerate(lines):
        if line.startswith("  graph "):
            cut_at = line.find(", label=<")
            line = (line[:cut_at] + "]" + ";") if cut_at > 0 else line
            lines[i] = line.replace('rankdir="LR"', 'rankdir="TB"').replace('pad="0.3"', 'pad="0.15"')
            if compact:
                lines[i] = lines[i].replace('ranksep="0.4"', 'ranksep="0.2"')
            break
    ids = {name: f"n{i}" for i, name in enumerate(dfg.nodes["activity"].to_list())}
    extra = []
    for j, flow in enumerate(c for c in cut if c.shown in ids):
        stub = f"cut{j}"  # a box per arrow: one box with arrows in and out would draw a loop through it
        name = "<BR/>".join(html(line) for line in wrap(flow.hidden, LABEL_WIDTH))
        extra.append(f"  {stub} " + attributes({
            "shape": "box", "style": "rounded,dashed", "color": MUTED, "fontcolor": MUTED, "fontsize": 9,
            "margin": "0.08,0.04", "label": html_label(f"⋯ {name}")}) + ";")
        ends = (ids[flow.shown], stub) if flow.outgoing else (stub, ids[flow.shown])
        extra.append(f"  {ends[0]} -> {ends[1]} " + attributes({
            "style": "dashed", "color": MUTED, "fontcolor": MUTED, "fontsize": 9, "penwidth": 1.0,
            "arrowsize": 0.6, "weight": 0, "label": format_cases(flow.cases, lang)}) + ";")
    closing = len(lines) - 1 - lines[::-1].index("}")
    lines[closing:closing] = extra
    return run_dot("\n".join(lines) + "\n", "svg")
