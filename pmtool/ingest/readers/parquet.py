"""Parquet reader: a canonical log written by pmtool, or any Parquet export of events.

A file with every canonical column (:data:`pmtool.eventlog.schema.CANONICAL`) is taken as canonical: its
columns map to themselves, the timestamp stays typed, and the office comes from the data. Any other file
is returned as it is (typed columns stay typed, categoricals become strings) for a mapping profile to map;
standard XES keys (``case:concept:name``, ``concept:name``, ...) or canonical names are mapped by default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from pmtool.errors import InputError, Location, display_path, first_line
from pmtool.eventlog import schema
from pmtool.eventlog.log import PROVENANCE_KEY
from pmtool.ingest.readers.xes import XES_DEFAULT_COLUMNS
from pmtool.ingest.registry import ROW, RawTable, ReadOptions, register


@register("parquet", (".parquet",))
def read_parquet(path: Path, options: ReadOptions) -> RawTable:
    """Read a Parquet file; ``__row`` is the 1-based row number. Raises ``InputError`` if it is unreadable.

    ``details`` says ``kind`` ("canonical" or "generic"), the offices of a canonical log and whether pmtool
    provenance metadata is present.
    """
    file = display_path(path)
    try:
        frame = pl.read_parquet(path)
        metadata = pl.read_parquet_metadata(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError("parquet_reader.unreadable", Location(file), reason=first_line(exc)) from None
    details: dict[str, Any] = {"provenance": PROVENANCE_KEY in metadata}
    if ROW in frame.columns:
        frame = frame.drop(ROW)
        details["replaced_column"] = ROW  # a source column of that name would clash with the positions
    frame = frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(ROW))

    if set(schema.CANONICAL) <= set(frame.columns):
        offices = sorted(frame[schema.OFFICE].drop_nulls().unique().to_list())
        details.update(kind="canonical", offices=offices)
        return RawTable(
            frame,
            file,
            "parquet",
            row_label="row",
            default_columns={name: name for name in schema.CANONICAL},
            office=offices[0] if len(offices) == 1 else None,
            details=details,
        )

    categorical = [c for c, dt in frame.schema.items() if isinstance(dt, pl.Categorical | pl.Enum)]
    if categorical:
        frame = frame.with_columns(pl.col(categorical).cast(pl.String))
    details["kind"] = "generic"
    defaults = {canon: key for canon, key in XES_DEFAULT_COLUMNS.items() if key in frame.columns}
    if not defaults:
        defaults = {name: name for name in schema.MAPPABLE if name in frame.columns}
    return RawTable(frame, file, "parquet", row_label="row", default_columns=defaults, details=details)

