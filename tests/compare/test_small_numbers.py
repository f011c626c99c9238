"""Small numbers count in every pool at their true value, and no finding depends on a hidden one: the bundles
come out of ``aggregate`` as an office's would (tests/compare/synthetic.py)."""

from __future__ import annotations

import polars as pl
import pytest
import synthetic
from scipy.stats import fisher_exact

from pmtool.analysis import compare_bundles


def table_of(counts: dict[str, tuple[int, int]]) -> pl.DataFrame:
    tables = compare_bundles(synthetic.bundles(counts), {"T": synthetic.reference()})
    return tables.comparison.table.filter(pl.col("item") == synthetic.ITEM).sort("office")


def test_the_biased_pool_example_is_not_a_finding():
    """One office 5 of 100, six offices 0 of 100, six offices 4 of 100 (hidden in every publication)."""
    counts = {"GA-01": (5, 100), **{f"GA-{i:02d}": (0, 100) for i in range(2, 8)},
              **{f"GA-{i:02d}": (4, 100) for i in range(8, 14)}}
    table = table_of(counts)
    office = table.row(0, named=True)
    assert (office["affected"], office["eligible"]) == (5, 100)
    # the others are the true pool, the hidden offices included: 24 of 1200
    assert (office["affected_others"], office["eligible_others"]) == (24, 1200)
    assert office["p_value"] == pytest.approx(fisher_exact([[5, 95], [24, 1176]]).pvalue)
    assert office["p_value"] == pytest.approx(0.066, abs=0.001)
    assert office["q_value"] > 0.05 and not office["finding"]
    # the pool that left the small offices out (0 of 600) would have made it one
    assert fisher_exact([[5, 95], [0, 600]]).pvalue < 1e-4
    small = table.filter(pl.col("office") >= pl.lit("GA-08"))
    assert small["suppressed"].all() and small["affected"].is_null().all() and small["rate"].is_null().all()
    assert table.filter(pl.col("office").is_between(pl.lit("GA-02"), pl.lit("GA-07")))["affected"].to_list() == [0] * 6


def test_published_statistics_do_not_depend_on_how_a_hidden_total_is_split():
    """Two offices with 2 and 3 cases (both hidden) or 3 and 2: everything published is the same, because
    every statistic is computed from published numbers only (the prior sees the hidden offices' total)."""
    base = {f"GA-{i:02d}": (k, 100) for i, k in zip(range(1, 9), (6, 9, 12, 7, 30, 8, 10, 11), strict=True)}
    first = table_of({**base, "GA-09": (2, 100), "GA-10": (3, 100)})
    second = table_of({**base, "GA-09": (3, 100), "GA-10": (2, 100)})
    assert first["suppressed"].sum() == 2
    assert first.equals(second)
    assert first.filter(pl.col("office") == "GA-05")["finding"].item()


def test_a_tiny_office_with_an_extreme_rate_does_not_outrank_a_large_one():
    """A tiny office with 5 of 6 cases (the smallest that can be shown) against a large office with 23 of
    100, around 6 % elsewhere: the raw rate would put the tiny office first, the evidence does not."""
    others = {f"GA-{i:02d}": (k, 100) for i, k in zip(range(1, 11), (5, 6, 7, 6, 5, 7, 6, 6, 5, 7), strict=True)}
    tables = compare_bundles(synthetic.bundles({**others, "GA-11": (23, 100), "GA-12": (5, 6)}),
                             {"T": synthetic.reference()})
    table = tables.comparison.table.filter(pl.col("item") == synthetic.ITEM)
    big = table.filter(pl.col("office") == "GA-11").row(0, named=True)
    tiny = table.filter(pl.col("office") == "GA-12").row(0, named=True)
    assert not tiny["suppressed"] and tiny["rate"] == pytest.approx(5 / 6) and big["rate"] == 0.23
    assert big["finding"] and big["q_value"] <= 0.05
    assert tiny["significant"]  # the test alone would flag it; the conservative excess share does not rank it
    assert tiny["shrunk_low"] < tiny["rate"]  # pulled towards the common rate
    assert big["score"] > tiny["score"]
    assert tables.findings.sort("rank")["office"].to_list()[0] == "GA-11"


def test_a_pool_that_would_reveal_a_small_number_withholds_the_item_loudly():
    """One office with 1 case, one with 12, everyone else 0: "all other offices" of the second would be the
    first's 1. The second office's row says why it has no verdict."""
    counts = {"GA-01": (1, 100), "GA-02": (12, 100), **{f"GA-{i:02d}": (0, 100) for i in range(3, 9)}}
    table = table_of(counts)
    assert table.filter(pl.col("office") == "GA-01")["suppressed"].item()
    second = table.filter(pl.col("office") == "GA-02").row(0, named=True)
    assert not second["finding"] and not second["comparable"]
    assert second["not_comparable_reason"] in ("small_numbers", "small_numbers_others")
    others = table["affected_others"].drop_nulls().to_list()
    assert not any(1 <= n <= 4 for n in others), others


def test_the_fisher_test_is_scipys_to_the_last_bit():
    """pmtool's two-sided Fisher test takes scipy's steps without its per-call overhead: every small table,
    and tables of the sizes a year of cases gives, have exactly scipy's p-value."""
    import numpy as np

    from pmtool.compare.stats import fisher_two_sided

    tables = [(a, b, c, d) for a in range(6) for b in range(6) for c in range(6) for d in range(6)]
    rng = np.random.default_rng(19)
    for scale in (50, 5_000, 500_000):
        for _ in range(60):
            n1, n2 = int(rng.integers(1, scale)), int(rng.integers(1, 12 * scale))
            p1 = rng.random()
            p2 = min(1.0, max(0.0, p1 * (1 + rng.normal() * 0.05) if rng.random() < 0.5 else rng.random()))
            a, c = int(rng.binomial(n1, p1)), int(rng.binomial(n2, p2))
            tables.append((a, n1 - a, c, n2 - c))
    differ = [t for t in tables if fisher_two_sided(*t) != fisher_exact([[t[0], t[1]], [t[2], t[3]]]).pvalue]
    assert not differ, differ[:5]
