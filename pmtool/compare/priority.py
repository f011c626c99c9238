"""The process prioritisation matrix: which process to standardise first, and why.

Per process, five factors from the bundles: volume (cases), non-conformance (1 − mean fitness), spread
between offices (max − min of the offices' mean fitness), legal risk (share of legal-rule checks
violated) and time lost (hours over deadlines per case). Each factor is divided by its largest value
across processes (0..1); the priority is their mean. The reasons name the factors where the process is
highest or above three quarters of the highest.

The factors come from the bundles' exact counts. A count the comparison hides (``hidden``, see
:mod:`pmtool.compare.publication`: a process with fewer legal-rule violations than the privacy threshold,
say) is not printed: the factor is empty and the priority is the mean of the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from pmtool.compare.bundle import Bundle
from pmtool.compare.publication import ALL
from pmtool.models.reference import ReferenceModel

FACTORS = ("volume", "nonconformance", "spread", "legal_risk", "time_lost")


def priority_matrix(bundles: Sequence[Bundle], references: Mapping[str, ReferenceModel],
                    min_cases: int = 5, hidden: frozenset = frozenset()) -> pl.DataFrame:
    """One row per process with its factors, their share of the largest (``<factor>_norm``), the priority,
    the reasons and the rank."""
    rows = []
    for process in sorted({b.process for b in bundles}):
        bs = [b for b in bundles if b.process == process]
        cases = sum(b.cases for b in bs)
        fitness = sum(b.fitness_sum for b in bs) / cases if cases else 1.0
        office_fit = [b.fitness_sum / b.cases for b in bs if b.cases >= min_cases]
        ref = references.get(process)
        legal = {r.id for r in ref.rules.rules if r.basis == "legal"} if ref and ref.rules else set()
        k = n = late = 0.0
        for b in bs:
            legal_items = b.items.filter(pl.col("rule_id").is_in(sorted(legal)))
            k += legal_items["affected"].sum() or 0
            n += legal_items["eligible"].sum() or 0
            late += b.items.filter(pl.col("code") == "DEADLINE")["late_hours_sum"].sum() or 0.0
        legal_hidden = any((c, process, None, None, ALL) in hidden for c in ("legal_affected", "legal_eligible"))
        cases_hidden = ("cases", process, None, None, ALL) in hidden
        rows.append({"process": process, "process_name": ref.name if ref else process,
                     "cases": None if cases_hidden else cases, "offices": len(bs), "fitness": fitness,
                     "volume": None if cases_hidden else float(cases), "nonconformance": 1 - fitness,
                     "spread": (max(office_fit) - min(office_fit)) if office_fit else 0.0,
                     "legal_risk": None if legal_hidden else (k / n) if n else 0.0,
                     "time_lost": (late / cases) if cases else 0.0})
    frame = pl.DataFrame(rows, schema_overrides={"legal_risk": pl.Float64, "cases": pl.Int64, "volume": pl.Float64})
    if frame.height == 0:
        return frame
    norm = [pl.when(pl.col(f).is_null()).then(None).otherwise((pl.col(f) / pl.col(f).max()).fill_nan(0.0)
                                                              .fill_null(0.0)).alias(f"{f}_norm") for f in FACTORS]
    frame = frame.with_columns(norm).with_columns(
        pl.mean_horizontal([pl.col(f"{f}_norm") for f in FACTORS]).alias("priority"))
    reasons = []
    for row in frame.iter_rows(named=True):
        top = [f for f in FACTORS if row[f] is not None and row[f"{f}_norm"] >= 0.75 and row[f] > 0]
        reasons.append(",".join(top))
    return (frame.with_columns(pl.Series("reasons", reasons))
            .sort(["priority", "process"], descending=[True, False])
            .with_columns(pl.int_range(1, pl.len() + 1).alias("rank")))
