"""Segmented regression for an interrupted time series: the level and slope change of a monthly share at a
known date, and the month at which a series changes most.

The model for the months ``t = 0 … T-1`` with the interruption at month ``k``::

    y_t = b0 + b1·t + b2·D_t + b3·(t − k)·D_t + e_t,        D_t = 1 from month k on

``b2`` is the level change at ``k``, ``b3`` the change of the monthly slope. Months are weighted by their
number of cases (weighted least squares: a month of 40 cases says more than one of 6). Standard errors are
the plain least-squares ones with a quasi-binomial floor: the residual variance, but never less than the
binomial variance of the overall share (a flat series of 100 % has no residuals, yet its months are samples).
Intervals use Student's t with ``T − 4`` degrees of freedom. Autocorrelation is not modelled: Newey–West
(HAC) errors were tried and, with 12 monthly points, found far too narrow (many false changes in offices
that did not change). Computed with numpy's least squares (pmtool does not depend on statsmodels).

>>> import numpy as np
>>> y = np.array([0.6, 0.62, 0.58, 0.61, 0.6, 0.9, 0.91, 0.89, 0.92, 0.9])
>>> fit = segmented(y, np.full(10, 200.0), 5)
>>> round(fit.level, 2), fit.level_low > 0
(0.3, True)
>>> change_month(y, np.full(10, 200.0), min_side=3).month
5
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

#: Fewest months on each side of an interruption for a segmented fit (a level and a slope need three).
MIN_SIDE = 3


@dataclass(frozen=True)
class SegmentedFit:
    """Level change (``level``) and slope change per month (``slope``) at month ``month`` with their
    ``1 − alpha`` intervals and the level change's two-sided p-value; ``sse``: weighted residual sum."""

    month: int
    level: float
    level_low: float
    level_high: float
    level_p: float
    slope: float
    slope_low: float
    slope_high: float
    before: float  # fitted share just before the interruption (the pre-trend's value at month k)
    sse: float
    fitted: tuple[float, ...] = ()  # the model's value at each month of the series


def segmented(y: np.ndarray, cases: np.ndarray, month: int, *, t: np.ndarray | None = None,
              alpha: float = 0.05) -> SegmentedFit:
    """Fit the segmented model with the interruption at month ``month``; ``t`` are the months of the values
    (default ``0 … T-1``; a month without a value is a gap on the axis, not a shift).

    Raises ``ValueError`` when a side has fewer than ``MIN_SIDE`` months."""
    n = len(y)
    t = np.arange(n, dtype=float) if t is None else np.asarray(t, dtype=float)
    after = (t >= month).astype(float)
    if after.sum() < MIN_SIDE or n - after.sum() < MIN_SIDE:
        raise ValueError(f"an interruption at {month} leaves fewer than {MIN_SIDE} months on a side of {n}")
    x = np.column_stack([np.ones(n), t, after, (t - month) * after])
    w = np.sqrt(np.asarray(cases, dtype=float) / np.mean(cases))
    xw, yw = x * w[:, None], np.asarray(y, dtype=float) * w
    beta, *_ = np.linalg.lstsq(xw, yw, rcond=None)
    resid = yw - xw @ beta
    dof = n - x.shape[1]
    share = (float(np.sum(np.asarray(y) * cases)) + 0.5) / (float(np.sum(cases)) + 1.0)
    binomial = share * (1 - share) / float(np.mean(cases))  # a month of mean size, had it no extra noise
    sigma2 = max(float(resid @ resid) / dof, binomial)  # quasi-binomial: dispersion at least binomial
    se = [float(v) for v in np.sqrt(np.clip(np.diag(np.linalg.pinv(xw.T @ xw)) * sigma2, 0, None))]
    q = float(stats.t.ppf(1 - alpha / 2, dof))
    level, slope = float(beta[2]), float(beta[3])
    p = float(2 * stats.t.sf(abs(level) / se[2], dof)) if se[2] > 0 else (0.0 if level else 1.0)
    return SegmentedFit(month, level, level - q * se[2], level + q * se[2], p, slope, slope - q * se[3],
                        slope + q * se[3], float(beta[0] + beta[1] * month), float(resid @ resid),
                        tuple(float(v) for v in x @ beta))


@dataclass(frozen=True)
class ChangeMonth:
    """The interruption that fits best (least weighted squares over every admissible month) and whether its
    level change holds after a Bonferroni correction for the ``candidates`` months tried."""

    month: int
    fit: SegmentedFit
    candidates: int
    significant: bool


def change_month(y: np.ndarray, cases: np.ndarray, *, t: np.ndarray | None = None, min_side: int = MIN_SIDE,
                 alpha: float = 0.05) -> ChangeMonth | None:
    """The month at which the series changes most (``None`` when it has fewer than ``2·min_side`` months)."""
    t = np.arange(len(y)) if t is None else np.asarray(t)
    side = max(min_side, MIN_SIDE)
    months = [int(m) for m in t[side: len(t) - side + 1]]
    fits = [segmented(y, cases, k, t=t, alpha=alpha) for k in months]
    if not fits:
        return None
    best = min(fits, key=lambda f: (round(f.sse, 12), f.month))
    return ChangeMonth(best.month, best, len(fits), best.level_p < alpha / len(fits))
