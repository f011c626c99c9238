"""Load BPMN 2.0 process models into a Petri net plus the annotations pm4py's converter drops.

What is kept: tasks (labelled transitions), lanes (role expectations per activity), documentation,
subprocesses (flattened into the parent flow), start/end/intermediate events and exclusive, parallel and
event-based gateways. Whatever cannot be interpreted exactly is listed in the :class:`ConversionReport`,
never dropped silently. The conversion follows the usual flow-to-place mapping (Dijkman, Dumas and
Ouyang, 2008): every sequence flow is a place; a task is a transition; an exclusive gateway is one silent
transition per branch; a parallel gateway is one silent transition for all branches.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from pmtool import limits
from pmtool.errors import Location, ModelError
from pmtool.models.petri import PetriNet, Transition, marking, reduce_silent
from pmtool.models.xml import parse_xml_safely

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
#: ``pmtool:activity`` on a task: the vocabulary id or log label the task stands for (pmtool.models.labels).
TARGET_ATTRIBUTE = "{urn:pmtool:bpmn}activity"
TASKS = {"task", "userTask", "serviceTask", "manualTask", "scriptTask", "businessRuleTask", "sendTask",
         "receiveTask", "callActivity"}
SUBPROCESSES = {"subProcess", "adHocSubProcess", "transaction"}
SILENT_EVENTS = {"intermediateCatchEvent", "intermediateThrowEvent"}
#: Kept as notes (documentation of the model), not control flow.
NOTES = {"textAnnotation", "association"}
IGNORED = {"dataObject", "dataObjectReference", "dataStoreReference", "textAnnotation", "association",
           "dataInputAssociation", "dataOutputAssociation", "group", "category", "property", "ioSpecification",
           "extensionElements", "documentation", "laneSet", "lane", "sequenceFlow", "incoming", "outgoing",
           "conditionExpression", "multiInstanceLoopCharacteristics", "standardLoopCharacteristics"}


@dataclass(frozen=True)
class ReportItem:
    """One element pmtool could not take over exactly: ``action`` is "ignored" or "approximated"."""

    element_id: str
    element_type: str
    name: str
    action: str
    detail: str


@dataclass(frozen=True)
class ConversionReport:
    items: tuple[ReportItem, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.items


@dataclass(frozen=True)
class BpmnModel:
    """A BPMN process as pmtool uses it."""

    name: str
    net: PetriNet
    roles: dict[str, tuple[str, ...]]  # activity label → lane names it appears in
    documentation: dict[str, str]  # activity label → documentation text
    element_ids: dict[str, tuple[str, ...]]  # activity label → BPMN element ids
    report: ConversionReport
    source: str
    sha256: str
    lanes: tuple[str, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())
    targets: dict[str, str] = field(default_factory=dict)  # task label → pmtool:activity (see models.labels)


def load_bpmn(path: Path, *, reduce: bool = True) -> BpmnModel:
    """Read a BPMN 2.0 file; raise :class:`ModelError` naming file and line for what cannot be used."""
    data = path.read_bytes() if path.exists() else None
    if data is None:
        raise ModelError("model.not_found", Location(str(path)))
    root = parse_xml_safely(data, str(path), ModelError, unique_ids=True)
    if etree.QName(root).localname != "definitions" or etree.QName(root).namespace != BPMN_NS:
        raise ModelError("model.not_bpmn", Location(str(path), root.sourceline))
    tasks = sum(1 for el in root.iter() if isinstance(el.tag, str) and _local(el) in TASKS)
    if tasks > limits.current().model_tasks:
        raise limits.exceeded("model_tasks", tasks, str(path), error=ModelError)
    processes = [el for el in root if _local(el) == "process"]
    with_nodes = [p for p in processes if any(_local(c) in TASKS | SUBPROCESSES for c in p)]
    if not with_nodes:
        raise ModelError("model.no_process", Location(str(path)))
    items: list[ReportItem] = []
    if len(with_nodes) > 1:
        for extra in with_nodes[1:]:
            items.append(ReportItem(extra.get("id", ""), "process", extra.get("name", ""), "ignored",
                                    "only the first process with tasks is converted"))
    for el in root.iter():
        if isinstance(el.tag, str) and _local(el) == "messageFlow":
            items.append(ReportItem(el.get("id", ""), "messageFlow", el.get("name", ""), "ignored",
                                    "message flows between pools have no control-flow meaning inside one process"))
    builder = _Builder(str(path), items)
    process = with_nodes[0]
    builder.convert(process, prefix="")
    net = builder.net(process.get("name") or process.get("id") or path.stem)
    if reduce:
        net = reduce_silent(net)
    roles = builder.roles(process)
    return BpmnModel(
        name=process.get("name") or path.stem,
        net=net,
        roles=roles,
        documentation=builder.docs,
        element_ids={k: tuple(v) for k, v in builder.label_ids.items()},
        report=ConversionReport(tuple(items)),
        source=path.name,
        sha256=hashlib.sha256(data).hexdigest(),
        lanes=tuple(builder.lane_names),
        notes=tuple(builder.notes),
        targets=dict(builder.targets),
    )


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _text(el: etree._Element, child: str) -> str:
    for c in el:
        if _local(c) == child:
            return (c.text or "").strip()
    return ""


class _Builder:
    """Collects places, transitions and arcs while walking a process (and its subprocesses)."""

    def __init__(self, where: str, items: list[ReportItem]) -> None:
        self.where = where
        self.items = items
        self.places: list[str] = []
        self.transitions: list[Transition] = []
        self.arcs: list[tuple[str, str, int]] = []
        self.docs: dict[str, str] = {}
        self.label_ids: dict[str, list[str]] = {}
        self.lane_names: list[str] = []
        self.notes: list[str] = []
        self.targets: dict[str, str] = {}
        self.source_place = "source"
        self.sink_place = "sink"
        self.places += [self.source_place, self.sink_place]
        self._n = 0

    def _tau(self, origin: str) -> str:
        self._n += 1
        tid = f"tau_{self._n}"
        self.transitions.append(Transition(tid, None, origin))
        return tid

    def _arc(self, src: str, dst: str) -> None:
        self.arcs.append((src, dst, 1))

    def convert(self, process: etree._Element, prefix: str, entry: str | None = None,
                exit_: str | None = None) -> None:
        """Convert one (sub)process. ``entry``/``exit_`` are the places its start/end events attach to."""
        nodes = {el.get("id"): el for el in process if _local(el) not in IGNORED and isinstance(el.tag, str)}
        flows = [el for el in process if _local(el) == "sequenceFlow"]
        flow_place = {}
        incoming: dict[str, list[str]] = {nid: [] for nid in nodes}
        outgoing: dict[str, list[str]] = {nid: [] for nid in nodes}
        for f in flows:
            fid, src, dst = f.get("id"), f.get("sourceRef"), f.get("targetRef")
            if src not in nodes or dst not in nodes:
                raise ModelError("model.dangling_flow", Location(self.where, f.sourceline), flow=fid)
            place = f"{prefix}{fid}"
            self.places.append(place)
            flow_place[fid] = place
            outgoing[src].append(place)
            incoming[dst].append(place)
        for el in process:
            kind = _local(el)
            if kind in NOTES:
                text = _text(el, "text")
                if text:
                    self.notes.append(text)
            elif kind in IGNORED - {"laneSet", "sequenceFlow", "documentation", "extensionElements", "incoming",
                                    "outgoing", "lane", "ioSpecification", "property", "category"}:
                self.items.append(ReportItem(el.get("id", ""), kind, el.get("name", ""), "ignored",
                                             "no control-flow meaning"))
        for nid, el in nodes.items():
            kind = _local(el)
            ins, outs = incoming[nid], outgoing[nid]
            name = (el.get("name") or "").strip()
            if kind in TASKS:
                if not name:
                    raise ModelError("model.unnamed_task", Location(self.where, el.sourceline), id=nid)
                self._task(nid, name, ins, outs, _text(el, "documentation"))
                target = (el.get(TARGET_ATTRIBUTE) or "").strip()
                if target:
                    self.targets[name] = target
                if any(_local(c) in ("multiInstanceLoopCharacteristics", "standardLoopCharacteristics")
                       for c in el):
                    self.items.append(ReportItem(nid, kind, name, "approximated",
                                                 "loop/multi-instance marker: converted as a single execution"))
            elif kind in SUBPROCESSES:
                inner_in = f"{prefix}{nid}:in"
                inner_out = f"{prefix}{nid}:out"
                self.places += [inner_in, inner_out]
                self._merge_into(ins, inner_in, nid)
                self._split_from(inner_out, outs, nid, parallel=True)
                self.convert(el, prefix=f"{prefix}{nid}/", entry=inner_in, exit_=inner_out)
            elif kind == "startEvent":
                start = entry if entry is not None else self.source_place
                if ins:
                    self.items.append(ReportItem(nid, kind, name, "approximated",
                                                 "incoming flows into a start event are ignored"))
                self._split_from(start, outs, nid, parallel=True)
                self._boundary_or_trigger(el, nid, name)
            elif kind == "endEvent":
                end = exit_ if exit_ is not None else self.sink_place
                self._merge_into(ins, end, nid)
                if outs:
                    self.items.append(ReportItem(nid, kind, name, "approximated",
                                                 "outgoing flows from an end event are ignored"))
                self._boundary_or_trigger(el, nid, name)
            elif kind in SILENT_EVENTS:
                tid = self._tau(nid)
                for p in ins:
                    self._arc(p, tid)
                for p in outs:
                    self._arc(tid, p)
                self._boundary_or_trigger(el, nid, name)
            elif kind == "boundaryEvent":
                self.items.append(ReportItem(nid, kind, name, "ignored",
                                             "boundary events (interruptions) are not converted"))
            elif kind in ("exclusiveGateway", "eventBasedGateway"):
                self._xor(nid, ins, outs)
                if kind == "eventBasedGateway":
                    self.items.append(ReportItem(nid, kind, name, "approximated",
                                                 "event-based choice treated as an exclusive choice"))
            elif kind == "parallelGateway":
                tid = self._tau(nid)
                for p in ins:
                    self._arc(p, tid)
                for p in outs:
                    self._arc(tid, p)
            elif kind in ("inclusiveGateway", "complexGateway"):
                self._xor(nid, ins, outs)
                self.items.append(ReportItem(nid, kind, name, "approximated",
                                             f"{kind} treated as an exclusive choice (one branch at a time)"))
            else:
                self.items.append(ReportItem(nid, kind, name, "ignored", "element type not supported"))

    def _boundary_or_trigger(self, el: etree._Element, nid: str, name: str) -> None:
        defs = [_local(c) for c in el if _local(c).endswith("EventDefinition")]
        for d in defs:
            if d not in ("messageEventDefinition", "timerEventDefinition", "signalEventDefinition",
                         "conditionalEventDefinition", "terminateEventDefinition"):
                self.items.append(ReportItem(nid, _local(el), name, "approximated",
                                             f"{d}: event treated as a plain step"))
            elif d == "terminateEventDefinition":
                self.items.append(ReportItem(nid, _local(el), name, "approximated",
                                             "terminate end event treated as a plain end event"))

    def _task(self, nid: str, name: str, ins: list[str], outs: list[str], doc: str) -> None:
        self.transitions.append(Transition(nid, name, nid))
        self.label_ids.setdefault(name, []).append(nid)
        if doc:
            self.docs[name] = doc
        # several incoming flows into a task: an uncontrolled merge (each flow alone enables it)
        if len(ins) > 1:
            merged = f"{nid}:merge"
            self.places.append(merged)
            self._merge_into(ins, merged, nid)
            ins = [merged]
        for p in ins:
            self._arc(p, nid)
        for p in outs:  # several outgoing flows: an implicit parallel split
            self._arc(nid, p)

    def _merge_into(self, ins: list[str], target: str, origin: str) -> None:
        for p in ins:
            tid = self._tau(origin)
            self._arc(p, tid)
            self._arc(tid, target)

    def _split_from(self, source: str, outs: list[str], origin: str, parallel: bool) -> None:
        if not outs:
            return
        if parallel:
            tid = self._tau(origin)
            self._arc(source, tid)
            for p in outs:
                self._arc(tid, p)
        else:
            for p in outs:
                tid = self._tau(origin)
                self._arc(source, tid)
                self._arc(tid, p)

    def _xor(self, nid: str, ins: list[str], outs: list[str]) -> None:
        hub = f"{nid}:hub"
        self.places.append(hub)
        self._merge_into(ins, hub, nid)
        self._split_from(hub, outs, nid, parallel=False)

    def net(self, name: str) -> PetriNet:
        return PetriNet(name, tuple(dict.fromkeys(self.places)), tuple(self.transitions), tuple(self.arcs),
                        marking({self.source_place: 1}), marking({self.sink_place: 1}))

    def roles(self, process: etree._Element) -> dict[str, tuple[str, ...]]:
        names_by_id = {el.get("id"): (el.get("name") or "").strip() for el in process.iter()
                       if isinstance(el.tag, str) and _local(el) in TASKS}
        roles: dict[str, list[str]] = {}
        for lane in process.iter(f"{{{BPMN_NS}}}lane"):
            lane_name = (lane.get("name") or lane.get("id") or "").strip()
            if lane_name not in self.lane_names:
                self.lane_names.append(lane_name)
            for ref in lane.iter(f"{{{BPMN_NS}}}flowNodeRef"):
                label = names_by_id.get((ref.text or "").strip())
                if label and lane_name not in roles.setdefault(label, []):
                    roles[label].append(lane_name)
        return {k: tuple(v) for k, v in sorted(roles.items())}
