"""Disclosure control: primary and secondary suppression audited by linear programming. The property test
plays the reader: from the published tables alone it sets up every relation it can see and computes, by
integer programming, how far each hidden small count can be narrowed down."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from pmtool.analysis import compare_bundles
from pmtool.compare.bundle import ITEM_COLUMNS, Bundle
from pmtool.compare.disclosure import Ledger, covers, protect

K = 5
QUALITY = {"coverage": 1.0, "date_only_share": 0.0, "running_share": 0.0,
           "period_start": "2025-01-02T08:00:00+00:00", "period_end": "2025-12-30T16:00:00+00:00"}


def test_a_single_hidden_cell_gets_a_partner_and_the_audit_confirms_it():
    ledger = Ledger()
    for office, n in (("GA-01", 2), ("GA-02", 40), ("GA-03", 9), ("GA-04", 0)):
        ledger.cell(("a", office), n)
    ledger.total(("a", "all"), [("a", o) for o in ("GA-01", "GA-02", "GA-03", "GA-04")])
    result = protect(ledger, K)
    assert result.hidden == {("a", "GA-01"), ("a", "GA-03")}  # the smallest positive partner, not the zero
    assert result.bounds[("a", "GA-01")] == (0.0, 11.0) and not result.recoverable


def test_a_chain_of_relations_is_caught_by_the_audit_not_by_counting_hidden_cells():
    """x + y = 10 (a published total) and y + z = 20 with z published: every relation has two hidden
    members or none, yet y = 20 − z and then x = 10 − y. The audit hides more until x is free."""
    ledger = Ledger()
    for name, value in (("x", 3), ("y", 7), ("z", 13), ("w", 30)):
        ledger.cell(name, value)
    ledger.total("t1", ["x", "y"])
    ledger.total("t2", ["y", "z"])
    ledger.total("t3", ["z", "w"])
    result = protect(ledger, K, hidden={"y"})
    assert "x" in result.hidden and covers(result.bounds["x"], K) and not result.recoverable
    assert result.hidden - {"x", "y"}  # something beyond the first pair had to go


def test_frozen_cells_that_give_a_small_number_away_are_reported_not_hidden():
    ledger = Ledger()
    ledger.cell("x", 2)
    ledger.cell("y", 50)
    ledger.total("t", ["x", "y"])
    result = protect(ledger, K, frozen={"y", "t"})
    assert result.unprotected == {"x"} and result.recoverable == ("x",)


def test_an_unchanged_publication_takes_its_protection_from_the_stage_cache(tmp_path, monkeypatch):
    """A second run with the same published numbers solves no linear program: the protection comes from the
    cache, the same to the last cell and with the same count of programs for the manifest. One changed count
    is another publication and is audited again."""
    from pmtool.compare import disclosure
    from pmtool.stage_cache import StageCache

    def ledger_of(first: int) -> Ledger:
        ledger = Ledger()
        for office, n in (("GA-01", first), ("GA-02", 40), ("GA-03", 9), ("GA-04", 0)):
            ledger.cell(("a", office), n)
        ledger.total(("a", "all"), [("a", o) for o in ("GA-01", "GA-02", "GA-03", "GA-04")])
        ledger.cell("x", 2)
        ledger.cell("y", 50)
        ledger.total("t", ["x", "y"])
        return ledger

    store = StageCache(tmp_path / ".cache")
    plain = protect(ledger_of(2), K, frozen={"y", "t"}, bounds=False)
    first = disclosure.protect_cached(store, ledger_of(2), K, frozen={"y", "t"})
    assert first == plain and first.solved > 0 and first.unprotected == {"x"}
    assert len([p for p in (tmp_path / ".cache" / "audit").iterdir() if p.is_dir()]) == 1

    def no_programs(*args, **kwargs):
        raise AssertionError("the linear programs were solved again")

    monkeypatch.setattr(disclosure, "protect", no_programs)
    again = disclosure.protect_cached(StageCache(tmp_path / ".cache"), ledger_of(2), K, frozen={"y", "t"})
    assert again == plain
    with pytest.raises(AssertionError, match="solved again"):
        disclosure.protect_cached(store, ledger_of(3), K, frozen={"y", "t"})


def test_a_large_table_is_audited_with_sparse_constraints(monkeypatch):
    """A grid of 60 × 60 small counts with row and column totals: one component of 3,600 hidden cells and 120
    relations. The linear programs hold the relations' terms only (a dense matrix would hold 120 × 3,600
    numbers per program), and every small count stays free within [1, k−1]."""
    from scipy import sparse

    from pmtool.compare import lp_audit

    seen = []
    real = lp_audit.linprog

    def spy(c, **kwargs):
        seen.append(kwargs)
        return real(c, **kwargs)

    monkeypatch.setattr(lp_audit, "linprog", spy)
    ledger = Ledger()
    size = 60
    for r in range(size):
        for c in range(size):
            ledger.cell((r, c), 1 + (r * 7 + c * 3) % (K - 1))
    for r in range(size):
        ledger.total(("row", r), [(r, c) for c in range(size)])
    for c in range(size):
        ledger.total(("column", c), [(r, c) for r in range(size)])
    result = protect(ledger, K, bounds=False)
    assert not result.recoverable and len(result.hidden) == size * size
    assert seen
    for kwargs in seen:
        for name in ("A_eq", "A_ub"):
            matrix = kwargs.get(name)
            assert matrix is None or sparse.issparse(matrix)
            assert matrix is None or matrix.nnz <= 2 * size * (size + 1) + size * size


@st.composite
def office_tables(draw):
    """Random offices × items: a few rules (own eligible cases), two deviation items (the finished cases),
    never-closed cases; counts drawn towards small numbers; now and then an office fails the gate."""
    offices = draw(st.integers(2, 7))
    rules = draw(st.integers(1, 3))
    small = st.one_of(st.integers(0, 6), st.integers(0, 60))
    out = []
    for o in range(offices):
        cases = draw(st.integers(0, 80))
        finished = draw(st.integers(0, cases))
        items = []
        for d in range(2):
            items.append((f"dev:SKIP:A{d}", "deviation", "SKIP", f"A{d}", None, finished,
                          min(draw(small), finished)))
        for r in range(rules):
            eligible = draw(st.integers(0, cases))
            items.append((f"rule:R{r}", "rule", "DEADLINE", None, f"R{r}", eligible, min(draw(small), eligible)))
        items.append(("case:NO_CLOSURE", "case", "NO_CLOSURE", None, None, cases, min(draw(small), cases)))
        quality = {**QUALITY, "coverage": 0.5} if draw(st.integers(0, 9)) == 0 else QUALITY
        out.append((f"GA-{o + 1:02d}", cases, finished, min(draw(small), cases), items, quality))
    return out


def to_bundles(table) -> list[Bundle]:
    bundles = []
    for office, cases, finished, fitting, items, quality in table:
        frame = pl.DataFrame([{"item": i, "item_type": t, "code": c, "activity": a, "rule_id": r, "eligible": n,
                               "affected": k, "late_hours_sum": 0.0, "throughput_affected_sum": 0.0,
                               "throughput_unaffected_sum": 0.0, "duration_median_hours": None}
                              for i, t, c, a, r, n, k in items], schema=ITEM_COLUMNS)
        bundles.append(Bundle(office, "T", "2025", quality, frame, (cases,), 0.0, cases,
                              {"suppress_below": K}, (), finished, fitting))
    return bundles


class Reader:
    """What a reader can set up from the published comparison, throughput and priority tables: every
    number shown is a constant, every empty one an unknown whole number ≥ 0, and the relations between
    them that the tables' definitions imply."""

    def __init__(self, comparison: pl.DataFrame, throughput: pl.DataFrame, priorities: pl.DataFrame) -> None:
        self.index: dict[tuple, int] = {}
        self.constant: dict[tuple, int] = {}
        self.rows: list[tuple[dict[tuple, float], float, float]] = []
        for r in comparison.iter_rows(named=True):
            o, item, kind = r["office"], r["item"], r["item_type"]
            n_key = ("finished", o) if kind == "deviation" else ("cases", o) if kind == "case" else ("n", item, o)
            k_key = ("k", item, o)
            self.value(n_key, r["eligible"])
            self.value(k_key, r["affected"])
            self.value(("K", item), r["k_all"])
            self.value(("N", item), r["n_all"])
            self.relation({k_key: 1, n_key: -1}, -np.inf, 0)
        for item, group in comparison.group_by("item"):
            pooled = group.filter(pl.col("comparable_office"))
            n_key = {"deviation": "finished", "case": "cases"}.get(group["item_type"][0])
            parts_k = {("k", item[0], o): 1 for o in pooled["office"]}
            parts_n = {((n_key, o) if n_key else ("n", item[0], o)): 1 for o in pooled["office"]}
            if parts_k:
                self.relation({**parts_k, ("K", item[0]): -1}, 0, 0)
                self.relation({**parts_n, ("N", item[0]): -1}, 0, 0)
        for r in throughput.iter_rows(named=True):
            self.value(("cases", r["office"]), r["cases"])
        self.value(("cases", "all"), priorities["cases"][0])
        self.relation({**{("cases", o): 1 for o in throughput["office"]}, ("cases", "all"): -1}, 0, 0)

    def value(self, key: tuple, value: int | None) -> None:
        if value is not None:
            self.constant[key] = int(value)
        self.index.setdefault(key, len(self.index))

    def relation(self, terms: dict[tuple, float], low: float, high: float) -> None:
        self.rows.append((terms, low, high))

    def interval(self, key: tuple) -> tuple[float, float]:
        """Smallest and largest whole-number value of ``key`` given everything published."""
        size = len(self.index)
        a = np.zeros((len(self.rows), size))
        lo = np.zeros(len(self.rows))
        hi = np.zeros(len(self.rows))
        for i, (terms, low, high) in enumerate(self.rows):
            for k, c in terms.items():
                a[i, self.index[k]] += c
            lo[i], hi[i] = low, high
        lower = np.zeros(size)
        upper = np.full(size, np.inf)
        for k, v in self.constant.items():
            lower[self.index[k]] = upper[self.index[k]] = v
        out = []
        for sign in (1, -1):
            c = np.zeros(size)
            c[self.index[key]] = sign
            res = milp(c, constraints=LinearConstraint(a, lo, hi), integrality=np.ones(size),
                       bounds=Bounds(lower, upper))
            out.append(sign * res.fun if res.status == 0 else (np.inf if sign < 0 else 0.0))
        return out[0], out[1]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(office_tables())
