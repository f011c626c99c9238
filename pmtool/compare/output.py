"""Comparison results as files: the comparison table, the findings, the prioritisation matrix and the
trend, each in CSV, Parquet or JSON, written atomically together (see :func:`write_atomically`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from pmtool.compare.bundle import Bundle
from pmtool.conform.output import SUFFIXES, table_writer, workbook_writer
from pmtool.ingest.output import Writer

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def comparison_writers(frames: Mapping[str, pl.DataFrame], out_dir: Path,
                       formats: tuple[str, ...] = ("csv", "parquet", "json")) -> dict[Path, Writer]:
    """``<name>.<fmt>`` for every table (comparison, findings, priorities, trend) and format."""
    writers = {out_dir / f"{name}.{SUFFIXES[fmt]}": table_writer(frame, fmt) for name, frame in frames.items()
               for fmt in formats if fmt in SUFFIXES}
    if "xlsx" in formats:
        writers[out_dir / "comparison.xlsx"] = workbook_writer(dict(frames))
    return writers


def bundle_name(bundle: Bundle) -> str:
    """``<office>_<process>_<period>.bundle.json`` (characters unsafe in file names become ``-``)."""
    return _UNSAFE.sub("-", f"{bundle.office}_{bundle.process}_{bundle.period}") + ".bundle.json"


def bundle_writers(bundles: list[Bundle], out_dir: Path) -> dict[Path, Writer]:
    """One JSON file per bundle (see :func:`bundle_name`)."""
    writers: dict[Path, Writer] = {}
    for b in bundles:
        text = b.to_json()
        writers[out_dir / bundle_name(b)] = lambda p, text=text: p.write_text(text, encoding="utf-8")
    return writers
