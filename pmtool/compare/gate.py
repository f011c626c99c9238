"""The comparability gate: before any comparison, each office is checked for mapping coverage, timestamp
precision, the share of running cases, the share of cases whose alignment hit the search bound and period
overlap. An office that fails is marked "not comparable"
with the reason (for all its items), never silently ranked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from pmtool.compare.bundle import Bundle, period_span


@dataclass(frozen=True)
class GateSettings:
    min_coverage: float = 0.9
    max_date_only_share: float = 0.2
    max_running_share: float = 0.5
    min_period_overlap: float = 0.5
    max_bounded_share: float = 0.05  # cases whose alignment hit the search bound (not aligned, not scored)


def comparability(bundles: Sequence[Bundle], settings: GateSettings) -> pl.DataFrame:
    """One row per process, period and office: ``comparable_office`` and ``not_comparable_reason``."""
    rows = []
    spans = {}
    for b in bundles:
        span = period_span(b.quality)
        if span is not None:
            spans.setdefault((b.process, b.period), []).append(span)
    for b in bundles:
        q = b.quality
        reason = None
        if q.get("coverage", 1.0) < settings.min_coverage:
            reason = f"coverage:{q['coverage']:.3f}"
        elif q.get("date_only_share", 0.0) > settings.max_date_only_share:
            reason = f"date_only:{q['date_only_share']:.3f}"
        elif q.get("running_share", 0.0) > settings.max_running_share:
            reason = f"running:{q['running_share']:.3f}"
        elif q.get("bounded_share", 0.0) > settings.max_bounded_share:
            reason = f"alignment_bound:{q['bounded_share']:.3f}"
        else:
            overlap = _overlap(b, spans.get((b.process, b.period), []))
            if overlap is not None and overlap < settings.min_period_overlap:
                reason = f"period_overlap:{overlap:.3f}"
        rows.append({"process": b.process, "period": b.period, "office": b.office,
                     "comparable_office": reason is None, "not_comparable_reason": reason})
    return pl.DataFrame(rows, schema={"process": pl.String, "period": pl.String, "office": pl.String,
                                      "comparable_office": pl.Boolean, "not_comparable_reason": pl.String})


def _overlap(bundle: Bundle, spans: list[tuple[datetime, datetime]]) -> float | None:
    """Share of the office's period that lies within the period common to most offices (median span)."""
    span = period_span(bundle.quality)
    if span is None or len(spans) < 2:
        return None
    s, e = span
    starts = sorted(x for x, _ in spans)
    ends = sorted(y for _, y in spans)
    common_start, common_end = starts[len(starts) // 2], ends[len(ends) // 2]
    length = (e - s).total_seconds()
    if length <= 0:
        return 0.0
    inter = (min(e, common_end) - max(s, common_start)).total_seconds()
    return max(0.0, inter) / length
