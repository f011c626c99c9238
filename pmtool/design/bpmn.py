"""A Soll candidate as a BPMN 2.0 file a modeller can open: one pool, a lane per role, full diagram
interchange (shapes and edges with a readable automatic layout).

**Structure.** A discovered candidate (it has a process tree) is translated block by block
(:func:`pmtool.discover.bpmn_export.bpmn_diagram`: paired split and join gateways). Any other candidate (the
Soll, a user's draft) is translated from its Petri net, place by place, so that pmtool's BPMN loader gives
back a net with the same language: a place with one producer and one consumer is a sequence flow, any other
place an exclusive gateway (the loader's exclusive gateway *is* a place with silent moves in and out); a
silent transition is a parallel gateway; a task with several input or output places gets a parallel join
or split.

**Lanes.** Each task lies in the lane of the role that performs the activity most often in the logs
(``ProcessDesign.roles``); tasks no role performs lie in a lane "ohne Rolle" / "no role". Gateways and events
lie in the lane of the nearest task before them (else after them).

**Layout.** The order from left to right comes from Graphviz's layered layout (``dot``, left to right, plain
output); the lanes are horizontal bands in the order in which their first task appears; within a lane, nodes
that would overlap are put in rows. Sequence flows are drawn orthogonally: forward flows bend in the
gap before the target's column, flows back (loops) below the two shapes they join.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from lxml import etree

from pmtool import __version__
from pmtool.discover.bpmn_export import (
    BPMN_NS,
    BPMNDI_NS,
    DC_NS,
    DI_NS,
    NSMAP,
    SIZES,
    BpmnDiagram,
    BpmnNode,
    bpmn_diagram,
    flow_elements,
    layout,
)
from pmtool.i18n import t
from pmtool.models.petri import PetriNet
from pmtool.sinks import xml_text

ROW = 100.0  # height of one row of a lane
PAD = 20.0  # space above and below the rows of a lane
LEFT = 90.0  # room for the pool's and the lanes' names
GAP = 30.0  # horizontal space between two nodes of one row


@dataclass(frozen=True)
class Lanes:
    """Lane names in drawing order and the lane of every node."""

    names: tuple[str, ...]
    of: dict[str, str]


def net_diagram(net: PetriNet, name: str) -> BpmnDiagram:
    """``net`` as a flat BPMN process with the same language for pmtool's loader (see the module text)."""
    nodes: list[BpmnNode] = []
    flows: list[tuple[str, str, str]] = []
    counts: dict[str, int] = {}

    def node(kind: str, label: str = "", direction: str = "") -> str:
        prefix = "Task" if kind == "task" else "Gateway" if kind.endswith("Gateway") else kind
        counts[prefix] = counts.get(prefix, 0) + 1
        nid = f"{prefix}_{counts[prefix]}"
        nodes.append(BpmnNode(nid, kind, label, direction))
        return nid

    def flow(src: str, dst: str) -> None:
        counts["Flow"] = counts.get("Flow", 0) + 1
        flows.append((f"Flow_{counts['Flow']}", src, dst))

    pre, post = net.preset, net.postset
    start = node("startEvent", t("render.start"))
    entry: dict[str, str] = {}
    exit_: dict[str, str] = {}
    for tr in net.transitions:
        if tr.label is None:
            gw = node("parallelGateway", direction="Mixed" if len(pre[tr.id]) > 1 and len(post[tr.id]) > 1
                      else "Converging" if len(pre[tr.id]) > 1 else "Diverging")
            entry[tr.id] = exit_[tr.id] = gw
            continue
        join = node("parallelGateway", direction="Converging") if len(pre[tr.id]) > 1 else None
        task = node("task", tr.label)
        split = node("parallelGateway", direction="Diverging") if len(post[tr.id]) > 1 else None
        if join:
            flow(join, task)
        if split:
            flow(task, split)
        entry[tr.id], exit_[tr.id] = join or task, split or task
    producers: dict[str, list[str]] = {p: [] for p in net.places}
    consumers: dict[str, list[str]] = {p: [] for p in net.places}
    for tr in net.transitions:
        for p in pre[tr.id]:
            consumers[p].append(entry[tr.id])
        for p in post[tr.id]:
            producers[p].append(exit_[tr.id])
    initial, final = dict(net.initial), dict(net.final)
    end = node("endEvent", t("render.end"))
    for p in net.places:
        sources = ([start] if p in initial else []) + producers[p]
        sinks = consumers[p] + ([end] if p in final else [])
        if not sources or not sinks:
            continue
        if len(sources) == 1 and len(sinks) == 1:
            flow(sources[0], sinks[0])
            continue
        gw = node("exclusiveGateway", direction="Mixed" if len(sources) > 1 and len(sinks) > 1
                  else "Converging" if len(sources) > 1 else "Diverging")
        for s in sources:
            flow(s, gw)
        for s in sinks:
            flow(gw, s)
    return BpmnDiagram(name, tuple(nodes), tuple(flows))


