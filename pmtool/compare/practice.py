"""Best practice: for each finding, the offices that do this part best and what they do differently."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from pmtool.compare.bundle import Bundle
from pmtool.models.reference import ReferenceModel


def best_practice(table: pl.DataFrame, bundles: Sequence[Bundle], references: dict[str, ReferenceModel],
                  top: int = 2) -> pl.DataFrame:
    """Per finding: ``best_offices`` (lowest shrunk rate among comparable offices, ties by office id), their
    rates, the median duration of the rule's interval there (deadline rules), and ``fragment``: the most
    common path through the activity in the best office (from its directly-follows counts)."""
    edges = {(b.process, b.period, b.office): b.edges for b in bundles}
    candidates = table.filter(pl.col("comparable") & pl.col("shrunk_rate").is_not_null())
    rows = []
    for row in table.filter(pl.col("finding")).iter_rows(named=True):
        peers = (candidates.filter((pl.col("process") == row["process"]) & (pl.col("period") == row["period"])
                                   & (pl.col("item") == row["item"]) & (pl.col("office") != row["office"]))
                 .sort(["shrunk_rate", "office"]).head(top))
        best = peers["office"].to_list()
        activity = row.get("activity") or _rule_activity(row, references)
        fragment = _fragment(edges.get((row["process"], row["period"], best[0]), ()), activity) if best else None
        rows.append({
            "finding_id": row["finding_id"], "best_offices": ", ".join(best),
            "best_rate": peers["rate"].to_list()[0] if best else None,
            "best_duration_median_hours": peers["duration_median_hours"].to_list()[0] if best else None,
            "fragment": fragment,
        })
    return pl.DataFrame(rows, schema={"finding_id": pl.String, "best_offices": pl.String, "best_rate": pl.Float64,
                                      "best_duration_median_hours": pl.Float64, "fragment": pl.String})


def _rule_activity(row: dict, references: dict[str, ReferenceModel]) -> str | None:
    ref = references.get(row["process"])
    if ref is None or ref.rules is None or not row.get("rule_id"):
        return None
    rule = ref.rules.by_id.get(row["rule_id"])
    return (rule.end or rule.activity or rule.then) if rule else None


def _fragment(edges: Sequence[tuple[str, str, int]], activity: str | None) -> str | None:
    if not activity:
        return None
    into = sorted((e for e in edges if e[1] == activity), key=lambda e: (-e[2], e[0]))
    out = sorted((e for e in edges if e[0] == activity), key=lambda e: (-e[2], e[1]))
    if not into and not out:
        return None
    parts = ([into[0][0]] if into else []) + [activity] + ([out[0][1]] if out else [])
    return " → ".join(parts)
