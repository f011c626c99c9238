"""How well the cases of each office fit a model: the numbers of ``pmtool conform`` for any net.

The cases come as ``(office, variant, cases)`` counts taken from a :class:`ConformanceResult`'s case table,
so every model is scored on exactly the variants ``pmtool conform`` aligned (task labels applied, start and
complete events joined). Per office, as :func:`pmtool.conform.conformance.conform` computes them:

- ``fitness``: mean alignment fitness over the cases whose alignment finished (bounded ones have none);
- ``fitting_share``: share of those cases with fitness 1.0 (the conforming cases);
- ``precision``: align-ETConformance on the office's aligned variants;
- ``bounded``: cases whose alignment hit the search bound (labelled, not scored).
"""

from __future__ import annotations

import polars as pl

from pmtool.conform.alignments import AlignmentCache, align_variants
from pmtool.conform.conformance import MAX_STATES
from pmtool.conform.precision import precision
from pmtool.eventlog import schema
from pmtool.models.petri import PetriNet

SCORE_SCHEMA = {schema.OFFICE: pl.String, "cases": pl.Int64, "fitness": pl.Float64, "fitting_share": pl.Float64,
                "precision": pl.Float64, "bounded": pl.Int64}


def variant_counts(cases: pl.DataFrame) -> pl.DataFrame:
    """``office, variant, cases`` from a conformance result's case table, sorted (deterministic order)."""
    return (cases.group_by(schema.OFFICE, "variant").agg(pl.len().cast(pl.Int64).alias("cases"))
            .sort([schema.OFFICE, "cases", "variant"], descending=[False, True, False]))


def score(net: PetriNet, counts: pl.DataFrame, *, workers: int = 2, cache: AlignmentCache | None = None,
          max_states: int = MAX_STATES, with_precision: bool = True) -> pl.DataFrame:
    """Per office of ``counts`` (see :func:`variant_counts`): cases, fitness, fitting share, precision and
    bounded cases of ``net`` (schema :data:`SCORE_SCHEMA`)."""
    distinct = list(dict.fromkeys(tuple(v) for v in counts["variant"].to_list()))
    aligned = dict(zip(distinct, align_variants(net, distinct, workers=workers, cache=cache,
                                                max_states=max_states), strict=True))
    rows = []
    for (office,), part in counts.group_by(schema.OFFICE, maintain_order=True):
        pairs = [(tuple(v), n) for v, n in part.select("variant", "cases").iter_rows()]
        scored = [(aligned[v].fitness, n) for v, n in pairs if aligned[v].fitness is not None]
        total = sum(n for _, n in scored)
        kept = [(v, n) for v, n in pairs if not aligned[v].bounded]
        rows.append({
            schema.OFFICE: office,
            "cases": sum(n for _, n in pairs),
            "fitness": sum(f * n for f, n in scored) / total if total else None,
            "fitting_share": sum(n for f, n in scored if f == 1.0) / total if total else None,
            "precision": precision(net, kept) if with_precision and kept else None,
            "bounded": sum(n for v, n in pairs if aligned[v].bounded),
        })
    return pl.DataFrame(rows, schema=SCORE_SCHEMA).sort(schema.OFFICE)


def pooled_precision(net: PetriNet, counts: pl.DataFrame, *, workers: int = 2,
                     cache: AlignmentCache | None = None, max_states: int = MAX_STATES) -> float | None:
    """Precision of ``net`` on the variants of all offices together (bounded ones left out)."""
    pooled = counts.group_by("variant").agg(pl.col("cases").sum()).sort(["cases", "variant"],
                                                                         descending=[True, False])
    distinct = [tuple(v) for v in pooled["variant"].to_list()]
    aligned = align_variants(net, distinct, workers=workers, cache=cache, max_states=max_states)
    kept = [(v, n) for v, n, a in zip(distinct, pooled["cases"].to_list(), aligned, strict=True) if not a.bounded]
    return precision(net, kept) if kept else None
