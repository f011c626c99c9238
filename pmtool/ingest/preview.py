"""What an export holds before a mapping profile exists: its columns with how many rows fill each and how
many distinct values each has, and the values of one column asked for by name (the labels to map, the roles,
the way dates are written). Nothing is stored; values are shown only for the column named."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from pmtool.errors import InputError, Location
from pmtool.ingest.pipeline import REQUIRED
from pmtool.ingest.registry import ROW, RawTable


@dataclass(frozen=True)
class ExportColumns:
    """``columns``: one row per column of the export (``column``, ``filled`` rows, ``distinct`` values)."""

    file: str
    format: str
    rows: int
    details: dict[str, Any]
    columns: pl.DataFrame


def needs_profile(raw: RawTable) -> bool:
    """Whether the export names no case, activity or time column of its own (CSV, Excel, plain Parquet)."""
    return any(c not in raw.default_columns for c in REQUIRED)


def export_columns(raw: RawTable) -> ExportColumns:
    """The columns of a read export with their filled and distinct counts, in the export's order."""
    frame = raw.frame.drop(ROW, strict=False)
    rows = [{"column": c, "filled": int(frame.height - _empty(frame[c])), "distinct": int(frame[c].n_unique())}
            for c in frame.columns]
    columns = pl.DataFrame(rows, schema={"column": pl.String, "filled": pl.Int64, "distinct": pl.Int64})
    return ExportColumns(raw.file, raw.format, frame.height, dict(raw.details), columns)


def column_values(raw: RawTable, column: str) -> pl.DataFrame:
    """The values of ``column`` with their number of rows, most frequent first (``value``, ``rows``)."""
    if column not in raw.frame.columns or column == ROW:
        known = ", ".join(f"'{c}'" for c in raw.frame.columns if c != ROW)
        raise InputError("preview.no_column", Location(raw.file, column=column), known=known)
    values = raw.frame.select(pl.col(column).cast(pl.String).alias("value"))
    return (values.group_by("value").len("rows").with_columns(pl.col("rows").cast(pl.Int64))
            .sort(["rows", "value"], descending=[True, False], nulls_last=True))


def _empty(series: pl.Series) -> int:
    if series.dtype == pl.String:
        return int((series.is_null() | (series.str.strip_chars() == "")).sum())
    return int(series.is_null().sum())
