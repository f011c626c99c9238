"""The report's disclosure control: tables with totals and Ist figures, whose arrows into and out of an
activity add up to its cases, keep every hidden small number hidden."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import polars as pl
import pytest

from pmtool.compare.disclosure import Ledger, covers, protect
from pmtool.discover.dfg import directly_follows
from pmtool.eventlog.log import EventLog
from pmtool.report.suppression import dfg_cells, dfg_key, is_small, ist_view, published_dfg

K = 5


def test_counts_below_k_are_hidden_zero_is_not():
    assert [is_small(v, 5) for v in (0, 1, 4, 5, 17, None)] == [False, True, True, False, False, True]


@pytest.mark.parametrize("seed", range(12))
def test_random_tables_with_row_and_column_totals(seed):
    rng = random.Random(seed)
    rows = [f"r{i}" for i in range(rng.randint(2, 7))]
    cols = [f"c{j}" for j in range(rng.randint(2, 5))]
    ledger = Ledger()
    for r in rows:
        for c in cols:
            ledger.cell((r, c), rng.choice([0, 0, 1, 2, 3, 4, 7, 12, 40, 300]))
        ledger.total((r, "sum"), [(r, c) for c in cols])
    for c in [*cols, "sum"]:
        ledger.total(("all", c), [(r, c) for r in rows])
    result = protect(ledger, K)
    assert all(key in result.hidden for key, cell in ledger.cells.items() if is_small(cell.value, K))
    for rel in ledger.relations:  # no relation leaves a single hidden member to subtract
        assert sum(1 for key in rel.keys if key in result.hidden) != 1, rel
    assert not result.recoverable
    assert all(covers(result.bounds[key], K) for key in result.primary)


def discovery(variants: dict[tuple[str, ...], int]) -> SimpleNamespace:
    """An office's discovery result from ``{trace: cases}`` (the report reads scope, dfg and shown)."""
    rows, start = [], datetime(2025, 3, 3, 8, tzinfo=UTC)
    n = 0
    for trace, cases in variants.items():
        for _ in range(cases):
            for j, activity in enumerate(trace):
                rows.append({"office": "GA-01", "case_id": f"c{n:03d}", "activity": activity,
                             "timestamp": start + timedelta(days=n, hours=j)})
            n += 1
    dfg = directly_follows(EventLog.from_frame(pl.DataFrame(rows)))
    return SimpleNamespace(scope=SimpleNamespace(office="GA-01", process="T"), dfg=dfg, shown=dfg)


def test_an_arrow_into_an_activity_cannot_be_recomputed_from_the_arrows_around_it():
    """D is reached by 40 cases: from B 20, from C 17, from E 3, and all 40 leave D for the end. The figure
    prints no activity counts, yet the arrow out of D says D has at least 40 cases, so the hidden arrow
    E → D would carry at least 40 − 20 − 17 = 3: the audit hides more until it is free."""
    d = discovery({("A", "B", "D"): 20, ("A", "C", "D"): 17, ("A", "E", "D"): 3})
    ledger = Ledger()
    hidden = dfg_cells(ledger, d, "T", "all", K)
    arrow = dfg_key("T", "GA-01", "edge", "E", "D")
    assert arrow in hidden  # the privacy filter of the figure
    result = protect(ledger, K, hidden=hidden)
    assert not result.recoverable and result.hidden > hidden
    low, high = result.bounds[arrow]
    assert low <= 1 and high >= K - 1
    view = published_dfg(ist_view(d, K), result, "T", "GA-01")
    assert view.edges.filter(pl.col("cases") < K).height == 0
    assert view.nodes["cases"].is_null().all()  # the report's figure prints no activity counts
    drawn = {dfg_key("T", "GA-01", "edge", a, b) for a, b in view.edges.select("source", "target").iter_rows()}
    assert not drawn & result.hidden


def test_an_activity_repeated_in_cases_gives_bounds_not_an_equation():
    """With repeats the arrows into D carry between its cases and its events, not exactly its cases: the
    audit works with the interval, and the hidden arrow stays free within [1, k−1]."""
    d = discovery({("A", "B", "D", "D", "D"): 20, ("A", "C", "D", "D"): 17, ("A", "E", "D"): 3})
    ledger = Ledger()
    result = protect(ledger, K, hidden=dfg_cells(ledger, d, "T", "all", K))
    assert not result.recoverable
    node_d = dfg_key("T", "GA-01", "node", "D")
    into_d = [rel for rel in ledger.relations if rel.low == node_d]
    assert into_d and all(rel.as_equality(ledger, set()) is None for rel in into_d)  # a bound, not a sum
    low, high = result.bounds[dfg_key("T", "GA-01", "edge", "E", "D")]
    assert low <= 1 and high >= K - 1
