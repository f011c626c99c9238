"""Read PNML Petri nets (as written by pm4py, ProM, WoPeD) into pmtool's :class:`PetriNet`."""

from __future__ import annotations

import hashlib
from pathlib import Path

from lxml import etree

from pmtool import limits
from pmtool.errors import Location, ModelError
from pmtool.models.petri import PetriNet, Transition, marking
from pmtool.models.xml import parse_xml_safely


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _name(el: etree._Element) -> str | None:
    for child in el:
        if _local(child) == "name":
            for t in child:
                if _local(t) == "text":
                    return (t.text or "").strip()
    return None


def _tokens(el: etree._Element, tag: str) -> int:
    for child in el:
        if _local(child) == tag:
            for t in child:
                if _local(t) == "text":
                    return int((t.text or "0").strip() or 0)
    return 0


def load_pnml(path: Path) -> tuple[PetriNet, str]:
    """The net and the file's SHA-256. Silent transitions: no label, or pm4py's ``toolspecific``
    ``activity="$invisible$"`` marker. The final marking comes from ``<finalmarkings>``, else the unique
    place without outgoing arcs."""
    if not path.exists():
        raise ModelError("model.not_found", Location(str(path)))
    data = path.read_bytes()
    root = parse_xml_safely(data, str(path), ModelError, unique_ids=True)
    nets = [el for el in root.iter() if _local(el) == "net"]
    if not nets:
        raise ModelError("model.not_pnml", Location(str(path)))
    net_el = nets[0]
    tasks = sum(1 for el in net_el.iter() if isinstance(el.tag, str) and _local(el) == "transition")
    if tasks > limits.current().model_tasks:
        raise limits.exceeded("model_tasks", tasks, str(path), error=ModelError)
    places, transitions, arcs, initial = [], [], [], {}
    for el in net_el.iter():
        kind = _local(el)
        if kind in ("place", "transition", "arc") and el.get("id") is None:
            continue  # a reference (<place idref=…> inside <finalmarkings>), not a node
        if kind == "place":
            pid = el.get("id")
            places.append(pid)
            n = _tokens(el, "initialMarking")
            if n:
                initial[pid] = n
        elif kind == "transition":
            label = _name(el)
            invisible = any(_local(c) == "toolspecific" and c.get("activity") == "$invisible$" for c in el)
            transitions.append(Transition(el.get("id"), None if (invisible or not label) else label, el.get("id")))
        elif kind == "arc":
            weight = _tokens(el, "inscription") or 1
            arcs.append((el.get("source"), el.get("target"), weight))
    ids = set(places) | {t.id for t in transitions}
    for src, dst, _ in arcs:
        if src not in ids or dst not in ids:
            raise ModelError("model.pnml_bad_arc", Location(str(path)), arc=f"{src}→{dst}")
    if not initial:
        raise ModelError("model.pnml_no_marking", Location(str(path)))
    final: dict[str, int] = {}
    for fm in root.iter():
        if _local(fm) == "finalmarkings":
            for m in fm:
                for p in m:
                    if _local(p) == "place":
                        n = _tokens(p, "text") or int((p.findtext("{*}text") or "0").strip() or 0)
                        if n:
                            final[p.get("idref")] = n
            break
    if not final:
        sinks = [p for p in places if not any(src == p for src, _, _ in arcs)]
        if len(sinks) != 1:
            raise ModelError("model.pnml_no_final", Location(str(path)))
        final = {sinks[0]: 1}
    name = _name(net_el) or path.stem
    net = PetriNet(name, tuple(places), tuple(transitions), tuple(arcs), marking(initial), marking(final))
    return net, hashlib.sha256(data).hexdigest()
