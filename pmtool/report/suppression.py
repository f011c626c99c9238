"""Statistical disclosure control for the report: one protection for everything the report and the
comparison tables publish together.

A count below the privacy threshold (``k``, the project's ``privacy_threshold``, default 5) is shown as "·"
(the sign official statistics use for secret cells). Zero is shown: "none" reveals nothing about a person.

:func:`report_protection` builds one :class:`~pmtool.compare.disclosure.Ledger` of every published count:
the comparison's (every office × item count, the pooled counts, the conformance table's cases, running,
never-closed and fitting cases with their totals — :mod:`pmtool.compare.publication`), plus what only the
report prints: the import table (rows read = loaded + quarantined, the reasons, every column to its
total, and each office's cases, which add up its processes' cases) and the Ist figures (every arrow's cases;
the arrows out of ▶ and into ■ add up to all cases, and those into and out of an activity carry at least its
cases and at most its events) and the performance part of each process section (each office's completed
cases per throughput-time class, adding up to its finished cases minus the never-closed ones; the bottleneck
table prints no counts, only waiting times). The report's Ist figures
print no activity counts: with them, the arrows
around each activity done once per case would add up exactly, and one hidden arrow among shown ones would
be their difference — protecting that would blank most of the picture. The comparison's hidden cells are
fixed — its tables are written as they are — and :func:`~pmtool.compare.disclosure.protect` hides further
report numbers (secondary suppression) until the linear-programming audit finds no small count narrowed
below [1, k−1] from anything published. A count that still could be (only the fixed cells could protect
it) is in :attr:`Protection.unprotected`; the report then withholds what depends on it and says so.

>>> is_small(3, 5), is_small(0, 5), is_small(5, 5)
(True, False, False)
"""

from __future__ import annotations

import weakref
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import polars as pl

from pmtool.compare.compare import exact_rows, privacy_threshold
from pmtool.compare.disclosure import Key, Ledger, Protection, protect_cached
from pmtool.compare.publication import ALL, comparison_ledger, hidden_keys
from pmtool.conform.conformance import scan_tables

if TYPE_CHECKING:
    from pmtool.analysis import Analysis
    from pmtool.discover.dfg import DirectlyFollowsGraph
    from pmtool.discover.discovery import Discovery
    from pmtool.stage_cache import StageCache

SUPPRESSED = "·"


def is_small(count: int | None, k: int) -> bool:
    """A count that must not be shown: 1 … k−1 (``None``, already removed upstream, counts as small)."""
    return count is None or 0 < count < k


def report_protection(analysis: Analysis, store: StageCache | None = None) -> Protection:
    """The protection of everything the report and the comparison tables of ``analysis`` publish (see the
    module docstring). Deterministic; computed once per analysis (the report and the run's manifest ask),
    and kept in the stage cache ``store`` across runs when one is given (a run whose published numbers are
    unchanged solves no linear program)."""
    memo = _MEMO.get(id(analysis))
    if memo is not None and memo[0]() is analysis:
        return memo[1]
    result = _protection(analysis, store)
    for stale in [key for key, (ref, _) in _MEMO.items() if ref() is None]:
        del _MEMO[stale]
    _MEMO[id(analysis)] = (weakref.ref(analysis), result)
    return result


_MEMO: dict[int, tuple[weakref.ref, Protection]] = {}


def _protection(analysis: Analysis, store: StageCache | None = None) -> Protection:
    bundles = sorted((b for pa in analysis.processes.values() for b in pa.bundles),
                     key=lambda b: (b.process, b.period, b.office))
    settings = analysis.comparison.settings
    k = privacy_threshold(bundles, settings)
    references = {pid: pa.reference for pid, pa in analysis.processes.items()}
    ledger = comparison_ledger(exact_rows(bundles, settings), bundles, references) if bundles else Ledger()
    frozen = set(ledger.cells)
    hidden = {key for key in hidden_keys(analysis.disclosure) if key in ledger.cells}
    import_cells(ledger, analysis)
    for pid, pa in analysis.processes.items():
        for d in pa.discoveries:
            if d.scope.process == pid and d.scope.office:
                hidden |= dfg_cells(ledger, d, pid, analysis.project.period, k)
        performance_cells(ledger, analysis, pid, k)
    return protect_cached(store, ledger, k, hidden=hidden, frozen=frozen)


def duration_key(process: str, period: str, index: int, office: str) -> Key:
    """An office's completed cases in throughput-time class ``index`` (the histogram of its section)."""
    return ("durations", process, period, index, office)


def performance_cells(ledger: Ledger, analysis: Analysis, pid: str, k: int) -> None:
    """The histograms per office of process ``pid`` as cells and relations."""
    from pmtool.report.performance import duration_classes

    period = analysis.project.period
    cases = scan_tables(analysis.processes[pid].results)[0]  # from disk, only the columns needed
    completed = (cases.select("office", "case_status", "throughput_hours").filter(pl.col("case_status") == "complete")
                 .collect())
    for (office,), group in completed.group_by("office", maintain_order=True):
        counts = duration_classes(group["throughput_hours"].drop_nulls().to_list())
        parts = [ledger.cell(duration_key(pid, period, i, office), n) for i, n in enumerate(counts)]
        total = ledger.total(("completed", pid, period, None, office), parts, shown=False)
        finished, stale = ("finished", pid, period, None, office), ("stale", pid, period, None, office)
        if finished in ledger.cells and stale in ledger.cells and \
                ledger.cells[finished].value == ledger.cells[total].value + ledger.cells[stale].value:
            ledger.equal(finished, [total, stale])



