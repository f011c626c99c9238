"""A process tree as a BPMN 2.0 file with diagram information, readable by pmtool, pm4py and modelling tools.

The translation is block by block: a sequence becomes a chain; exclusive choice (X), parallelism (+)
and inclusive choice (O) become a pair of split and join gateways; a loop ``*(body, redo)`` becomes an
exclusive join before the body and an exclusive split after it, with the redo part leading back. A
silent step (tau) becomes a plain sequence flow. The layout (BPMN DI) comes from Graphviz, left to right.
Element ids are numbered in the order of the tree (``Task_1``, ``Gateway_1``, ``Flow_1``), so the same
tree gives the same file, byte for byte.

>>> from pmtool.models.tree import ProcessTree as T
>>> diagram = bpmn_diagram(T.seq(T.leaf("A"), T.xor(T.leaf("B"), T.tau())), name="Ist")
>>> [n.kind for n in diagram.nodes]
['startEvent', 'task', 'exclusiveGateway', 'task', 'exclusiveGateway', 'endEvent']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from pmtool import __version__
from pmtool.graphviz import layout_plain, quoted
from pmtool.i18n import t
from pmtool.models.tree import LOOP, OR, PARALLEL, SEQUENCE, XOR, ProcessTree
from pmtool.sinks import xml_text

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
NSMAP = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS}
GATEWAYS = {XOR: "exclusiveGateway", PARALLEL: "parallelGateway", OR: "inclusiveGateway"}
#: Shape sizes in pixels (BPMN DI uses 1 px = 1/72 inch here, as Graphviz points).
SIZES = {"task": (110.0, 60.0), "startEvent": (36.0, 36.0), "endEvent": (36.0, 36.0),
         "exclusiveGateway": (50.0, 50.0), "parallelGateway": (50.0, 50.0), "inclusiveGateway": (50.0, 50.0)}


@dataclass(frozen=True)
class BpmnNode:
    id: str
    kind: str  # startEvent | endEvent | task | exclusiveGateway | parallelGateway | inclusiveGateway
    name: str = ""
    direction: str = ""  # for gateways: Diverging | Converging


@dataclass(frozen=True)
class BpmnDiagram:
    """A flat BPMN process: nodes and sequence flows ``(id, source, target)`` in creation order."""

    name: str
    nodes: tuple[BpmnNode, ...]
    flows: tuple[tuple[str, str, str], ...]


@dataclass
class _Builder:
    nodes: list[BpmnNode] = field(default_factory=list)
    flows: list[tuple[str, str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def node(self, kind: str, name: str = "", direction: str = "") -> str:
        prefix = "Task" if kind == "task" else "Gateway" if kind.endswith("Gateway") else kind
        self.counts[prefix] = self.counts.get(prefix, 0) + 1
        nid = f"{prefix}_{self.counts[prefix]}"
        self.nodes.append(BpmnNode(nid, kind, name, direction))
        return nid

    def flow(self, source: str, target: str) -> None:
        if any(s == source and t == target for _, s, t in self.flows):
            return  # two silent branches between the same gateways are one flow
        self.counts["Flow"] = self.counts.get("Flow", 0) + 1
        self.flows.append((f"Flow_{self.counts['Flow']}", source, target))

    def block(self, tree: ProcessTree) -> tuple[str, str] | None:
        """Add ``tree``; return its (entry, exit) node ids, ``None`` when it is silent throughout."""
        if tree.is_leaf:
            if tree.label is None:
                return None
            task = self.node("task", tree.label)
            return task, task
        if tree.operator == SEQUENCE:
            parts = [p for p in (self.block(c) for c in tree.children) if p is not None]
            if not parts:
                return None
            for (_, out), (nxt, _) in zip(parts, parts[1:], strict=False):
                self.flow(out, nxt)
            return parts[0][0], parts[-1][1]
        if tree.operator in GATEWAYS:
            if tree.operator == PARALLEL and all(not c.labels for c in tree.children):
                return None
            kind = GATEWAYS[tree.operator]
            split = self.node(kind, direction="Diverging")
            parts = [self.block(child) for child in tree.children]
            join = self.node(kind, direction="Converging")
            for part in parts:
                if part is None:
                    if tree.operator != PARALLEL:  # a silent branch of a choice: skipping is possible
                        self.flow(split, join)
                    continue
                self.flow(split, part[0])
                self.flow(part[1], join)
            if tree.operator == PARALLEL and not any(s == split for _, s, _ in self.flows):
                self.flow(split, join)
            return split, join
        if tree.operator == LOOP:
            join = self.node("exclusiveGateway", direction="Converging")
            body = self.block(tree.children[0])
            split = self.node("exclusiveGateway", direction="Diverging")
            if body is None:
                self.flow(join, split)
            else:
                self.flow(join, body[0])
                self.flow(body[1], split)
            for part in [self.block(redo) for redo in tree.children[1:]]:
                if part is None:
                    self.flow(split, join)
                else:
                    self.flow(split, part[0])
                    self.flow(part[1], join)
            return join, split
        raise ValueError(f"unknown tree operator {tree.operator!r}")  # ProcessTree admits no other


def bpmn_diagram(tree: ProcessTree, name: str) -> BpmnDiagram:
    """The BPMN structure of ``tree`` (without layout)."""
    b = _Builder()
    start = b.node("startEvent", t("render.start"))
    body = b.block(tree)
    end = b.node("endEvent", t("render.end"))
    if body is None:
        b.flow(start, end)
    else:
        b.flow(start, body[0])
        b.flow(body[1], end)
    return BpmnDiagram(name, tuple(b.nodes), tuple(b.flows))


def layout(diagram: BpmnDiagram) -> tuple[dict[str, tuple[float, float, float, float]],
                                          dict[str, list[tuple[float, float]]]]:
    """Shape bounds ``(x, y, width, height)`` and flow waypoints in pixels, from ``dot`` (left to right)."""
    lines = ["digraph bpmn {", '  graph [rankdir="LR", nodesep="0.35", ranksep="0.45", splines="polyline"];']
    for n in diagram.nodes:
        w, h = SIZES[n.kind]
        lines.append(f'  {quoted(n.id)} [shape="box", fixedsize="true", width="{w / 72:.4f}", '
                     f'height="{h / 72:.4f}", label=""];')
    for fid, src, dst in diagram.flows:
        lines.append(f"  {quoted(src)} -> {quoted(dst)} [id={quoted(fid)}];")
    lines.append("}")
    plain = layout_plain("\n".join(lines) + "\n")
    bounds: dict[str, tuple[float, float, float, float]] = {}
    routes: dict[tuple[str, str], list[tuple[float, float]]] = {}  # flows are unique per (source, target)
    height = 0.0
    for row in plain.splitlines():
        parts = row.split()
        if parts[0] == "graph":
            height = float(parts[3]) * 72
        elif parts[0] == "node":
            x, y = float(parts[2]) * 72, float(parts[3]) * 72
            w, h = SIZES[_kind(diagram, parts[1])]
            bounds[parts[1]] = (x - w / 2, height - y - h / 2, w, h)
        elif parts[0] == "edge":
            n = int(parts[3])
            pts = [(float(parts[4 + 2 * i]) * 72, height - float(parts[5 + 2 * i]) * 72) for i in range(n)]
            # a polyline's Bézier form repeats each corner: every third control point is one
            routes[(parts[1], parts[2])] = pts[::3] if (n - 1) % 3 == 0 else pts
    waypoints = {fid: [(round(x, 1), round(y, 1)) for x, y in routes[(src, dst)]]
                 for fid, src, dst in diagram.flows}
    return {k: tuple(round(v, 1) for v in b) for k, b in bounds.items()}, waypoints  # type: ignore[misc]


def _kind(diagram: BpmnDiagram, node_id: str) -> str:
    return next(n.kind for n in diagram.nodes if n.id == node_id)


def flow_elements(process: etree._Element, diagram: BpmnDiagram) -> None:
    """Add the nodes (with their incoming and outgoing flows) and the sequence flows of ``diagram`` to the
    ``process`` element."""
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for fid, src, dst in diagram.flows:
        outgoing.setdefault(src, []).append(fid)
        incoming.setdefault(dst, []).append(fid)
    for n in diagram.nodes:
        attrs = {"id": n.id}
        if n.name:
            attrs["name"] = xml_text(n.name)
        if n.direction:
            attrs["gatewayDirection"] = n.direction
        el = etree.SubElement(process, f"{{{BPMN_NS}}}{n.kind}", attrs)
        for fid in incoming.get(n.id, []):
            etree.SubElement(el, f"{{{BPMN_NS}}}incoming").text = fid
        for fid in outgoing.get(n.id, []):
            etree.SubElement(el, f"{{{BPMN_NS}}}outgoing").text = fid
    for fid, src, dst in diagram.flows:
        etree.SubElement(process, f"{{{BPMN_NS}}}sequenceFlow", id=fid, sourceRef=src, targetRef=dst)


def bpmn_xml(diagram: BpmnDiagram, *, with_layout: bool = True) -> bytes:
    """The BPMN 2.0 XML of ``diagram`` (UTF-8), with diagram interchange unless ``with_layout`` is off."""
    defs = etree.Element(f"{{{BPMN_NS}}}definitions", nsmap=NSMAP, id="Definitions_1",
                         targetNamespace="https://pmtool.invalid/bpmn/ist", exporter="pmtool",
                         exporterVersion=__version__)
    process = etree.SubElement(defs, f"{{{BPMN_NS}}}process", id="Process_1", name=xml_text(diagram.name),
                               isExecutable="false")
    flow_elements(process, diagram)
    if with_layout:
        bounds, waypoints = layout(diagram)
        dia = etree.SubElement(defs, f"{{{BPMNDI_NS}}}BPMNDiagram", id="Diagram_1")
        plane = etree.SubElement(dia, f"{{{BPMNDI_NS}}}BPMNPlane", id="Plane_1", bpmnElement="Process_1")
        for n in diagram.nodes:
            shape = etree.SubElement(plane, f"{{{BPMNDI_NS}}}BPMNShape", id=f"{n.id}_di", bpmnElement=n.id)
            x, y, w, h = bounds[n.id]
            etree.SubElement(shape, f"{{{DC_NS}}}Bounds", x=_num(x), y=_num(y), width=_num(w), height=_num(h))
        for fid, _, _ in diagram.flows:
            edge = etree.SubElement(plane, f"{{{BPMNDI_NS}}}BPMNEdge", id=f"{fid}_di", bpmnElement=fid)
            for x, y in waypoints[fid]:
                etree.SubElement(edge, f"{{{DI_NS}}}waypoint", x=_num(x), y=_num(y))
    return etree.tostring(defs, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def write_bpmn(tree: ProcessTree, path: Path, *, name: str = "Ist", with_layout: bool = True) -> None:
    """Write ``tree`` as a BPMN 2.0 file (see :func:`bpmn_xml`); raises ``RenderError`` without Graphviz
    when ``with_layout`` is on."""
    path.write_bytes(bpmn_xml(bpmn_diagram(tree, name), with_layout=with_layout))
