"""Write a generated log in its dialect: CSV/TSV/text, Excel, XES (gzip) or Parquet, byte-for-byte stable.

Rendering is vectorised with polars: case ids, labels and timestamps are whole-column operations. Files
carry no creation time (the xlsx package dates and the gzip header are fixed), so the same seed always
gives the same bytes.
"""

from __future__ import annotations

import gzip
import io
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import polars as pl

from pmtool.simulate.clock import Clock
from pmtool.simulate.dialects import Dialect
from pmtool.simulate.generate import GeneratedLog
from pmtool.simulate.labels import labels

TIMEZONE = "Europe/Berlin"


def render(log: GeneratedLog, clock: Clock) -> pl.DataFrame:
    """The export table in the dialect's columns (XES: one row per event with XES keys)."""
    d = log.dialect
    cols = d.columns
    rows = log.rows
    if d.sort == "time":
        rows = rows.sort(["t", "seq"], maintain_order=True)
    ids = pl.Series("id", log.case_ids, dtype=pl.String)
    label_map = labels(d.labels, log.process)
    epoch = datetime(clock.epoch.year, clock.epoch.month, clock.epoch.day)
    local = (pl.lit(epoch, dtype=pl.Datetime("us")) + pl.duration(minutes=pl.col("t"))).alias("local")
    frame = rows.with_columns(
        local,
        ids.gather(rows["seq"] - 1).alias("case"),
        pl.col("act").replace_strict(label_map, return_dtype=pl.String).alias("label"),
    )
    out = [pl.col("case").alias(_name(cols["case_id"])), pl.col("label").alias(_name(cols["activity"]))]
    out += _timestamp(d, cols["timestamp"])
    out += [pl.col("resource").alias(_name(cols["resource"])), pl.col("role").alias(_name(cols["role"]))]
    if log.process != "P3a":
        out.append(pl.col("attribute").alias(_name(cols["attribute"])))
    return frame.select(out)


def _name(value: str | tuple[str, str]) -> str:
    assert isinstance(value, str)
    return value


def _timestamp(d: Dialect, names: str | tuple[str, str]) -> list[pl.Expr]:
    local, date_only = pl.col("local"), pl.col("date_only")
    style = d.ts_style

    def either(with_time: str, date_fmt: str) -> pl.Expr:
        return pl.when(date_only).then(local.dt.strftime(date_fmt)).otherwise(local.dt.strftime(with_time))

    zoned = local.dt.replace_time_zone(TIMEZONE, ambiguous="raise", non_existent="raise")
    if style in ("split_de", "split_iso", "excel_split"):
        assert isinstance(names, tuple)
        day_fmt, time_fmt = {
            "split_de": ("%d.%m.%Y", "%H:%M"),
            "split_iso": ("%Y-%m-%d", "%H:%M:%S"),
            "excel_split": ("", "%H:%M"),
        }[style]
        day = local.dt.date() if style == "excel_split" else local.dt.strftime(day_fmt)
        clock_time = pl.when(date_only).then(None).otherwise(local.dt.strftime(time_fmt))
        return [day.alias(names[0]), clock_time.alias(names[1])]
    assert isinstance(names, str)
    if style == "de_min" or style == "excel_text":
        expr = either("%d.%m.%Y %H:%M", "%d.%m.%Y")
    elif style == "de_sec":
        expr = either("%d.%m.%Y %H:%M:%S", "%d.%m.%Y")
    elif style == "iso_naive":
        expr = either("%Y-%m-%d %H:%M:%S", "%Y-%m-%d")
    elif style == "iso_offset":
        expr = (
            pl.when(date_only)
            .then(local.dt.strftime("%Y-%m-%d"))
            .otherwise(zoned.dt.strftime("%Y-%m-%dT%H:%M:%S%:z"))
        )
    elif style == "iso_utc_z":
        expr = zoned.dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    elif style == "xes":
        expr = zoned.dt.strftime("%Y-%m-%dT%H:%M:%S.000%:z")
    elif style == "excel_datetime":
        expr = local
    elif style == "typed_utc":
        expr = zoned.dt.convert_time_zone("UTC")
    else:
        raise ValueError(f"unknown timestamp style {style}")
    return [expr.alias(names)]


