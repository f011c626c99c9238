"""OCEL readers (object-centric event logs): JSON, XML and SQLite, flattened onto one object type.

Each format is parsed into the same three pieces (events with their attributes, event-to-object
relationships, objects with their type) and then flattened like ``pm4py.ocel_flattening``: one row per
(event, related object of the chosen type), the object id as the case. OCEL 2.0 is the target; the older
OCEL 1.0 JSON and XML layouts are read as well. No pm4py at runtime: ``json``, ``lxml`` and ``sqlite3``.

Columns: ``case:concept:name`` (object id), ``concept:name`` (event type), ``time:timestamp`` (UTC
``Datetime``), ``ocel:eid`` (event id), event attributes by name (strings), ``case:<name>`` for the
object's initial attribute values, and ``__row``.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from lxml import etree

from pmtool.errors import InputError, Location, display_path, first_line
from pmtool.eventlog import schema
from pmtool.ingest.readers.xes import (
    GZIP_ERRORS,
    LineCountingStream,
    check_prolog,
    gzip_error,
    local_name,
    open_binary,
    parse_iso_timestamps,
    refuse_internal_dtd,
    secure_iterparse,
    syntax_error,
)
from pmtool.ingest.registry import ROW, RawTable, ReadOptions, register
from pmtool.limits import check_json_depth, current, exceeded

CASE = "case:concept:name"
ACTIVITY = "concept:name"
TIMESTAMP = "time:timestamp"
EVENT_ID = "ocel:eid"
CASE_PREFIX = "case:"
_IDX = "__event_index"  # internal join key: position of the event in the file
_OID = "__object_id"
_TYPE = "__object_type"
_RESERVED = {CASE, ACTIVITY, TIMESTAMP, EVENT_ID, ROW, _IDX, _OID, _TYPE}

OCEL_DEFAULT_COLUMNS = {schema.CASE_ID: CASE, schema.ACTIVITY: ACTIVITY, schema.TIMESTAMP: TIMESTAMP}


@dataclass
class _Log:
    """An OCEL as parsed, before flattening. Lists are filled by the format parsers."""

    version: str
    events: list[dict[str, Any]] = field(
        default_factory=list
    )  # _IDX, EVENT_ID, ACTIVITY, TIMESTAMP, ROW, attrs
    rel_event: list[int] = field(default_factory=list)  # _IDX of the event
    rel_object: list[str | None] = field(default_factory=list)
    object_ids: list[str | None] = field(default_factory=list)
    object_types: list[str | None] = field(default_factory=list)
    object_attrs: dict[str, dict[str, str | None]] = field(default_factory=dict)  # initial values by object

    def event_frame(self) -> pl.DataFrame:
        names: dict[str, None] = {}
        for event in self.events:
            names.update(dict.fromkeys(event))
        types = {name: pl.String for name in names}
        types.update({_IDX: pl.Int64, ROW: pl.Int64})
        return pl.from_dicts(self.events, schema=types) if self.events else pl.DataFrame(schema=types)

    def relation_frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            {_IDX: self.rel_event, _OID: self.rel_object}, schema={_IDX: pl.Int64, _OID: pl.String}
        )

    def object_frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            {_OID: self.object_ids, _TYPE: self.object_types}, schema={_OID: pl.String, _TYPE: pl.String}
        )

    def attrs_of(self, object_ids: Iterable[str]) -> pl.DataFrame | None:
        rows = [{_OID: oid, **self.object_attrs[oid]} for oid in object_ids if self.object_attrs.get(oid)]
        if not rows:
            return None
        names: dict[str, None] = {}
        for row in rows:
            names.update(dict.fromkeys(row))
        return pl.from_dicts(rows, schema=dict.fromkeys(names, pl.String))


# --------------------------------------------------------------------------- JSON


@register("ocel-json", (".jsonocel", ".json"))
def read_ocel_json(path: Path, options: ReadOptions) -> RawTable:
    """Read an OCEL 2.0 (``events``/``objects``) or OCEL 1.0 (``ocel:events``) JSON file and flatten it.

    ``__row`` is the 1-based position of the event in the file. Raises ``InputError`` for malformed JSON,
    a file that is not OCEL, or a missing/unknown object type (see :func:`_flatten`).
    """
    file = display_path(path)
    try:
        with open_binary(path) as stream:
            raw = stream.read()
    except GZIP_ERRORS as exc:
        raise gzip_error(path, exc) from None
    try:
        data = json.loads(raw.decode(options.encoding) if options.encoding else raw, parse_int=_bounded_int)
    except RecursionError:
        raise exceeded("json_depth", f"> {current().json_depth}", file) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            "ocel.malformed_json", Location(file, row=exc.lineno), col=exc.colno, reason=exc.msg
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            "ocel.encoding", Location(file), encoding=options.encoding or "utf-8", reason=str(exc)
        ) from None
    except LookupError:
        raise InputError("ocel.unknown_encoding", Location(file), encoding=options.encoding) from None
    except ValueError as exc:  # a number of thousands of digits
        raise InputError("ocel.malformed_json", Location(file), col="–", reason=first_line(exc)) from None
    check_json_depth(data, file)
    if not isinstance(data, dict) or not ({"events", "ocel:events"} & set(data)):
        raise InputError("ocel.not_ocel_json", Location(file))
    try:
        log = _json_v2(data) if "events" in data else _json_v1(data)
    except (AttributeError, TypeError, KeyError) as exc:
        raise InputError(
            "ocel.bad_structure", Location(file), reason=f"{type(exc).__name__}: {exc}"
        ) from None
    return _flatten(path, "ocel-json", "event", log, options)


def _bounded_int(text: str) -> int | float:
    """A JSON integer; one longer than 40 digits is no count, id or time pmtool reads (and Python refuses
    very long ones with an error that names no file): it is kept as the float it approximates."""
    return int(text) if len(text) <= 40 else float(text)


def _json_v2(data: dict[str, Any]) -> _Log:
    log = _Log("2.0")
    for index, event in enumerate(data["events"] or []):
        row = _event_row(index, event.get("id"), event.get("type"), event.get("time"), index + 1)
        for attr in event.get("attributes") or []:
            row[_attr_name(attr.get("name"))] = _text(attr.get("value"))
        log.events.append(row)
        for rel in event.get("relationships") or []:
            log.rel_event.append(index)
            log.rel_object.append(_text(rel.get("objectId")))
    for obj in data.get("objects") or []:
        oid = _text(obj.get("id"))
        log.object_ids.append(oid)
        log.object_types.append(_text(obj.get("type")))
        initial: dict[str, str | None] = {}
        for attr in obj.get("attributes") or []:
            initial.setdefault(CASE_PREFIX + str(attr.get("name")), _text(attr.get("value")))
        if oid is not None and initial:
            log.object_attrs.setdefault(oid, initial)
    return log


def _json_v1(data: dict[str, Any]) -> _Log:
    log = _Log("1.0")
    for index, (eid, event) in enumerate((data["ocel:events"] or {}).items()):
        row = _event_row(index, eid, event.get("ocel:activity"), event.get("ocel:timestamp"), index + 1)
        for name, value in (event.get("ocel:vmap") or {}).items():
            row[_attr_name(name)] = _text(value)
        log.events.append(row)
        for oid in event.get("ocel:omap") or []:
            log.rel_event.append(index)
            log.rel_object.append(_text(oid))
    for oid, obj in (data.get("ocel:objects") or {}).items():
        log.object_ids.append(str(oid))
        log.object_types.append(_text(obj.get("ocel:type")))
        initial = {CASE_PREFIX + str(k): _text(v) for k, v in (obj.get("ocel:ovmap") or {}).items()}
        if initial:
            log.object_attrs.setdefault(str(oid), initial)
    return log


# --------------------------------------------------------------------------- XML


@register("ocel-xml", (".xmlocel", ".xml"))
def read_ocel_xml(path: Path, options: ReadOptions) -> RawTable:
    """Read an OCEL 2.0 (or 1.0) XML file, stream-parsed with entities and DTDs refused, and flatten it.

    ``__row`` is the XML line of the ``<event>`` element.
    """
    check_prolog(path)
    log = _Log("2.0")
    root = None
    checked = False
    try:
        with open_binary(path) as stream:
            counting = LineCountingStream(stream, "event")
            context = secure_iterparse(counting, ("{*}event", "{*}object"), options.encoding)
            for _, element in context:
                if not checked:
                    refuse_internal_dtd(element, path)
                    checked = True
                if local_name(element.tag) == "event":
                    if element.getparent() is not None and local_name(element.getparent().tag) == "trace":
                        raise InputError("ocel.looks_like_xes", Location(display_path(path)))
                    _xml_event(element, log)
                else:
                    _xml_object(element, log)
                parent = element.getparent()
                element.clear(keep_tail=False)
                if parent is not None:
                    while element.getprevious() is not None:
                        del parent[0]
            root = context.root
    except etree.XMLSyntaxError as exc:
        raise syntax_error(path, exc) from None
    except GZIP_ERRORS as exc:
        raise gzip_error(path, exc) from None
    except LookupError:
        raise InputError(
            "ocel.unknown_encoding", Location(display_path(path)), encoding=options.encoding
        ) from None
    if root is not None and local_name(root.tag) != "log":
        raise InputError("ocel.not_ocel_xml", Location(display_path(path)), root=local_name(root.tag))
    if root is not None and not checked:
        refuse_internal_dtd(root, path)
    lines, _ = counting.lines_for([event[ROW] for event in log.events])
    for event, line in zip(log.events, lines, strict=True):
        event[ROW] = line
    return _flatten(path, "ocel-xml", "line", log, options)


def _xml_event(element: Any, log: _Log) -> None:
    index = len(log.events)
    if element.get("type") is not None or element.get("id") is not None:  # OCEL 2.0
        row = _event_row(
            index, element.get("id"), element.get("type"), element.get("time"), element.sourceline
        )
        for child in element:
            kind = local_name(child.tag)
            if kind == "attributes":
                for attr in child:
                    row[_attr_name(attr.get("name"))] = attr.text or ""
            elif kind == "objects":
                for rel in child:
                    log.rel_event.append(index)
                    log.rel_object.append(rel.get("object-id"))
    else:  # OCEL 1.0: <string key="id" .../>, <list key="omap">, <list key="vmap">
        log.version = "1.0"
        fields = {child.get("key"): child for child in element}
        row = _event_row(
            index,
            _value(fields.get("id")),
            _value(fields.get("activity")),
            _value(fields.get("timestamp")),
            element.sourceline,
        )
        for attr in fields.get("vmap", ()):
            row[_attr_name(attr.get("key"))] = attr.get("value")
        for rel in fields.get("omap", ()):
            log.rel_event.append(index)
            log.rel_object.append(rel.get("value"))
    log.events.append(row)


def _xml_object(element: Any, log: _Log) -> None:
    initial: dict[str, str | None] = {}
    if element.get("type") is not None or element.get("id") is not None:  # OCEL 2.0
        oid, otype = element.get("id"), element.get("type")
        for child in element:
            if local_name(child.tag) == "attributes":
                for attr in child:
                    initial.setdefault(CASE_PREFIX + str(attr.get("name")), attr.text or "")
    else:
        fields = {child.get("key"): child for child in element}
        oid, otype = _value(fields.get("id")), _value(fields.get("type"))
        for attr in fields.get("ovmap", ()):
            initial.setdefault(CASE_PREFIX + str(attr.get("key")), attr.get("value"))
    log.object_ids.append(oid)
    log.object_types.append(otype)
    if oid is not None and initial:
        log.object_attrs.setdefault(oid, initial)


def _value(element: Any) -> str | None:
    return None if element is None else element.get("value")


# --------------------------------------------------------------------------- SQLite


@register("ocel-sqlite", (".sqlite", ".sqlite3", ".db"))
def read_ocel_sqlite(path: Path, options: ReadOptions) -> RawTable:
    """Read an OCEL 2.0 SQLite database (opened read-only) and flatten it.

    ``__row`` is the 1-based position of the event in the ``event`` table. Raises ``InputError`` naming
    the first missing OCEL table when the database is not an OCEL 2.0 export.
    """
    file = display_path(path)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InputError("ocel.sqlite_unreadable", Location(file), reason=str(exc)) from None
    try:
        try:
            tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise InputError("ocel.sqlite_unreadable", Location(file), reason=str(exc)) from None
        for table in ("event", "object", "event_object", "event_map_type"):
            if table not in tables:
                raise InputError("ocel.sqlite_missing_table", Location(file), table=table)
        try:
            return _read_sqlite(conn, tables, path, options)
        except sqlite3.Error as exc:
            raise InputError("ocel.sqlite_invalid", Location(file), reason=str(exc)) from None
    finally:
        conn.close()


def _read_sqlite(conn: sqlite3.Connection, tables: set[str], path: Path, options: ReadOptions) -> RawTable:
    file = display_path(path)
    ids: list[str | None] = []
    types: list[str | None] = []
    for eid, etype in _select(conn, "SELECT ocel_id, ocel_type FROM event", ordered=True):
        ids.append(_text(eid))
        types.append(_text(etype))
    events = pl.DataFrame(
        {_IDX: range(len(ids)), EVENT_ID: ids, ACTIVITY: types, ROW: range(1, len(ids) + 1)},
        schema={_IDX: pl.Int64, EVENT_ID: pl.String, ACTIVITY: pl.String, ROW: pl.Int64},
    )
    # Times and attributes live in one table per event type, named through event_map_type.
    details_frames = []
    for _etype, mapped in conn.execute("SELECT ocel_type, ocel_type_map FROM event_map_type"):
        table = f"event_{mapped}"
        if table not in tables:
            raise InputError("ocel.sqlite_missing_table", Location(file), table=table)
        details_frames.append(_table_frame(conn, table, {"ocel_id": EVENT_ID, "ocel_time": TIMESTAMP}))
    if details_frames:
        per_type = pl.concat(details_frames, how="diagonal_relaxed").unique(
            EVENT_ID, keep="first", maintain_order=True
        )
        events = events.join(per_type, on=EVENT_ID, how="left", maintain_order="left")
    if TIMESTAMP not in events.columns:
        events = events.with_columns(pl.lit(None, pl.String).alias(TIMESTAMP))
    rel = pl.DataFrame(
        [
            (_text(e), _text(o))
            for e, o in conn.execute("SELECT ocel_event_id, ocel_object_id FROM event_object")
        ],
        schema={EVENT_ID: pl.String, _OID: pl.String},
        orient="row",
    )
    relations = (
        events.select(_IDX, EVENT_ID)
        .join(rel, on=EVENT_ID, how="inner", maintain_order="right_left")
        .select(_IDX, _OID)
    )
    objects = pl.DataFrame(
        [(_text(o), _text(t)) for o, t in conn.execute("SELECT ocel_id, ocel_type FROM object")],
        schema={_OID: pl.String, _TYPE: pl.String},
        orient="row",
    )
    object_maps = {}
    if "object_map_type" in tables:
        object_maps = {
            _text(t): _text(m)
            for t, m in conn.execute("SELECT ocel_type, ocel_type_map FROM object_map_type")
        }

    def attrs_of(object_type: str) -> pl.DataFrame | None:
        table = f"object_{object_maps.get(object_type)}"
        if object_type not in object_maps or table not in tables:
            return None
        frame = _table_frame(conn, table, {"ocel_id": _OID}, keep_changed=True)
        if "ocel_changed_field" in frame.columns:  # initial values first, later changes after them
            frame = frame.sort(pl.col("ocel_changed_field").is_not_null(), maintain_order=True)
            frame = frame.drop("ocel_changed_field")
        frame = frame.drop([c for c in ("ocel_time",) if c in frame.columns])
        attrs = [c for c in frame.columns if c != _OID]
        if not attrs:
            return None
        grouped = frame.group_by(_OID, maintain_order=True).agg(pl.col(attrs).drop_nulls().first())
        return grouped.rename({c: CASE_PREFIX + c for c in attrs})

    return _flatten_frames(path, "ocel-sqlite", "event", "2.0", events, relations, objects, attrs_of, options)


def _select(conn: sqlite3.Connection, query: str, ordered: bool) -> list[tuple[Any, ...]]:
    if ordered:
        try:
            return conn.execute(query + " ORDER BY rowid").fetchall()
        except sqlite3.OperationalError:
            pass  # a WITHOUT ROWID table: take the order SQLite gives
    return conn.execute(query).fetchall()


def _table_frame(
    conn: sqlite3.Connection, table: str, rename: dict[str, str], keep_changed: bool = False
) -> pl.DataFrame:
    """All rows of ``table`` as strings; OCEL bookkeeping columns other than ``rename``'s are dropped."""
    cursor = conn.execute(
        f"SELECT * FROM {_quote(table)}" + (" ORDER BY rowid" if _has_rowid(conn, table) else "")
    )
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    keep = {"ocel_changed_field", "ocel_time"} if keep_changed else set()
    names: dict[str, str] = {}
    for col in columns:
        if col in rename:
            names[col] = rename[col]
        elif col in keep:
            names[col] = col
        elif not col.startswith(("ocel_", "ocel:")):  # pm4py adds "ocel:activity" here; skip bookkeeping
            names[col] = _attr_name(col)
    positions = [columns.index(col) for col in names]
    data = {names[col]: [_text(row[i]) for row in rows] for col, i in zip(names, positions, strict=True)}
    return pl.DataFrame(data, schema=dict.fromkeys(data, pl.String))


