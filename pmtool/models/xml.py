"""Hardened XML parsing for model files: no DTDs, no entities, no network."""

from __future__ import annotations

import re

from lxml import etree

from pmtool.errors import Location, PmtoolError

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)


def parse_xml_safely(data: bytes, where: str, error: type[PmtoolError], *, unique_ids: bool = False
                     ) -> etree._Element:
    """Parse ``data``; refuse any DOCTYPE and entity declarations (XXE, entity expansion) and, with
    ``unique_ids`` (model files), an ``id`` used twice; one-line errors."""
    head = data[:65536]
    for pattern in (_ENTITY, _DOCTYPE):
        match = pattern.search(head)
        if match:
            line = head.count(b"\n", 0, match.start()) + 1
            raise error("xml.entities", Location(where, line))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise error("xml.malformed", Location(where, line), reason=str(exc.msg).splitlines()[0]) from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:  # a DOCTYPE after the head the first check reads
        raise error("xml.entities", Location(where, 1))
    if unique_ids:
        _refuse_duplicate_ids(root, where, error)
    return root


def _refuse_duplicate_ids(root: etree._Element, where: str, error: type[PmtoolError]) -> None:
    """An ``id`` used by two elements makes every reference to it ambiguous: refuse, naming both lines."""
    seen: dict[str, int | None] = {}
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        ident = el.get("id")
        if ident is None:
            continue
        if ident in seen:
            raise error("xml.duplicate_id", Location(where, el.sourceline), id=ident[:80],
                        first=seen[ident] or "?")
        seen[ident] = el.sourceline