def write(log: GeneratedLog, frame: pl.DataFrame, path: Path, year: int) -> None:
    """Write ``frame`` (from :func:`render`) to ``path`` in the dialect's file format."""
    d = log.dialect
    if d.format == "csv":
        windows = d.encoding == "cp1252"
        text = frame.write_csv(
            separator=d.delimiter,
            null_value="",
            quote_style="necessary",
            line_terminator="\r\n" if windows else "\n",
        )
        path.write_bytes(text.encode(d.encoding))
    elif d.format == "excel":
        _write_excel(frame, path, d, year)
    elif d.format == "parquet":
        frame.write_parquet(path, compression="zstd", statistics=False)
    elif d.format == "xes":
        _write_xes(frame, path, d, log.process)
    else:
        raise ValueError(f"unknown format {d.format}")


def _write_excel(frame: pl.DataFrame, path: Path, d: Dialect, year: int) -> None:
    from xlsxwriter import Workbook

    buffer = io.BytesIO()
    with Workbook(buffer, {"in_memory": True}) as workbook:
        workbook.set_properties({"created": datetime(year, 1, 1), "author": "pmtool simulate"})
        frame.write_excel(
            workbook=workbook,
            worksheet=d.sheet or "Export",
            autofit=False,
            dtype_formats={pl.Date: "dd.mm.yyyy", pl.Datetime: "dd.mm.yyyy hh:mm"},
            table_style=None,
        )
    path.write_bytes(buffer.getvalue())


_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
  <extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
  <global scope="trace"><string key="concept:name" value="__INVALID__"/></global>
  <global scope="event"><string key="concept:name" value="__INVALID__"/><date key="time:timestamp" \
value="1970-01-01T00:00:00.000+00:00"/><string key="lifecycle:transition" value="complete"/></global>
  <classifier name="Activity" keys="concept:name"/>
"""


def _write_xes(frame: pl.DataFrame, path: Path, d: Dialect, process: str) -> None:
    cols = d.columns
    attr_key = str(cols["attribute"]).removeprefix("case:")
    parts = [_HEAD, f'  <string key="concept:name" value={quoteattr(process)}/>\n']
    case_col, act_col, ts_col = str(cols["case_id"]), str(cols["activity"]), str(cols["timestamp"])
    res_col, role_col = str(cols["resource"]), str(cols["role"])
    attr_col = str(cols["attribute"]) if str(cols["attribute"]) in frame.columns else None
    current = None
    for row in frame.iter_rows(named=True):
        case = row[case_col]
        if case != current:
            if current is not None:
                parts.append("  </trace>\n")
            parts.append(f'  <trace>\n    <string key="concept:name" value={quoteattr(case)}/>\n')
            if attr_col and row[attr_col] is not None:
                parts.append(f"    <string key={quoteattr(attr_key)} value={quoteattr(row[attr_col])}/>\n")
            current = case
        event = [
            f'<string key="concept:name" value={quoteattr(row[act_col])}/>',
            f'<date key="time:timestamp" value="{escape(row[ts_col])}"/>',
        ]
        if row[res_col] is not None:
            event.append(f'<string key="org:resource" value={quoteattr(row[res_col])}/>')
        event.append(f'<string key="org:role" value={quoteattr(row[role_col])}/>')
        event.append('<string key="lifecycle:transition" value="complete"/>')
        parts.append("    <event>" + "".join(event) + "</event>\n")
    if current is not None:
        parts.append("  </trace>\n")
    parts.append("</log>\n")
    data = "".join(parts).encode("utf-8")
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
        out.write(data)