def test_no_hidden_small_count_can_be_narrowed_from_the_published_tables(table):
    bundles = to_bundles(table)
    tables = compare_bundles(bundles, {})
    comparison = tables.comparison.table
    reader = Reader(comparison, tables.throughput, tables.priorities)
    truth: dict[tuple, int] = {}
    for office, cases, finished, _, items, _ in table:
        truth[("cases", office)] = cases
        truth[("finished", office)] = finished
        for item, kind, _, _, _, n, k in items:
            truth[("k", item, office)] = k
            if kind == "rule":
                truth[("n", item, office)] = n
    small = [key for key, value in truth.items() if 0 < value < K]
    for key in small:
        assert key not in reader.constant, f"{key} = {truth[key]} is published"
        low, high = reader.interval(key)
        assert low <= 1 and high >= K - 1, f"{key} = {truth[key]} narrowed to [{low}, {high}]"


def test_the_published_tables_hold_no_small_count():
    """Every count column of every published table is either hidden, zero or at least the threshold."""
    table = [("GA-01", 40, 38, 30, [("rule:R0", "rule", "DEADLINE", None, "R0", 40, 2),
                                     ("case:NO_CLOSURE", "case", "NO_CLOSURE", None, None, 40, 3)], QUALITY),
             ("GA-02", 50, 50, 44, [("rule:R0", "rule", "DEADLINE", None, "R0", 50, 9),
                                     ("case:NO_CLOSURE", "case", "NO_CLOSURE", None, None, 50, 0)], QUALITY),
             ("GA-03", 3, 3, 3, [("rule:R0", "rule", "DEADLINE", None, "R0", 3, 1),
                                  ("case:NO_CLOSURE", "case", "NO_CLOSURE", None, None, 3, 0)], QUALITY)]
    tables = compare_bundles(to_bundles(table), {})
    columns = {"comparison": ("eligible", "affected", "k_all", "n_all", "affected_others", "eligible_others"),
               "throughput": ("cases",), "priorities": ("cases",)}
    for name, cols in columns.items():
        frame = tables.frames()[name]
        for col in cols:
            values = frame[col].drop_nulls().to_list()
            assert not [v for v in values if 0 < v < K], (name, col, values)
    assert tables.disclosure.height >= 3
    assert tables.disclosure["lower"].to_list() and pytest.approx(0) == min(tables.disclosure["lower"].to_list())
