"""pmtool's alignments give exactly pm4py's cost and fitness: Soll models with noisy traces, real logs."""

from __future__ import annotations

import pytest
from conftest import REPO, real_log

from pmtool.conform.alignments import align_variants
from pmtool.eventlog import pm4py_bridge as bridge
from pmtool.models.bpmn import load_bpmn
from pmtool.models.pnml import load_pnml
from pmtool.models.reference import load_reference
from pmtool.simulate.playout import add_noise, play_out

MODELS = REPO / "pmtool" / "reference_models"
SOLL = ["P1_meldefallbearbeitung", "P2_ausbruchsmanagement", "P3a_belehrung_43"]
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix inside pm4py


def pm4py_diagnostics(frame, net):
    """pm4py's per-case alignment diagnostics of a pandas log, progress bar off."""
    pm4py = bridge.pm4py()
    pm4py.util.constants.SHOW_PROGRESS_BAR = False
    return pm4py.conformance_diagnostics_alignments(frame, *bridge.to_pm4py_net(net))


def assert_same_as_pm4py(net, variants):
    variants = [v for v in variants if v]  # pm4py's frames cannot hold an empty case
    ours = align_variants(net, variants, workers=1)
    theirs = pm4py_diagnostics(bridge.traces_to_pandas([list(v) for v in variants]), net)
    diff = [(v, a.cost, r["cost"], a.fitness, r["fitness"])
            for v, a, r in zip(variants, ours, theirs, strict=True)
            if (a.cost, a.fitness) != (r["cost"], r["fitness"])]
    assert not diff, diff[:3]
    return ours


@pytest.mark.parametrize("name", SOLL)
def test_soll_models_with_noisy_traces(name):
    net = load_reference(MODELS / f"{name}.bpmn").net
    clean = play_out(net, cases=60, seed=5)
    noisy = add_noise(clean, seed=6, probability=0.9, max_edits=4, unknown_share=0.25)
    variants = list(dict.fromkeys(clean[:10] + noisy))[:70]
    ours = assert_same_as_pm4py(net, variants)
    assert any(a.fitness == 1.0 for a in ours) and any(a.fitness < 0.9 for a in ours)
    assert any(a.log_moves for a in ours) and any(a.model_moves for a in ours)


def test_receipt_all_variants_per_case():
    pm4py = bridge.pm4py()
    net = load_bpmn(real_log("receipt_discovered.bpmn")).net
    frame = pm4py.read_xes(str(real_log("receipt.xes.gz")), variant="chunk_regex")
    traces = [tuple(t) for t in frame.groupby(bridge.CASE_KEY)[bridge.ACTIVITY_KEY].agg(list)]
    variants = sorted(set(traces))
    assert len(variants) > 100
    by_variant = dict(zip(variants, align_variants(net, variants, workers=1), strict=True))
    theirs = pm4py_diagnostics(frame, net)  # one entry per case, cases in sorted order like the groupby above
    assert [(by_variant[t].cost, by_variant[t].fitness) for t in traces] == \
        [(r["cost"], r["fitness"]) for r in theirs]
    assert sum(by_variant[t].fitness == 1.0 for t in traces) > 0


@pytest.fixture(scope="session")
def road_traffic_variants():
    """All distinct variants of the road traffic fines log, most frequent first, read with pmtool's XES reader
    (tested against pm4py's reader elsewhere; pm4py's takes much longer)."""
    import polars as pl

    from pmtool.ingest.registry import read

    frame = read(real_log("road_traffic_fines.xes.gz")).frame
    per_case = frame.group_by("case:concept:name", maintain_order=True).agg(pl.col("concept:name"))
    counts = per_case.group_by("concept:name").len()
    ordered = counts.sort(["len", "concept:name"], descending=[True, False])["concept:name"].to_list()
    return [tuple(v) for v in ordered]


@pytest.mark.slow
def test_road_traffic_variants_against_pnml(road_traffic_variants):
    net, _ = load_pnml(real_log("road_traffic_fines_discovered.pnml"))
    variants = road_traffic_variants[:300]
    assert len(variants) > 200
    ours = assert_same_as_pm4py(net, variants)
    assert sum(a.fitness == 1.0 for a in ours) > 10
