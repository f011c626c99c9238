"""Conformance results as files: tables in CSV, Parquet or JSON, written atomically together."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from pmtool.conform.conformance import ConformanceResult
from pmtool.ingest.output import Writer
from pmtool.sinks import write_spreadsheet_csv

#: csv-excel: CSV for German Excel (``;``, decimal comma, UTF-8 with BOM; see :mod:`pmtool.excel`).
#: xlsx: one workbook holding every table of the command (a sheet per table).
TABLE_FORMATS = ("csv", "parquet", "json", "csv-excel", "xlsx")
#: Suffix of the file per table format (xlsx: one workbook, not a file per table).
SUFFIXES = {"csv": "csv", "parquet": "parquet", "json": "json", "csv-excel": "excel.csv"}


def workbook_writer(frames: dict[str, pl.DataFrame]) -> Writer:
    """One XLSX workbook with a sheet per table (see :mod:`pmtool.excel`)."""
    from pmtool.excel import workbook

    data = workbook(frames)
    return lambda p: p.write_bytes(data)


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """Lists (variants) as text so every format can hold them."""
    return frame.with_columns([pl.col(c).list.join(" → ").alias(c) for c, t in frame.schema.items()
                               if isinstance(t, pl.List)])


def table_writer(frame: pl.DataFrame, fmt: str) -> Writer:
    """Write ``frame`` as ``fmt`` (csv, parquet, json); lists become text in csv and json, and no CSV cell
    is a formula (:func:`pmtool.sinks.spreadsheet_csv`)."""
    if fmt == "csv":
        return lambda p: write_spreadsheet_csv(frame, p)
    if fmt == "parquet":  # row groups follow the memory layout: one chunk, whatever parts the table came from
        return lambda p: frame.rechunk().write_parquet(p)
    if fmt == "csv-excel":
        from pmtool.excel import csv_for_excel

        return lambda p: p.write_bytes(csv_for_excel(frame))
    return lambda p: p.write_text(json.dumps(_flat(frame).to_dicts(), ensure_ascii=False, indent=1, default=str)
                                  + "\n", encoding="utf-8")


def conformance_tables(result: ConformanceResult) -> dict[str, pl.DataFrame]:
    tables = {"summary": result.summary, "cases": result.cases, "deviations": result.deviations}
    if result.rules is not None:
        tables["rules"] = result.rules.cases
        tables["rule_summary"] = result.rules.summary()
    if result.labels is not None:
        tables["labels"] = result.labels.table
    return tables


def conformance_writers(result: ConformanceResult, out_dir: Path, name: str,
                        formats: tuple[str, ...] = ("csv",)) -> dict[Path, Writer]:
    """``<name>_<table>.<fmt>`` for every table and format."""
    writers: dict[Path, Writer] = {}
    tables = conformance_tables(result)
    for table, frame in tables.items():
        for fmt in formats:
            if fmt in SUFFIXES:
                writers[out_dir / f"{name}_{table}.{SUFFIXES[fmt]}"] = table_writer(frame, fmt)
    if "xlsx" in formats:
        writers[out_dir / f"{name}.xlsx"] = workbook_writer(tables)
    return writers
