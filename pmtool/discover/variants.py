"""The variant table of a discovery: the most frequent activity sequences and how much of the log they cover.

Builds on :func:`pmtool.eventlog.overview.variants` (one row per variant, deterministic order) and adds the
rank and the cumulative share.

>>> import polars as pl, datetime as dt
>>> from pmtool.eventlog.log import EventLog
>>> t0 = dt.datetime(2025, 3, 3, 8, tzinfo=dt.timezone.utc)
>>> log = EventLog.from_frame(pl.DataFrame({"office": "GA-01", "case_id": ["a", "a", "b", "b", "c"],
...     "activity": ["A", "B", "A", "B", "A"], "timestamp": [t0] * 5}))
>>> variant_table(log).select("rank", "variant", "cases", "cumulative_share").rows()
[(1, 'A → B', 2, 0.6666666666666666), (2, 'A', 1, 1.0)]
"""

from __future__ import annotations

import polars as pl

from pmtool.eventlog.log import EventLog
from pmtool.eventlog.overview import variants

COLUMNS = ("rank", "variant", "cases", "share", "cumulative_share", "length")


def variant_table(log: EventLog, top: int | None = None) -> pl.DataFrame:
    """Variants by frequency (ties by text): ``rank``, ``variant`` (activities joined by " → "), ``cases``,
    ``share`` of all cases, ``cumulative_share`` (coverage of this and all more frequent variants),
    ``length`` (events). ``top`` keeps the first rows; the shares still refer to all cases."""
    table = (variants(log)
             .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("rank"),
                           (pl.col("cases").cum_sum() / pl.col("cases").sum()).alias("cumulative_share"),
                           pl.col("cases").cast(pl.Int64), pl.col("length").cast(pl.Int64))
             .select(COLUMNS))
    return table if top is None else table.head(top)


def coverage(table: pl.DataFrame, top: int) -> float:
    """Share of all cases that follow one of the ``top`` most frequent variants of ``table``."""
    head = table.head(top)
    return float(head["cumulative_share"][-1]) if head.height else 0.0
