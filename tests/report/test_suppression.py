"""Primary and secondary suppression: no count below k is shown, and no hidden cell can be recomputed from
a row or column total."""

from __future__ import annotations

import random

import pytest

from pmtool.report.suppression import is_small, primary, secondary, suppress, table_relations


def test_counts_below_k_are_hidden_zero_is_not():
    assert [is_small(v, 5) for v in (0, 1, 4, 5, 17, None)] == [False, True, True, False, False, True]
    assert primary({"a": 0, "b": 3, "c": 5}, 5) == {"b"}


def test_a_row_total_forces_a_second_hidden_cell_the_smallest():
    values = {"a": 2, "b": 40, "c": 9, "total": 51}
    assert suppress(values, [["a", "b", "c", "total"]], k=5) == {"a", "c"}


def test_zeros_and_totals_are_the_last_resort():
    # a positive count hides more than a zero that everyone may guess
    assert suppress({"a": 3, "b": 0, "c": 7, "total": 10}, [["a", "b", "c", "total"]], k=5) == {"a", "c"}
    # only when no other part is left does the total go
    assert suppress({"a": 3, "b": 12, "total": 15}, [["a", "b", "total"]], k=5) == {"a", "b"}
    assert secondary({"a": 3, "total": 9}, [["a", "total"]], {"a"}) == {"a", "total"}


def test_table_with_row_and_column_totals():
    rows, cols = ["GA-01", "GA-02", "GA-03", "all"], ["dst", "dup", "sum"]
    data = {"GA-01": (2, 39), "GA-02": (0, 41), "GA-03": (1, 32)}
    values = {}
    for r, (a, b) in data.items():
        values.update({(r, "dst"): a, (r, "dup"): b, (r, "sum"): a + b})
    for c in cols:
        values[("all", c)] = sum(values[(r, c)] for r in data)
    relations = table_relations(rows, cols, row_total="sum", column_total="all")
    hidden = suppress(values, relations, k=5)
    assert {("GA-01", "dst"), ("GA-03", "dst")} <= hidden
    assert ("GA-02", "dup") not in hidden  # nothing to protect in GA-02's row
    _assert_no_singleton(hidden, relations)


@pytest.mark.parametrize("seed", range(20))
def test_random_tables_never_leave_a_single_hidden_cell_in_a_relation(seed):
    rng = random.Random(seed)
    rows = [f"r{i}" for i in range(rng.randint(2, 8))]
    cols = [f"c{j}" for j in range(rng.randint(2, 6))]
    values = {(r, c): rng.choice([0, 0, 1, 2, 3, 4, 7, 12, 40, 300]) for r in rows for c in cols}
    for r in rows:
        values[(r, "sum")] = sum(values[(r, c)] for c in cols)
    for c in [*cols, "sum"]:
        values[("all", c)] = sum(values[(r, c)] for r in rows)
    relations = table_relations([*rows, "all"], [*cols, "sum"], row_total="sum", column_total="all")
    hidden = suppress(values, relations, k=5)
    assert all(cell in hidden for cell, v in values.items() if 0 < v < 5)
    _assert_no_singleton(hidden, relations)


def _assert_no_singleton(hidden, relations):
    for relation in relations:
        assert sum(1 for cell in relation if cell in hidden) != 1, relation


def test_secondary_is_deterministic_and_keeps_given_cells():
    values = {"a": 1, "b": 8, "c": 8, "t": 17}
    first = secondary(values, [["a", "b", "c", "t"]], {"a"})
    assert first == secondary(values, [["a", "b", "c", "t"]], {"a"}) == {"a", "b"}
