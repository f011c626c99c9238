"""XES written plainly, read in bulk: polars string operations on blocks of whole traces instead of one
Python step per XML element.

Most XES files come from a program and share one plain shape below the ``<log>`` header: ``<trace>``
elements that hold attribute elements ``<string key="…" value="…"/>`` (any type name; ``key`` before
``value``; double quotes; self-closing) and ``<event>`` elements that hold only such attribute elements.
:func:`read_plain` reads a file of that shape and returns what the element-by-element reader in
:mod:`pmtool.ingest.readers.xes` collects (the same columns in the same order, values and lines), several
times faster. Any file that departs from the shape (comments, CDATA, a DOCTYPE, character references,
namespace prefixes, nested attributes, events outside traces, whitespace inside values, an encoding other
than UTF-8, ...) gives ``None``, and the element-by-element reader reads it. libxml2 checks every byte for
well-formedness alongside without building a tree, so a malformed file is never taken for a plain one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
from lxml import etree

from pmtool.ingest.readers.xes import _CHUNK_EVENTS, _TAG, CASE_PREFIX, GZIP_ERRORS, open_binary
from pmtool.ingest.reading import events_read
from pmtool.ingest.registry import ROW

BLOCK_BYTES = 16 << 20  # read, checked and converted at a time (cut after a </trace>)
_FEED_BYTES = 1 << 20
_MAX_PENDING = 4 * BLOCK_BYTES  # text read without a </trace> in it
_MAX_KEYS = 64  # distinct (type, key) pairs per block; more is no plain export
_TRACE_END = b"</trace>"
_NAME = r"^[A-Za-z_][\w.\-]* key=$"  # the start of an attribute element up to the key's opening quote
_TRACE_OR_EVENT = r"^/?([\w.\-]+:)?(trace|event)[\s/>]"
_ENCODING = re.compile(rb"""^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&"))
_KINDS = {"trace>": 1, "/trace>": 2, "event>": 3, "/event>": 4}


class _NotPlain(Exception):
    """The file departs from the plain shape: the element-by-element reader reads it."""


class _WellFormed:
    """Parser target without callbacks: libxml2 checks the document and builds nothing."""

    def close(self) -> None:
        return None


def read_plain(path: Path) -> tuple[pl.DataFrame, dict[str, int]] | None:
    """The collected text columns (``<key>\\x1f<type>``, ``case:<key>\\x1f<type>``, ``ROW``) and the counts of
    a plainly written XES file, or ``None`` when the file is not plain or not well-formed."""
    parser = etree.XMLParser(target=_WellFormed(), resolve_entities=False, load_dtd=False, no_network=True)
    reader = _Blocks()
    try:
        with open_binary(path) as stream:
            pending = b""
            while True:
                chunk = stream.read(BLOCK_BYTES)
                for at in range(0, len(chunk), _FEED_BYTES):  # libxml2 takes at most 10 MB at once
                    parser.feed(chunk[at:at + _FEED_BYTES])
                text = pending + chunk if pending else chunk
                if chunk:
                    cut = text.rfind(_TRACE_END)
                    if cut < 0:
                        if len(text) > _MAX_PENDING:  # no trace ends in sight: not plain (or a bomb)
                            raise _NotPlain
                        pending = text
                        continue
                    cut += len(_TRACE_END)
                    block, pending = text[:cut], text[cut:]
                else:
                    block, pending = text, b""
                if block:
                    reader.read(block)
                    events_read(reader.events)
                if not chunk:
                    break
        parser.close()
    except (_NotPlain, etree.XMLSyntaxError, LookupError, *GZIP_ERRORS):
        return None
    return reader.result()


