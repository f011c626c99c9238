"""The conformance cases table counts deviating moves the way an analyst reads them (log moves, visible model
moves, their sum), and its fitness is pm4py's: checked case by case against pm4py's alignments."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import MODEL_FILES, MODELS, real_log
from typer.testing import CliRunner

from pmtool.cli.app import app
from pmtool.eventlog import pm4py_bridge as bridge
from pmtool.models.reference import load_reference

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix inside pm4py
MOVES = ["log_moves", "model_moves", "deviating_moves"]


def conform_cases(logs, model, out):
    result = CliRunner().invoke(app, ["--lang", "en", "conform", *map(str, logs), "--model", str(model),
                                      "--out", str(out), "--workers", "1"])
    assert result.exit_code in (0, 1), result.output
    (cases,) = out.glob("*_cases.csv")
    return pl.read_csv(cases)


def pm4py_by_variant(model, variants):
    """pm4py's alignment cost and fitness of each variant (joined by " → ", as the cases table writes it)."""
    pm4py = bridge.pm4py()
    pm4py.util.constants.SHOW_PROGRESS_BAR = False
    traces = [v.split(" → ") for v in variants]
    net = load_reference(model).net
    found = pm4py.conformance_diagnostics_alignments(bridge.traces_to_pandas(traces), *bridge.to_pm4py_net(net))
    return {v: (r["cost"], r["fitness"]) for v, r in zip(variants, found, strict=True)}


def assert_moves_agree_with_pm4py(cases, model):
    assert "cost" not in cases.columns and cases.columns[-4:] == [*MOVES, "bounded"]
    cases = cases.filter(~pl.col("bounded"))
    assert (cases["log_moves"] + cases["model_moves"] == cases["deviating_moves"]).all()
    assert ((cases["fitness"] == 1.0) == (cases["deviating_moves"] == 0)).all()
    theirs = pm4py_by_variant(model, sorted(set(cases["variant"])))
    for row in cases.unique("variant").iter_rows(named=True):
        cost, fitness = theirs[row["variant"]]
        assert row["deviating_moves"] == cost // 10000, row
        assert row["fitness"] == pytest.approx(fitness, abs=1e-12), row
    return theirs



def test_sample_cases_count_log_and_model_moves_like_pm4py(sample_ingested, tmp_path):
    cases = conform_cases([sample_ingested / "P1"], MODELS / MODEL_FILES["P1"], tmp_path)
    assert_moves_agree_with_pm4py(cases, MODELS / MODEL_FILES["P1"])
    deviating = cases.filter(pl.col("deviating_moves") > 0)
    assert deviating.height and (deviating["log_moves"] > 0).any() and (deviating["model_moves"] > 0).any()
    assert cases["deviating_moves"].max() < 100  # moves, not pm4py's 10,000 per move


def test_real_receipt_log_fitting_cases_have_no_moves_though_pm4py_costs_are_not_zero(tmp_path):
    log, model = real_log("receipt.xes.gz"), real_log("receipt_discovered.bpmn")
    runner = CliRunner()
    imported = runner.invoke(app, ["--lang", "en", "ingest", str(log), "--office", "NL-01", "--allow-identifiable",
                                   "--out", str(tmp_path / "import")])
    assert imported.exit_code == 0, imported.output
    cases = conform_cases([tmp_path / "import"], model, tmp_path / "out")
    assert cases.height == 1434
    theirs = assert_moves_agree_with_pm4py(cases, model)
    assert (cases["deviating_moves"] == 0).all()  # every case fits the discovered model
    assert max(cost for cost, _ in theirs.values()) > 10  # pm4py's raw cost counts its silent steps
