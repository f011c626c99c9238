"""From a finding to its cases: the drill-down an analyst does inside the office that holds the log.

:func:`finding_cases` lists the cases behind one finding — pseudonym, variant, first and last event (local
time in Saxony), status, and for a rule its clock start, due time, end and lateness — selected exactly as the
comparison counted them (the same ``case_items`` rows with ``affected``), so the number of rows always equals
the finding's ``affected`` count. Bundles and the report never hold cases; this works only where the log is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from pmtool.compare.bundle import case_items
from pmtool.errors import ConfigError, Location
from pmtool.eventlog import schema

if TYPE_CHECKING:
    from pmtool.analysis import Analysis
    from pmtool.conform.conformance import ConformanceResult

LOCAL_ZONE = "Europe/Berlin"
_KEY = [schema.OFFICE, schema.CASE_ID]


def _finding(analysis: Analysis, finding_id: str | None, office: str | None, item: str | None,
             process: str | None) -> dict:
    frame = analysis.findings
    if finding_id is not None:
        rows = frame.filter(pl.col("finding_id") == finding_id) if frame.height else frame
        if rows.height == 0:
            known = ", ".join(frame["finding_id"].head(5).to_list()) if frame.height else "—"
            raise ConfigError("cases.unknown_finding", Location(), value=finding_id, known=known)
        return rows.row(0, named=True)
    if office is None or item is None:
        raise ConfigError("cases.what", Location())
    processes = [process] if process else sorted(analysis.processes)
    for pid in processes:
        if pid not in analysis.processes:
            raise ConfigError("cases.unknown_process", Location(), value=pid, known=", ".join(analysis.processes))
        table = analysis.comparison.table
        hit = table.filter((pl.col("process") == pid) & (pl.col("office") == office) & (pl.col("item") == item))
        if hit.height:
            return hit.row(0, named=True)
    raise ConfigError("cases.unknown_item", Location(), office=office, item=item)


def finding_cases(analysis: Analysis, *, finding_id: str | None = None, office: str | None = None,
                  item: str | None = None, process: str | None = None) -> pl.DataFrame:
    """The cases behind a finding (by ``finding_id``) or behind an office × item of the comparison.

    Columns: ``office``, ``case_id`` (pseudonym), ``variant``, ``first``, ``last`` (local time),
    ``case_status``, ``rule_id``, ``clock_start``, ``due``, ``clock_end``, ``late_hours``, ``throughput_hours``;
    sorted by lateness (rules) and pseudonym. Raises :class:`ConfigError` for an unknown finding or item."""
    found = _finding(analysis, finding_id, office, item, process)
    pa = analysis.processes[found["process"]]
    result = pa.conformance
    items = _affected_items(result, [(found["office"], found["item"])])
    cases = result.cases.select(*_KEY, pl.col("variant").list.join(" → ").alias("variant"), "first", "last",
                                "case_status")
    out = items.select(*_KEY, "rule_id", "late_hours", "throughput_hours").join(cases, on=_KEY, how="left")
    rule_id = found["item"].removeprefix("rule:") if str(found["item"]).startswith("rule:") else None
    if rule_id is not None and result.rules is not None:
        clock = (result.rules.cases.filter((pl.col("rule_id") == rule_id) & pl.col("primary"))
                 .select(*_KEY, pl.col("start").alias("clock_start"), "due", pl.col("end").alias("clock_end")))
        out = out.join(clock, on=_KEY, how="left")
    else:
        out = out.with_columns(*(pl.lit(None, pl.Datetime("us", "UTC")).alias(c)
                                 for c in ("clock_start", "due", "clock_end")))
    local = [pl.col(c).dt.convert_time_zone(LOCAL_ZONE) for c in ("first", "last", "clock_start", "due", "clock_end")]
    return (out.with_columns(local)
            .select(*_KEY, "variant", "first", "last", "case_status", "rule_id", "clock_start", "due", "clock_end",
                    "late_hours", "throughput_hours")
            .sort(["late_hours", schema.OFFICE, schema.CASE_ID], descending=[True, False, False], nulls_last=True))


def affected_sets(analysis: Analysis, findings: Iterable[Mapping[str, Any]]) -> dict[str, frozenset]:
    """The affected cases of each of ``findings`` (rows with ``finding_id``, ``process``, ``office``, ``item``)
    as a set of (office, pseudonym), selected as :func:`finding_cases` selects them; the per-case items are
    worked out once per process. A finding of a process without its conformance in ``analysis`` is left
    out."""
    wanted: dict[str, list[Mapping[str, Any]]] = {}
    for row in findings:
        wanted.setdefault(row["process"], []).append(row)
    out: dict[str, frozenset] = {}
    for pid, rows in wanted.items():
        pa = analysis.processes.get(pid)
        if pa is None:
            continue
        items = _affected_items(pa.conformance, [(r["office"], r["item"]) for r in rows])
        by_item: dict[tuple[str, str], set] = {}
        for office, item, case in items.select(schema.OFFICE, "item", schema.CASE_ID).iter_rows():
            by_item.setdefault((office, item), set()).add((office, case))
        for r in rows:
            out[r["finding_id"]] = frozenset(by_item.get((r["office"], r["item"]), ()))
    return out


def _affected_items(result: ConformanceResult, pairs: Sequence[tuple[str, str]]) -> pl.DataFrame:
    """The ``case_items`` rows of ``result`` with ``affected`` for the (office, item) ``pairs``: the cases
    the comparison counted for each."""
    wanted = pl.DataFrame(list(dict.fromkeys(pairs)), schema={schema.OFFICE: pl.String, "item": pl.String},
                          orient="row")
    return case_items(result).filter(pl.col("affected")).join(wanted, on=[schema.OFFICE, "item"])
