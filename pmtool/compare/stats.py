"""Statistics for comparing offices: rates with confidence intervals, exact tests against the pooled others,
false-discovery-rate control, and empirical-Bayes shrinkage so that small offices do not top a ranking by
chance.

All functions are vectorised over numpy arrays and deterministic.

>>> lo, hi = wilson_interval(np.array([23]), np.array([100]))
>>> round(float(lo[0]), 3), round(float(hi[0]), 3)
(0.158, 0.321)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


def _scipy_stats() -> Any:  # imported on first use: the worker processes never load it
    from scipy import stats

    return stats


def wilson_interval(k: np.ndarray, n: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for k of n (NaN where n = 0)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    z = _scipy_stats().norm.ppf(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    # exactly 0 for none and 1 for all (centre − half is a rounding error away: 3e-21 instead of 0)
    low = np.where(k <= 0, 0.0, np.clip(centre - half, 0, 1))
    high = np.where(k >= n, 1.0, np.clip(centre + half, 0, 1))
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def fisher_vs_rest(k: np.ndarray, n: np.ndarray, k_all: np.ndarray, n_all: np.ndarray) -> np.ndarray:
    """Two-sided Fisher exact p-value of each office (k of n) against the pooled others (k_all−k of n_all−n).

    Rows with no information (n = 0 or no other cases) get p = 1.
    """
    out = np.ones(len(k))
    for i, (a, b, ka, na) in enumerate(zip(k, n, k_all, n_all, strict=True)):
        c, d = ka - a, na - b
        if b <= 0 or d <= 0:
            continue
        out[i] = fisher_two_sided(int(a), int(b - a), int(c), int(d - c))
    return out


def fisher_two_sided(a: int, b: int, c: int, d: int) -> float:
    """``scipy.stats.fisher_exact([[a, b], [c, d]]).pvalue`` (two-sided), the same steps on the same
    hypergeometric functions, without the argument handling each call of a scipy distribution does (most of
    the time for one table; the comparison tests hundreds). Same value to the last bit.

    >>> round(fisher_two_sided(5, 95, 24, 1176), 4)
    0.0658
    """
    a, b, c, d = (np.int64(x) for x in (a, b, c, d))
    if a + c == 0 or b + d == 0 or a + b == 0 or c + d == 0:
        return 1.0  # a row or column of zeros
    n1, n2, n = a + b, c + d, a + c
    total = n1 + n2
    low, high = max(n - n2, 0), min(n1, n)  # the support of hypergeom(total, n1, n)
    dist = _scipy_stats().hypergeom

    def pmf(x: int) -> float:
        return float(np.clip(dist._pmf(x, total, n1, n), 0, 1)) if low <= x <= high else 0.0

    def cdf(x: int) -> float:
        return 1.0 if x >= high else 0.0 if x < low else float(np.clip(dist._cdf(x, total, n1, n), 0, 1))

    def sf(x: int) -> float:
        return 1.0 if x < low else 0.0 if x >= high else float(np.clip(dist._sf(x, total, n1, n), 0, 1))

    mode = int((n + 1) * (n1 + 1) / (n1 + n2 + 2))
    pexact, pmode = pmf(a), pmf(mode)
    epsilon = 1e-14
    gamma = 1 + epsilon
    with np.errstate(invalid="ignore", divide="ignore"):
        if np.abs(pexact - pmode) / np.maximum(pexact, pmode) <= epsilon:
            return 1.0
    if a < mode:
        plower = cdf(a)
        if pmf(n) > pexact * gamma:
            return plower
        guess = _search(lambda x: -pmf(x), -pexact * gamma, mode, int(n))
        pvalue = plower + sf(guess)
    else:
        pupper = sf(a - 1)
        if pmf(0) > pexact * gamma:
            return pupper
        guess = _search(pmf, pexact * gamma, 0, mode)
        pvalue = pupper + cdf(guess)
    return min(pvalue, 1.0)


def _search(f: Callable[[int], float], d: float, lo: int, hi: int) -> int:
    """The ``i`` between ``lo`` and ``hi`` with ``f(i) <= d < f(i + 1)`` (``f`` ascending there), as scipy's
    Fisher test searches the other tail."""
    while lo < hi:
        mid = lo + (hi - lo) // 2
        value = f(mid)
        if value < d:
            lo = mid + 1
        elif value > d:
            hi = mid - 1
        else:
            return mid
    return lo if f(lo) <= d else lo - 1


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values); controls the false discovery rate across all tests."""
    p = np.asarray(p, dtype=float)
    if p.size == 0:
        return p
    return _scipy_stats().false_discovery_control(np.clip(p, 0, 1), method="bh")


@dataclass(frozen=True)
class BetaPrior:
    """Beta(alpha, beta) prior of an item's rate across offices (method of moments, see :func:`beta_prior`)."""

    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def strength(self) -> float:
        """Prior sample size: how many cases' worth of evidence the prior counts as."""
        return self.alpha + self.beta


def beta_prior(k: np.ndarray, n: np.ndarray, max_strength: float = 1e6) -> BetaPrior:
    """Empirical-Bayes beta prior for one item from all offices' counts (beta-binomial method of moments).

    The spread of the office rates beyond what binomial noise explains sets how strongly small offices are
    pulled towards the mean: if the offices hardly differ, the prior is strong (``max_strength`` caps it).
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    mask = n > 0
    if mask.sum() == 0:
        return BetaPrior(1.0, 1.0)
    k, n = k[mask], n[mask]
    mean = k.sum() / n.sum()
    if mean <= 0 or mean >= 1:
        # all or nothing everywhere: a weak prior at the boundary keeps estimates inside (0, 1)
        m = min(max(mean, 1e-6), 1 - 1e-6)
        return BetaPrior(m * 2, (1 - m) * 2)
    rates = k / n
    weights = n / n.sum()
    observed_var = float(np.sum(weights * (rates - mean) ** 2))
    binomial_var = float(np.sum(weights * mean * (1 - mean) / n))
    between = observed_var - binomial_var
    if between <= 0:
        strength = max_strength
    else:
        strength = min(max(mean * (1 - mean) / between - 1, 0.5), max_strength)
    return BetaPrior(mean * strength, (1 - mean) * strength)


def shrink(k: np.ndarray, n: np.ndarray, prior: BetaPrior) -> np.ndarray:
    """Posterior mean rate (k + alpha) / (n + alpha + beta) of each office."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    return (k + prior.alpha) / (n + prior.alpha + prior.beta)


def shrunk_interval(k: np.ndarray, n: np.ndarray, prior: BetaPrior,
                    confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Central posterior interval of each office's rate under ``prior``."""
    a = np.asarray(k, dtype=float) + prior.alpha
    b = np.asarray(n, dtype=float) - np.asarray(k, dtype=float) + prior.beta
    tail = (1 - confidence) / 2
    beta = _scipy_stats().beta

    def edge(x: np.ndarray) -> np.ndarray:
        # bounds within 1e-12 of 0 or 1 are those (a prior at the boundary puts its quantiles at 2e-308: no
        # office has the 10^12 cases that would tell them from 0)
        return np.where(x < 1e-12, 0.0, np.where(x > 1 - 1e-12, 1.0, x))

    return edge(beta.ppf(tail, a, b)), edge(beta.ppf(1 - tail, a, b))


def mann_whitney(own: np.ndarray, others: np.ndarray) -> float:
    """Two-sided Mann–Whitney U p-value of ``own`` against ``others`` (1.0 when either is empty)."""
    if not own.size or not others.size:
        return 1.0
    return float(_scipy_stats().mannwhitneyu(own, others, alternative="two-sided").pvalue)