def _has_rowid(conn: sqlite3.Connection, table: str) -> bool:
    try:
        conn.execute(f"SELECT rowid FROM {_quote(table)} LIMIT 0")
    except sqlite3.OperationalError:
        return False
    return True


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


# --------------------------------------------------------------------------- flattening


def _flatten(path: Path, fmt: str, row_label: str, log: _Log, options: ReadOptions) -> RawTable:
    return _flatten_frames(
        path,
        fmt,
        row_label,
        log.version,
        log.event_frame(),
        log.relation_frame(),
        log.object_frame(),
        lambda object_type: log.attrs_of(
            oid for oid, t in zip(log.object_ids, log.object_types, strict=True) if t == object_type and oid
        ),
        options,
    )


def _flatten_frames(
    path: Path,
    fmt: str,
    row_label: str,
    version: str,
    events: pl.DataFrame,
    relations: pl.DataFrame,
    objects: pl.DataFrame,
    attrs_of: Callable[[str], pl.DataFrame | None],
    options: ReadOptions,
) -> RawTable:
    """One row per (event, distinct related object of the chosen type), like ``pm4py.ocel_flattening``."""
    file = display_path(path)
    objects = objects.filter(pl.col(_OID).is_not_null()).unique(_OID, keep="first", maintain_order=True)
    counts = objects.filter(pl.col(_TYPE).is_not_null()).group_by(_TYPE).len().sort(_TYPE)
    available = counts[_TYPE].to_list()
    chosen = _choose_type(file, available, options.object_type, events.height)
    of_type = objects.filter(pl.col(_TYPE) == chosen)[_OID]
    relations = relations.filter(pl.col(_OID).is_not_null()).unique(maintain_order=True)
    unknown = relations.filter(~pl.col(_OID).is_in(objects[_OID].implode())).height
    relations = relations.filter(pl.col(_OID).is_in(of_type.implode()))
    flat = events.join(relations, on=_IDX, how="inner", maintain_order="left_right").rename({_OID: CASE})
    events_with_object = flat[_IDX].n_unique()
    attrs = attrs_of(chosen)
    if attrs is not None:
        attrs = attrs.rename({_OID: CASE}).select([CASE, *[c for c in attrs.columns if c not in _RESERVED]])
        flat = flat.join(attrs, on=CASE, how="left", maintain_order="left")
    parsed, no_offset, unparsable = parse_iso_timestamps(flat[TIMESTAMP])
    flat = flat.with_columns(parsed)
    first = [CASE, ACTIVITY, TIMESTAMP, EVENT_ID]
    flat = flat.select([*first, *[c for c in flat.columns if c not in (*first, ROW, _IDX)], ROW])
    details: dict[str, Any] = {
        "ocel_version": version,
        "object_type": chosen,
        "object_types": available,
        "events": events.height,
        "events_without_object": events.height - events_with_object,
        "objects": of_type.len(),
        "objects_without_events": of_type.len() - flat[CASE].n_unique(),
        "relationships_to_unknown_objects": unknown,
        "timestamps_without_offset_as_utc": no_offset,
        "timestamps_unparsable": unparsable,
    }
    return RawTable(
        flat, file, fmt, row_label=row_label, default_columns=dict(OCEL_DEFAULT_COLUMNS), details=details
    )


def _choose_type(file: str, available: list[str], wanted: str | None, n_events: int) -> str:
    listed = ", ".join(available)
    if wanted is not None:
        if wanted not in available:
            raise InputError("ocel.unknown_object_type", Location(file), name=wanted, available=listed or "-")
        return wanted
    if len(available) == 1:
        return available[0]
    if not available:
        raise InputError("ocel.no_objects", Location(file), events=n_events)
    raise InputError("ocel.object_type_required", Location(file), available=listed)


def _event_row(index: int, eid: Any, etype: Any, time: Any, row: int | None) -> dict[str, Any]:
    return {_IDX: index, EVENT_ID: _text(eid), ACTIVITY: _text(etype), TIMESTAMP: _text(time), ROW: row}


def _attr_name(name: Any) -> str:
    text = str(name)
    return f"attr:{text}" if text in _RESERVED or text.startswith(CASE_PREFIX) else text


def _text(value: Any) -> str | None:
    """An attribute value as a string: numbers as written by Python, booleans lower-case, nested as JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return json.dumps(value, ensure_ascii=False)
