"""XES reader (IEEE 1849): one row per event, trace attributes as ``case:<key>`` columns.

The file is stream-parsed with :func:`lxml.etree.iterparse` one ``<trace>`` at a time and each trace is
dropped once read, so memory holds only the collected values. Attributes keep their XES types (``int``,
``float``, ``date``, ``boolean``; see :func:`typed_columns`); ``time:timestamp`` becomes a UTC
``Datetime``. ``__row`` is the XML line of the ``<event>`` element.

Besides the reader, this module holds the XML and timestamp helpers the OCEL reader shares with it:
:func:`open_binary` (transparent gzip), :func:`secure_iterparse` (no DTD, no entities, no network),
:func:`parse_iso_timestamps` (ISO 8601 with offsets, vectorised).
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
import polars as pl
from lxml import etree

from pmtool.errors import InputError, Location, display_path, first_line
from pmtool.eventlog import schema
from pmtool.ingest import reading
from pmtool.ingest.registry import ROW, RawTable, ReadOptions, register
from pmtool.limits import BoundedStream

CASE_PREFIX = "case:"
CASE_NAME = "case:concept:name"
ACTIVITY_KEY = "concept:name"
TIMESTAMP_KEY = "time:timestamp"

#: Canonical column → XES key, for the keys the XES standard extensions define.
XES_DEFAULT_COLUMNS: dict[str, str] = {
    schema.CASE_ID: CASE_NAME,
    schema.ACTIVITY: ACTIVITY_KEY,
    schema.TIMESTAMP: TIMESTAMP_KEY,
    schema.RESOURCE: "org:resource",
    schema.ROLE: "org:role",
    schema.LIFECYCLE: "lifecycle:transition",
}

_CHUNK_EVENTS = 100_000  # rows collected as Python objects before they become a polars frame
_TRACES_TOLD = 1024  # traces between two counts told to a progress bar (pmtool.ingest.reading)
_PROLOG_BYTES = 1 << 20  # how much of the file the DOCTYPE check looks at
_MAX_LINES_LISTED = 10
GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


# --------------------------------------------------------------------------- shared XML helpers


@contextmanager
def open_binary(path: Path) -> Iterator[IO[bytes]]:
    """Open ``path`` for reading, decompressing gzip when the content starts with the gzip magic bytes."""
    with path.open("rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        total = os.fstat(raw.fileno()).st_size
        if not compressed:
            stream = reading.reported(raw, raw, path.name, total)  # how far, for a progress bar (if one is shown)
            try:
                yield stream
            finally:
                if stream is not raw:
                    stream.close()
            return
        with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
            bounded = BoundedStream(unzipped, display_path(path))  # a gzip bomb stops at the limit
            stream = reading.reported(bounded, raw, path.name, total)
            try:
                yield stream
            finally:
                if stream is not bounded:
                    stream.close()


def is_gzip(path: Path) -> bool:
    with path.open("rb") as raw:
        return raw.read(2) == b"\x1f\x8b"


def gzip_error(path: Path, exc: BaseException) -> InputError:
    return InputError("xes.gzip_corrupt", Location(display_path(path)), reason=first_line(exc))


def check_prolog(path: Path) -> None:
    """Refuse a document whose DOCTYPE has an internal subset (entity declarations: XXE, billion laughs).

    Only the prolog (everything before the root element) is looked at, as text, before any XML parser
    sees the file; the parser itself runs without DTD loading and entity resolution as a second guard.
    """
    try:
        with reading.unobserved(), open_binary(path) as stream:  # the head only: no progress to tell
            head = stream.read(_PROLOG_BYTES)
    except GZIP_ERRORS as exc:
        raise gzip_error(path, exc) from None
    text = _decode_head(head)
    pos = 0
    space = re.compile(r"[\s\ufeff]*")
    while pos < len(text):
        pos = space.match(text, pos).end()  # type: ignore[union-attr]
        if text.startswith("<?", pos):
            end, close = text.find("?>", pos + 2), 2
        elif text.startswith("<!--", pos):
            end, close = text.find("-->", pos + 4), 3
        elif text[pos : pos + 9].upper() == "<!DOCTYPE":
            (end, subset), close = _doctype_end(text, pos), 1
            if subset:
                entity = text.find("<!ENTITY", pos)
                where = entity if entity >= 0 else pos
                line = text.count("\n", 0, where) + 1
                raise InputError("xes.entities", Location(display_path(path), row=line))
        else:
            return  # the root element (or text the parser will reject with a line number)
        if end < 0:
            return  # prolog longer than the head: refuse_internal_dtd decides once the parser runs
        pos = end + close


def _doctype_end(text: str, pos: int) -> tuple[int, bool]:
    """Index of the ``>`` closing the DOCTYPE at ``pos`` and whether an internal subset ``[`` precedes it."""
    quote = ""
    for i in range(pos + 9, len(text)):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "[":
            return i, True
        elif ch == ">":
            return i, False
    return -1, False


def _decode_head(head: bytes) -> str:
    utf16 = {b"\xff\xfe": "utf-16", b"\xfe\xff": "utf-16", b"<\x00": "utf-16-le", b"\x00<": "utf-16-be"}
    codec = utf16.get(head[:2])
    if codec:
        return head[: len(head) // 2 * 2].decode(codec, errors="replace")
    # Every ASCII-compatible encoding keeps the markup characters and line breaks we look for.
    return head.decode("latin-1")


def secure_iterparse(stream: IO[bytes], tag: tuple[str, ...], encoding: str | None = None) -> Any:
    """``iterparse`` over end events of ``tag`` with DTD loading, entities and network access disabled."""
    return etree.iterparse(
        stream,
        events=("end",),
        tag=tag,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
        encoding=encoding,
    )


def refuse_internal_dtd(element: Any, path: Path) -> None:
    """Second guard after :func:`check_prolog`: the parsed document must declare no entities."""
    dtd = element.getroottree().docinfo.internalDTD
    if dtd is not None and dtd.entities():
        raise InputError("xes.entities", Location(display_path(path), row=1))


def syntax_error(path: Path, exc: etree.XMLSyntaxError) -> InputError:
    """One-line ``InputError`` for malformed XML, with the line and column lxml reports."""
    line, column = exc.position if exc.position else (exc.lineno, 0)
    reason = re.sub(r",? line \d+, column \d+\s*$", "", first_line(exc.msg or str(exc))).strip()
    return InputError(
        "xes.malformed", Location(display_path(path), row=line or None), col=column, reason=reason
    )


_LXML_MAX_LINE = 65535  # libxml2 stores element lines in 16 bits


class LineCountingStream:
    """A read-through wrapper that records the line of every ``<event`` start tag the parser will see.

    libxml2 caps element line numbers at 65535 (beyond that ``sourceline`` is 65535 or off by one), so
    for large files the lines come from this byte-level scan instead. :meth:`lines_for` checks the scan
    against lxml's lines before trusting it.
    """

    _OVERLAP = 256  # longest start tag ("<prefix:event" plus delimiter) the scan must see whole

    def __init__(self, stream: IO[bytes], element: str = "event") -> None:
        self._stream = stream
        self._pattern = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?" + element.encode() + rb"[\s/>]")
        self._carry = b""
        self._line = 1  # line number at the start of _carry
        self.lines: list[int] = []

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        buf = self._carry + data
        seen = len(self._carry)  # matches ending inside the carry were counted by the previous read
        starts = [m.start() for m in self._pattern.finditer(buf) if m.end() > seen]
        if starts:  # line of each start: newlines before it, counted in bulk
            breaks = np.flatnonzero(np.frombuffer(buf, dtype=np.uint8) == 10)
            self.lines.extend((np.searchsorted(breaks, starts) + self._line).tolist())
        keep = len(buf) if not data else max(len(buf) - self._OVERLAP, 0)
        self._line += buf.count(b"\n", 0, keep)
        self._carry = buf[keep:]
        return data

    def lines_for(self, parsed: list[int]) -> tuple[list[int], bool]:
        """The scanned lines if they agree with lxml's ``parsed`` ones where those are exact, else ``parsed``.

        Returns the lines and whether they are exact.
        """
        if len(self.lines) != len(parsed):
            return parsed, max(parsed, default=0) < _LXML_MAX_LINE
        for scanned, reported in zip(self.lines, parsed, strict=True):
            if reported < _LXML_MAX_LINE and scanned != reported:
                return parsed, False
        return self.lines, True


def local_name(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


# ISO 8601 date-time as XES (xs:dateTime) and OCEL write it: date, T or space, hh:mm[:ss][.fff], offset.
_ISO = r"^\s*(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2})(:\d{2})?(\.\d+)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?\s*$"

#: The shape :func:`parse_iso_timestamps` brings every value into before parsing it with :data:`_ISO_FORMAT`.
_ISO_NORMAL = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?[+-]\d{2}:\d{2}$"
_ISO_FORMAT = "%Y-%m-%dT%H:%M:%S%.f%:z"


def parse_iso_timestamps(values: pl.Series) -> tuple[pl.Series, int, int]:
    """Parse ISO 8601 strings to ``Datetime("us", "UTC")``, vectorised.

    Offsets (``+02:00``, ``+0200``, ``+02``, ``Z``) are honoured, so DST switches come out right; a value
    without offset is taken as UTC. Returns the parsed series (null where unparsable), the number of
    values without offset and the number of non-null values that could not be parsed.
    """
    name = values.name
    text = values.cast(pl.String)
    # Most values already have the one shape the parse below normalises to: parse those as they are.
    if text.null_count() == 0 and text.str.contains(_ISO_NORMAL).all():
        parsed = text.str.to_datetime(_ISO_FORMAT, time_zone="UTC", time_unit="us", strict=False).alias(name)
        return parsed, 0, int(parsed.null_count())
    frame = pl.DataFrame({"v": text}).with_columns(
        pl.col("v").str.extract_groups(_ISO).alias("g")
    )
    g = pl.col("g").struct
    offset = g.field("5")
    normalised = (
        pl.when(offset.is_null() | offset.is_in(["Z", "z"]))
        .then(pl.lit("+00:00"))
        .when(offset.str.len_chars() == 3)
        .then(offset + ":00")
        .when(offset.str.len_chars() == 5)
        .then(offset.str.slice(0, 3) + ":" + offset.str.slice(3, 2))
        .otherwise(offset)
    )
    text = pl.concat_str(
        [
            g.field("1"),
            pl.lit("T"),
            g.field("2"),
            g.field("3").fill_null(":00"),
            g.field("4").str.slice(0, 10).fill_null(""),
            normalised,
        ]
    )
    out = frame.select(
        text.str.to_datetime(_ISO_FORMAT, time_zone="UTC", time_unit="us", strict=False).alias("ts"),
        (g.field("1").is_not_null() & offset.is_null()).sum().alias("no_offset"),
    )
    parsed = out["ts"].alias(name)
    unparsable = int((values.is_not_null() & parsed.is_null()).sum())
    return parsed, int(out["no_offset"][0]), unparsable


# --------------------------------------------------------------------------- the reader


class _Collector:
    """Collects event dicts and trace attributes, turning them into a polars frame every chunk."""

    def __init__(self) -> None:
        self.frames: list[pl.DataFrame] = []
        self.rows: list[dict[str, str]] = []
        self.lines: list[int] = []
        self.trace_of_row: list[int] = []
        self.traces: list[dict[str, str]] = []
        self.kept_as_text: list[str] = []
        self.keyless_values = 0
        self.event_tags: dict[Any, bool] = {}  # element tag → whether it names an event

    def flush(self) -> None:
        if not self.rows:
            self.traces.clear()
            return
        events = _string_frame(self.rows)
        # An event attribute named "case:..." would clash with the trace attributes; keep both.
        events = events.rename({c: f"event:{c}" for c in events.columns if c.startswith(CASE_PREFIX)})
        row = pl.Series(ROW, self.lines, dtype=pl.Int64)
        cases = _string_frame(self.traces)
        parts = []
        if cases.width:
            parts.append(cases[pl.Series(self.trace_of_row, dtype=pl.UInt32)])
        parts.append(events)
        frame = (
            pl.concat(parts, how="horizontal").with_columns(row)
            if len(parts) > 1
            else events.with_columns(row)
        )
        self.frames.append(frame)
        self.rows, self.lines, self.trace_of_row, self.traces = [], [], [], []

    def frame(self) -> pl.DataFrame:
        self.flush()
        if not self.frames:
            return pl.DataFrame(schema={ROW: pl.Int64})
        frame = pl.concat(self.frames, how="diagonal_relaxed")
        keyless = [c for c in frame.columns if c.startswith(_NO_KEY + _TAG)]
        self.keyless_values = sum(frame[c].is_not_null().sum() for c in keyless)
        frame, self.kept_as_text = _finish(frame.drop(keyless))
        return frame


def _finish(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """The collected text columns typed (:func:`typed_columns`), case name first, ``ROW`` last."""
    frame, kept_as_text = typed_columns(frame)
    first = [c for c in (CASE_NAME,) if c in frame.columns]
    return frame.select([*first, *[c for c in frame.columns if c not in first and c != ROW], ROW]), kept_as_text


#: Between an attribute's key and its XES type in the collected column names ("amount\x1ffloat").
_TAG = "\x1f"
_NO_KEY = "\x00"  # the key of an attribute element without one (dropped and counted as skipped)
_NUMBER_TAGS = {"int", "float"}
_NAN = ("nan", "NaN", "NAN")


def typed_columns(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """Columns named ``<key>\x1f<XES element>`` merged into one column per key with the XES type kept.

    ``int`` → Int64; ``int`` and ``float`` → Float64 (``NaN`` stays a float NaN); ``date`` → UTC Datetime;
    ``boolean`` → Boolean; ``string``, ``id`` and any mix with them → String, where a float ``NaN`` of the
    mix becomes null. A typed value that does not parse (``<int value="x"/>``) keeps the whole key as text,
    so nothing is lost; those keys are returned. ``time:timestamp`` stays text here (the reader parses it
    and reports unparsable lines)."""
    by_key: dict[str, list[tuple[str, str]]] = {}
    others = []
    for column in frame.columns:
        key, sep, tag = column.partition(_TAG)
        if sep:
            by_key.setdefault(key, []).append((local_name(tag) or tag, column))
        else:
            others.append(column)
    merged: list[pl.Series] = []
    kept_as_text = []
    for key, parts in by_key.items():
        tags = {tag for tag, _ in parts}
        text = _coalesce_text(frame, parts).alias(key)
        typed = None if key == TIMESTAMP_KEY else _typed(text, tags)
        if typed is None and not tags & {"string", "id"} and key != TIMESTAMP_KEY:
            kept_as_text.append(key)
        merged.append(typed if typed is not None else text)
    names = [s.name for s in merged]
    if len(set(names)) != len(names) or set(names) & set(others):
        raise ValueError("duplicate attribute column")  # pragma: no cover - keys are unique by construction
    order = {s.name: s for s in merged}
    out = frame.select(others).with_columns(list(order.values())) if others else pl.DataFrame(merged)
    first_seen = list(dict.fromkeys(column.partition(_TAG)[0] for column in frame.columns))
    return out.select(first_seen), sorted(kept_as_text)


def _coalesce_text(frame: pl.DataFrame, parts: list[tuple[str, str]]) -> pl.Series:
    """One text column per key from its per-type columns; a float NaN beside text values is no value."""
    tags = {tag for tag, _ in parts}
    exprs = []
    for tag, column in parts:
        expr = pl.col(column)
        if tag == "float" and not tags <= _NUMBER_TAGS:
            expr = pl.when(expr.is_in(_NAN)).then(None).otherwise(expr)
        exprs.append(expr)
    return frame.select(pl.coalesce(exprs) if len(exprs) > 1 else exprs[0]).to_series()


def _typed(text: pl.Series, tags: set[str]) -> pl.Series | None:
    """``text`` as the XES type its elements declare, or ``None`` when it is text (or does not parse)."""
    present = text.is_not_null()
    if tags <= _NUMBER_TAGS:
        typed = text.cast(pl.Float64 if "float" in tags else pl.Int64, strict=False)
    elif tags == {"boolean"}:
        lowered = text.str.to_lowercase()
        typed = lowered.replace_strict({"true": True, "1": True, "false": False, "0": False}, default=None,
                                       return_dtype=pl.Boolean)
    elif tags == {"date"}:
        typed = parse_iso_timestamps(text)[0]
    else:
        return None
    return typed if int((present & typed.is_null()).sum()) == 0 else None


def _string_frame(rows: list[dict[str, str]]) -> pl.DataFrame:
    """All-String frame from dicts; the explicit schema is several times faster than inference."""
    keys: dict[str, str] = {}
    for row in rows:
        keys.update(row)
    return pl.from_dicts(rows, schema=dict.fromkeys(keys, pl.String)) if keys else pl.DataFrame()


@register("xes", (".xes", ".xes.gz"))
def read_xes(path: Path, options: ReadOptions) -> RawTable:
    """Read an XES log (plain or gzip-compressed) into one row per event.

    Columns: ``case:concept:name`` and further ``case:<key>`` from trace attributes, each event attribute
    by its key (``concept:name``, ``time:timestamp`` as UTC ``Datetime``, ``org:resource``, ...), ``__row``.
    Raises ``InputError`` for malformed XML (with line and column), a DOCTYPE with an internal subset,
    a corrupt gzip file, or a root element other than ``<log>``.
    """
    file = display_path(path)
    check_prolog(path)
    from pmtool.ingest.readers.xes_plain import read_plain  # it builds on this module's helpers

    plain = read_plain(path) if options.encoding is None else None
    if plain is not None:
        frame, counts = plain
        frame, kept_as_text = _finish(frame)
        return _raw_table(path, frame, counts, kept_as_text, exact=True)
    collector = _Collector()
    counts = {
        "traces": 0,
        "traces_without_name": 0,
        "nested_attributes_skipped": 0,
        "events_outside_traces": 0,
    }
    root_checked = False
    collected = 0  # events flushed so far
    try:
        with open_binary(path) as stream:
            counting = LineCountingStream(stream)
            context = secure_iterparse(counting, ("{*}trace",), options.encoding)
            for _, trace in context:
                if not root_checked:
                    _check_root(trace.getroottree().getroot(), path)
                    refuse_internal_dtd(trace, path)
                    root_checked = True
                _read_trace(trace, collector, counts)
                parent = trace.getparent()
                trace.clear(keep_tail=False)
                if parent is not None:
                    while trace.getprevious() is not None:
                        counts["events_outside_traces"] += local_name(parent[0].tag) == "event"
                        del parent[0]
                if not counts["traces"] % _TRACES_TOLD:
                    reading.events_read(collected + len(collector.rows))
                if len(collector.rows) >= _CHUNK_EVENTS:
                    collected += len(collector.rows)
                    collector.flush()
            root = context.root
    except etree.XMLSyntaxError as exc:
        raise syntax_error(path, exc) from None
    except GZIP_ERRORS as exc:
        raise gzip_error(path, exc) from None
    except LookupError:
        raise InputError("xes.unknown_encoding", Location(file), encoding=options.encoding) from None
    if root is not None:
        if not root_checked:
            _check_root(root, path)
            refuse_internal_dtd(root, path)
        counts["events_outside_traces"] += sum(local_name(child.tag) == "event" for child in root)

    frame = collector.frame()
    lines, exact = counting.lines_for(frame[ROW].to_list())
    if lines is counting.lines:
        frame = frame.with_columns(pl.Series(ROW, lines, dtype=pl.Int64))
    counts["nested_attributes_skipped"] += collector.keyless_values
    return _raw_table(path, frame, counts, collector.kept_as_text, exact)


def _raw_table(path: Path, frame: pl.DataFrame, counts: dict[str, int], kept_as_text: list[str],
               exact: bool) -> RawTable:
    """The reader's result from the collected ``frame``: timestamps parsed, ``details`` filled in."""
    details: dict[str, Any] = {**counts, "events": frame.height, "compressed": is_gzip(path)}
    if kept_as_text:
        details["typed_attributes_kept_as_text"] = ", ".join(kept_as_text)
    details["line_numbers_exact"] = exact
    if TIMESTAMP_KEY in frame.columns:
        raw = frame[TIMESTAMP_KEY]
        parsed, no_offset, unparsable = parse_iso_timestamps(raw)
        frame = frame.with_columns(parsed)
        details["timestamps_without_offset_as_utc"] = no_offset
        details["timestamps_unparsable"] = unparsable
        if unparsable:
            bad = frame.filter(raw.is_not_null() & parsed.is_null())[ROW].head(_MAX_LINES_LISTED)
            details["timestamps_unparsable_lines"] = bad.to_list()
    has_ts = int(frame[TIMESTAMP_KEY].is_not_null().sum()) if TIMESTAMP_KEY in frame.columns else 0
    details["events_without_timestamp"] = frame.height - has_ts
    defaults = {canon: key for canon, key in XES_DEFAULT_COLUMNS.items() if key in frame.columns}
    return RawTable(frame, display_path(path), "xes", row_label="line", default_columns=defaults, details=details)


def _check_root(root: Any, path: Path) -> None:
    name = local_name(root.tag)
    if name != "log":
        raise InputError("xes.not_xes", Location(display_path(path)), root=name)


def _read_trace(trace: Any, collector: _Collector, counts: dict[str, int]) -> None:
    """Collect one trace: its attributes once, each event as a key → value dict with its line."""
    case: dict[str, str] = {}
    index = len(collector.traces)
    rows, lines, trace_of_row = collector.rows, collector.lines, collector.trace_of_row
    kinds = collector.event_tags
    for child in trace:
        value = child.get("value")
        if value is not None:
            key = child.get("key")
            if key is not None:
                case[f"{CASE_PREFIX}{key}{_TAG}{child.tag}"] = value
            continue
        tag = child.tag
        is_event = kinds.get(tag)
        if is_event is None:
            is_event = kinds[tag] = local_name(tag) == "event"
        if not is_event:
            counts["nested_attributes_skipped"] += 1  # <list>/<container> on the trace
            continue
        # Hot loop (millions of attributes): one dict comprehension per event, cleaned only when needed. The
        # element name (the XES type) travels in the key, so each value keeps its type (typed_columns).
        event = {f"{attr.get('key', _NO_KEY)}{_TAG}{attr.tag}": attr.get("value") for attr in child}
        if None in event.values():
            counts["nested_attributes_skipped"] += sum(1 for v in event.values() if v is None)
            event = {k: v for k, v in event.items() if v is not None}
        rows.append(event)  # type: ignore[arg-type]
        lines.append(child.sourceline)
        trace_of_row.append(index)
    counts["traces"] += 1
    if not any(k.startswith(CASE_NAME + _TAG) for k in case):
        counts["traces_without_name"] += 1
    collector.traces.append(case)
