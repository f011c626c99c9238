"""The report's bottleneck table: the transitions ranked by total waiting, with mean, median, p90 and total
from the same directly-follows graph as the edge tables, and no count below the privacy threshold."""

from __future__ import annotations

import polars as pl

from pmtool.discover.dfg import bottlenecks, directly_follows
from pmtool.report import numbers
from pmtool.report.performance import bottleneck_table


def test_bottleneck_table_ranks_by_total_waiting_with_mean_median_p90(sample_logs_by_process):
    log = sample_logs_by_process["P1"]
    table = bottleneck_table(log, 5, "en", "P1")
    assert table is not None
    assert table.head == ("Transition", "Mean", "Median", "90th percentile", "Total waiting")
    ranked = bottlenecks(directly_follows(log)).filter(pl.col("cases") >= 5)
    assert ranked["total_hours"].is_sorted(descending=True)
    for (label, cells), row in zip(table.rows, ranked.iter_rows(named=True), strict=False):
        assert label == f"{row['source']} → {row['target']}"
        assert cells[0].text == numbers.days(row["mean_hours"], "en")
        assert cells[1].text == numbers.days(row["median_hours"], "en")
        assert cells[2].text == numbers.days(row["p90_hours"], "en")
        assert cells[3].text.startswith(numbers.days(row["total_hours"], "en"))
    assert row["mean_hours"] != row["median_hours"]  # mean and median are different numbers
