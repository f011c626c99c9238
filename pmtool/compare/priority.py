"""The process prioritisation matrix: which process to standardise first, and why.

Per process, five factors from the bundles: volume (cases), non-conformance (the share of cases that do not
follow the Soll completely, i.e. fitness below 1 — not 1 − mean fitness, which reads as a share but is
not one), spread between offices (largest minus smallest office share of such cases, among offices with at
least ``min_cases`` cases), legal risk (share of legal-rule checks violated) and time lost (hours over
deadlines per case). The counts behind the shares are columns of their own (``deviating_cases``,
``legal_violated``, ``legal_checked``), so every share can be shown as "k von n". Each factor is divided
by its largest value across processes (0..1); the priority is their weighted mean, with the weights the
project file sets in ``[priorities]`` (default: every factor 1, the plain mean). The table records the
weights it used. The reasons name the factors with weight where the process is highest or above three
quarters of the highest; with a single process there is nothing to be highest against, so none is named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from pmtool.compare.bundle import Bundle
from pmtool.models.reference import ReferenceModel

FACTORS = ("volume", "nonconformance", "spread", "legal_risk", "time_lost")
#: The default weight of every factor: the priority is their plain mean.
DEFAULT_WEIGHTS: dict[str, float] = dict.fromkeys(FACTORS, 1.0)


def priority_matrix(bundles: Sequence[Bundle], references: Mapping[str, ReferenceModel],
                    min_cases: int = 5, weights: Mapping[str, float] | None = None) -> pl.DataFrame:
    """One row per process: the factors, their share of the largest (``<factor>_norm``), the weights used
    (``<factor>_weight``), the priority (weighted mean of the shares), the reasons and the rank.

    ``weights``: factor → weight ≥ 0 (missing factors weigh 1, see :data:`DEFAULT_WEIGHTS`).
    """
    weight = {**DEFAULT_WEIGHTS, **(weights or {})}
    rows = []
    for process in sorted({b.process for b in bundles}):
        bs = [b for b in bundles if b.process == process]
        cases = sum(b.cases for b in bs)
        fitness = sum(b.fitness_sum for b in bs) / cases if cases else 1.0
        deviating = sum(b.cases - b.fitting for b in bs)
        office_share = [(b.cases - b.fitting) / b.cases for b in bs if b.cases >= min_cases]
        ref = references.get(process)
        legal = {r.id for r in ref.rules.rules if r.basis == "legal"} if ref and ref.rules else set()
        k = n = late = 0.0
        for b in bs:
            items = b.items.filter(~pl.col("suppressed"))
            legal_items = items.filter(pl.col("rule_id").is_in(list(legal)))
            k += legal_items["affected"].sum() or 0
            n += legal_items["eligible"].sum() or 0
            late += items.filter(pl.col("code") == "DEADLINE")["late_hours_sum"].sum() or 0.0
        rows.append({"process": process, "process_name": ref.name if ref else process, "cases": cases,
                     "offices": len(bs), "fitness": fitness, "deviating_cases": deviating,
                     "legal_violated": int(k), "legal_checked": int(n),
                     "volume": float(cases), "nonconformance": deviating / cases if cases else 0.0,
                     "spread": (max(office_share) - min(office_share)) if office_share else 0.0,
                     "legal_risk": (k / n) if n else 0.0, "time_lost": (late / cases) if cases else 0.0})
    frame = pl.DataFrame(rows)
    if frame.height == 0:
        return frame
    norm = [(pl.col(f) / pl.col(f).max()).fill_nan(0.0).fill_null(0.0).alias(f"{f}_norm") for f in FACTORS]
    total = sum(weight[f] for f in FACTORS) or 1.0
    frame = frame.with_columns(norm).with_columns(
        *(pl.lit(weight[f]).alias(f"{f}_weight") for f in FACTORS),
        (pl.sum_horizontal([pl.col(f"{f}_norm") * weight[f] for f in FACTORS]) / total).alias("priority"))
    reasons = []
    for row in frame.iter_rows(named=True):
        top = [f for f in FACTORS if weight[f] > 0 and row[f"{f}_norm"] >= 0.75 and row[f] > 0]
        reasons.append(",".join(top) if frame.height > 1 else "")
    return (frame.with_columns(pl.Series("reasons", reasons))
            .sort(["priority", "process"], descending=[True, False])
            .with_columns(pl.int_range(1, pl.len() + 1).alias("rank")))
