"""Compare offices against the Soll and each other — from aggregate bundles only — and rank the critical
differences.

For every item (deviation code with activity, rule, never-closed cases) and office: the rate with a Wilson
interval; a two-sided Fisher exact test of the office against all other offices pooled; Benjamini–Hochberg
control of the false discovery rate across all offices × items of a process; an empirical-Bayes
(beta-binomial) estimate that pulls small offices towards the common rate. A finding is a significant,
comparable difference where the office does worse. Its score (see :mod:`pmtool.compare.score`) has three
documented parts. Findings carry stable ids: the same office, process and item give the same id in every
run and period.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from pmtool.compare import stats
from pmtool.compare.allowlist import Allowlist
from pmtool.compare.bundle import ITEM_COLUMNS, Bundle
from pmtool.compare.disclosure import Protection
from pmtool.compare.gate import GateSettings, comparability
from pmtool.compare.publication import POOL, affected_key, eligible_key, protection
from pmtool.compare.score import item_severity, score_parts
from pmtool.models.reference import ReferenceModel

#: The order of finding kinds at equal scores (ranks, and which finding leads a report card): rules carry
#: the legal text, so they come first.
ITEM_TYPE_ORDER = {"rule": 0, "case": 1, "deviation": 2}


@dataclass(frozen=True)
class CompareSettings:
    fdr: float = 0.05
    confidence: float = 0.95
    gate: GateSettings = field(default_factory=GateSettings)
    privacy_threshold: int = 5  # published counts below this are hidden (the largest a bundle asks for wins)


@dataclass(frozen=True)
class Comparison:
    """``table``: every office × item with its statistics; ``findings``: the ranked critical differences;
    ``protection``: which published cells are hidden (``None`` when read back from a cache)."""

    table: pl.DataFrame
    findings: pl.DataFrame
    settings: CompareSettings
    protection: Protection | None = None


def finding_id(process: str, item: str, office: str) -> str:
    digest = hashlib.sha256(f"{process}|{item}|{office}".encode()).hexdigest()[:10]
    return f"F-{process}-{digest}"


def privacy_threshold(bundles: Sequence[Bundle], settings: CompareSettings) -> int:
    """The publication threshold: the setting or the largest an office asked for in its bundle."""
    asked = [int(b.meta.get("suppress_below") or 0) for b in bundles]
    return max([settings.privacy_threshold, *asked])


def compare(bundles: Sequence[Bundle], references: Mapping[str, ReferenceModel], *,
            settings: CompareSettings | None = None, allowlist: Allowlist | None = None) -> Comparison:
    """Compare all offices per process and period. ``references`` maps process id → Soll model (for rule
    titles, legal basis and severity).

    The bundles' exact counts decide the pools (every comparable office at its true count) and which
    published cells are hidden (:mod:`pmtool.compare.publication`); every statistic is then computed from
    the published numbers only, so that it reveals nothing beyond them."""
    settings = settings or CompareSettings()
    allowlist = allowlist or Allowlist()
    rows = exact_rows(bundles, settings)
    if not rows.height:
        empty = pl.DataFrame()
        return Comparison(empty, empty, settings)
    hidden = protection(rows, bundles, references, privacy_threshold(bundles, settings))
    frame = _published(rows, hidden)
    parts = []
    for (process, _period), group in frame.group_by("process", "period", maintain_order=True):
        parts.append(_compare_group(group, references.get(process), settings))
    table = pl.concat(parts, how="diagonal_relaxed")
    table = table.with_columns(pl.Series("finding_id", [finding_id(p, i, o) for p, i, o in
                                                        table.select("process", "item", "office").iter_rows()]))
    table = allowlist.apply(table)
    table = table.sort(["process", "period", "item", "office"])
    # equal scores (often findings about the same cases) rank a rule before a case before a deviation: the
    # report's card of such findings is led by the one with the smallest rank
    findings = (table.filter(pl.col("finding"))
                .with_columns(pl.col("item_type").replace_strict(ITEM_TYPE_ORDER, default=len(ITEM_TYPE_ORDER),
                                                                 return_dtype=pl.Int8).alias("_type"))
                .sort(["process", "period", "score", "_type", "finding_id"],
                      descending=[False, False, True, False, False])
                .drop("_type")
                .with_columns(pl.int_range(1, pl.len() + 1).over("process", "period").alias("rank")))
    return Comparison(table, findings, settings, hidden)


def exact_rows(bundles: Sequence[Bundle], settings: CompareSettings) -> pl.DataFrame:
    """Every office × item of every process and period with the exact counts of the bundles, the gate's
    verdict, the pooled counts of the comparable offices (``k_pool``, ``n_pool``) and ``worse`` (the office's
    rate above the others'). A deviation item some offices' bundles lack (an activity only other offices'
    logs show) is 0 of their finished cases: a bundle lists every deviation its log shows."""
    rows = []
    for b in bundles:
        for item in b.items.iter_rows(named=True):
            rows.append({"process": b.process, "period": b.period, "office": b.office, **item})
    if not rows:
        return pl.DataFrame()
    frame = pl.DataFrame(rows, schema={"process": pl.String, "period": pl.String, "office": pl.String,
                                       **ITEM_COLUMNS})
    deviations = frame.filter(pl.col("item_type") == "deviation").select(
        "process", "period", "item", "item_type", "code", "activity", "rule_id").unique()
    offices = pl.DataFrame([{"process": b.process, "period": b.period, "office": b.office, "eligible": b.finished,
                             "affected": 0} for b in bundles],
                           schema={"process": pl.String, "period": pl.String, "office": pl.String,
                                   "eligible": pl.Int64, "affected": pl.Int64})
    missing = (offices.join(deviations, on=["process", "period"])
               .join(frame.select("process", "period", "office", "item"), on=["process", "period", "office", "item"],
                     how="anti"))
    frame = pl.concat([frame, missing], how="diagonal_relaxed")
    gate = comparability(bundles, settings.gate)
    frame = frame.join(gate, on=["process", "period", "office"], how="left")
    pooled = pl.col("comparable_office")
    frame = frame.with_columns(
        pl.col("affected").filter(pooled).sum().over("process", "period", "item").alias("k_pool"),
        pl.col("eligible").filter(pooled).sum().over("process", "period", "item").alias("n_pool"))
    k_oth = pl.when(pooled).then(pl.col("k_pool") - pl.col("affected")).otherwise(pl.col("k_pool"))
    n_oth = pl.when(pooled).then(pl.col("n_pool") - pl.col("eligible")).otherwise(pl.col("n_pool"))
    worse = ((pl.col("eligible") > 0) & (n_oth > 0)
             & (pl.col("affected").cast(pl.Float64) * n_oth > k_oth.cast(pl.Float64) * pl.col("eligible")))
    return frame.with_columns(worse.fill_null(False).alias("worse")).sort(["process", "period", "item", "office"])


_SUMS = ("late_hours_sum", "throughput_affected_sum", "throughput_unaffected_sum", "duration_median_hours")


def _published(rows: pl.DataFrame, hidden: Protection) -> pl.DataFrame:
    """The rows as published: hidden counts (and every sum of a row with a hidden count) become empty,
    ``suppressed`` marks those rows, ``k_all``/``n_all`` are the pooled counts unless they are hidden."""
    keys = rows.select("process", "period", "item", "item_type", "office").iter_rows()
    flags = []
    for p, per, item, kind, o in keys:
        k_key, n_key = affected_key(p, per, item, kind, o), eligible_key(p, per, item, kind, o)
        flags.append((k_key in hidden.hidden, n_key in hidden.hidden,
                      (*k_key[:4], POOL) in hidden.hidden or (*n_key[:4], POOL) in hidden.hidden))
    k_hidden, n_hidden, pool_hidden = (pl.Series(list(x), dtype=pl.Boolean) for x in zip(*flags, strict=True))
    out = rows.with_columns(k_hidden.alias("_k"), n_hidden.alias("_n"), pool_hidden.alias("_pool"))
    suppressed = pl.col("_k") | pl.col("_n")
    return out.with_columns(
        pl.when(pl.col("_k")).then(None).otherwise(pl.col("affected")).alias("affected"),
        pl.when(pl.col("_n")).then(None).otherwise(pl.col("eligible")).alias("eligible"),
        suppressed.alias("suppressed"),
        *[pl.when(suppressed).then(None).otherwise(pl.col(c)).alias(c) for c in _SUMS],
        pl.when(pl.col("_pool")).then(None).otherwise(pl.col("k_pool")).alias("k_all"),
        pl.when(pl.col("_pool")).then(None).otherwise(pl.col("n_pool")).alias("n_all"),
    ).drop("_k", "_n", "_pool", "k_pool", "n_pool", "worse")


def _compare_group(group: pl.DataFrame, reference: ReferenceModel | None, settings: CompareSettings) -> pl.DataFrame:
    """Statistics of one process and period from the published numbers of ``group`` only."""
    shown = ~group["suppressed"].to_numpy()
    pooled = group["comparable_office"].to_numpy()
    comparable = shown & pooled
    k = group["affected"].fill_null(0).to_numpy().astype(float)
    n = group["eligible"].fill_null(0).to_numpy().astype(float)
    pool_known = (group["k_all"].is_not_null() & group["n_all"].is_not_null()).to_numpy()
    k_all = group["k_all"].fill_null(0).to_numpy().astype(float)
    n_all = group["n_all"].fill_null(0).to_numpy().astype(float)
    # "others" excludes the office itself only where it is part of the pool
    k_oth = np.where(pooled, k_all - k, k_all)
    n_oth = np.where(pooled, n_all - n, n_all)
    others_known = shown & pool_known
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(shown & (n > 0), k / n, np.nan)
        rate_others = np.where(others_known & (n_oth > 0), k_oth / n_oth, np.nan)
    lo, hi = stats.wilson_interval(k, n, settings.confidence)
    lo, hi = np.where(shown, lo, np.nan), np.where(shown, hi, np.nan)
    p = np.ones(len(k))
    # items no comparable office shows are not tested: they cannot differ, and a filter on the pooled
    # total leaves Fisher's test (conditional on the margins) valid
    test = comparable & pool_known & (n > 0) & (n_oth > 0) & (k_all > 0)
    p[test] = stats.fisher_vs_rest(k[test], n[test], k[test] + k_oth[test], n[test] + n_oth[test])
    q = np.ones(len(k))
    q[test] = stats.benjamini_hochberg(p[test])
    shrunk, shrunk_lo = _shrinkage(group["item"].to_numpy(), k, n, comparable, pooled & ~shown, pool_known,
                                   k_all, n_all, settings.confidence)
    out = group.with_columns(
        pl.Series("rate", rate), pl.Series("ci_low", lo), pl.Series("ci_high", hi),
        pl.Series("rate_others", rate_others),
        pl.Series("affected_others", np.where(others_known, k_oth, np.nan)),
        pl.Series("eligible_others", np.where(others_known, n_oth, np.nan)),
        pl.Series("p_value", p), pl.Series("q_value", q), pl.Series("shrunk_rate", shrunk),
        pl.Series("shrunk_low", shrunk_lo),
    ).with_columns(pl.col("rate").fill_nan(None), pl.col("rate_others").fill_nan(None),
                   pl.col("ci_low").fill_nan(None), pl.col("ci_high").fill_nan(None),
                   pl.col("affected_others").fill_nan(None).cast(pl.Int64),
                   pl.col("eligible_others").fill_nan(None).cast(pl.Int64),
                   pl.col("shrunk_rate").fill_nan(None), pl.col("shrunk_low").fill_nan(None))
    severity = item_severity(out, reference)
    out = out.join(severity, on="item", how="left")
    out = score_parts(out)
    pool_hidden = pl.col("k_all").is_null() | pl.col("n_all").is_null()
    comparable_expr = ~pl.col("suppressed") & pl.col("comparable_office") & ~pool_hidden
    reason = (pl.when(pl.col("suppressed")).then(pl.lit("small_numbers"))
              .when(~pl.col("comparable_office")).then(pl.col("not_comparable_reason"))
              .when(pool_hidden).then(pl.lit("small_numbers_others"))
              .otherwise(pl.lit(None, pl.String)))
    direction = (pl.when(pl.col("rate").is_null() | pl.col("rate_others").is_null()).then(pl.lit(None, pl.String))
                 .when(pl.col("rate") > pl.col("rate_others")).then(pl.lit("worse"))
                 .when(pl.col("rate") < pl.col("rate_others")).then(pl.lit("better")).otherwise(pl.lit("same")))
    return out.with_columns(
        comparable_expr.alias("comparable"), reason.alias("not_comparable_reason"), direction.alias("direction"),
        (pl.col("q_value") <= settings.fdr).alias("significant"),
    ).with_columns(
        (pl.col("comparable") & pl.col("significant") & (pl.col("direction") == "worse")
         & (pl.col("score") > 0)).alias("finding"))


def _shrinkage(items: np.ndarray, k: np.ndarray, n: np.ndarray, comparable: np.ndarray, hidden: np.ndarray,
               pool_known: np.ndarray, k_all: np.ndarray, n_all: np.ndarray,
               confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Empirical-Bayes rate and lower posterior bound of every comparable, published office. The prior of an
    item is estimated from the published offices and, as one more member, the hidden comparable offices
    together (their pooled count, which the published numbers determine) — so it depends on no hidden
    count by itself, and publishing shrunk rates reveals nothing about one."""
    shrunk = np.full(len(k), np.nan)
    shrunk_lo = np.full(len(k), np.nan)
    for item in np.unique(items):
        mine = items == item
        idx = np.where(mine & comparable & (n > 0))[0]
        first = np.where(mine)[0][0]
        if idx.size == 0 or not pool_known[first]:
            continue
        ks, ns = list(k[idx]), list(n[idx])
        if hidden[mine].any():
            k_rest = k_all[first] - k[mine & comparable].sum()
            n_rest = n_all[first] - n[mine & comparable].sum()
            if n_rest > 0:
                ks.append(k_rest)
                ns.append(n_rest)
        prior = stats.beta_prior(np.array(ks), np.array(ns))
        shrunk[idx] = stats.shrink(k[idx], n[idx], prior)
        shrunk_lo[idx] = stats.shrunk_interval(k[idx], n[idx], prior, confidence)[0]
    return shrunk, shrunk_lo
