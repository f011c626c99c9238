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
from pmtool.compare.bundle import Bundle
from pmtool.compare.gate import GateSettings, comparability
from pmtool.compare.score import item_severity, score_parts
from pmtool.models.reference import ReferenceModel


@dataclass(frozen=True)
class CompareSettings:
    fdr: float = 0.05
    confidence: float = 0.95
    gate: GateSettings = field(default_factory=GateSettings)


@dataclass(frozen=True)
class Comparison:
    """``table``: every office × item with its statistics; ``findings``: the ranked critical differences."""

    table: pl.DataFrame
    findings: pl.DataFrame
    settings: CompareSettings


def finding_id(process: str, item: str, office: str) -> str:
    digest = hashlib.sha256(f"{process}|{item}|{office}".encode()).hexdigest()[:10]
    return f"F-{process}-{digest}"


def compare(bundles: Sequence[Bundle], references: Mapping[str, ReferenceModel], *,
            settings: CompareSettings | None = None, allowlist: Allowlist | None = None) -> Comparison:
    """Compare all offices per process and period. ``references`` maps process id → Soll model (for rule
    titles, legal basis and severity)."""
    settings = settings or CompareSettings()
    allowlist = allowlist or Allowlist()
    rows = []
    for b in bundles:
        for item in b.items.iter_rows(named=True):
            rows.append({"process": b.process, "period": b.period, "office": b.office, **item})
    if not rows:
        empty = pl.DataFrame()
        return Comparison(empty, empty, settings)
    frame = pl.DataFrame(rows, infer_schema_length=None)
    gate = comparability(bundles, settings.gate)
    frame = frame.join(gate, on=["process", "period", "office"], how="left")
    parts = []
    for (process, _period), group in frame.group_by("process", "period", maintain_order=True):
        parts.append(_compare_group(group, references.get(process), settings))
    table = pl.concat(parts, how="diagonal_relaxed")
    table = table.with_columns(pl.Series("finding_id", [finding_id(p, i, o) for p, i, o in
                                                        table.select("process", "item", "office").iter_rows()]))
    table = allowlist.apply(table)
    table = table.sort(["process", "period", "item", "office"])
    findings = (table.filter(pl.col("finding"))
                .sort(["process", "period", "score", "finding_id"], descending=[False, False, True, False])
                .with_columns(pl.int_range(1, pl.len() + 1).over("process", "period").alias("rank")))
    return Comparison(table, findings, settings)


def _compare_group(group: pl.DataFrame, reference: ReferenceModel | None, settings: CompareSettings) -> pl.DataFrame:
    usable = group.filter(~pl.col("suppressed") & pl.col("comparable_office"))
    totals = usable.group_by("item").agg(pl.col("affected").sum().alias("k_all"),
                                         pl.col("eligible").sum().alias("n_all"))
    group = group.join(totals, on="item", how="left").with_columns(pl.col("k_all").fill_null(0),
                                                                   pl.col("n_all").fill_null(0))
    k = group["affected"].fill_null(0).to_numpy().astype(float)
    n = group["eligible"].fill_null(0).to_numpy().astype(float)
    comparable = (~group["suppressed"] & group["comparable_office"]).to_numpy()
    k_all = group["k_all"].to_numpy().astype(float)
    n_all = group["n_all"].to_numpy().astype(float)
    # "others" excludes the office itself only where it is part of the pooled totals
    k_oth = np.where(comparable, k_all - k, k_all)
    n_oth = np.where(comparable, n_all - n, n_all)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n > 0, k / n, np.nan)
        rate_others = np.where(n_oth > 0, k_oth / n_oth, np.nan)
    lo, hi = stats.wilson_interval(k, n, settings.confidence)
    p = np.ones(len(k))
    test = comparable & (n > 0) & (n_oth > 0)
    p[test] = stats.fisher_vs_rest(k[test], n[test], k[test] + k_oth[test], n[test] + n_oth[test])
    q = np.ones(len(k))
    q[test] = stats.benjamini_hochberg(p[test])
    shrunk = np.full(len(k), np.nan)
    shrunk_lo = np.full(len(k), np.nan)
    items = group["item"].to_numpy()
    for item in np.unique(items):
        idx = np.where((items == item) & comparable & (n > 0))[0]
        if idx.size == 0:
            continue
        prior = stats.beta_prior(k[idx], n[idx])
        shrunk[idx] = stats.shrink(k[idx], n[idx], prior)
        shrunk_lo[idx] = stats.shrunk_interval(k[idx], n[idx], prior, settings.confidence)[0]
    out = group.with_columns(
        pl.Series("rate", rate), pl.Series("ci_low", lo), pl.Series("ci_high", hi),
        pl.Series("rate_others", rate_others), pl.Series("affected_others", k_oth.astype(np.int64)),
        pl.Series("eligible_others", n_oth.astype(np.int64)),
        pl.Series("p_value", p), pl.Series("q_value", q), pl.Series("shrunk_rate", shrunk),
        pl.Series("shrunk_low", shrunk_lo),
    ).with_columns(pl.col("rate").fill_nan(None), pl.col("rate_others").fill_nan(None),
                   pl.col("shrunk_rate").fill_nan(None), pl.col("shrunk_low").fill_nan(None))
    severity = item_severity(out, reference)
    out = out.join(severity, on="item", how="left")
    out = score_parts(out)
    comparable_expr = ~pl.col("suppressed") & pl.col("comparable_office")
    reason = (pl.when(pl.col("suppressed")).then(pl.lit("small_numbers"))
              .when(~pl.col("comparable_office")).then(pl.col("not_comparable_reason"))
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
