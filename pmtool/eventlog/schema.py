"""The canonical event log schema: the one place that names pmtool's columns and their types.

Every later stage takes a frame that passed :func:`validate` and uses these names without parameters.
Extra attributes of the source (disease, channel, …) travel along as further columns, kept as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

OFFICE = "office"
CASE_ID = "case_id"
ACTIVITY = "activity"
ACTIVITY_CODE = "activity_code"
TIMESTAMP = "timestamp"
PRECISION = "timestamp_precision"
RESOURCE = "resource"
ROLE = "role"
LIFECYCLE = "lifecycle"
SOURCE_SYSTEM = "source_system"
SOURCE_ROW = "source_row"

PRECISION_VALUES = ("datetime", "date")
PRECISION_DTYPE = pl.Enum(list(PRECISION_VALUES))
TIMESTAMP_DTYPE = pl.Datetime("us", "UTC")

#: Column → (dtype, required). Required columns may hold no nulls.
COLUMNS: dict[str, tuple[pl.DataType, bool]] = {
    OFFICE: (pl.String(), True),
    CASE_ID: (pl.String(), True),
    ACTIVITY: (pl.String(), True),
    ACTIVITY_CODE: (pl.String(), False),
    TIMESTAMP: (TIMESTAMP_DTYPE, True),
    PRECISION: (PRECISION_DTYPE, True),
    RESOURCE: (pl.String(), False),
    ROLE: (pl.String(), False),
    LIFECYCLE: (pl.String(), False),
    SOURCE_SYSTEM: (pl.String(), False),
    SOURCE_ROW: (pl.Int64(), True),
}
CANONICAL = tuple(COLUMNS)
#: Columns a user maps from an export (the rest are derived by pmtool).
MAPPABLE = (CASE_ID, ACTIVITY, TIMESTAMP, RESOURCE, ROLE, LIFECYCLE, SOURCE_SYSTEM)
SORT_KEY = (OFFICE, CASE_ID, TIMESTAMP, SOURCE_ROW)


@dataclass(frozen=True)
class SchemaProblem:
    """One way a frame fails the schema; ``count`` rows are affected (0 for structural problems)."""

    column: str
    problem: str  # missing | dtype | nulls | values | order
    detail: str
    count: int = 0


def validate(frame: pl.DataFrame, check_order: bool = True) -> list[SchemaProblem]:
    """Every way ``frame`` departs from the canonical schema, collected at once (empty list: valid).

    ``check_order=False`` skips the sort-order check for a frame the caller has just sorted."""
    problems: list[SchemaProblem] = []
    for name, (dtype, required) in COLUMNS.items():
        if name not in frame.columns:
            problems.append(SchemaProblem(name, "missing", "column is missing"))
            continue
        actual = frame.schema[name]
        if actual != dtype:
            problems.append(SchemaProblem(name, "dtype", f"expected {dtype}, found {actual}"))
            continue
        if required:
            nulls = frame[name].null_count()
            if nulls:
                problems.append(SchemaProblem(name, "nulls", "required column holds nulls", nulls))
            if dtype == pl.String():
                empty = int((frame[name] == "").sum())
                if empty:
                    problems.append(SchemaProblem(name, "values", "required column holds empty strings", empty))
    if check_order and not problems and frame.height > 1:
        ordered = frame.select(pl.struct(list(SORT_KEY)).alias("k"))["k"]
        if not ordered.is_sorted():
            problems.append(SchemaProblem(TIMESTAMP, "order", f"rows must be sorted by {', '.join(SORT_KEY)}"))
    return problems


def sort(frame: pl.DataFrame) -> pl.DataFrame:
    """The canonical row order (office, case, time, source row): stable and deterministic."""
    return frame.sort(list(SORT_KEY), maintain_order=True)


def order_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Canonical columns first in schema order, extra attributes after them in their source order."""
    extras = [c for c in frame.columns if c not in COLUMNS]
    return frame.select([*CANONICAL, *extras])


def empty_frame() -> pl.DataFrame:
    """A canonical frame with no rows."""
    return pl.DataFrame(schema={name: dtype for name, (dtype, _) in COLUMNS.items()})
