"""Interval bounds at the edges are exactly 0 and 1: a table never shows 3e-21 or 2e-308 for "none"."""

from __future__ import annotations

import numpy as np
from scipy.stats import beta as scipy_beta

from pmtool.compare import stats


def test_wilson_bounds_are_exact_at_none_and_all():
    low, high = stats.wilson_interval(np.array([0, 3, 10, 0]), np.array([10, 10, 10, 0]))
    assert low[0] == 0.0 and high[2] == 1.0
    assert np.isnan(low[3]) and np.isnan(high[3])
    # inside, the textbook Wilson interval for 3 of 10 at 95 %
    assert round(low[1], 4) == 0.1078 and round(high[1], 4) == 0.6032


def test_shrunk_bounds_of_a_prior_at_zero_are_zero_not_the_smallest_float():
    prior = stats.beta_prior(np.array([0, 0, 0]), np.array([10, 20, 30]))  # no office shows the item
    assert 0 < scipy_beta.ppf(0.025, 0 + prior.alpha, 10 + prior.beta) < 1e-300  # what the quantile gives
    low, high = stats.shrunk_interval(np.array([0, 0]), np.array([10, 20]), prior)
    assert low.tolist() == [0.0, 0.0] and high.tolist() == [0.0, 0.0]
    prior = stats.beta_prior(np.array([1, 5, 3]), np.array([10, 20, 30]))
    low, high = stats.shrunk_interval(np.array([1]), np.array([10]), prior)
    assert low[0] == scipy_beta.ppf(0.025, 1 + prior.alpha, 9 + prior.beta) > 0.1  # inside: scipy's own value
