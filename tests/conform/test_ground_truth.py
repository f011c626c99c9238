"""On the simulator's ground truth, conformance checking recovers the injected deviations exactly: every case
given a pattern shows each deviation the pattern is expected to produce, and no case shows a deviation no
pattern of its own explains (0 percentage points off, no extra detection)."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from conftest import MODEL_FILES, MODELS, SAMPLE_LOGS, TEST_KEY_TEXT

from pmtool.conform.conformance import ConformanceSettings, conform
from pmtool.ingest.pseudonymise import PseudonymKey, pseudonym
from pmtool.models.reference import load_reference

GROUND_TRUTH = json.loads((SAMPLE_LOGS / "ground_truth.json").read_text("utf-8"))
KEY = ["office", "case_id", "kind", "what"]


def _expected(process: str) -> pl.DataFrame:
    """(office, case, kind, what) for every case the simulator gave a pattern of ``process``, per deviation
    the pattern is expected to produce; case ids pseudonymised with the test key as the ingest does."""
    key = PseudonymKey(TEST_KEY_TEXT.encode())
    rows = [{"pattern": name, "kind": "RULE" if e.get("rule") else e["code"],
             "what": e.get("rule") or e.get("activity") or ""}
            for name, spec in GROUND_TRUTH["patterns"].items() if spec["process"] == process
            for e in spec["expectations"]]
    cases = (pl.read_csv(SAMPLE_LOGS / "ground_truth_cases.csv", infer_schema_length=0)
             .filter(pl.col("process") == process)
             .with_columns(pl.col("case_id").map_elements(lambda v: pseudonym(key, "case", v), return_dtype=pl.String)))
    return cases.join(pl.DataFrame(rows), on="pattern").select(KEY).unique()


def _measured(result) -> pl.DataFrame:
    return result.deviations.select(
        "office", "case_id",
        pl.when(pl.col("rule_id").is_not_null()).then(pl.lit("RULE")).otherwise(pl.col("code")).alias("kind"),
        pl.coalesce(pl.col("rule_id"), pl.col("activity"), pl.lit("")).alias("what")).unique()


@pytest.mark.parametrize("process", sorted(MODEL_FILES))
def test_every_injected_deviation_is_found_in_exactly_its_cases(process, sample_logs_by_process):
    observation = GROUND_TRUTH["observation"]
    as_of = datetime.fromisoformat(observation["export_at"]).replace(tzinfo=ZoneInfo(observation["timezone"]))
    result = conform(sample_logs_by_process[process], load_reference(MODELS / MODEL_FILES[process]),
                     settings=ConformanceSettings(as_of=as_of, precision=False))
    expected, measured = _expected(process), _measured(result)
    assert expected.height > 50
    missing = expected.join(measured, on=KEY, how="anti")
    extra = measured.join(expected, on=KEY, how="anti")
    assert missing.height == 0, f"injected but not found:\n{missing.group_by('office', 'kind', 'what').len()}"
    assert extra.height == 0, f"found but never injected:\n{extra.group_by('office', 'kind', 'what').len()}"
    # and so the rates per office equal the realised rates of the ground truth to the case
    cases = result.cases.group_by("office").len("cases")
    for office, data in GROUND_TRUTH["offices"].items():
        realised = data["processes"][process]
        assert cases.filter(pl.col("office") == office)["cases"].item() == realised["cases"]
        for name, pattern in realised["patterns"].items():
            if pattern["elevated"]:
                assert pattern["affected"] > 0, (office, name)  # the office-specific patterns are really there
