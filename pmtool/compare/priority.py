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

*Only what was compared is ranked.* A process whose offices could not be compared (fewer than two passed
the comparability gate, :mod:`pmtool.compare.outcome`) keeps its factors as facts but gets no share, no
priority and no rank (``comparable`` false): a rank made of case volume alone would read as a
recommendation the comparison refused. The shares are taken over the comparable processes only.

The factors come from the bundles' exact counts. A count the comparison hides (``hidden``, see
:mod:`pmtool.compare.publication`: a process with fewer legal-rule violations than the privacy threshold,
say) is not printed: the factor (and its count) is empty and the priority is the weighted mean of the
others. An office whose fitting cases are hidden does not count for the spread.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import polars as pl

from pmtool.compare.bundle import Bundle
from pmtool.compare.publication import ALL
from pmtool.models.reference import ReferenceModel
from pmtool.vocabulary import vocabulary

FACTORS = ("volume", "nonconformance", "spread", "legal_risk", "time_lost")
#: The default weight of every factor: the priority is their plain mean.
DEFAULT_WEIGHTS: dict[str, float] = dict.fromkeys(FACTORS, 1.0)


def priority_matrix(bundles: Sequence[Bundle], references: Mapping[str, ReferenceModel],
                    min_cases: int = 5, hidden: frozenset = frozenset(),
                    weights: Mapping[str, float] | None = None,
                    names: Mapping[str, str] | None = None,
                    comparable: Collection[str] | None = None) -> pl.DataFrame:
    """One row per process: the factors, their share of the largest (``<factor>_norm``), the weights used
    (``<factor>_weight``), the priority (weighted mean of the shares present), the reasons and the rank.

    ``hidden``: the cells the comparison does not publish; ``weights``: factor → weight ≥ 0 (missing
    factors weigh 1, see :data:`DEFAULT_WEIGHTS`); ``comparable``: the processes whose offices were
    compared (default: all) — the others are not ranked (see the module docstring).
    """
    weight = {**DEFAULT_WEIGHTS, **(weights or {})}
    rows = []
    for process in sorted({b.process for b in bundles}):
        bs = [b for b in bundles if b.process == process]
        cases = sum(b.cases for b in bs)
        fitness = sum(b.fitness_sum for b in bs) / cases if cases else 1.0
        deviating = sum(b.cases - b.fitting for b in bs)
        office_share = [(b.cases - b.fitting) / b.cases for b in bs if b.cases >= min_cases
                        and ("fitting", process, b.period, None, b.office) not in hidden]
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
        fitting_hidden = cases_hidden or any(("fitting", process, b.period, None, ALL) in hidden for b in bs)
        name = (names or {}).get(process) or vocabulary().process_title(process) or process
        rows.append({"process": process, "process_name": name,
                     "comparable": comparable is None or process in comparable,
                     "cases": None if cases_hidden else cases, "offices": len(bs), "fitness": fitness,
                     "deviating_cases": None if fitting_hidden else deviating,
                     "legal_violated": None if legal_hidden else int(k),
                     "legal_checked": None if legal_hidden else int(n),
                     "volume": None if cases_hidden else float(cases),
                     "nonconformance": None if fitting_hidden else deviating / cases if cases else 0.0,
                     "spread": (max(office_share) - min(office_share)) if office_share else 0.0,
                     "legal_risk": None if legal_hidden else (k / n) if n else 0.0,
                     "time_lost": (late / cases) if cases else 0.0})
    frame = pl.DataFrame(rows, schema_overrides={
        "legal_risk": pl.Float64, "cases": pl.Int64, "volume": pl.Float64, "nonconformance": pl.Float64,
        "deviating_cases": pl.Int64, "legal_violated": pl.Int64, "legal_checked": pl.Int64})
    if frame.height == 0:
        return frame
    ranked = pl.col("comparable")
    # each factor's share of its largest value among the ranked processes; none for the others
    norm = [pl.when(pl.col(f).is_null() | ~ranked).then(None)
            .otherwise((pl.col(f) / pl.col(f).filter(ranked).max()).fill_nan(0.0).fill_null(0.0)).alias(f"{f}_norm")
            for f in FACTORS]
    # the weighted mean of the factors present: a hidden factor neither counts nor weighs
    present = [pl.col(f"{f}_norm").is_not_null().cast(pl.Float64) * weight[f] for f in FACTORS]
    total = pl.max_horizontal(pl.sum_horizontal(present), pl.lit(1e-12))
    frame = frame.with_columns(norm).with_columns(
        *(pl.lit(weight[f]).alias(f"{f}_weight") for f in FACTORS),
        pl.when(ranked).then(pl.sum_horizontal([pl.col(f"{f}_norm").fill_null(0.0) * weight[f] for f in FACTORS])
                             / total).alias("priority"))
    several = int(frame["comparable"].sum()) > 1
    reasons = []
    for row in frame.iter_rows(named=True):
        top = [f for f in FACTORS if row["comparable"] and weight[f] > 0 and row[f] is not None
               and row[f"{f}_norm"] >= 0.75 and row[f] > 0]
        reasons.append(",".join(top) if several else "")
    frame = (frame.with_columns(pl.Series("reasons", reasons))
             .sort(["comparable", "priority", "process"], descending=[True, True, False], nulls_last=True))
    return frame.with_columns(pl.when(ranked).then(pl.int_range(1, pl.len() + 1)).cast(pl.Int64).alias("rank"))