def lanes(diagram: BpmnDiagram, roles: dict[str, str], lang: str | None = None) -> Lanes:
    """The lane of every node (see the module text)."""
    none = t("design.lane.none", lang)
    of = {n.id: roles.get(n.name, none) for n in diagram.nodes if n.kind == "task"}
    before: dict[str, list[str]] = {n.id: [] for n in diagram.nodes}
    after: dict[str, list[str]] = {n.id: [] for n in diagram.nodes}
    for _, s, d in diagram.flows:
        after[s].append(d)
        before[d].append(s)
    for n in diagram.nodes:
        if n.id in of:
            continue
        found = _nearest(n.id, before, of) or _nearest(n.id, after, of)
        of[n.id] = of[found] if found else (next(iter(of.values()), none))
    order = [of[n.id] for n in diagram.nodes if n.kind == "task"] or [none]
    names = tuple(dict.fromkeys(order))
    for n in diagram.nodes:
        of.setdefault(n.id, names[0])
    return Lanes(names, of)


def _nearest(start: str, edges: dict[str, list[str]], tasks: dict[str, str]) -> str | None:
    seen = {start}
    queue = deque(edges[start])
    while queue:
        x = queue.popleft()
        if x in seen:
            continue
        seen.add(x)
        if x in tasks:
            return x
        queue.extend(edges[x])
    return None


def lane_layout(diagram: BpmnDiagram, lanes_: Lanes) -> tuple[dict[str, tuple[float, float, float, float]],
                                                               dict[str, tuple[float, float, float, float]],
                                                               dict[str, list[tuple[float, float]]]]:
    """Node bounds, lane bounds and flow waypoints (see the module text)."""
    dot_bounds, _ = layout(diagram)
    kinds = {n.id: n.kind for n in diagram.nodes}
    xs = {nid: b[0] + LEFT for nid, b in dot_bounds.items()}
    rows: dict[str, int] = {}
    per_lane: dict[str, list[list[tuple[float, float]]]] = {name: [] for name in lanes_.names}
    for n in sorted(diagram.nodes, key=lambda n: (dot_bounds[n.id][1], xs[n.id], n.id)):
        w = SIZES[kinds[n.id]][0]
        x0, x1 = xs[n.id] - GAP / 2, xs[n.id] + w + GAP / 2
        taken = per_lane[lanes_.of[n.id]]
        row = next((i for i, r in enumerate(taken) if all(x1 <= a or x0 >= b for a, b in r)), len(taken))
        if row == len(taken):
            taken.append([])
        taken[row].append((x0, x1))
        rows[n.id] = row
    width = max(xs[n.id] + SIZES[kinds[n.id]][0] for n in diagram.nodes) + 40.0
    lane_bounds: dict[str, tuple[float, float, float, float]] = {}
    top = 0.0
    for name in lanes_.names:
        height = max(len(per_lane[name]), 1) * ROW + 2 * PAD
        lane_bounds[name] = (30.0, top, width - 30.0, height)
        top += height
    bounds = {}
    for n in diagram.nodes:
        w, h = SIZES[kinds[n.id]]
        lane_top = lane_bounds[lanes_.of[n.id]][1]
        bounds[n.id] = (round(xs[n.id], 1), round(lane_top + PAD + rows[n.id] * ROW + (ROW - h) / 2, 1), w, h)
    waypoints = {fid: _route(bounds[s], bounds[d]) for fid, s, d in diagram.flows}
    return bounds, lane_bounds, waypoints


