"""Readers by format: each turns one export file into a :class:`RawTable`; the pipeline does the rest.

A reader only reads. It raises :class:`~pmtool.errors.InputError` for a file it cannot read as a whole
(empty, malformed, wrong encoding) and leaves row-level problems (an unparsable date in one row) to the
pipeline, which quarantines them. New formats register themselves with :func:`register`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from pmtool.errors import InputError, Location

#: Name of the column every reader adds: the row's position in the source, as a user would look it up
#: (CSV: line number with the header as line 1; Excel: sheet row; XES/XML: line of the event element;
#: OCEL JSON / SQLite / Parquet: 1-based event number).
ROW = "__row"


@dataclass(frozen=True)
class ReadOptions:
    """Format options; ``None`` means detect (delimiter, encoding) or use the format's default."""

    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    object_type: str | None = None  # OCEL 2.0: the object type whose objects become cases
    quote_char: str | None = '"'


@dataclass(frozen=True)
class RawTable:
    """What a reader returns.

    ``frame`` holds the source columns (strings for text formats; typed where the format is typed, e.g. a
    tz-aware timestamp from XES) plus :data:`ROW`. ``default_columns`` maps canonical names to source
    columns for formats that carry their own keys (XES, OCEL, canonical Parquet), so no profile is needed.
    ``row_label`` is how positions are named in messages: "line", "row" or "event".
    """

    frame: pl.DataFrame
    file: str
    format: str
    row_label: str = "line"
    default_columns: dict[str, str] = field(default_factory=dict)
    office: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_read(self) -> int:
        return self.frame.height


Reader = Callable[[Path, ReadOptions], RawTable]


@dataclass(frozen=True)
class ReaderEntry:
    name: str
    suffixes: tuple[str, ...]
    read: Reader


READERS: dict[str, ReaderEntry] = {}


def register(name: str, suffixes: tuple[str, ...]) -> Callable[[Reader], Reader]:
    """Decorator: register ``read(path, options) -> RawTable`` for a format and its file suffixes."""

    def wrap(func: Reader) -> Reader:
        READERS[name] = ReaderEntry(name, tuple(s.lower() for s in suffixes), func)
        return func

    return wrap


def _load_builtin_readers() -> None:
    # Imported for their @register side effect; kept here so the registry is complete wherever it is used.
    from pmtool.ingest import readers  # noqa: F401


def detect_format(path: Path) -> str:
    """The format name for ``path`` from its suffix (longest match wins, so ``.xes.gz`` beats ``.gz``)."""
    _load_builtin_readers()
    name = path.name.lower()
    best: tuple[int, str] | None = None
    for entry in READERS.values():
        for suffix in entry.suffixes:
            if name.endswith(suffix) and (best is None or len(suffix) > best[0]):
                best = (len(suffix), entry.name)
    if best is None:
        known = ", ".join(sorted({s for e in READERS.values() for s in e.suffixes}))
        raise InputError("read.unknown_format", Location(str(path)), known=known)
    return best[1]


def read(path: Path, options: ReadOptions | None = None, format: str | None = None) -> RawTable:
    """Read ``path`` with the reader for ``format`` (detected from the suffix when ``None``)."""
    _load_builtin_readers()
    options = options or ReadOptions()
    if not path.exists():
        raise InputError("read.not_found", Location(str(path)))
    if path.is_dir():
        raise InputError("read.is_directory", Location(str(path)))
    if not path.is_file():
        raise InputError("read.not_regular", Location(str(path)))
    fmt = format or detect_format(path)
    if fmt not in READERS:
        raise InputError("read.unknown_format_name", Location(str(path)), name=fmt, known=", ".join(sorted(READERS)))
    if path.stat().st_size == 0:
        raise InputError("read.empty_file", Location(str(path)))
    table = READERS[fmt].read(path, options)
    if table.frame.height == 0:
        raise InputError("read.no_rows", Location(str(path)))
    return table
