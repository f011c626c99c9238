"""The simulator's promises, checked from the outside: every export ingests cleanly, conforming cases are
in the Soll language and keep every rule, and the ground truth is exactly what the events show.

The checker here is deliberately independent of the generator: it reads the ingested logs and the rule
packs and decides per case which expectations it shows, with its own working-day arithmetic.
"""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import polars as pl
import pytest

from pmtool.calendar import WorkingCalendar, local_date
from pmtool.eventlog.pm4py_bridge import pm4py, to_pm4py_net, traces_to_pandas
from pmtool.ingest.pipeline import ingest
from pmtool.ingest.profile import load_profile
from pmtool.ingest.pseudonymise import PseudonymKey, pseudonym
from pmtool.models.reference import load_reference
from pmtool.simulate.simulator import Settings, simulate
from pmtool.vocabulary import vocabulary

pytestmark = pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")

MODELS = Path(__file__).resolve().parents[2] / "pmtool" / "reference_models"
MODEL_FILES = {
    "P1": "P1_meldefallbearbeitung.bpmn",
    "P2": "P2_ausbruchsmanagement.bpmn",
    "P3a": "P3a_belehrung_43.bpmn",
}
FINAL = {"P1": "IS-26", "P2": "AB-18", "P3a": "BL-07"}
KEY = PseudonymKey(b"simulator-test-key-0123456789abcdef")
SETTINGS = Settings(seed=7, scale=0.15)
CAL = WorkingCalendar()


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "sample"
    simulate(out, SETTINGS)
    return out


