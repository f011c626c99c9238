"""On the simulator's ground truth, every injected deviation is found in the right office, with the rate
within ±2 percentage points of the injected (realised) rate."""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl
import pytest
from conftest import MODEL_FILES, MODELS, SAMPLE_LOGS

from pmtool.conform.conformance import ConformanceSettings, conform
from pmtool.models.reference import load_reference

GROUND_TRUTH = json.loads((SAMPLE_LOGS / "ground_truth.json").read_text("utf-8"))


def _measured(result) -> pl.DataFrame:
    """Rate per office and expectation: cases showing it / all cases (the ground truth's definition)."""
    dev = result.deviations.with_columns(
        pl.when(pl.col("rule_id").is_not_null()).then(pl.lit("RULE")).otherwise(pl.col("code")).alias("kind"),
        pl.coalesce(pl.col("rule_id"), pl.col("activity"), pl.lit("")).alias("what"))
    counts = dev.group_by("office", "kind", "what").agg(pl.col("case_id").n_unique().alias("affected"))
    cases = result.cases.group_by("office").len("cases")
    return counts.join(cases, on="office").with_columns((pl.col("affected") / pl.col("cases")).alias("rate"))


@pytest.mark.parametrize("process", sorted(MODEL_FILES))
def test_every_injected_pattern_found_within_two_points(process, sample_logs_by_process):
    as_of = datetime.fromisoformat(GROUND_TRUTH["observation"]["export_at"])
    reference = load_reference(MODELS / MODEL_FILES[process])
    result = conform(sample_logs_by_process[process], reference,
                     settings=ConformanceSettings(as_of=as_of, precision=False))
    measured = _measured(result)
    expected = []
    for office, data in GROUND_TRUTH["offices"].items():
        for e in data["processes"].get(process, {}).get("expectations", []):
            kind = "RULE" if e.get("rule") else e["code"]
            what = e.get("rule") or e.get("activity") or ""
            expected.append((office, kind, what, e["rate"], e.get("elevated", False)))
    assert len(expected) > 20
    frame = pl.DataFrame(expected, schema=["office", "kind", "what", "injected", "elevated"], orient="row")
    joined = frame.join(measured, on=["office", "kind", "what"], how="left").with_columns(
        pl.col("rate").fill_null(0.0))
    off = joined.filter((pl.col("rate") - pl.col("injected")).abs() > 0.02)
    assert off.height == 0, f"outside ±2 pp:\n{off}"
    # the elevated (office-specific) patterns are really there
    assert joined.filter(pl.col("elevated"))["rate"].min() > 0
