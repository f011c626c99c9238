"""Spreadsheets (.xlsx, .xlsm, .xlsb, .xls, .ods, all read by fastexcel): one sheet, every column as text.

Typed cells become text that the pipeline reads without guessing:

- date-times as ISO 8601 without offset, ``2025-10-31T14:05:00`` (fractions of a second kept);
- dates as ``2025-10-31``: a column whose date cells all fall on midnight is taken as a date column
  (the workbook's number formats are not available, so a date cell and a midnight date-time look alike);
- times of day as ``14:05:00``;
- whole numbers without a decimal part (ids: ``12345``, not ``12345.0``); other numbers as fastexcel
  renders them (up to nine decimals); booleans as ``true``/``false``; error cells (``#DIV/0!``) as null.

The header is the first row with a value in it; :data:`~pmtool.ingest.registry.ROW` is the row number
Excel shows, so leading empty rows are counted. Fully empty rows are skipped.
"""

from __future__ import annotations

from pathlib import Path

import fastexcel
import polars as pl

from pmtool.errors import InputError, Location, display_path
from pmtool.ingest.readers.csv import tidy_columns
from pmtool.ingest.registry import ROW, RawTable, ReadOptions, register
from pmtool.limits import check_zip

_ZIP = b"PK\x03\x04"  # .xlsx, .xlsm, .xlsb, .ods
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and password-protected workbooks of any kind
#: How fastexcel writes a date-time cell when asked for text; 1899-12-31 is the day of a time-only cell.
_DATETIME = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$"
_TIME_DAY = "1899-12-31 "


@register("excel", (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"))
def read(path: Path, options: ReadOptions) -> RawTable:
    """Read one sheet (``options.sheet``, else the first) into String columns plus ``ROW`` (sheet row).

    ``details`` holds ``sheet`` (the sheet read), ``sheets`` (all sheet names, comma-separated),
    ``header_row`` and ``empty_rows_skipped``. Raises :class:`InputError` for a file that is no workbook
    or cannot be read, and for a sheet name the workbook does not have (listing the ones it has).
    """
    where = display_path(path)
    data = path.read_bytes()
    if not data.startswith((_ZIP, _OLE)):
        text = b"\x00" not in data[:4096]
        raise InputError("excel.looks_like_text" if text else "excel.not_a_workbook", Location(where))
    check_zip(data, where)  # a sheet that inflates to gigabytes would abort the process inside fastexcel
    try:
        workbook = fastexcel.read_excel(data)
        sheets = list(workbook.sheet_names)
    except fastexcel.FastExcelError as exc:
        raise InputError("excel.unreadable", Location(where), reason=_reason(exc)) from None
    if not sheets:
        raise InputError("excel.no_sheets", Location(where))
    sheet = options.sheet if options.sheet is not None else sheets[0]
    if sheet not in sheets:
        raise InputError("excel.no_such_sheet", Location(where), sheet=sheet,
                         sheets=", ".join(f"'{s}'" for s in sheets))
    try:
        # No header row and no skipped rows: row i of the grid is sheet row i + 1, leading empty rows too.
        grid = workbook.load_sheet(sheet, header_row=None, skip_rows=0, dtypes="string").to_polars()
    except fastexcel.FastExcelError as exc:
        raise InputError("excel.unreadable", Location(where), reason=_reason(exc)) from None
    frame, header_row, skipped = _split_header(grid)
    details = {"sheet": sheet, "sheets": ", ".join(sheets), "header_row": header_row,
               "empty_rows_skipped": skipped}
    return RawTable(frame=frame, file=where, format="excel", row_label="row", details=details)


def _split_header(grid: pl.DataFrame) -> tuple[pl.DataFrame, int | None, int]:
    """The data below the first non-empty row, named after it, with ROW; header row; rows skipped."""
    cells = list(grid.columns)
    grid = grid.with_columns(pl.int_range(1, grid.height + 1, dtype=pl.Int64).alias(ROW))
    filled = (
        grid.select(pl.any_horizontal(pl.col(c).is_not_null() & (pl.col(c) != "") for c in cells)).to_series()
        if cells else pl.Series([], dtype=pl.Boolean)
    )
    first = filled.arg_true()
    if first.len() == 0:
        return pl.DataFrame({ROW: pl.Series([], dtype=pl.Int64)}), None, 0
    top = int(first[0])
    header = [grid[c][top] for c in cells]
    body = grid.slice(top + 1)
    body = body.with_columns(_as_text(body, c) for c in cells)
    frame, skipped = tidy_columns(body, header)
    return frame, top + 1, skipped


def _as_text(frame: pl.DataFrame, column: str) -> pl.Expr:
    """Date-time cells of ``column`` rewritten as ISO 8601 (date, date-time or time of day)."""
    col = pl.col(column)
    is_datetime = col.str.contains(_DATETIME)
    is_time = is_datetime & col.str.starts_with(_TIME_DAY)
    is_day = is_datetime & ~is_time
    counts = frame.select(
        is_day.sum().alias("days"),
        (is_day & col.str.contains(r" 00:00:00(\.0+)?$")).sum().alias("midnight"),
    ).row(0)
    date_only = counts[0] > 0 and counts[0] == counts[1]
    day_text = col.str.slice(0, 10) if date_only else col.str.replace(" ", "T", literal=True)
    return pl.when(is_time).then(col.str.slice(11)).when(is_day).then(day_text).otherwise(col).alias(column)


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return first.removeprefix("calamine error: ")
