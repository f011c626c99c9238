"""Tables for Excel: one XLSX workbook with a sheet per table, and CSV the way German Excel reads it.

The workbook (xlsxwriter) has frozen header rows, an autofilter on every sheet, column widths that fit, number
and date formats that German Excel shows as ``1.234,56`` and ``31.03.2025 14:05`` (Excel stores formats
without locale and shows the reader's separators), umlauts intact, and **no cell is ever a formula**: text is
written as text, and a text that begins like a formula carries Excel's quote prefix (the cell stays text
even when edited), so a label such as ``=HYPERLINK(…)`` stays a label. Lists (variants) become text joined by
" → ". Sheet names are cut to Excel's 31 characters and made unique.

German-Excel CSV: ``;`` between fields, ``,`` as the decimal mark, UTF-8 with a byte-order mark (so a
double-click shows "Ämter" and not "Ã„mter"), dates as ``TT.MM.JJJJ hh:mm``, and cells that Excel would run
as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) prefixed with ``'``.

>>> import polars as pl

from pmtool.sinks import FORMULA_START, spreadsheet_text
>>> data = csv_for_excel(pl.DataFrame({"Amt": ["GA-01"], "Quote": [0.125]}))
>>> data.decode("utf-8-sig").splitlines()
['Amt;Quote', 'GA-01;0,125']
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from datetime import date, datetime
from zoneinfo import ZoneInfo

import polars as pl

from pmtool.sinks import FORMULA_START, spreadsheet_text

LOCAL_ZONE = ZoneInfo("Europe/Berlin")
_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\]")


def _text_lists(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns([pl.col(c).list.eval(pl.element().cast(pl.String)).list.join(" → ").alias(c)
                               for c, t in frame.schema.items() if isinstance(t, pl.List)])


def _local(value: datetime) -> datetime:
    """A timestamp as the offices' local wall time (Excel has no time zones)."""
    if value.tzinfo is not None:
        value = value.astimezone(LOCAL_ZONE).replace(tzinfo=None)
    return value


def _sheet_names(names: list[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        base = _SHEET_UNSAFE.sub("_", name)[:31] or "Tabelle"
        candidate, n = base, 2
        while candidate.lower() in (o.lower() for o in out):
            suffix = f" ({n})"
            candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
        out.append(candidate)
    return out


def workbook(sheets: Mapping[str, pl.DataFrame]) -> bytes:
    """An XLSX workbook with one sheet per table (see the module docstring), as bytes."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    book.set_properties({"title": "pmtool", "author": "pmtool", "created": datetime(2000, 1, 1)})
    head = book.add_format({"bold": True, "bg_color": "#E8E8E8", "bottom": 1, "text_wrap": True, "valign": "top"})
    integer = book.add_format({"num_format": "#,##0"})
    decimal = book.add_format({"num_format": "#,##0.000"})
    stamp = book.add_format({"num_format": "dd.mm.yyyy hh:mm"})
    day = book.add_format({"num_format": "dd.mm.yyyy"})
    as_text = book.add_format({"quote_prefix": True})  # Excel's own "'": stays text, also when edited
    for name, frame in zip(_sheet_names(list(sheets)), sheets.values(), strict=True):
        frame = _text_lists(frame)
        sheet = book.add_worksheet(name)
        widths = [min(max(len(str(c)), 6), 60) for c in frame.columns]
        for col, column in enumerate(frame.columns):
            sheet.write_string(0, col, str(column), head)
        for row, values in enumerate(frame.iter_rows(), start=1):
            for col, value in enumerate(values):
                if value is None:
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(row, col, value)
                elif isinstance(value, int):
                    sheet.write_number(row, col, value, integer)
                elif isinstance(value, float):
                    if value == value and value not in (float("inf"), float("-inf")):
                        sheet.write_number(row, col, value, decimal)
                elif isinstance(value, datetime):
                    sheet.write_datetime(row, col, _local(value), stamp)
                elif isinstance(value, date):
                    sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), day)
                else:
                    text = str(value)
                    if text.startswith(FORMULA_START):
                        sheet.write_string(row, col, text, as_text)
                    else:
                        sheet.write_string(row, col, text)
                    widths[col] = min(max(widths[col], len(text)), 60)
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width + 2)
        sheet.freeze_panes(1, 0)
        if frame.width:
            sheet.autofilter(0, 0, max(frame.height, 1), frame.width - 1)
    book.close()
    return buffer.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "wahr" if value else "falsch"
    if isinstance(value, float):
        if value != value:
            return ""
        return repr(value).replace(".", ",") if abs(value) < 1e15 else f"{value:.6g}".replace(".", ",")
    if isinstance(value, datetime):
        return _local(value).strftime("%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    text = str(value)
    text = spreadsheet_text(text)
    if any(ch in text for ch in ';"\n\r'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def csv_for_excel(frame: pl.DataFrame) -> bytes:
    """``frame`` as CSV for German Excel (see the module docstring), as bytes with a byte-order mark."""
    frame = _text_lists(frame)
    lines = [";".join(_cell(c) for c in frame.columns)]
    lines += [";".join(_cell(v) for v in row) for row in frame.iter_rows()]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")
