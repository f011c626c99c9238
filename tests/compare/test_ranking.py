"""The ranking does not depend on the order of the bundles; throughput times are compared from histograms,
behind the same comparability gate as the counts. (The tiny-office property: tests/compare/test_small_numbers.py.)"""

from __future__ import annotations

import polars as pl
import synthetic

from pmtool.analysis import compare_bundles
from pmtool.compare.bundle import BIN_EDGES, Bundle
from pmtool.compare.throughput import compare_throughput

QUALITY = {"coverage": 1.0, "date_only_share": 0.0, "running_share": 0.0,
           "period_start": "2025-01-02T08:00:00+00:00", "period_end": "2025-12-30T16:00:00+00:00"}


def test_ranking_does_not_depend_on_the_order_of_the_bundles():
    counts = {f"GA-{i:02d}": (k, 100) for i, k in zip(range(1, 11), (5, 6, 7, 6, 5, 7, 6, 6, 5, 7), strict=True)}
    bundles = synthetic.bundles({**counts, "GA-11": (23, 100), "GA-12": (3, 60)})
    references = {"T": synthetic.reference()}
    forward = compare_bundles(bundles, references)
    backward = compare_bundles(list(reversed(bundles)), references)
    assert forward.findings.height >= 1
    assert forward.findings.equals(backward.findings)
    assert forward.comparison.table.equals(backward.comparison.table)
    assert forward.disclosure.equals(backward.disclosure)


def histogram_bundle(office: str, centre: int, n: int, quality: dict | None = None) -> Bundle:
    bins = [0] * (len(BIN_EDGES) - 1)
    for shift, share in ((-1, 0.25), (0, 0.5), (1, 0.25)):
        bins[centre + shift] += int(n * share)
    return Bundle(office, "P1", "all", quality if quality is not None else QUALITY, pl.DataFrame(), tuple(bins), 0.0,
                  n)


def test_throughput_compared_from_histograms():
    """An office whose cases take clearly longer is found slower than the pooled others, with FDR control."""
    bundles = [histogram_bundle(f"GA-0{i}", 12, 100) for i in range(1, 6)] + [histogram_bundle("GA-06", 16, 100)]
    table = compare_throughput(bundles)
    slow = table.filter(pl.col("office") == "GA-06").row(0, named=True)
    assert slow["significant"] and slow["direction"] == "slower" and slow["comparable"]
    assert slow["median_hours"] > 2 * slow["median_others_hours"]
    assert slow["median_low"] <= slow["median_hours"] <= slow["median_high"]
    assert table.filter(pl.col("office") != "GA-06")["median_hours"].n_unique() == 1


def test_throughput_behind_the_gate_and_without_figures_for_hidden_offices():
    """An office that fails the gate is described but neither tested nor pooled; an office whose case count
    is hidden gets no figures of its own but counts in the others' pool."""
    failing = {**QUALITY, "coverage": 0.5}
    bundles = ([histogram_bundle(f"GA-0{i}", 12, 100) for i in range(1, 6)]
               + [histogram_bundle("GA-06", 20, 100, failing), histogram_bundle("GA-07", 12, 4)])
    table = compare_throughput(bundles, hidden=frozenset({("cases", "P1", "all", None, "GA-07")}))
    off = table.filter(pl.col("office") == "GA-06").row(0, named=True)
    assert not off["comparable"] and off["not_comparable_reason"].startswith("coverage")
    assert off["p_value"] is None and off["median_hours"] is not None
    hidden = table.filter(pl.col("office") == "GA-07").row(0, named=True)
    assert hidden["cases"] is None and hidden["median_hours"] is None and hidden["p_value"] is None
    assert hidden["not_comparable_reason"] == "small_numbers"
    # the failing office's slow cases are not in anyone's pool: the others' median is the common one
    first = table.filter(pl.col("office") == "GA-01").row(0, named=True)
    assert abs(first["median_others_hours"] - first["median_hours"]) < 0.02 * first["median_hours"]
    assert not table["significant"].any()


def test_with_one_other_office_its_exact_median_is_the_others_median():
    """Two offices: each one's "others" median is the other's exact median, not a value from the bins; with
    more offices in the pool it comes from the pooled histogram and says so."""
    from dataclasses import replace
    early = replace(histogram_bundle("EARLY", 22, 100), throughput_median_hours=44.13)
    late = replace(histogram_bundle("LATE", 2, 100), throughput_median_hours=0.0765)
    table = compare_throughput([early, late])
    rows = {r["office"]: r for r in table.iter_rows(named=True)}
    assert (rows["LATE"]["median_others_hours"], rows["EARLY"]["median_others_hours"]) == (44.13, 0.0765)
    assert rows["LATE"]["median_others_exact"] and rows["EARLY"]["median_others_exact"]
    assert rows["LATE"]["direction"] == "faster" and rows["EARLY"]["direction"] == "slower"
    third = replace(histogram_bundle("MID", 12, 100), throughput_median_hours=60.0)
    pooled = compare_throughput([early, late, third]).filter(pl.col("office") == "LATE").row(0, named=True)
    assert pooled["median_others_exact"] is False
    assert pooled["median_others_hours"] not in (44.13, 60.0)  # from the bins of EARLY and MID together


def test_no_others_median_when_every_other_office_is_hidden():
    """The only other office's cases are hidden (below the threshold): its median, exact or from its bins,
    would describe a suppressed count's cases, so the others' median and the direction are not published."""
    from dataclasses import replace
    shown = replace(histogram_bundle("SHOWN", 22, 100), throughput_median_hours=44.13)
    small = replace(histogram_bundle("SMALL", 2, 3), throughput_median_hours=0.0765)
    table = compare_throughput([shown, small], hidden=frozenset({("cases", "P1", "all", None, "SMALL")}))
    row = table.filter(pl.col("office") == "SHOWN").row(0, named=True)
    assert row["median_hours"] == 44.13
    assert row["median_others_hours"] is None and row["median_others_exact"] is None and row["direction"] is None
