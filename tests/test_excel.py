"""Tables for Excel: the XLSX workbook (German formats, frozen headers, filters, no formulas) and CSV for German
Excel, through the writers and through pmtool run."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import polars as pl

from pmtool.excel import csv_for_excel, workbook

FRAME = pl.DataFrame({
    "office": ["GA-01", "Löbau-Zittau"], "cases": [1234, 7], "rate": [0.4812, 0.0861],
    "first": [dt.datetime(2025, 3, 31, 22, 5, tzinfo=dt.UTC), None],
    "label": ["=HYPERLINK(\"http://x\")", "+SUM(1)"], "variant": [["Fall angelegt", "Ärztin"], []],
})


def test_the_workbook_has_german_formats_frozen_headers_filters_and_no_formula():
    book = openpyxl.load_workbook(io.BytesIO(workbook({"findings": FRAME, "a/b:c" * 10: FRAME.head(1)})))
    sheet = book["findings"]
    assert [c.value for c in sheet[1]] == FRAME.columns
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:F3"
    assert sheet["B2"].value == 1234 and sheet["B2"].number_format == "#,##0"
    assert sheet["C2"].value == 0.4812 and sheet["C2"].number_format == "#,##0.000"
    assert sheet["D2"].value == dt.datetime(2025, 4, 1, 0, 5)  # local time in Saxony, not UTC
    assert sheet["D2"].number_format == "dd.mm.yyyy hh:mm"
    assert sheet["E2"].value == "=HYPERLINK(\"http://x\")" and sheet["E2"].data_type == "s"
    assert sheet["E2"].quotePrefix and not sheet["F2"].quotePrefix  # stays text also when edited in Excel
    assert sheet["F2"].value == "Fall angelegt → Ärztin" and sheet["A3"].value == "Löbau-Zittau"
    assert len(book.sheetnames) == 2 and all(len(n) <= 31 for n in book.sheetnames)


def test_the_same_tables_give_the_same_bytes():
    assert workbook({"findings": FRAME}) == workbook({"findings": FRAME})


def test_csv_for_german_excel():
    text = csv_for_excel(FRAME).decode("utf-8")
    assert text.startswith("\ufeffoffice;cases;rate;first;label;variant\r\n")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[1] == "GA-01;1234;0,4812;01.04.2025 00:05;\"'=HYPERLINK(\"\"http://x\"\")\";Fall angelegt → Ärztin"
    assert lines[2] == "Löbau-Zittau;7;0,0861;;'+SUM(1);"


def test_run_writes_the_workbook_and_excel_csv(tmp_path):
    from test_run import make_project, run

    project = make_project(tmp_path)
    text = project.read_text("utf-8").replace('formats = ["html"]', 'formats = []\ntables = ["xlsx", "csv-excel"]')
    project.write_text(text, "utf-8")
    result = run("run", "--project", str(project), "--quiet")
    assert result.exit_code == 0, result.output
    tables = tmp_path / "results" / "tables"
    book = openpyxl.load_workbook(tables / "pmtool.xlsx")
    # the sheet names are in the language of the run
    assert book.sheetnames[:2] == ["findings", "priorities"] and "P2 conformance" in book.sheetnames
    findings = pl.read_csv(tables / "findings.csv") if (tables / "findings.csv").exists() else None
    assert findings is None  # only the formats asked for
    excel_csv = (tables / "findings.excel.csv").read_bytes()
    assert excel_csv.startswith(b"\xef\xbb\xbf") and b";" in excel_csv.splitlines()[0]
    assert book["findings"].max_row == excel_csv.decode("utf-8-sig").count("\r\n")