def import_key(office: str, column: str) -> Key:
    """The cell of the import table: ``office`` (or ``ALL`` for the totals) × column (read, loaded,
    ``q:<reason>``, quarantined, cases)."""
    return ("import", None, None, column, office)


def import_cells(ledger: Ledger, analysis: Analysis) -> None:
    """The import table's counts and relations (see the module docstring)."""
    offices = sorted({i.summary.office for i in analysis.ingests})
    reasons = sorted({r for i in analysis.ingests for r in i.summary.quarantine_by_reason})
    cols = ["read", "loaded", *(f"q:{r}" for r in reasons), "quarantined", "cases"]
    values = {(o, c): 0 for o in offices for c in cols}
    for i in analysis.ingests:
        s = i.summary
        for c, n in (("read", s.rows_read), ("loaded", s.rows_loaded), ("quarantined", s.rows_quarantined),
                     ("cases", s.cases), *((f"q:{r}", n) for r, n in s.quarantine_by_reason.items())):
            values[(s.office, c)] += n
    for (o, c), n in values.items():
        ledger.cell(import_key(o, c), n)
    for o in offices:
        ledger.equal(import_key(o, "read"), [import_key(o, "loaded"), import_key(o, "quarantined")])
        if reasons:
            ledger.equal(import_key(o, "quarantined"), [import_key(o, f"q:{r}") for r in reasons])
        # an office's cases are its processes' cases, shown in the comparison and the conformance table
        parts = [key for key in ledger.cells if key[0] == "cases" and key[4] == o and key[2] is not None]
        if parts and sum(ledger.cells[p].value for p in parts) == values[(o, "cases")]:
            ledger.equal(import_key(o, "cases"), parts)
    for c in cols:
        ledger.total(import_key(ALL, c), [import_key(o, c) for o in offices])
    if offices:
        ledger.equal(import_key(ALL, "read"), [import_key(ALL, "loaded"), import_key(ALL, "quarantined")])


def ist_view(discovery: Discovery, k: int) -> DirectlyFollowsGraph | None:
    """The Ist figure's graph before the audit: the discovery's readable view without activities and arrows
    of fewer than ``k`` cases (``None`` for an office with fewer than ``k`` cases)."""
    from pmtool.report.models import private_dfg

    d = discovery
    return private_dfg(d.shown if d.shown.cases else d.dfg, k)


def dfg_key(process: str, office: str, kind: str, *names: str) -> Key:
    """A number of an Ist figure: ``kind`` node (cases), events, or edge (cases), by activity names."""
    return ("dfg", process, kind, names, office)


def dfg_cells(ledger: Ledger, d: Discovery, pid: str, period: str, k: int) -> set[Key]:
    """The Ist figure of one office as cells and relations; returns the cells it does not show."""
    from pmtool.discover.dfg import END, START

    office, full, view = d.scope.office, d.dfg, ist_view(d, k)
    total = ("cases", pid, period, None, office)
    if total not in ledger.cells or ledger.cells[total].value != full.cases:
        total = ledger.cell(dfg_key(pid, office, "cases"), full.cases)
    shown_edges = set(view.edges.select("source", "target").iter_rows()) if view is not None else set()
    hidden: set[Key] = set()
    into: dict[str, list[Key]] = {}
    out: dict[str, list[Key]] = {}
    for name, kind, cases, events in full.nodes.select("activity", "kind", "cases", "events").iter_rows():
        if kind != "activity":
            continue
        # the activities' counts are not printed (see the module docstring) but bound the arrows
        node = ledger.cell(dfg_key(pid, office, "node", name), cases)
        count = ledger.cell(dfg_key(pid, office, "events", name), events)
        ledger.at_most(node, count)
        hidden |= {node, count}
    for source, target, cases in full.edges.select("source", "target", "cases").iter_rows():
        edge = ledger.cell(dfg_key(pid, office, "edge", source, target), cases, keep=1)
        if (source, target) not in shown_edges or view is None:
            hidden.add(edge)
        out.setdefault(source, []).append(edge)
        into.setdefault(target, []).append(edge)
        for name in (source, target):
            if name not in (START, END):
                ledger.at_most(edge, dfg_key(pid, office, "node", name))
    for name, edges in (*((n, e) for n, e in into.items() if n != END), *out.items()):
        if name in (START, END):
            continue
        ledger.between(dfg_key(pid, office, "node", name), edges, dfg_key(pid, office, "events", name))
    for edges in (out.get(START, []), into.get(END, [])):
        if edges:
            ledger.equal(total, edges)
    return hidden


def published_dfg(view: DirectlyFollowsGraph, protection: Protection, process: str,
                  office: str) -> DirectlyFollowsGraph:
    """``view`` as the report draws it: without the arrows the audit hid, and without the activities'
    counts (the renderer then prints the name alone)."""
    hidden = protection.hidden
    edges = view.edges.filter(pl.Series([dfg_key(process, office, "edge", s, t) not in hidden for s, t in
                                         view.edges.select("source", "target").iter_rows()], dtype=pl.Boolean))
    nodes = view.nodes.with_columns(pl.lit(None, pl.Int64).alias("cases"), pl.lit(None, pl.Int64).alias("events"))
    return replace(view, nodes=nodes, edges=edges)


def audit_summary(protection: Protection) -> dict[str, Any]:
    """What the manifest records of the audit: the threshold, how many numbers are hidden, how many linear
    programs checked them, and how many small numbers could still be narrowed (0, or the report withholds
    what depends on them)."""
    return {"privacy_threshold": protection.k, "hidden_cells": len(protection.hidden),
            "linear_programs": protection.solved, "recoverable": len(protection.recoverable)}