def _route(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> list[tuple[float, float]]:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ay_c, by_c = ay + ah / 2, by + bh / 2
    if bx >= ax + aw:  # forward: out on the right, in on the left, one bend in the middle
        if abs(ay_c - by_c) < 0.5:
            return [(ax + aw, ay_c), (bx, by_c)]
        # the bend lies in the gap just before the target's column (dot centres a column's shapes; the widest is
        # a task), so the vertical part passes between columns rather than through shapes
        mid = bx + bw / 2 - SIZES["task"][0] / 2 - 12
        if mid <= ax + aw + 4:
            mid = (ax + aw + bx) / 2
        mid = round(mid, 1)
        return [(ax + aw, ay_c), (mid, ay_c), (mid, by_c), (bx, by_c)]
    below = max(ay + ah, by + bh) + 18  # back: under both shapes
    return [(ax + aw / 2, ay + ah), (ax + aw / 2, below), (bx + bw / 2, below), (bx + bw / 2, by + bh)]


def candidate_bpmn(diagram: BpmnDiagram, roles: dict[str, str], *, lang: str | None = None) -> bytes:
    """The BPMN 2.0 XML (UTF-8) of ``diagram`` with a pool, lanes and diagram interchange."""
    q = lambda ns, tag: f"{{{ns}}}{tag}"  # noqa: E731
    lanes_ = lanes(diagram, roles, lang)
    bounds, lane_bounds, waypoints = lane_layout(diagram, lanes_)
    defs = etree.Element(q(BPMN_NS, "definitions"), nsmap=NSMAP, id="Definitions_1",
                         targetNamespace="https://pmtool.invalid/bpmn/soll", exporter="pmtool",
                         exporterVersion=__version__)
    collab = etree.SubElement(defs, q(BPMN_NS, "collaboration"), id="Collaboration_1")
    etree.SubElement(collab, q(BPMN_NS, "participant"), id="Participant_1", name=xml_text(diagram.name),
                     processRef="Process_1")
    process = etree.SubElement(defs, q(BPMN_NS, "process"), id="Process_1", name=xml_text(diagram.name),
                               isExecutable="false")
    lane_set = etree.SubElement(process, q(BPMN_NS, "laneSet"), id="LaneSet_1")
    lane_ids = {name: f"Lane_{i}" for i, name in enumerate(lanes_.names, 1)}
    for name in lanes_.names:
        lane = etree.SubElement(lane_set, q(BPMN_NS, "lane"), id=lane_ids[name], name=xml_text(name))
        for n in diagram.nodes:
            if lanes_.of[n.id] == name:
                etree.SubElement(lane, q(BPMN_NS, "flowNodeRef")).text = n.id
    flow_elements(process, diagram)
    dia = etree.SubElement(defs, q(BPMNDI_NS, "BPMNDiagram"), id="Diagram_1")
    plane = etree.SubElement(dia, q(BPMNDI_NS, "BPMNPlane"), id="Plane_1", bpmnElement="Collaboration_1")
    total = sum(b[3] for b in lane_bounds.values())
    width = max(b[0] + b[2] for b in lane_bounds.values())
    _shape(plane, "Participant_1", (0.0, 0.0, width, total), horizontal=True)
    for name in lanes_.names:
        _shape(plane, lane_ids[name], lane_bounds[name], horizontal=True)
    for n in diagram.nodes:
        _shape(plane, n.id, bounds[n.id], marker=n.kind == "exclusiveGateway")
    for fid, _, _ in diagram.flows:
        edge = etree.SubElement(plane, q(BPMNDI_NS, "BPMNEdge"), id=f"{fid}_di", bpmnElement=fid)
        for x, y in waypoints[fid]:
            etree.SubElement(edge, q(DI_NS, "waypoint"), x=_num(x), y=_num(y))
    return etree.tostring(defs, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _shape(plane: etree._Element, element: str, box: tuple[float, float, float, float], *,
           horizontal: bool = False, marker: bool = False) -> None:
    attrs = {"id": f"{element}_di", "bpmnElement": element}
    if horizontal:
        attrs["isHorizontal"] = "true"
    if marker:
        attrs["isMarkerVisible"] = "true"
    shape = etree.SubElement(plane, f"{{{BPMNDI_NS}}}BPMNShape", attrs)
    x, y, w, h = box
    etree.SubElement(shape, f"{{{DC_NS}}}Bounds", x=_num(x), y=_num(y), width=_num(w), height=_num(h))


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def diagram_of(candidate, name: str) -> BpmnDiagram:  # noqa: ANN001 - a pmtool.design.candidates.Candidate
    """The BPMN structure of a candidate: block by block from its tree, else place by place from its net."""
    if candidate.tree is not None:
        return bpmn_diagram(candidate.tree, name)
    return net_diagram(candidate.net, name)
