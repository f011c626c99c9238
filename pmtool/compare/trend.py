"""Trend: each finding's rate per period, to follow the adoption of a Soll process over time."""

from __future__ import annotations

import polars as pl


def trend(table: pl.DataFrame) -> pl.DataFrame:
    """Rates per finding id (office × process × item) and period, for all periods in the comparison table;
    only for items that are a finding in at least one period."""
    ids = table.filter(pl.col("finding"))["finding_id"].unique()
    return (table.filter(pl.col("finding_id").is_in(ids.implode()))
            .select("finding_id", "process", "office", "item", "period", "eligible", "affected", "rate",
                    "rate_others", "comparable")
            .sort(["finding_id", "period"]))
