"""The ranking is about evidence, not raw rates: a tiny office with an extreme rate does not outrank a large
office with a strong, significant difference (the excess share uses the lower posterior bound)."""

from __future__ import annotations

import polars as pl

from pmtool.analysis import compare_bundles
from pmtool.compare.bundle import ITEM_COLUMNS, Bundle

ITEM = "rule:P1-L-11-GA"


def bundle(office: str, affected: int, eligible: int) -> Bundle:
    items = pl.DataFrame([{
        "item": ITEM, "item_type": "rule", "code": "DEADLINE", "activity": None, "rule_id": "P1-L-11-GA",
        "eligible": eligible, "affected": affected, "suppressed": False, "late_hours_sum": 30.0 * affected,
        "throughput_affected_sum": 200.0 * affected, "throughput_unaffected_sum": 150.0 * (eligible - affected),
        "duration_median_hours": 20.0}], schema=ITEM_COLUMNS)
    quality = {"coverage": 1.0, "date_only_share": 0.0, "running_share": 0.0,
               "period_start": "2025-01-02T08:00:00+00:00", "period_end": "2025-12-30T16:00:00+00:00"}
    return Bundle(office, "P1", "2025", quality, items, (), 0.9 * eligible, eligible)


def offices() -> list[Bundle]:
    others = [bundle(f"GA-{i:02d}", k, 100) for i, k in zip(range(1, 11), (5, 6, 7, 6, 5, 7, 6, 6, 5, 7), strict=True)]
    return [*others, bundle("GA-11", 23, 100), bundle("GA-12", 3, 4)]


def test_big_office_with_strong_difference_ranks_above_tiny_office_with_extreme_rate():
    tables = compare_bundles(offices(), {})
    table = tables.comparison.table.sort("office")
    big = table.filter(pl.col("office") == "GA-11").row(0, named=True)
    tiny = table.filter(pl.col("office") == "GA-12").row(0, named=True)
    assert tiny["rate"] == 0.75 and big["rate"] == 0.23  # the raw rate alone would put the tiny office first
    assert big["finding"] and big["q_value"] <= 0.05
    assert tiny["significant"]  # the test alone would flag it; the conservative excess share does not rank it
    assert big["score"] > tiny["score"]
    assert tiny["shrunk_low"] < tiny["rate"]  # pulled towards the common rate
    ranked = tables.findings.sort("rank")["office"].to_list()
    assert ranked[0] == "GA-11"
    assert "GA-12" not in ranked[:1]


def test_ranking_does_not_depend_on_the_order_of_the_bundles():
    forward = compare_bundles(offices(), {})
    backward = compare_bundles(list(reversed(offices())), {})
    assert forward.findings.equals(backward.findings)
    assert forward.comparison.table.equals(backward.comparison.table)


def test_throughput_compared_from_histograms():
    """An office whose cases take clearly longer is found slower than the pooled others, with FDR control."""
    import polars as pl

    from pmtool.compare.bundle import BIN_EDGES, Bundle
    from pmtool.compare.throughput import compare_throughput

    def bundle(office: str, centre: int, n: int) -> Bundle:
        bins = [0] * (len(BIN_EDGES) - 1)
        for shift, share in ((-1, 0.25), (0, 0.5), (1, 0.25)):
            bins[centre + shift] += int(n * share)
        return Bundle(office, "P1", "all", {}, pl.DataFrame(), tuple(bins), 0.0, n)

    bundles = [bundle(f"GA-0{i}", 12, 100) for i in range(1, 6)] + [bundle("GA-06", 16, 100)]
    table = compare_throughput(bundles)
    slow = table.filter(pl.col("office") == "GA-06").row(0, named=True)
    assert slow["significant"] and slow["direction"] == "slower"
    assert slow["median_hours"] > 2 * slow["median_others_hours"]
    assert slow["median_low"] <= slow["median_hours"] <= slow["median_high"]
    assert table.filter(pl.col("office") != "GA-06")["median_hours"].n_unique() == 1
