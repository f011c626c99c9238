"""A canonical log as an object-centric event log: OCEL 2.0 JSON (ocel-standard.org).

Every case is an object of type ``Fall`` (its id: the case pseudonym, with the office as attribute); every
event is related to its case (qualifier ``Fall``). A log extracted from a case database also names the
object each event changed (``object_type``, ``object_id``: a contact, a sample, a pathogen test, a task):
those become objects of their own type, related to the event (qualifier: the type) and to their case
(object-to-object, qualifier ``gehört zu Fall``). The event's other columns are event attributes; pseudonyms
stay pseudonyms. Reading the file back with pmtool's OCEL reader and object type ``Fall`` gives the cases.

>>> import polars as pl, datetime as dt, json
>>> from pmtool.eventlog.log import EventLog
>>> log = EventLog.from_frame(pl.DataFrame({"office": ["GA-01"] * 2, "case_id": ["C-1"] * 2,
...     "activity": ["Probe versandt", "Fall angelegt"], "timestamp": [dt.datetime(2025, 3, 1, h, tzinfo=dt.UTC)
...     for h in (9, 10)], "object_type": ["Probe", None], "object_id": ["X-7", None]}))
>>> doc = json.loads(ocel_json_bytes(log))
>>> sorted((o["type"], o["id"]) for o in doc["objects"])
[('Fall', 'C-1'), ('Probe', 'X-7')]
>>> doc["events"][0]["relationships"]
[{'objectId': 'C-1', 'qualifier': 'Fall'}, {'objectId': 'X-7', 'qualifier': 'Probe'}]
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import polars as pl

from pmtool.eventlog import schema
from pmtool.eventlog.log import EventLog

CASE_TYPE = "Fall"
OBJECT_TYPE, OBJECT_ID = "object_type", "object_id"
_NOT_ATTRIBUTES = {schema.OFFICE, schema.CASE_ID, schema.ACTIVITY, schema.TIMESTAMP, OBJECT_TYPE, OBJECT_ID}
_EPOCH = "1970-01-01T00:00:00Z"
_OCEL_TYPES = {pl.Boolean: "boolean", pl.Float32: "float", pl.Float64: "float"}


def _kind(dtype: pl.DataType) -> str:
    if dtype.is_integer():
        return "integer"
    if isinstance(dtype, pl.Datetime | pl.Date):
        return "time"
    return _OCEL_TYPES.get(type(dtype), "string")  # type: ignore[call-overload]


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _time(value)
    return value if isinstance(value, bool | int | float) else str(value)


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def ocel_json_bytes(log: EventLog) -> bytes:
    """``log`` as an OCEL 2.0 JSON document (UTF-8 bytes); events in the canonical order, ids ``e1``, ``e2``…"""
    frame = log.frame
    has_objects = OBJECT_TYPE in frame.columns and OBJECT_ID in frame.columns
    attributes = [c for c in frame.columns if c not in _NOT_ATTRIBUTES]
    kinds = {c: _kind(frame.schema[c]) for c in attributes}

    cases = frame.select(schema.CASE_ID, schema.OFFICE).unique(schema.CASE_ID, keep="first", maintain_order=True)
    objects: list[dict[str, Any]] = [
        {"id": case, "type": CASE_TYPE, "attributes": [{"name": "office", "time": _EPOCH, "value": office}],
         "relationships": []}
        for case, office in cases.iter_rows()]
    object_types = {CASE_TYPE: [{"name": "office", "type": "string"}]}
    if has_objects:
        owned = (frame.filter(pl.col(OBJECT_ID).is_not_null())
                 .unique(OBJECT_ID, keep="first", maintain_order=True)
                 .select(OBJECT_ID, OBJECT_TYPE, schema.CASE_ID))
        for oid, otype, case in owned.iter_rows():
            object_types.setdefault(otype, [])
            objects.append({"id": oid, "type": otype, "attributes": [],
                            "relationships": [{"objectId": case, "qualifier": "gehört zu Fall"}]})

    events: list[dict[str, Any]] = []
    event_types: dict[str, list[dict[str, str]]] = {}
    columns = [schema.CASE_ID, schema.ACTIVITY, schema.TIMESTAMP, *attributes]
    if has_objects:
        columns += [OBJECT_TYPE, OBJECT_ID]
    for number, row in enumerate(frame.select(columns).iter_rows(named=True), 1):
        event_types.setdefault(row[schema.ACTIVITY], [{"name": c, "type": kinds[c]} for c in attributes])
        related = [{"objectId": row[schema.CASE_ID], "qualifier": CASE_TYPE}]
        if has_objects and row[OBJECT_ID] is not None:
            related.append({"objectId": row[OBJECT_ID], "qualifier": row[OBJECT_TYPE]})
        events.append({"id": f"e{number}", "type": row[schema.ACTIVITY], "time": _time(row[schema.TIMESTAMP]),
                       "attributes": [{"name": c, "value": _value(row[c])} for c in attributes
                                      if row[c] is not None],
                       "relationships": related})
    document = {
        "objectTypes": [{"name": name, "attributes": attrs} for name, attrs in object_types.items()],
        "eventTypes": [{"name": name, "attributes": attrs} for name, attrs in event_types.items()],
        "objects": objects,
        "events": events,
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
