"""Throughput time compared between offices, from the bundles' histograms (no case rows needed).

Throughput time has one definition in every table and the report: the time from the first to the last event
of a *completed* case (one that reached a closing activity of the Soll); running and never-closed cases
have none. Per process: each office's median (exact, from the bundle; interpolated within the fixed
histogram bins only for a bundle without it) with a distribution-free 95 % interval for the median (order
statistics n/2 ± 1.96·√n/2), a two-sided
Mann–Whitney test of the office against all other offices pooled (values at the bins' geometric
midpoints, so ties are resolved as in the histogram), and Benjamini–Hochberg control across offices.
Bins suppressed for small counts are left out on both sides.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import polars as pl

from pmtool.compare import stats
from pmtool.compare.bundle import BIN_EDGES, Bundle

COLUMNS = {"process": pl.String, "period": pl.String, "office": pl.String, "cases": pl.Int64,
           "median_hours": pl.Float64, "median_low": pl.Float64, "median_high": pl.Float64,
           "median_others_hours": pl.Float64, "p_value": pl.Float64, "q_value": pl.Float64,
           "significant": pl.Boolean, "direction": pl.String}


def _midpoints() -> np.ndarray:
    mids = []
    for lo, hi in zip(BIN_EDGES[:-1], BIN_EDGES[1:], strict=True):
        if math.isinf(hi):
            mids.append(lo * 1.5)
        elif lo == 0:
            mids.append(hi / 2)
        else:
            mids.append(math.sqrt(lo * hi))
    return np.array(mids)


def _counts(bundle: Bundle) -> np.ndarray:
    counts = np.zeros(len(BIN_EDGES) - 1)
    for i, c in enumerate(bundle.throughput_bins[: counts.size]):
        counts[i] = c or 0
    return counts


def _quantile(counts: np.ndarray, rank: float) -> float | None:
    """The value at (1-based, fractional) ``rank`` of the histogram, interpolated linearly within its bin."""
    n = counts.sum()
    if n == 0:
        return None
    rank = min(max(rank, 1.0), n)
    cum = np.cumsum(counts)
    i = int(np.searchsorted(cum, rank - 1e-9))
    lo, hi = BIN_EDGES[i], BIN_EDGES[i + 1]
    if math.isinf(hi):
        return float(lo)
    before = cum[i - 1] if i else 0.0
    share = (rank - before) / counts[i] if counts[i] else 0.0
    return float(lo + share * (hi - lo))


def compare_throughput(bundles: Sequence[Bundle], fdr: float = 0.05) -> pl.DataFrame:
    rows = []
    mids = _midpoints()
    groups: dict[tuple[str, str], list[Bundle]] = {}
    for b in bundles:
        groups.setdefault((b.process, b.period), []).append(b)
    for (process, period), group in sorted(groups.items()):
        group = sorted(group, key=lambda b: b.office)
        counts = [_counts(b) for b in group]
        samples = [np.repeat(mids, c.astype(int)) for c in counts]
        p = stats.mann_whitney_vs_rest(samples)
        q = stats.benjamini_hochberg(p)
        for i, b in enumerate(group):
            n = counts[i].sum()
            others = sum((c for j, c in enumerate(counts) if j != i), np.zeros_like(counts[i]))
            median = b.throughput_median_hours
            if median is None:
                median = _quantile(counts[i], (n + 1) / 2)
            half = 1.96 * math.sqrt(n) / 2 if n else 0.0
            median_others = _quantile(others, (others.sum() + 1) / 2)
            direction = None
            if median is not None and median_others is not None:
                direction = "slower" if median > median_others else "faster" if median < median_others else "same"
            low, high = _quantile(counts[i], n / 2 - half), _quantile(counts[i], n / 2 + half + 1)
            if median is not None and low is not None and high is not None:  # the interval holds the median
                low, high = min(low, median), max(high, median)
            rows.append({"process": process, "period": period, "office": b.office, "cases": int(n),
                         "median_hours": median, "median_low": low, "median_high": high,
                         "median_others_hours": median_others,
                         "p_value": float(p[i]), "q_value": float(q[i]), "significant": bool(q[i] <= fdr),
                         "direction": direction})
    return pl.DataFrame(rows, schema=COLUMNS)
