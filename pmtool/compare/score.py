"""The critical-difference score, transparent and documented: every finding carries its three parts.

    score = 100 × excess share × severity weight × impact factor

- **excess share**: how many more cases (as a share) the office affects than all other offices, taken
  conservatively: the lower end of the 95 % posterior interval of the office's rate (empirical Bayes,
  so a handful of cases cannot produce a large value) minus the pooled rate of the others; 0 if negative.
- **severity weight**: legal basis × severity from the rule pack — legal 1.0, service level 0.6, style 0.3;
  high 1.0, medium 0.7, low 0.4. Deviations of an activity take the strongest rule that names it
  (``absent`` rules included); never-closed cases the strongest ``mandatory`` rule without ``if_present`` on a
  closing activity of the Soll (default: service level, medium).
- **impact factor**: 1 + (impact in days, capped at 20) / 20, between 1 and 2. Impact is the mean time
  over the deadline for deadline rules, else the added mean throughput time of affected over unaffected
  cases in the office.
"""

from __future__ import annotations

import polars as pl

from pmtool.models.reference import ReferenceModel

BASIS_WEIGHT = {"legal": 1.0, "service_level": 0.6, "style": 0.3}
SEVERITY_WEIGHT = {"high": 1.0, "medium": 0.7, "low": 0.4}
DEFAULT_BASIS, DEFAULT_SEVERITY = "service_level", "medium"
IMPACT_CAP_DAYS = 20.0


def _rank(basis: str, severity: str) -> float:
    return BASIS_WEIGHT[basis] * SEVERITY_WEIGHT[severity]


def item_severity(table: pl.DataFrame, reference: ReferenceModel | None) -> pl.DataFrame:
    """Per item: basis, severity, severity_weight, and the rule's title and legal source (for rule items)."""
    rules = reference.rules.rules if reference is not None and reference.rules is not None else ()
    by_id = {r.id: r for r in rules}
    rows = []
    for item, rule_id, activity in table.select("item", "rule_id", "activity").unique().iter_rows():
        basis, severity, title, title_en, source = DEFAULT_BASIS, DEFAULT_SEVERITY, None, None, None
        if rule_id and rule_id in by_id:
            r = by_id[rule_id]
            basis, severity, title, title_en, source = r.basis, r.severity, r.title, r.title_en, r.source
        elif activity:
            related = [r for r in rules if activity in r.activities]
            if related:
                best = max(related, key=lambda r: _rank(r.basis, r.severity))
                basis, severity, source = best.basis, best.severity, best.source
        elif item == "case:NO_CLOSURE":
            ends = reference.closing if reference is not None else frozenset()
            closing = [r for r in rules if r.kind == "mandatory" and not r.if_present and r.activity in ends]
            if closing:
                best = max(closing, key=lambda r: _rank(r.basis, r.severity))
                basis, severity = best.basis, best.severity
        rows.append({"item": item, "basis": basis, "severity": severity,
                     "severity_weight": round(_rank(basis, severity), 6), "rule_title": title,
                     "rule_title_en": title_en, "legal_source": source or None})
    return pl.DataFrame(rows, schema={"item": pl.String, "basis": pl.String, "severity": pl.String,
                                      "severity_weight": pl.Float64, "rule_title": pl.String,
                                      "rule_title_en": pl.String, "legal_source": pl.String})


def score_parts(table: pl.DataFrame) -> pl.DataFrame:
    """Add excess_share, impact_hours, impact_factor and score."""
    affected = pl.col("affected").cast(pl.Float64)
    unaffected = (pl.col("eligible") - pl.col("affected")).cast(pl.Float64)
    added = (pl.col("throughput_affected_sum") / affected) - (pl.col("throughput_unaffected_sum") / unaffected)
    impact = (pl.when(pl.col("code") == "DEADLINE").then(pl.col("late_hours_sum") / affected)
              .otherwise(added))
    impact = pl.when(affected > 0).then(impact).otherwise(None)
    excess = (pl.col("shrunk_low") - pl.col("rate_others")).clip(lower_bound=0.0).fill_null(0.0)
    factor = 1.0 + (impact.fill_nan(None).fill_null(0.0).clip(lower_bound=0.0) / 24.0).clip(
        upper_bound=IMPACT_CAP_DAYS) / IMPACT_CAP_DAYS
    return table.with_columns(
        excess.alias("excess_share"), impact.fill_nan(None).alias("impact_hours"), factor.alias("impact_factor"),
    ).with_columns(
        (100.0 * pl.col("excess_share") * pl.col("severity_weight") * pl.col("impact_factor")).round(6)
        .alias("score"))