@dataclass
class _Blocks:
    """What the blocks read so far add up to."""

    line: int = 1  # line at the start of the next block
    pieces: int = 0  # '<'-separated pieces before the next block (their position orders the columns)
    traces: int = 0
    events: int = 0
    traces_without_name: int = 0
    chunk: int = 0  # the element-by-element reader's chunk (it orders its columns chunk by chunk)
    chunk_rows: int = 0
    namespace: str | None = None  # the root's default namespace; None before the first block
    frames: list[pl.DataFrame] = field(default_factory=list)
    firsts: list[tuple[int, int, int, str]] = field(default_factory=list)  # chunk, case/event, position, name
    chunks_with_events: set[int] = field(default_factory=set)

    def read(self, block: bytes) -> None:
        first = self.namespace is None
        if b"<!" in block or b"&#" in block or (b"\r" in block and block.count(b"\r") != block.count(b"\r\n")):
            raise _NotPlain
        if first:
            declared = _ENCODING.match(block)
            if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
                raise _NotPlain
        try:
            text = pl.Series([block], dtype=pl.Binary).cast(pl.String)
        except pl.exceptions.PolarsError:
            raise _NotPlain from None
        # Piece 0 is the text before the block's first '<' (the block starts after a '>'): never an element.
        frame = text.str.split("<").explode().to_frame("p").with_row_index("pos", offset=self.pieces)
        first_piece = self.pieces
        self.pieces += frame.height
        p = pl.col("p")
        kind = pl.lit(0, pl.Int8)
        for head, code in _KINDS.items():
            kind = pl.when(p.str.starts_with(head)).then(pl.lit(code, pl.Int8)).otherwise(kind)
        newlines = p.str.count_matches("\n", literal=True)
        frame = frame.with_columns(kind.alias("k"), (self.line + newlines.cum_sum() - newlines).alias("line"),
                                   newlines.alias("newlines"))
        self.line += int(frame["newlines"].sum())
        k = pl.col("k")
        frame = frame.with_columns(
            ((k == 1).cast(pl.Int32) - (k == 2).cast(pl.Int32)).cum_sum().alias("in_trace"),
            ((k == 3).cast(pl.Int32) - (k == 4).cast(pl.Int32)).cum_sum().alias("in_event"),
            ((k == 1).cast(pl.Int32).cum_sum() - 1).alias("trace"),
            ((k == 3).cast(pl.Int32).cum_sum() - 1).alias("event"),
        )
        inside = (pl.col("in_trace") == 1) & (k == 0)
        bad = frame.select(
            ~pl.col("in_trace").is_in([0, 1]).all() | ~pl.col("in_event").is_in([0, 1]).all()
            | ((pl.col("in_event") == 1) & (pl.col("in_trace") != 1)).any()
            | (pl.col("in_trace").last() != 0)
        ).item()
        if bad:
            raise _NotPlain
        outside = frame.filter((pl.col("in_trace") == 0) & (k == 0) & (pl.col("pos") > first_piece))
        self._check_outside(outside, first)
        self._collect(frame.filter(inside), frame.filter(k == 1).height, frame.filter(k == 3))

    def _check_outside(self, outside: pl.DataFrame, first: bool) -> None:
        """Pieces between traces: no stray trace or event element, a processing instruction only as the
        XML declaration, the root a ``<log>`` (its default namespace names the elements)."""
        p = outside["p"]
        if p.str.contains(_TRACE_OR_EVENT).any():
            raise _NotPlain
        instructions = outside.filter(pl.col("p").str.starts_with("?"))
        if instructions.height > (1 if first else 0) or (instructions.height and instructions["pos"][0] != 1):
            raise _NotPlain
        if first:
            root = outside.filter(~pl.col("p").str.starts_with("?"))["p"].head(1).to_list()
            if not root or not re.match(r"log[\s>/]", root[0]):
                raise _NotPlain
            tag = root[0].split(">", 1)[0]
            declared = re.search(r"""\sxmlns\s*=\s*(["'])(.*?)\1""", tag)
            if "xmlns=" in tag.replace(" ", "") and declared is None:
                raise _NotPlain
            self.namespace = declared.group(2) if declared else ""

    def _collect(self, attrs: pl.DataFrame, n_traces: int, events: pl.DataFrame) -> None:
        """Turn one block's attribute pieces into rows: one per event, trace attributes repeated on its rows."""
        parts = attrs.select("pos", "in_event", "trace", "event", pl.col("p").str.splitn('"', 5).alias("q")
                             ).unnest("q")
        names, quotes, tails = (parts[c].unique() for c in ("field_0", "field_2", "field_4"))
        if (names.null_count() or tails.null_count() or not names.str.contains(_NAME).all()
                or not quotes.eq(" value=").all() or not tails.str.contains(r"^ ?/>").all()):
            raise _NotPlain
        if parts.select(pl.any_horizontal(pl.col("field_1", "field_3").str.contains_any(["\t", "\n", "\r"]))
                        .any()).item():
            raise _NotPlain
        parts = parts.with_columns(_unescape(parts["field_1"]), _unescape(parts["field_3"]))
        per_trace = np.bincount(events["trace"].to_numpy(), minlength=n_traces).tolist() if n_traces else []
        chunk_of_trace = []
        for n in per_trace:
            chunk_of_trace.append(self.chunk)
            if n:
                self.chunks_with_events.add(self.chunk)
            self.chunk_rows += n
            if self.chunk_rows >= _CHUNK_EVENTS:
                self.chunk, self.chunk_rows = self.chunk + 1, 0
        chunks = pl.Series("chunk", chunk_of_trace, dtype=pl.Int32)
        case = parts.filter(pl.col("in_event") == 0)
        named = case.filter(pl.col("field_1") == "concept:name")["trace"].n_unique()
        self.traces_without_name += n_traces - named
        self.traces += n_traces
        n_events = events.height
        self.events += n_events
        case_columns = self._columns(case, "trace", n_traces, chunks, kind=0)
        if n_events == 0:
            return
        trace_of_event = events["trace"]
        columns = {name: series.gather(trace_of_event) for name, series in case_columns.items()}
        columns.update(self._columns(parts.filter(pl.col("in_event") == 1), "event", n_events,
                                     chunks.gather(trace_of_event), kind=1))
        columns[ROW] = events["line"].cast(pl.Int64)
        self.frames.append(pl.DataFrame(columns))

    def _columns(self, parts: pl.DataFrame, owner: str, n: int, chunks: pl.Series, kind: int
                 ) -> dict[str, pl.Series]:
        """One String column per (type, key) of ``parts``, ``n`` rows long (by ``owner`` index, the last
        value where an owner has the key twice); records where each column first appears per chunk."""
        # one pass gathers each (type, key)'s owners, positions and values, in document order
        pairs = parts.group_by("field_0", "field_1", maintain_order=True).agg(owner, "pos", "field_3")
        if pairs.height > _MAX_KEYS:
            raise _NotPlain
        out: dict[str, pl.Series] = {}
        for i, (type_, key) in enumerate(pairs.select("field_0", "field_1").iter_rows()):
            tag = type_[: -len(" key=")]
            name = f"{key}{_TAG}{{{self.namespace}}}{tag}" if self.namespace else f"{key}{_TAG}{tag}"
            if kind == 0:
                name = CASE_PREFIX + name
            elif name.startswith(CASE_PREFIX):
                name = f"event:{name}"  # an event attribute named "case:..." would clash with the trace's
            owners, values = pairs[owner][i], pairs["field_3"][i]
            # owners come in document order, so their chunks never decrease: a chunk's first row is where it changes
            seen = pl.DataFrame({"chunk": chunks.gather(owners), "pos": pairs["pos"][i]})
            for chunk, pos in seen.filter(pl.col("chunk") != pl.col("chunk").shift(1).fill_null(-1)).iter_rows():
                self.firsts.append((chunk, kind, pos, name))
            if owners.len() == n and owners[0] == 0 and bool((owners.diff().drop_nulls() == 1).all()):
                out[name] = values.alias(name)
                continue
            last = pl.DataFrame({owner: owners, "value": values}).unique(owner, keep="last", maintain_order=True)
            out[name] = (pl.DataFrame({owner: pl.int_range(n, dtype=pl.Int32, eager=True)})
                         .join(last, on=owner, how="left", maintain_order="left")["value"].alias(name))
        return out

    def result(self) -> tuple[pl.DataFrame, dict[str, int]] | None:
        if not self.frames:
            return None  # nothing to read in bulk: the element-by-element reader says what the file holds
        frame = pl.concat(self.frames, how="diagonal_relaxed")
        ordered = sorted(f for f in self.firsts if f[0] in self.chunks_with_events)
        names = list(dict.fromkeys(name for *_, name in ordered))
        # a trace attribute seen only on traces without events still makes its (empty) column
        frame = frame.with_columns(pl.lit(None, pl.String).alias(n) for n in names if n not in frame.columns)
        counts = {"traces": self.traces, "traces_without_name": self.traces_without_name,
                  "nested_attributes_skipped": 0, "events_outside_traces": 0}
        return frame.select(*names, ROW), counts


def _unescape(text: pl.Series) -> pl.Series:
    """XML's predefined entities replaced (character references never reach here)."""
    if not text.str.contains("&", literal=True).any():
        return text
    for entity, char in _ENTITIES:
        text = text.str.replace_all(entity, char, literal=True)
    return text
