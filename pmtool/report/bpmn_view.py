"""The Soll process as a reader knows it from BPMN: tasks, gateways, start and end, read from the model file.

The Petri net the conformance check uses is exact but hard to read for a steering committee; the BPMN file
beside it has the same flow in the notation the Soll workshops use. This module reads the flow nodes and
sequence flows of the first process with tasks (subprocesses are opened into their parent: their inner
start events take the incoming flows, their inner end events the outgoing ones) and the lane of each task.
The diagram interchange (coordinates) is not used: the report lays the flow out top to bottom so that it
fits a portrait page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from pmtool.errors import ModelError
from pmtool.models.bpmn import BPMN_NS, SILENT_EVENTS, SUBPROCESSES, TASKS
from pmtool.models.xml import parse_xml_safely

GATEWAYS = {"exclusiveGateway": "xor", "eventBasedGateway": "xor", "inclusiveGateway": "or",
            "complexGateway": "or", "parallelGateway": "and"}


@dataclass(frozen=True)
class FlowNode:
    id: str
    kind: str  # task | start | end | event | xor | and | or
    name: str
    lane: str = ""


@dataclass(frozen=True)
class ProcessView:
    """Flow nodes in document order and sequence flows (source, target, label)."""

    name: str
    nodes: tuple[FlowNode, ...]
    flows: tuple[tuple[str, str, str], ...]

    @property
    def tasks(self) -> tuple[FlowNode, ...]:
        return tuple(n for n in self.nodes if n.kind == "task")


def read_process_view(path: Path, expected_sha256: str | None = None) -> ProcessView | None:
    """The BPMN view of ``path``; ``None`` when the file is not BPMN, not the expected file (its SHA-256
    differs from the one the analysis used) or has no process with tasks."""
    if path.suffix.lower() != ".bpmn" or not path.exists():
        return None
    data = path.read_bytes()
    if expected_sha256 and hashlib.sha256(data).hexdigest() != expected_sha256:
        return None
    try:
        root = parse_xml_safely(data, str(path), ModelError)
    except ModelError:
        return None
    processes = [el for el in root if _local(el) == "process"]
    process = next((p for p in processes if any(_local(c) in TASKS | SUBPROCESSES for c in p)), None)
    if process is None:
        return None
    lanes = _lanes(process)
    nodes: list[FlowNode] = []
    flows: list[tuple[str, str, str]] = []
    _walk(process, lanes, nodes, flows)
    return ProcessView(process.get("name") or path.stem, tuple(nodes), tuple(flows))


def _walk(container: etree._Element, lanes: dict[str, str], nodes: list[FlowNode],
          flows: list[tuple[str, str, str]]) -> tuple[list[str], list[str]]:
    """Collect the nodes and flows of ``container``; return its start and end event ids."""
    starts: list[str] = []
    ends: list[str] = []
    opened: dict[str, tuple[list[str], list[str]]] = {}
    for el in container:
        kind = _local(el)
        nid = el.get("id") or ""
        name = " ".join((el.get("name") or "").split())
        if kind in TASKS:
            nodes.append(FlowNode(nid, "task", name or nid, lanes.get(nid, "")))
        elif kind in SUBPROCESSES:
            opened[nid] = _walk(el, lanes, nodes, flows)
        elif kind == "startEvent":
            nodes.append(FlowNode(nid, "start", name))
            starts.append(nid)
        elif kind == "endEvent":
            nodes.append(FlowNode(nid, "end", name))
            ends.append(nid)
        elif kind in SILENT_EVENTS:
            nodes.append(FlowNode(nid, "event", name))
        elif kind in GATEWAYS:
            nodes.append(FlowNode(nid, GATEWAYS[kind], name))
    for el in container:
        if _local(el) != "sequenceFlow":
            continue
        label = " ".join((el.get("name") or "").split())
        sources = opened[el.get("sourceRef")][1] if el.get("sourceRef") in opened else [el.get("sourceRef")]
        targets = opened[el.get("targetRef")][0] if el.get("targetRef") in opened else [el.get("targetRef")]
        for s in sources:
            for d in targets:
                if s and d:
                    flows.append((s, d, label))
    return starts, ends


def _lanes(process: etree._Element) -> dict[str, str]:
    out: dict[str, str] = {}
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        name = " ".join((lane.get("name") or lane.get("id") or "").split())
        for ref in lane.iter(f"{{{BPMN_NS}}}flowNodeRef"):
            out.setdefault((ref.text or "").strip(), name)
    return out


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""
