"""Variant table: ranks, shares and cumulative coverage on top of eventlog.overview.variants."""

from __future__ import annotations

import pytest
from discover_helpers import make_log

from pmtool.discover.variants import COLUMNS, coverage, variant_table
from pmtool.eventlog.overview import variants


def test_ranks_shares_and_cumulative_coverage():
    log = make_log({
        "a": [("A", 0), ("B", 1)], "b": [("A", 0), ("B", 1)], "c": [("A", 0), ("B", 2)],
        "d": [("A", 0), ("C", 1)], "e": [("A", 0), ("C", 1)], "f": [("B", 0)],
    })
    table = variant_table(log)
    assert table.columns == list(COLUMNS)
    assert table["variant"].to_list() == ["A → B", "A → C", "B"]
    assert table["rank"].to_list() == [1, 2, 3]
    assert table["cases"].to_list() == [3, 2, 1]
    assert table["cumulative_share"].to_list() == pytest.approx([0.5, 5 / 6, 1.0])
    assert table["cumulative_share"][-1] == 1.0  # exact, not a float sum
    assert coverage(table, 2) == pytest.approx(5 / 6)
    assert coverage(table, 99) == 1.0
    top = variant_table(log, top=1)
    assert top.height == 1 and top["share"][0] == 0.5  # shares still refer to all cases


def test_ties_are_ordered_by_text_and_match_the_overview():
    log = make_log({"x": [("B", 0)], "y": [("A", 0)], "z": [("C", 0)]})
    table = variant_table(log)
    assert table["variant"].to_list() == ["A", "B", "C"]
    assert table.select("variant", "cases").equals(variants(log).select("variant", "cases").cast(
        {"cases": table["cases"].dtype}))
