"""Cross-office conformance: every office's log against every office's Ist model and against the Soll.

The matrix (office log × model) holds fitness, the share of conforming cases and precision, computed as
``pmtool conform`` computes them (alignments per distinct variant, bounded; :mod:`pmtool.design.scoring`),
so the Soll column equals ``pmtool conform``'s summary. This is the comparison of process variants by
alignments of cross-organisational process mining: each organisation's executions against the common design
and against each other's variants.

**Groups of offices that work alike** come from hierarchical clustering on the Ist columns: the distance of
offices *a* and *b* is ``1 − (fitness(a's log, b's model) + fitness(b's log, a's model)) / 2`` (symmetrised),
clusters are merged by average linkage (UPGMA); ties merge the pair with the smallest office ids first, so the
grouping is the same in every run. The dendrogram is cut where its merge heights jump most (the largest gap
between consecutive merges), unless no gap reaches :data:`MIN_GAP` — then the offices form one group, as
their mutual fitness leaves nothing to separate them; a fixed ``threshold`` replaces the automatic cut. The
method and the cut are named in every output (:data:`METHOD`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from pmtool.conform.alignments import AlignmentCache
from pmtool.design.scoring import score, variant_counts
from pmtool.eventlog import schema
from pmtool.models.petri import PetriNet

#: The smallest jump of the merge heights that separates groups (in units of fitness).
MIN_GAP = 0.005
SOLL = "Soll"
METHOD = "hierarchical clustering, average linkage (UPGMA), distance 1 − mutual fitness (symmetrised)"


@dataclass(frozen=True)
class CrossConformance:
    """``matrix``: one row per process × office log × model (``model`` is an office id or ``Soll``) with
    cases, fitness, fitting_share, precision and bounded; ``distances``: office × office distances per
    process; ``groups``: one row per process and office with its ``group`` (1, 2 … in order of the smallest
    office id), the method and the ``cut`` (the distance up to which groups were merged)."""

    matrix: pl.DataFrame
    distances: pl.DataFrame
    groups: pl.DataFrame
    method: str = METHOD

    def frames(self) -> dict[str, pl.DataFrame]:
        return {"cross_conformance": self.matrix, "office_distances": self.distances, "office_groups": self.groups}

    def _repr_html_(self) -> str:
        from pmtool.display import html_of  # how Jupyter shows it (pmtool.display)

        return html_of(self)


def cross_conformance(process: str, cases: pl.DataFrame, soll: PetriNet, ist: Mapping[str, PetriNet], *,
                      threshold: float | None = None, workers: int = 2, cache: AlignmentCache | None = None,
                      max_states: int | None = None) -> CrossConformance:
    """The matrix and groups of one process: ``cases`` is the case table of its conformance result,
    ``soll`` the Soll net as conformance used it, ``ist`` the Ist net per office; ``threshold`` cuts the
    dendrogram at a fixed distance instead of its largest gap."""
    counts = variant_counts(cases)
    extra = {} if max_states is None else {"max_states": max_states}
    parts = []
    for model, net in [(SOLL, soll), *sorted(ist.items())]:
        scored = score(net, counts, workers=workers, cache=cache, **extra)
        parts.append(scored.select(pl.lit(process).alias("process"), schema.OFFICE, pl.lit(model).alias("model"),
                                   pl.lit("soll" if model == SOLL else "ist").alias("model_kind"),
                                   "cases", "fitness", "fitting_share", "precision", "bounded"))
    matrix = pl.concat(parts)
    offices = sorted(set(ist) & set(counts[schema.OFFICE].to_list()))
    fit = {(o, m): f for o, m, f in matrix.select(schema.OFFICE, "model", "fitness").iter_rows()}
    dist = {(a, b): _distance(fit, a, b) for a in offices for b in offices}
    distances = pl.DataFrame([{"process": process, "office": a, "other": b, "distance": dist[(a, b)]}
                              for a in offices for b in offices],
                             schema={"process": pl.String, "office": pl.String, "other": pl.String,
                                     "distance": pl.Float64})
    merges = average_linkage(offices, dist)
    cut = threshold if threshold is not None else largest_gap(merges)
    clusters = cut_at(offices, merges, cut)
    groups = pl.DataFrame([{"process": process, "office": o, "group": g, "group_size": len(members),
                            "method": METHOD, "cut": cut}
                           for g, members in enumerate(clusters, 1) for o in members],
                          schema={"process": pl.String, "office": pl.String, "group": pl.Int64,
                                  "group_size": pl.Int64, "method": pl.String, "cut": pl.Float64})
    return CrossConformance(matrix, distances, groups)


def combine(parts: Sequence[CrossConformance]) -> CrossConformance:
    """Several processes' results in one."""
    return CrossConformance(pl.concat([p.matrix for p in parts]), pl.concat([p.distances for p in parts]),
                            pl.concat([p.groups for p in parts]))


