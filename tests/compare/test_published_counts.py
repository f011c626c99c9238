"""No published output of the demo lets a hidden count be worked out, checked from the files a reader gets
(independently of the audit that decided what to hide): no office's count from 1 to k−1 in a published table,
no item with a single hidden office beside its total, no hidden count pinned down by the total and the
shown ones, no rate, interval or sum beside a hidden count, and the run's own audit reports nothing
recoverable. Bundles are not published: they carry exact counts to the central team (see SECURITY.md)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from conftest import TEST_KEY_TEXT

from pmtool.errors import ConfigError
from pmtool.ingest.pseudonymise import PseudonymKey
from pmtool.project import load_project
from pmtool.results import DEMO_PROJECT, run_project

#: Tables of the results folder meant for publication (per-office working tables are not).
PUBLISHED = ("comparison", "findings", "priorities", "trend", "throughput", "comparability")
#: An office's counts of cases: shown only as 0 or from k on. (Sums over several offices — the total, "all
#: other offices" — are margins: shown, and never enough to work out a hidden count, see below.)
COUNTS = ("eligible", "affected", "cases")
#: Columns that give a hidden count back when shown beside it.
DERIVED = ("rate", "ci_low", "ci_high", "shrunk_rate", "shrunk_low", "affected_others", "eligible_others",
           "late_hours_sum", "throughput_affected_sum", "throughput_unaffected_sum", "impact_hours")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, int]:
    project = replace(load_project(DEMO_PROJECT), formats=("html",))
    out = tmp_path_factory.mktemp("demo") / "results"
    run_project(project, key=PseudonymKey(TEST_KEY_TEXT.encode()), output=out, use_cache=False)
    return out, project.privacy_threshold


def _table(out: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(out / "tables" / f"{name}.parquet")


@pytest.mark.slow
def test_no_published_table_shows_a_small_count(demo):
    out, k = demo
    for name in PUBLISHED:
        frame = _table(out, name)
        for column in (c for c in COUNTS if c in frame.columns):
            small = frame.filter(pl.col(column).is_between(1, k - 1))
            assert small.is_empty(), (name, column, small.head(3))


@pytest.mark.slow
def test_a_hidden_count_cannot_be_worked_out_from_its_item(demo):
    out, k = demo
    frame = _table(out, "comparison")
    hidden = frame.filter(pl.col("affected").is_null())
    assert hidden.height, "the demo hides counts"
    for column in DERIVED:  # nothing beside a hidden count gives it back
        if column in frame.columns:
            assert hidden[column].is_null().all(), column
    for (process, period, item), rows in frame.group_by("process", "period", "item"):
        for count, total, bound in (("affected", "k_all", "eligible"), ("eligible", "n_all", None)):
            secret = rows.filter(pl.col(count).is_null())
            totals = rows[total].drop_nulls().unique()
            if secret.is_empty() or totals.is_empty():
                continue
            rest = int(totals[0]) - int(rows[count].drop_nulls().sum())
            assert secret.height >= 2, (item, count, "one hidden office beside the total")
            uppers = [int(u) if u is not None else rest
                      for u in (secret[bound] if bound else [None] * secret.height)]
            for i, upper in enumerate(uppers):  # the interval the total leaves each hidden count
                low = max(0, rest - sum(u for j, u in enumerate(uppers) if j != i))
                high = min(rest, upper)
                assert low <= 1 and high >= k - 1, (process, period, item, count, low, high)


@pytest.mark.slow
def test_the_run_audits_everything_it_publishes_and_nothing_is_recoverable(demo):
    out, k = demo
    audit = json.loads((out / "manifest.json").read_text("utf-8"))["disclosure"]
    assert audit["privacy_threshold"] == k and audit["recoverable"] == 0 and audit["hidden_cells"] > 0
    assert audit["scope"] == "report and tables"
    disclosure = _table(out, "disclosure")
    assert disclosure.height and (disclosure["lower"] < disclosure["upper"]).all()  # none pinned to one value
    small = disclosure.filter(pl.col("lower") <= 1)  # a count that may be small is anything from 1 to k−1
    assert small.height and (small["upper"] >= k - 1).all()


def test_privacy_threshold_true_is_refused(tmp_path):
    text = DEMO_PROJECT.read_text("utf-8").replace("privacy_threshold = 5", "privacy_threshold = true")
    project = tmp_path / "pmtool.toml"
    project.write_text(text.replace('"../', f'"{DEMO_PROJECT.parent.parent}/').replace(
        '"sample_logs"', f'"{DEMO_PROJECT.parent / "sample_logs"}"'), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_project(project)
    assert "privacy_threshold" in caught.value.render("en")