@pytest.fixture(scope="module")
def truth(sample) -> dict:
    return json.loads((sample / "ground_truth.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def logs(sample, truth) -> dict[tuple[str, str], tuple[pl.DataFrame, object]]:
    out = {}
    for office, entry in truth["offices"].items():
        for process, info in entry["processes"].items():
            result = ingest(sample / info["file"], load_profile(sample / info["profile"]), key=KEY)
            out[office, process] = (result.log.frame, result.summary)
    return out


@pytest.fixture(scope="module")
def affected(sample) -> dict[tuple[str, str], dict[str, str]]:
    """(office, process) → {case pseudonym: pattern}."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    with (sample / "ground_truth_cases.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out.setdefault((row["office"], row["process"]), {})[pseudonym(KEY, "case", row["case_id"])] = row[
                "pattern"
            ]
    return out


@cache
def reference(process: str):
    return load_reference(MODELS / MODEL_FILES[process])


def name(activity_id: str) -> str:
    return vocabulary().resolve(activity_id).name


# -- the independent checker ------------------------------------------------------------------------


def _structural(process: str, codes: list[str]) -> set[str]:
    """Activity-level expectations (SKIP/INSERT/ORDER/REPEAT) by plain predicates on the trace."""
    out = set()
    first = {}
    for i, c in enumerate(codes):
        first.setdefault(c, i)
    has = first.__contains__

    def flag(code: str, act: str) -> None:
        out.add(f"{code}:{name(act)}")

    if process == "P1":
        if has("IS-10") and not has("IS-09"):
            flag("SKIP", "IS-09")
        if has("IS-09") and has("IS-10") and first["IS-09"] > first["IS-10"]:
            flag("ORDER", "IS-09")
        for act in ("IS-07", "IS-08", "IS-25", "IS-26"):
            if not has(act):
                flag("SKIP", act)
        if has("IS-15") and not has("IS-16"):
            flag("SKIP", "IS-16")
        if has("IS-14") and not (has("IS-15") or has("IS-16") or has("IS-17")):
            flag("INSERT", "IS-14")
        for act in ("IS-20", "IS-21"):
            if has("IS-19") and not has(act):
                flag("SKIP", act)
        if has("IS-04") and has("IS-05") and first["IS-04"] > first["IS-05"]:
            flag("INSERT", "IS-04")
        for act in ("IS-92", "IS-03a", "IS-90"):
            if has(act):
                flag("INSERT", act)
    elif process == "P2":
        if not has("AB-17"):
            flag("SKIP", "AB-17")
        if has("AB-03") and has("AB-13") and first["AB-03"] > first["AB-13"]:
            flag("ORDER", "AB-03")
    else:
        if has("BL-90"):
            flag("INSERT", "BL-90")
        if codes.count("BL-01") > 1:
            flag("REPEAT", "BL-01")
        if has("BL-05") and has("BL-07") and first["BL-07"] < first["BL-05"]:
            flag("ORDER", "BL-07")
    return out


def _due(start_date: date, amount: int, unit: str) -> date:
    if unit == "working_days":
        return CAL.add_working_days(start_date, amount)
    return start_date + timedelta(days=amount)


def observed(process: str, events: list[dict], export: date) -> set[str]:
    """Every expectation key this case shows."""
    codes = [e["activity_code"] for e in events]
    days = [local_date(e["timestamp"]) for e in events]
    if FINAL[process] not in codes:
        if (export - days[-1]).days <= 90:
            return {"INCOMPLETE"}  # a running case shows nothing else
        out = {"NO_CLOSURE"}
    else:
        out = set()
    out |= _structural(process, codes)
    vocab = vocabulary()
    for rule in reference(process).rules.rules:
        if rule.kind == "deadline":
            s, e = vocab.resolve(rule.start).id, vocab.resolve(rule.end).id
            if (s in codes and e in codes
                    and days[codes.index(e)] > _due(days[codes.index(s)], int(rule.amount), rule.unit)):
                out.add(f"DEADLINE:{rule.id}")
        elif rule.kind == "order":
            a, b = vocab.resolve(rule.first).id, vocab.resolve(rule.then).id
            if a in codes and b in codes and codes.index(b) < codes.index(a):
                out.add(f"ORDER:{rule.id}")
        elif rule.kind == "mandatory":
            a = vocab.resolve(rule.activity).id
            cond = vocab.resolve(rule.if_present).id if rule.if_present else None
            if (cond is None or cond in codes) and a not in codes:
                out.add(f"SKIP:{rule.id}")
        elif rule.kind == "role":
            a = vocab.resolve(rule.activity).id
            if any(c == a and ev["role"] not in rule.roles for c, ev in zip(codes, events, strict=True)):
                out.add(f"ROLE:{rule.id}")
        elif rule.kind == "absent" and vocab.resolve(rule.activity).id in codes:
            out.add(f"INSERT:{rule.id}")
    return out


def _cases(frame: pl.DataFrame) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in frame.select(
        "case_id", "activity", "activity_code", "timestamp", "role", "resource", "source_row"
    ).iter_rows(named=True):
        out.setdefault(row["case_id"], []).append(row)
    return out


def _export_date(truth: dict) -> date:
    return date.fromisoformat(truth["observation"]["export_at"][:10])


# -- tests ------------------------------------------------------------------------------------------


def test_every_export_ingests_with_exactly_the_counted_artefacts(truth, logs):
    assert len(logs) == 13 * 3
    formats = set()
    for (office, process), (frame, summary) in logs.items():
        info = truth["offices"][office]["processes"][process]
        dq = info["data_quality"]
        formats.add(summary.format)
        assert summary.coverage == 1.0 and not summary.unmapped_labels, (office, process)
        assert summary.quarantine_by_reason == dq["quarantine"], (office, process)
        assert summary.rows_read == dq["rows_written"]
        assert summary.rows_loaded == info["events"] == frame.height
        assert summary.cases == info["cases"]
        assert summary.date_only_events == dq["date_only_events"]
        assert int(frame["resource"].is_null().sum()) == dq["events_without_resource"]
    assert formats == {"csv", "excel", "xes", "parquet"}
    dialects = {entry["dialect"] for entry in truth["offices"].values()}
    assert len(dialects) == 13


def test_ground_truth_equals_what_the_events_show(truth, logs, affected):
    export = _export_date(truth)
    patterns = truth["patterns"]
    checked_keys = set()
    for (office, process), (frame, _) in logs.items():
        info = truth["offices"][office]["processes"][process]
        gt_cases = affected.get((office, process), {})
        cases = _cases(frame)
        assert set(gt_cases) <= set(cases)
        expected_by_key: dict[str, set[str]] = {}
        for case, pattern in gt_cases.items():
            for e in patterns[pattern]["expectations"]:
                key = ":".join(x for x in (e["code"], e.get("activity") or e.get("rule")) if x)
                expected_by_key.setdefault(key, set()).add(case)
        seen_by_key: dict[str, set[str]] = {}
        for case, events in cases.items():
            for key in observed(process, events, export):
                seen_by_key.setdefault(key, set()).add(case)
        assert seen_by_key == expected_by_key, (office, process)
        checked_keys |= set(expected_by_key)
        # the JSON agrees with the case list
        for code, p in info["patterns"].items():
            assert p["affected"] == sum(1 for v in gt_cases.values() if v == code), (office, process, code)
            assert p["rate"] == round(p["affected"] / info["cases"], 6)
        for e in info["expectations"]:
            key = ":".join(x for x in (e["code"], e.get("activity") or e.get("rule")) if x)
            assert e["affected"] == len(expected_by_key[key])
    assert len(checked_keys) >= 25


def test_conforming_cases_are_in_the_soll_language(logs, affected):
    for process in ("P1", "P2", "P3a"):
        variants = set()
        for (office, proc), (frame, _) in logs.items():
            if proc != process:
                continue
            deviating = affected.get((office, proc), {})
            for case, events in _cases(frame).items():
                if case not in deviating:
                    variants.add(tuple(e["activity"] for e in events))
        sample = sorted(variants)[:: max(1, len(variants) // 60)]
        net, im, fm = to_pm4py_net(reference(process).net)
        result = pm4py().conformance_diagnostics_alignments(
            traces_to_pandas([list(v) for v in sample]), net, im, fm
        )
        fitness = [r["fitness"] for r in result]
        assert fitness == [1.0] * len(sample), process


def test_structural_deviations_leave_the_soll_language(logs, affected, truth):
    structural = {
        code
        for code, p in truth["patterns"].items()
        if any(
            e["code"] in ("SKIP", "INSERT", "ORDER", "REPEAT") and "activity" in e for e in p["expectations"]
        )
    }
    picked: dict[str, tuple[str, tuple[str, ...]]] = {}
    for (office, process), (frame, _) in logs.items():
        cases = _cases(frame)
        for case, pattern in sorted(affected.get((office, process), {}).items()):
            if pattern in structural and pattern not in picked:
                picked[pattern] = (process, tuple(e["activity"] for e in cases[case]))
    assert len(picked) >= 10
    for pattern, (process, trace) in sorted(picked.items()):
        net, im, fm = to_pm4py_net(reference(process).net)
        result = pm4py().conformance_diagnostics_alignments(traces_to_pandas([list(trace)]), net, im, fm)
        assert result[0]["fitness"] < 1.0, pattern


def test_elevated_patterns_stand_out(truth):
    for entry in truth["offices"].values():
        assert 1 <= len(entry["elevated"]) <= 3
        for code in entry["elevated"]:
            process = code.split("-")[0]
            p = entry["processes"][process]["patterns"][code]
            assert p["elevated"] and p["probability"] > truth["patterns"][code]["baseline"]
    assert all(o.startswith("GA-") for o in truth["offices"])


def test_readme_and_cases_list(sample):
    readme = (sample / "README.md").read_text("utf-8")
    assert "synthetisch" in readme and "synthetic" in readme and "pmtool simulate" in readme
    header = (sample / "ground_truth_cases.csv").read_text("utf-8").splitlines()[0]
    assert header == "office,process,case_id,pattern"
