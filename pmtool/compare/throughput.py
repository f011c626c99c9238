"""Throughput time compared between offices, from the bundles' histograms (no case rows needed).

Throughput time has one definition in every table and the report: the time from the first to the last event
of a *completed* case (one that reached a closing activity of the Soll); running and never-closed cases
have none. Per process: each office's median (exact, from the bundle; interpolated within the fixed
histogram bins only for a bundle without it) with a distribution-free 95 % interval for the median (order
statistics n/2 ± 1.96·√n/2, read from the histogram), the median of the other comparable offices' pooled
cases (exact when the pool is one office whose median the bundle carries and the comparison shows;
otherwise interpolated linearly within the pooled histogram's bin, which is a factor √2 wide, and marked
``median_others_exact = false``), a two-sided
Mann–Whitney test of the office against all other offices pooled (values at the bins' geometric
midpoints, so ties are resolved as in the histogram), and Benjamini–Hochberg control across offices.

Behind the same gate as the counts: an office that fails the comparability gate is described (its median)
but neither tested nor part of anyone's pool. The histograms are exact (a bundle's bins are not
suppressed), so every comparable office counts in the others' pool with all its cases. An office whose case
count the comparison hides (``hidden``, see :mod:`pmtool.compare.publication`) gets no figures of its own:
the median of a handful of cases would be one case's duration.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import polars as pl

from pmtool.compare import stats
from pmtool.compare.bundle import BIN_EDGES, Bundle
from pmtool.compare.gate import GateSettings, comparability

COLUMNS = {"process": pl.String, "period": pl.String, "office": pl.String, "cases": pl.Int64,
           "median_hours": pl.Float64, "median_low": pl.Float64, "median_high": pl.Float64,
           "median_others_hours": pl.Float64, "median_others_exact": pl.Boolean, "p_value": pl.Float64,
           "q_value": pl.Float64,
           "significant": pl.Boolean, "direction": pl.String, "comparable": pl.Boolean,
           "not_comparable_reason": pl.String}


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


def compare_throughput(bundles: Sequence[Bundle], fdr: float = 0.05, *, gate: GateSettings | None = None,
                       hidden: frozenset = frozenset()) -> pl.DataFrame:
    """One row per process, period and office (see the module docstring); ``hidden`` holds the cells the
    comparison does not publish (an office's ``cases`` among them)."""
    verdict = {(p, per, o): (ok, why) for p, per, o, ok, why in
               comparability(bundles, gate or GateSettings()).iter_rows()}
    rows = []
    mids = _midpoints()
    groups: dict[tuple[str, str], list[Bundle]] = {}
    for b in bundles:
        groups.setdefault((b.process, b.period), []).append(b)
    for (process, period), group in sorted(groups.items()):
        group = sorted(group, key=lambda b: b.office)
        counts = [_counts(b) for b in group]
        pooled = [verdict[(process, period, b.office)][0] for b in group]
        shown = [("cases", process, period, None, b.office) not in hidden for b in group]
        pool = sum((c for c, ok in zip(counts, pooled, strict=True) if ok), np.zeros(len(mids)))
        p = np.ones(len(group))
        tested = []
        for i, c in enumerate(counts):
            others = pool - c if pooled[i] else pool
            if pooled[i] and shown[i] and c.sum() and others.sum():
                p[i] = stats.mann_whitney(np.repeat(mids, c.astype(int)), np.repeat(mids, others.astype(int)))
                tested.append(i)
        q = np.ones(len(group))
        q[tested] = stats.benjamini_hochberg(p[tested])
        for i, b in enumerate(group):
            rows.append(_row(process, period, b.office, counts[i], pool - counts[i] if pooled[i] else pool,
                             shown[i], i in tested, float(p[i]), float(q[i]), fdr,
                             verdict[(process, period, b.office)], b.throughput_median_hours,
                             _single_other_median(group, counts, pooled, shown, i),
                             others_shown=any(shown[j] for j in range(len(group))
                                              if j != i and pooled[j] and counts[j].sum())))
    return pl.DataFrame(rows, schema=COLUMNS)


def _single_other_median(group: list[Bundle], counts: list[np.ndarray], pooled: list[bool], shown: list[bool],
                         i: int) -> float | None:
    """The exact median of the others' pool of office ``i`` when that pool is one office's cases and the
    comparison shows that office's own median; ``None`` when the pool's median must come from the histogram."""
    others = [j for j in range(len(group)) if j != i and pooled[j] and counts[j].sum()]
    if len(others) != 1 or not shown[others[0]]:
        return None
    return group[others[0]].throughput_median_hours


def _row(process: str, period: str, office: str, counts: np.ndarray, others: np.ndarray, shown: bool,
         tested: bool, p: float, q: float, fdr: float, verdict: tuple[bool, str | None],
         exact_median: float | None = None, exact_others: float | None = None, *, others_shown: bool = True) -> dict:
    """``others_shown``: whether any office of the others' pool is shown; when none is, the pool's median
    would describe offices whose counts are hidden, so it is not published."""
    n = counts.sum()
    median = (exact_median if exact_median is not None else _quantile(counts, (n + 1) / 2)) if shown else None
    half = 1.96 * math.sqrt(n) / 2 if n else 0.0
    low, high = _quantile(counts, n / 2 - half), _quantile(counts, n / 2 + half + 1)
    if median is not None and low is not None and high is not None:  # the interval holds the median
        low, high = min(low, median), max(high, median)
    median_others = (exact_others if exact_others is not None else _quantile(others, (others.sum() + 1) / 2)
                     ) if others_shown else None
    direction = None
    if median is not None and median_others is not None:
        direction = "slower" if median > median_others else "faster" if median < median_others else "same"
    reason = verdict[1] if not verdict[0] else None if shown else "small_numbers"
    return {"process": process, "period": period, "office": office, "cases": int(n) if shown else None,
            "median_hours": median, "median_low": low if shown else None, "median_high": high if shown else None,
            "median_others_hours": median_others if shown else None,
            "median_others_exact": exact_others is not None if shown and median_others is not None else None,
            "p_value": p if tested else None,
            "q_value": q if tested else None, "significant": tested and q <= fdr,
            "direction": direction if tested else None, "comparable": verdict[0] and shown,
            "not_comparable_reason": reason}
