"""The Excel reader: typed cells become unambiguous text, rows are numbered as Excel shows them."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import xlsxwriter

from pmtool.errors import InputError
from pmtool.ingest import registry
from pmtool.ingest.registry import ROW, ReadOptions


def read(path: Path, **options: str | None):
    return registry.read(path, ReadOptions(**options))


def data(table) -> list[tuple]:
    return table.frame.drop(ROW).rows()


def workbook(tmp_path: Path, sheets: dict[str, list[list]], name: str = "export.xlsx") -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


@pytest.fixture
def events(tmp_path) -> Path:
    return workbook(tmp_path, {
        "Ereignisse": [
            ["Fall-Nr.", " Tätigkeit ", "Zeitpunkt", "Datum", "Uhrzeit", "Menge", "Bemerkung"],
            [12345, "Prüfung", dt.datetime(2025, 10, 31, 14, 5), dt.date(2025, 10, 31), dt.time(14, 5),
             1.5, "Müller"],
            [12346.0, "Übermittlung", dt.datetime(2025, 11, 1, 0, 0), dt.date(2025, 11, 1), dt.time(9, 0, 30),
             2, None],
            [],
            [12347, "Äußerung", dt.datetime(2025, 11, 2, 9, 0, 30, 250000), dt.datetime(2025, 11, 2), None,
             -3, ""],
        ],
        "Stammdaten": [["Amt", "Kürzel"], ["Gesundheitsamt Leipzig", "L"]],
    })


def test_typed_cells_become_unambiguous_text(events):
    table = read(events)
    assert table.frame.columns == [
        "Fall-Nr.", "Tätigkeit", "Zeitpunkt", "Datum", "Uhrzeit", "Menge", "Bemerkung", ROW,
    ]
    assert all(dtype == pl.String for dtype in table.frame.drop(ROW).dtypes)
    assert data(table) == [
        ("12345", "Prüfung", "2025-10-31T14:05:00", "2025-10-31", "14:05:00", "1.5", "Müller"),
        ("12346", "Übermittlung", "2025-11-01T00:00:00", "2025-11-01", "09:00:30", "2", None),
        ("12347", "Äußerung", "2025-11-02T09:00:30.250", "2025-11-02", None, "-3", None),
    ]


def test_rows_are_numbered_as_excel_shows_them_and_empty_rows_skipped(events):
    table = read(events)
    assert table.frame[ROW].to_list() == [2, 3, 5]
    assert table.row_label == "row" and table.format == "excel"
    assert table.details["sheet"] == "Ereignisse"
    assert table.details["header_row"] == 1
    assert table.details["empty_rows_skipped"] == 1


def test_leading_empty_rows_count_towards_the_row_number(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["B3"], sheet["C3"] = "case_id", "activity"
    sheet["B4"], sheet["C4"] = "A-1", "Meldung"
    sheet["B6"], sheet["C6"] = "A-2", "Bescheid"
    book.save(tmp_path / "offset.xlsx")
    table = read(tmp_path / "offset.xlsx")
    assert data(table) == [("A-1", "Meldung"), ("A-2", "Bescheid")]
    assert table.frame[ROW].to_list() == [4, 6]
    assert table.details["header_row"] == 3


def test_second_sheet_by_name(events):
    table = read(events, sheet="Stammdaten")
    assert data(table) == [("Gesundheitsamt Leipzig", "L")]
    assert table.details["sheet"] == "Stammdaten"
    assert table.details["sheets"] == "Ereignisse, Stammdaten"


def test_missing_sheet_lists_the_sheets_there_are(events):
    with pytest.raises(InputError) as err:
        read(events, sheet="Tabelle1")
    assert err.value.key == "excel.no_such_sheet"
    message = err.value.render("en")
    assert "Tabelle1" in message and "'Ereignisse', 'Stammdaten'" in message and "export.xlsx" in message


def test_error_and_boolean_cells(tmp_path):
    path = tmp_path / "cells.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("S")
    sheet.write_row(0, 0, ["id", "ok", "ratio"])
    sheet.write_row(1, 0, ["X1", True])
    sheet.write_formula(1, 2, "=1/0", None, "#DIV/0!")
    sheet.write_row(2, 0, ["X2", False, 0.25])
    book.close()
    assert data(read(path)) == [("X1", "true", None), ("X2", "false", "0.25")]


def test_date_column_written_with_a_date_format_is_date_only(tmp_path):
    path = tmp_path / "dates.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    day = book.add_format({"num_format": "dd.mm.yyyy"})
    sheet.write_row(0, 0, ["Fall", "Eingang"])
    for row, value in enumerate([dt.datetime(2025, 3, 30), dt.datetime(2025, 10, 26)], start=1):
        sheet.write_string(row, 0, f"F{row}")
        sheet.write_datetime(row, 1, value, day)
    book.close()
    assert data(read(path)) == [("F1", "2025-03-30"), ("F2", "2025-10-26")]


def test_xlsm_suffix_is_read(tmp_path, events):
    copy = tmp_path / "export.xlsm"
    copy.write_bytes(events.read_bytes())
    assert registry.detect_format(copy) == "excel"
    assert read(copy).frame.height == 3


def test_empty_sheet_is_no_rows(tmp_path):
    path = workbook(tmp_path, {"Leer": [], "Nur Kopf": [["a", "b"]]})
    for sheet in ("Leer", "Nur Kopf"):
        with pytest.raises(InputError) as err:
            read(path, sheet=sheet)
        assert err.value.key == "read.no_rows"


def test_random_bytes_are_not_a_workbook(tmp_path):
    path = tmp_path / "kaputt.xlsx"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError) as err:
        read(path)
    assert err.value.key == "excel.not_a_workbook"


def test_truncated_workbook_is_unreadable(tmp_path, events):
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(events.read_bytes()[:1500])
    with pytest.raises(InputError) as err:
        read(path)
    assert err.value.key == "excel.unreadable"
    assert "truncated.xlsx" in err.value.render("en")


def test_zip_that_is_no_workbook_is_unreadable(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hallo")
    path = tmp_path / "archiv.xlsx"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(InputError) as err:
        read(path)
    assert err.value.key == "excel.unreadable"


def test_csv_renamed_to_xlsx_says_so(tmp_path):
    path = tmp_path / "export.xlsx"
    path.write_bytes("Fall;Tätigkeit\n1;Prüfung\n".encode("cp1252"))
    with pytest.raises(InputError) as err:
        read(path)
    assert err.value.key == "excel.looks_like_text"
    assert ".csv" in err.value.render("de")
