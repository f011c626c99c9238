"""Conformance results as files: tables in CSV, Parquet or JSON, written atomically together."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from pmtool.conform.conformance import ConformanceResult
from pmtool.ingest.output import Writer

TABLE_FORMATS = ("csv", "parquet", "json")


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """Lists (variants) as text so every format can hold them."""
    return frame.with_columns([pl.col(c).list.join(" → ").alias(c) for c, t in frame.schema.items()
                               if isinstance(t, pl.List)])


def table_writer(frame: pl.DataFrame, fmt: str) -> Writer:
    """Write ``frame`` as ``fmt`` (csv, parquet, json); lists become text in csv and json."""
    flat = _flat(frame)
    if fmt == "csv":
        return lambda p: flat.write_csv(p)
    if fmt == "parquet":
        return lambda p: frame.write_parquet(p)
    return lambda p: p.write_text(json.dumps(flat.to_dicts(), ensure_ascii=False, indent=1, default=str) + "\n",
                                  encoding="utf-8")


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
    for table, frame in conformance_tables(result).items():
        for fmt in formats:
            writers[out_dir / f"{name}_{table}.{fmt}"] = table_writer(frame, fmt)
    return writers
