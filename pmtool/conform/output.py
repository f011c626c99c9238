"""Conformance results as files: tables in CSV, Parquet or JSON, written atomically together."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from pmtool.conform.conformance import ConformanceResult, SpooledConformance
from pmtool.conform.rules_check import rule_summary
from pmtool.ingest.output import Weighted, Writer
from pmtool.sinks import write_spreadsheet_csv
from pmtool.spool import SpooledFrame, scan_table

#: csv-excel: CSV for German Excel (``;``, decimal comma, UTF-8 with BOM; see :mod:`pmtool.excel`).
#: xlsx: one workbook holding every table of the command (a sheet per table).
TABLE_FORMATS = ("csv", "parquet", "json", "csv-excel", "xlsx")
#: Suffix of the file per table format (xlsx: one workbook, not a file per table).
SUFFIXES = {"csv": "csv", "parquet": "parquet", "json": "json", "csv-excel": "excel.csv"}


def workbook_writer(frames: Mapping[str, pl.DataFrame | SpooledFrame]) -> Writer:
    """One XLSX workbook with a sheet per table (see :mod:`pmtool.excel`)."""
    from pmtool.excel import workbook

    data = workbook({name: f.load() if isinstance(f, SpooledFrame) else f for name, f in frames.items()})
    return lambda p: p.write_bytes(data)


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """Lists (variants) as text so every format can hold them."""
    return frame.with_columns([pl.col(c).list.join(" → ").alias(c) for c, t in frame.schema.items()
                               if isinstance(t, pl.List)])


#: Rows of a Parquet table's row groups (the streaming engine's own sizes follow the parts it reads).
ROWS_PER_GROUP = 100_000
#: A CSV row's work against a Parquet row's, for the order tables are written in (measured: 3.4–4.8 ×).
CSV_WEIGHT = 4


def table_writer(frame: pl.DataFrame | SpooledFrame, fmt: str) -> Writer:
    """Write ``frame`` (in memory, or on disk: :class:`~pmtool.spool.SpooledFrame`) as ``fmt`` (csv,
    parquet, json); lists become text in csv and json, and no CSV cell is a formula
    (:func:`pmtool.sinks.spreadsheet_csv`). CSV and Parquet are written a slice at a time: a table on disk is
    never read whole, and the file does not depend on the parts the table came in."""
    if fmt == "csv":  # text takes several times the work of Parquet per row
        return Weighted(lambda p: write_spreadsheet_csv(frame.parts() if isinstance(frame, SpooledFrame) else frame,
                                                        p), CSV_WEIGHT * frame.height)
    if fmt == "parquet":  # row groups of a fixed size: the same file from any parts, on any machine
        return Weighted(lambda p: scan_table(frame).sink_parquet(p, row_group_size=ROWS_PER_GROUP), frame.height)
    def whole() -> pl.DataFrame:
        return frame.load() if isinstance(frame, SpooledFrame) else frame

    if fmt == "csv-excel":
        from pmtool.excel import csv_for_excel

        return lambda p: p.write_bytes(csv_for_excel(whole()))
    return lambda p: p.write_text(json.dumps(_flat(whole()).to_dicts(), ensure_ascii=False, indent=1, default=str)
                                  + "\n", encoding="utf-8")


def conformance_tables(result: ConformanceResult | SpooledConformance) -> dict[str, pl.DataFrame | SpooledFrame]:
    """The result's tables by name (summary, cases, deviations, rules, rule_summary, labels); a result on
    disk gives its per-case tables on disk."""
    if isinstance(result, SpooledConformance):
        head, rules = result.head, result.rules
        tables: dict[str, pl.DataFrame | SpooledFrame] = {
            "summary": head.summary, "cases": result.cases, "deviations": result.deviations}
    else:
        head, rules = result, result.rules.cases if result.rules is not None else None
        tables = {"summary": result.summary, "cases": result.cases, "deviations": result.deviations}
    if rules is not None:
        tables["rules"] = rules
        tables["rule_summary"] = rule_summary(scan_table(rules))
    if head.labels is not None:
        tables["labels"] = head.labels.table
    return tables


def conformance_writers(result: ConformanceResult | SpooledConformance, out_dir: Path, name: str,
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
