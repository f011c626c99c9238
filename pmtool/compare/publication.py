"""What a comparison publishes, as one :class:`~pmtool.compare.disclosure.Ledger`, and which of it stays hidden.

Every count the comparison tables and the report print is one cell, keyed so that the same number shown in
two places is one cell: the never-closed cases of an office are the affected cases of ``case:NO_CLOSURE``
and the "never closed" column of the report's conformance table; the finished cases are the eligible cases
of every deviation item; an office's cases are the eligible cases of ``case:NO_CLOSURE``, the cases of the
throughput table and of the conformance table. The relations are everything a reader can add up:

- per item, the pooled counts of the comparable offices (``k_all``, ``n_all``; "all other offices" is the
  pool minus the office) — the sum of the offices' counts;
- per office, cases = finished + running = fitting + not fitting; affected ≤ eligible;
- per process and period, the totals over all offices (cases, running, never closed, fitting) the report's
  conformance table prints, and per process the cases and the legal-rule checks of the prioritisation matrix.

:func:`protection` runs :func:`~pmtool.compare.disclosure.protect` on it; :func:`disclosure_table` lists
the hidden cells with the interval a reader can narrow each down to (the audit), never which of them are
small.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from pmtool.compare.bundle import Bundle
from pmtool.compare.disclosure import Key, Ledger, Protection, protect
from pmtool.models.reference import ReferenceModel

POOL = "pool"  # the comparable offices of an item (k_all, n_all)
ALL = "all"  # all offices of a process and period
DISCLOSURE_COLUMNS = {"process": pl.String, "period": pl.String, "cell": pl.String, "item": pl.String,
                      "office": pl.String, "scope": pl.String, "lower": pl.Int64, "upper": pl.Int64}


def eligible_key(process: str, period: str, item: str, item_type: str, office: str) -> Key:
    """The cell of an item's eligible cases: finished cases for deviations, all cases for never-closed."""
    if item_type == "deviation":
        return ("finished", process, period, None, office)
    if item_type == "case":
        return ("cases", process, period, None, office)
    return ("eligible", process, period, item, office)


def affected_key(process: str, period: str, item: str, item_type: str, office: str) -> Key:
    """The cell of an item's affected cases (never-closed cases are the conformance table's ``stale``)."""
    if item_type == "case":
        return ("stale", process, period, None, office)
    return ("affected", process, period, item, office)


def comparison_ledger(rows: pl.DataFrame, bundles: Sequence[Bundle],
                      references: Mapping[str, ReferenceModel]) -> Ledger:
    """The ledger of a comparison: ``rows`` are the exact office × item rows (with ``comparable_office`` and
    ``worse``: the office's rate above the pooled others', so that it could become a finding)."""
    ledger = Ledger()
    for b in bundles:
        p, per, o = b.process, b.period, b.office
        ledger.cell(("cases", p, per, None, o), b.cases)
        ledger.cell(("finished", p, per, None, o), b.finished)
        # running = cases − finished, both needed for the rates: published by construction, not protected
        ledger.cell(("running", p, per, None, o), b.cases - b.finished, sensitive=False)
        ledger.cell(("fitting", p, per, None, o), b.fitting)
        ledger.cell(("not_fitting", p, per, None, o), b.cases - b.fitting, shown=False)
        ledger.equal(("cases", p, per, None, o), [("finished", p, per, None, o), ("running", p, per, None, o)])
        ledger.equal(("cases", p, per, None, o), [("fitting", p, per, None, o), ("not_fitting", p, per, None, o)])
    pools: dict[Key, list[Key]] = {}
    for r in rows.iter_rows(named=True):
        p, per, item, kind, o = r["process"], r["period"], r["item"], r["item_type"], r["office"]
        n_key = eligible_key(p, per, item, kind, o)
        k_key = affected_key(p, per, item, kind, o)
        ledger.cell(n_key, r["eligible"])
        ledger.cell(k_key, r["affected"], keep=int(bool(r["worse"] and r["comparable_office"])))
        ledger.at_most(k_key, n_key)
        if r["comparable_office"]:
            pools.setdefault(_pool(k_key), []).append(k_key)
            pools.setdefault(_pool(n_key), []).append(n_key)
    for key, parts in pools.items():
        if key not in ledger.cells:
            ledger.total(key, parts)
    by_group: dict[tuple[str, str], list[Bundle]] = {}
    for b in bundles:
        by_group.setdefault((b.process, b.period), []).append(b)
    for (p, per), group in sorted(by_group.items()):
        for cell in ("cases", "running", "stale", "fitting"):
            parts = [(cell, p, per, None, b.office) for b in sorted(group, key=lambda b: b.office)]
            if all(part in ledger.cells for part in parts):
                ledger.total((cell, p, per, None, ALL), parts, sensitive=cell != "running")
    for p in sorted({b.process for b in bundles}):
        periods = sorted({b.period for b in bundles if b.process == p})
        ledger.total(("cases", p, None, None, ALL), [("cases", p, per, None, ALL) for per in periods])
        _legal(ledger, p, rows.filter(pl.col("process") == p), references.get(p))
    return ledger


def _pool(key: Key) -> Key:
    return (*key[:4], POOL)


def _legal(ledger: Ledger, process: str, rows: pl.DataFrame, reference: ReferenceModel | None) -> None:
    """The prioritisation matrix's legal risk = violated ÷ checked legal-rule cases of all offices."""
    legal = {r.id for r in reference.rules.rules if r.basis == "legal"} if reference and reference.rules else set()
    mine = rows.filter(pl.col("rule_id").is_in(sorted(legal)))
    if not mine.height:
        return
    keys = [(affected_key(p, per, i, t, o), eligible_key(p, per, i, t, o)) for p, per, i, t, o in
            mine.select("process", "period", "item", "item_type", "office").iter_rows()]
    ledger.total(("legal_affected", process, None, None, ALL), [k for k, _ in keys])
    ledger.total(("legal_eligible", process, None, None, ALL), [n for _, n in keys])


def protection(rows: pl.DataFrame, bundles: Sequence[Bundle], references: Mapping[str, ReferenceModel],
               k: int) -> Protection:
    """Primary and secondary suppression of everything a comparison publishes, audited (see
    :mod:`pmtool.compare.disclosure`)."""
    return protect(comparison_ledger(rows, bundles, references), k)


def disclosure_table(result: Protection) -> pl.DataFrame:
    """One row per hidden cell: what it is (``cell``, process, period, item, office or ``scope`` pool/all)
    and the smallest and largest value (``lower``, ``upper``; empty: unbounded) it can take given everything
    published — the audit a data-protection officer can check: no interval lies inside [1, k−1]."""
    rows = []
    for key in result.hidden:
        cell, process, period, item, office = key
        low, high = result.bounds[key]
        scope = office if office in (POOL, ALL) else "office"
        rows.append({"process": process, "period": period, "cell": cell, "item": item,
                     "office": None if scope != "office" else office, "scope": scope,
                     "lower": round(low), "upper": None if high == float("inf") else round(high)})
    frame = pl.DataFrame(rows, schema=DISCLOSURE_COLUMNS)
    return frame.sort(["process", "period", "cell", "item", "scope", "office"], nulls_last=True)


def hidden_keys(table: pl.DataFrame) -> frozenset:
    """The hidden cells of a :func:`disclosure_table` as keys (for readers of the written table)."""
    return frozenset((c, p, per, i, o if s == "office" else s)
                     for p, per, c, i, o, s in table.select("process", "period", "cell", "item", "office",
                                                            "scope").iter_rows())
