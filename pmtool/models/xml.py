"""Hardened XML parsing for model files: no DTDs, no entities, no network."""

from __future__ import annotations

import re

from lxml import etree

from pmtool.errors import Location, PmtoolError

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)


def parse_xml_safely(data: bytes, where: str, error: type[PmtoolError]) -> etree._Element:
    """Parse ``data``; refuse DTDs with entity declarations (XXE, entity expansion); one-line errors."""
    head = data[:65536]
    for pattern in (_ENTITY, _DOCTYPE):
        match = pattern.search(head)
        if match:
            line = head.count(b"\n", 0, match.start()) + 1
            raise error("xml.entities", Location(where, line))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise error("xml.malformed", Location(where, line), reason=str(exc.msg).splitlines()[0]) from None
