"""pmtool's Petri net as a PNML file in the layout pm4py and ProM write, byte-identical for the same net.

Silent transitions carry ProM's ``toolspecific activity="$invisible$"`` marker; the final marking goes into
``<finalmarkings>`` as pm4py writes it. Places, transitions and arcs are written sorted by id, so the same
net always gives the same file (pm4py's own writer follows the iteration order of its hash sets).

>>> from pmtool.models.petri import PetriNet
>>> net = PetriNet.build("n", places=["i", "o"], transitions=[("t", "A")], arcs=[("i", "t"), ("t", "o")],
...                      initial={"i": 1}, final={"o": 1})
>>> b"<text>A</text>" in pnml_xml(net)
True
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from pmtool.models.petri import PetriNet
from pmtool.sinks import xml_text

PNML_GRAMMAR = "http://www.pnml.org/version-2009/grammar/pnmlcoremodel"


def _named(parent: etree._Element, tag: str, text: str, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, attrs)
    name = etree.SubElement(el, "name")
    etree.SubElement(name, "text").text = xml_text(text)
    return el


def pnml_xml(net: PetriNet) -> bytes:
    """The PNML document of ``net`` (UTF-8)."""
    root = etree.Element("pnml")
    net_el = etree.SubElement(root, "net", id="net1", type=PNML_GRAMMAR)
    etree.SubElement(etree.SubElement(net_el, "name"), "text").text = xml_text(net.name)
    page = etree.SubElement(net_el, "page", id="n0")
    initial = dict(net.initial)
    for place in sorted(net.places):
        el = _named(page, "place", place, id=place)
        if initial.get(place):
            etree.SubElement(etree.SubElement(el, "initialMarking"), "text").text = str(initial[place])
    for tr in sorted(net.transitions, key=lambda x: x.id):
        el = _named(page, "transition", tr.label if tr.label is not None else tr.id, id=tr.id)
        if tr.label is None:
            etree.SubElement(el, "toolspecific", tool="ProM", version="6.4", activity="$invisible$",
                             localNodeID=tr.id)
    for i, (src, dst, weight) in enumerate(sorted(net.arcs), 1):
        arc = etree.SubElement(page, "arc", id=f"a{i}", source=src, target=dst)
        if weight != 1:
            etree.SubElement(etree.SubElement(arc, "inscription"), "text").text = str(weight)
    marking = etree.SubElement(etree.SubElement(net_el, "finalmarkings"), "marking")
    for place, tokens in net.final:
        etree.SubElement(etree.SubElement(marking, "place", idref=place), "text").text = str(tokens)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_pnml(net: PetriNet, path: Path) -> None:
    """Write ``net`` as PNML to ``path``."""
    path.write_bytes(pnml_xml(net))
