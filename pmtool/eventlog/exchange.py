"""A canonical log for colleagues and other tools: XES 2.0 (IEEE 1849-2023) and CSV.

XES: one trace per case (``concept:name`` = the pseudonym, ``office`` as a trace attribute), one event per row
with ``concept:name`` (activity), ``time:timestamp`` (UTC, milliseconds), ``org:resource``, ``org:role``,
``lifecycle:transition`` where present, and every further column as a typed attribute (``int``, ``float``,
``boolean``, ``date``, else ``string``). All values are XML-escaped; nothing but the log's own columns is
written, so the file holds exactly what the canonical log holds (pseudonyms, never raw identifiers).

CSV: the canonical columns and extras, UTF-8, timestamps as ISO 8601 in UTC, no cell a formula (a label
``=SUM(1)`` is written ``'=SUM(1)``); for German Excel use
:func:`pmtool.excel.csv_for_excel`.

>>> import polars as pl, datetime as dt
>>> from pmtool.eventlog.log import EventLog
>>> log = EventLog.from_frame(pl.DataFrame({"office": ["GA-01"], "case_id": ["c1"], "activity": ["A & B"],
...     "timestamp": [dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC)]}))
>>> b'<string key="concept:name" value="A &amp; B"/>' in xes_bytes(log)
True
"""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime
from xml.sax.saxutils import quoteattr

import polars as pl

from pmtool.eventlog import schema
from pmtool.eventlog.log import EventLog
from pmtool.eventlog.ocel_export import ocel_json_bytes
from pmtool.sinks import spreadsheet_csv, xml_text

_EXTENSIONS = (("Concept", "concept"), ("Time", "time"), ("Organizational", "org"), ("Lifecycle", "lifecycle"))
#: canonical column → XES key (columns not named here travel under their own name)
_KEYS = {schema.ACTIVITY: "concept:name", schema.TIMESTAMP: "time:timestamp", schema.RESOURCE: "org:resource",
         schema.ROLE: "org:role", schema.LIFECYCLE: "lifecycle:transition"}
_LEFT_OUT = {schema.OFFICE, schema.CASE_ID, schema.SOURCE_ROW}


def _stamp(value: datetime) -> str:
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value.isoformat(timespec="milliseconds")


def _attribute(key: str, value: object) -> str:
    if isinstance(value, bool):
        kind, text = "boolean", "true" if value else "false"
    elif isinstance(value, int):
        kind, text = "int", str(value)
    elif isinstance(value, float):
        kind, text = "float", repr(value)
    elif isinstance(value, datetime):
        kind, text = "date", _stamp(value)
    elif isinstance(value, date):
        kind, text = "date", _stamp(datetime(value.year, value.month, value.day, tzinfo=UTC))
    else:
        kind, text = "string", str(value)
    return f"<{kind} key={quoteattr(xml_text(key))} value={quoteattr(xml_text(text))}/>"


def xes_bytes(log: EventLog) -> bytes:
    """``log`` as an XES 2.0 document (UTF-8 bytes), traces and events in the canonical order."""
    frame = log.frame
    columns = [c for c in frame.columns if c not in _LEFT_OUT]
    keys = [_KEYS.get(c, c) for c in columns]
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<log xes.version="2.0" xes.features="" xmlns="http://www.xes-standard.org/">']
    for name, prefix in _EXTENSIONS:
        out.append(f'<extension name="{name}" prefix="{prefix}" '
                   f'uri="http://www.xes-standard.org/{prefix}.xesext"/>')
    out.append('<global scope="trace"><string key="concept:name" value="__INVALID__"/></global>')
    out.append('<global scope="event"><string key="concept:name" value="__INVALID__"/>'
               '<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/></global>')
    out.append('<classifier name="Activity" keys="concept:name"/>')
    current: tuple[str, str] | None = None
    for row in frame.select(schema.OFFICE, schema.CASE_ID, *columns).iter_rows():
        case = (row[0], row[1])
        if case != current:
            if current is not None:
                out.append("</trace>")
            out.append("<trace>" + _attribute("concept:name", row[1]) + _attribute("office", row[0]))
            current = case
        attrs = "".join(_attribute(k, v) for k, v in zip(keys, row[2:], strict=True) if v is not None)
        out.append(f"<event>{attrs}</event>")
    if current is not None:
        out.append("</trace>")
    out.append("</log>")
    return ("\n".join(out) + "\n").encode("utf-8")


def csv_bytes(log: EventLog) -> bytes:
    """``log`` as UTF-8 CSV with ISO 8601 UTC timestamps; a text that begins like a spreadsheet formula
    gets a leading ``'`` (:func:`pmtool.sinks.spreadsheet_csv`)."""
    frame = log.frame.with_columns(
        [pl.col(c).dt.to_string("%Y-%m-%dT%H:%M:%S%.6f+00:00") for c, t in log.frame.schema.items()
         if isinstance(t, pl.Datetime)])
    return spreadsheet_csv(frame)


#: File suffix → writer of the log's bytes.
EXCHANGE_FORMATS = {
    ".xes": xes_bytes,
    ".xes.gz": lambda log: gzip.compress(xes_bytes(log), mtime=0),
    ".csv": csv_bytes,
    ".jsonocel": ocel_json_bytes,  # OCEL 2.0 JSON (pmtool.eventlog.ocel_export)
}


def exchange_format(name: str) -> str | None:
    """The suffix of :data:`EXCHANGE_FORMATS` that ``name`` ends with, else ``None``."""
    lower = name.lower()
    return next((s for s in sorted(EXCHANGE_FORMATS, key=len, reverse=True) if lower.endswith(s)), None)
