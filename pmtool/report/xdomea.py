"""Filing in the e-file: the report (PDF/A), its annex, its tables and the run's manifest as one xdomea 3.0.0
message for the document-management system (DMS) that keeps the authority's e-files.

The message is ``FVDaten.SGOAblegen.0605`` ("Schriftgutobjekt ablegen"): a specialist application hands new
records to the DMS to be filed, and the DMS answers with an import confirmation. It fits pmtool better than
``Abgabe.Abgabe.0401`` (records handed to another authority, which then becomes responsible) or
``Geschaeftsgang.Geschaeftsgang.0201`` (routing a record through a workflow for co-signing). The records form one
*Vorgang* (Betreff, Aktenzeichen from the project's ``[efile]`` table) holding one *Dokument* per file; the
report is the first. ``IDContainer`` names the Akte in the DMS when the project gives its id.

The transport container follows xdomea: a zip named ``{ProzessID}_FVDaten.SGOAblegen.0605.zip`` holding the
message ``{ProzessID}_FVDaten.SGOAblegen.0605.xml`` and the primary documents, each named
``{Dokument-ID}_{original name}`` (the schema's ``stringDateinameType``) with the original name in
``DateinameOriginal``. Every identifier is a UUID derived from the content (version 5), the creation time is
the data's as-of point, and the zip entries carry a fixed date: the same results give the same bytes.

>>> meta = EfileMeta(betreff="Ist/Soll-Analyse", aktenzeichen="53-5421/7/2", urheber="SMS Referat 23")
>>> name, data = xdomea_message([Document("bericht.pdf", b"%PDF-1.7", "report")], meta,
...                             created=datetime(2026, 3, 31, 23, 59, tzinfo=UTC))
>>> name.endswith("_FVDaten.SGOAblegen.0605.zip")
True
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from pmtool import __version__
from pmtool.config_file import refuse_unknown_keys
from pmtool.errors import ConfigError, Location

if TYPE_CHECKING:
    from lxml import etree

NS = "urn:xoev-de:xdomea:schema:3.0.0"
MESSAGE = "FVDaten.SGOAblegen.0605"
MESSAGE_CODE = "0605"
#: Codes of the code list "Dateiformat" 1.0 (urn:xoev-de:xdomea:codeliste:dateiformat): 044 PDF (Archival),
#: 002 CSV, 100 Sonstiges (with the format's name in SonstigerName).
FILE_FORMATS = {".pdf": ("044", ""), ".csv": ("002", ""), ".json": ("100", "JSON")}
#: Vertraulichkeitsstufe 1.0: the project's word → code.
CONFIDENTIALITY = {"geheim": "001", "nfd": "002", "offen": "003", "streng_geheim": "004", "vertraulich": "005"}
_NAMESPACE = uuid.UUID("6f1c3e0a-6d1b-5e43-9a57-7c1f0d6d2a11")  # pmtool's namespace for content-derived ids
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class EfileMeta:
    """The ``[efile]`` table of the project file: what the DMS files the records under."""

    betreff: str  # subject of the Vorgang
    aktenzeichen: str  # file reference (Kennzeichen) of the Akte it belongs to
    urheber: str  # author: the organisational unit that made the analysis
    datum: date | None = None  # date of the documents (default: the data's as-of date)
    behoerde: str = ""  # the sending authority (Absender/Institution)
    empfaenger: str = ""  # the receiving DMS or registry (Empfaenger/Institution); default "DMS"
    akte_id: str = ""  # the DMS id of the Akte to file into (IDContainer), when known
    kennung: str = ""  # the user id of the message's creator (Erstellerkennung); default: urheber
    vertraulichkeit: str = ""  # one of CONFIDENTIALITY (Vertraulichkeitsstufe), default: not given


#: The keys of ``[efile]`` (docs/project-file.md); the first three are required.
EFILE_KEYS = ("betreff", "aktenzeichen", "urheber", "datum", "behoerde", "empfaenger", "akte_id", "kennung",
              "vertraulichkeit")


def efile_meta(table: dict[str, Any], *, where: str) -> EfileMeta:
    """The ``[efile]`` table checked strictly: known keys only, the required ones present, texts non-empty,
    ``datum`` a date, ``vertraulichkeit`` a known level. Raises :class:`ConfigError` naming the key."""
    refuse_unknown_keys(table, EFILE_KEYS, kind="project", prefix="efile.", where=where)
    values: dict[str, Any] = {}
    for key in EFILE_KEYS:
        value = table.get(key)
        if value is None:
            if key in EFILE_KEYS[:3]:
                raise ConfigError("project.missing", Location(where), key=f"efile.{key}")
            continue
        if key == "datum":
            if isinstance(value, str):
                with contextlib.suppress(ValueError):
                    value = date.fromisoformat(value)
            if not isinstance(value, date) or isinstance(value, datetime):
                raise ConfigError("project.bad_value", Location(where), key="efile.datum",
                                  expected="a date such as 2026-04-02")
        elif not isinstance(value, str) or not value.strip():
            raise ConfigError("project.bad_value", Location(where), key=f"efile.{key}", expected="a text in quotes")
        elif key == "vertraulichkeit" and value not in CONFIDENTIALITY:
            raise ConfigError("project.bad_value", Location(where), key="efile.vertraulichkeit",
                              expected=" | ".join(CONFIDENTIALITY))
        values[key] = value.strip() if isinstance(value, str) else value
    return EfileMeta(**values)


@dataclass(frozen=True)
class Document:
    """One primary document: its original file name, bytes and kind (report, annex, table, manifest)."""

    name: str
    data: bytes
    kind: str
    title: str = ""


def content_id(*parts: bytes | str) -> str:
    """A UUID (version 5) derived from ``parts``: the same content, the same id."""
    digest = hashlib.sha256(b"\x00".join(p.encode() if isinstance(p, str) else p for p in parts)).hexdigest()
    return str(uuid.uuid5(_NAMESPACE, digest))


def xdomea_message(documents: Sequence[Document], meta: EfileMeta, *, created: datetime,
                   titles: dict[str, str] | None = None) -> tuple[str, bytes]:
    """The zip (file name, bytes) of an ``FVDaten.SGOAblegen.0605`` message filing ``documents`` as one
    Vorgang. ``titles``: kind → document title (default: the file name)."""
    process_id = content_id(MESSAGE, repr(meta), *(d.name for d in documents), *(d.data for d in documents))
    stem = f"{process_id}_{MESSAGE}"
    ids = [content_id(process_id, d.name, d.data) for d in documents]
    xml = message_xml(documents, ids, meta, process_id=process_id, created=created, titles=titles or {},
                      location=f"{stem}.zip")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        _add(zf, f"{stem}.xml", xml)
        for doc, doc_id in zip(documents, ids, strict=True):
            _add(zf, f"{doc_id}_{doc.name}", doc.data)
    return f"{stem}.zip", buf.getvalue()


def _add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def message_xml(documents: Sequence[Document], ids: Sequence[str], meta: EfileMeta, *, process_id: str,
                created: datetime, titles: dict[str, str], location: str) -> bytes:
    """The XML of the message (UTF-8, with declaration)."""
    from lxml import etree

    day = meta.datum or created.date()
    stamp = created.astimezone(UTC).replace(microsecond=0)
    root = etree.Element(f"{{{NS}}}{MESSAGE}", nsmap={"xdomea": NS})
    head = _sub(root, "Kopf")
    _sub(head, "ProzessID", process_id)
    kind = _sub(head, "Nachrichtentyp", listURI="urn:xoev-de:xdomea:codeliste:nachrichtentyp", listVersionID="2.0")
    etree.SubElement(kind, "code").text = MESSAGE_CODE  # the code element is unqualified (xoev-code)
    _sub(head, "Erstellungszeitpunkt", stamp.isoformat().replace("+00:00", "Z"))
    _contact(_sub(head, "Absender"), meta.behoerde, meta.urheber)
    _contact(_sub(head, "Empfaenger"), meta.empfaenger or "DMS", "")
    system = _sub(head, "SendendesSystem")
    _sub(system, "Produktname", "pmtool")
    _sub(system, "Version", __version__)
    _sub(head, "Empfangsbestaetigung", "0")
    _sub(head, "Importbestaetigung", "1")
    _sub(head, "Erstellerkennung", meta.kennung or meta.urheber)
    _sub(head, "Stapel", "0")
    item = _sub(root, "SchriftgutobjektZumAblegen")
    _sub(item, "FachverfahrenObjektID", process_id)
    if meta.akte_id:
        _sub(item, "IDContainer", meta.akte_id)
    vorgang = _sub(_sub(item, "Schriftgutobjekt"), "Vorgang")
    ident = _sub(vorgang, "Identifikation")
    _sub(ident, "ID", process_id)
    _metadata(vorgang, meta.betreff, meta)
    for number, (doc, doc_id) in enumerate(zip(documents, ids, strict=True), 1):
        _document(_sub(vorgang, "Dokument"), doc, doc_id, number, meta, day, stamp, titles)
    _sub(item, "Ablageort", location)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _sub(parent: etree._Element, name: str, text: str | None = None, **attrib: str) -> etree._Element:
    from lxml import etree

    element = etree.SubElement(parent, f"{{{NS}}}{name}", attrib)
    if text is not None:
        element.text = text
    return element


def _contact(parent: etree._Element, institution: str, unit: str) -> None:
    if institution:
        _sub(_sub(parent, "Institution"), "Name", institution)
    if unit:
        _sub(_sub(parent, "Organisationseinheit"), "Name", unit)
    if not institution and not unit:
        _sub(_sub(parent, "Institution"), "Name", "—")


def _metadata(parent: etree._Element, subject: str, meta: EfileMeta) -> None:
    from lxml import etree

    general = _sub(parent, "AllgemeineMetadaten")
    _sub(general, "Betreff", subject)
    _sub(general, "Kennzeichen", meta.aktenzeichen)
    if meta.vertraulichkeit:
        stage = _sub(general, "Vertraulichkeitsstufe", listURI="urn:xoev-de:xdomea:codeliste:vertraulichkeitsstufe",
                     listVersionID="1.0")
        etree.SubElement(stage, "code").text = CONFIDENTIALITY[meta.vertraulichkeit]
    medium = _sub(general, "Medium", listURI="urn:xoev-de:xdomea:codeliste:medium", listVersionID="1.0")
    etree.SubElement(medium, "code").text = "001"  # electronic only


def _document(parent: etree._Element, doc: Document, doc_id: str, number: int, meta: EfileMeta, day: date,
              stamp: datetime, titles: dict[str, str]) -> None:
    from lxml import etree

    ident = _sub(parent, "Identifikation")
    _sub(ident, "ID", doc_id)
    _sub(ident, "NummerImUebergeordnetenContainer", str(number))
    _metadata(parent, doc.title or titles.get(doc.kind, doc.name), meta)
    _sub(parent, "DatumDesSchreibens", day.isoformat())
    _sub(parent, "Typ", doc.kind)
    version = _sub(parent, "Version")
    _sub(version, "Nummer", "1")
    suffix = doc.name[doc.name.rfind("."):].lower() if "." in doc.name else ""
    code, other = FILE_FORMATS.get(suffix, ("100", suffix.lstrip(".").upper() or "—"))
    fmt = _sub(version, "Format")
    name = _sub(fmt, "Name", listURI="urn:xoev-de:xdomea:codeliste:dateiformat", listVersionID="1.0")
    etree.SubElement(name, "code").text = code
    if other:
        _sub(fmt, "SonstigerName", other)
    _sub(fmt, "Version", "PDF/A-2a" if suffix == ".pdf" else "1")
    primary = _sub(fmt, "Primaerdokument")
    _sub(primary, "Dateiname", f"{doc_id}_{doc.name}")
    _sub(primary, "DateinameOriginal", doc.name)
    _sub(primary, "Ersteller", meta.urheber)
    _sub(primary, "DatumUhrzeit", stamp.isoformat().replace("+00:00", "Z"))


def report_tables(ctx: Any) -> dict[str, bytes]:
    """Every table the report shows, as CSV (UTF-8, comma, one header row) by ``<table id>.csv``: the values as
    printed, small counts as "·" — the report's privacy rules hold for them too; a text that begins like a
    spreadsheet formula ("+24,7 Pp.") carries a leading ``'`` (:func:`pmtool.sinks.spreadsheet_text`)."""
    from pmtool.report.context import Table
    from pmtool.sinks import spreadsheet_text

    out: dict[str, bytes] = {}
    for table in _tables(ctx, Table):
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([spreadsheet_text(h) for h in table.head])
        for label, cells in (*table.rows, *table.foot):
            writer.writerow([spreadsheet_text(label), *(spreadsheet_text(c.text) for c in cells)])
        name, n = f"{table.id}.csv", 1
        while name in out:  # two tables with one id: the second gets a number, none is left out
            n += 1
            name = f"{table.id}-{n}.csv"
        out[name] = buf.getvalue().encode("utf-8")
    return out


def _tables(value: Any, kind: type, seen: set[int] | None = None) -> Iterator[Any]:
    """The ``kind`` instances inside ``value`` (dataclasses, tuples, lists, dicts), in document order."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, kind):
        yield value
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            yield from _tables(getattr(value, f.name), kind, seen)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _tables(item, kind, seen)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tables(item, kind, seen)