def _distance(fit: Mapping[tuple[str, str], float | None], a: str, b: str) -> float:
    if a == b:
        return 0.0
    ab, ba = fit.get((a, b)), fit.get((b, a))
    known = [f for f in (ab, ba) if f is not None]
    return 1.0 - sum(known) / len(known) if known else 1.0


def average_linkage(items: Sequence[str], dist: Mapping[tuple[str, str], float]) -> list[tuple[float, int, int]]:
    """The merges of agglomerative clustering with average linkage, as ``(height, i, j)``: clusters are
    numbered as in scipy (the items 0 … n−1 in sorted order, then each merge n, n+1 …).

    >>> d = {(a, b): 0.0 if a == b else (0.01 if {a, b} == {"A", "B"} else 0.5) for a in "ABC" for b in "ABC"}
    >>> average_linkage(["A", "B", "C"], d)
    [(0.01, 0, 1), (0.5, 2, 3)]
    """
    names = sorted(items)
    clusters: dict[int, list[str]] = {i: [x] for i, x in enumerate(names)}
    merges = []
    nxt = len(names)

    def between(c: list[str], d: list[str]) -> float:
        return sum(dist[(a, b)] for a in c for b in d) / (len(c) * len(d))

    while len(clusters) > 1:
        ids = sorted(clusters)
        height, i, j = min(((between(clusters[i], clusters[j]), i, j) for i in ids for j in ids if i < j),
                           key=lambda x: (round(x[0], 12), min(clusters[x[1]] + clusters[x[2]]), x[1], x[2]))
        merges.append((round(height, 12), i, j))
        clusters[nxt] = sorted(clusters.pop(i) + clusters.pop(j))
        nxt += 1
    return merges


def largest_gap(merges: Sequence[tuple[float, int, int]], min_gap: float = MIN_GAP) -> float:
    """The cut height: just below the merge after the largest jump between consecutive merge heights; the
    last merge's height (one group) when no jump reaches ``min_gap``."""
    heights = [h for h, _, _ in merges]
    if len(heights) < 2:
        return heights[-1] if heights else 0.0
    gap, at = max(((heights[k + 1] - heights[k], k) for k in range(len(heights) - 1)), key=lambda x: (x[0], -x[1]))
    return heights[at] if gap >= min_gap else heights[-1]


def cut_at(items: Sequence[str], merges: Sequence[tuple[float, int, int]], cut: float) -> list[list[str]]:
    """The clusters after every merge up to height ``cut``; sorted by their smallest member, members sorted."""
    names = sorted(items)
    clusters: dict[int, list[str]] = {i: [x] for i, x in enumerate(names)}
    nxt = len(names)
    for height, i, j in merges:
        if height > cut + 1e-12:
            break
        clusters[nxt] = sorted(clusters.pop(i) + clusters.pop(j))
        nxt += 1
    return sorted(clusters.values(), key=lambda c: c[0])
