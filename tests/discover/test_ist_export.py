"""Ist model: inductive miner via the adapter, BPMN and PNML files that pmtool's and pm4py's loaders read
back with the same language."""

from __future__ import annotations

import pytest
from conftest import real_log
from discover_helpers import P1_CASES, make_log

from pmtool.discover.bpmn_export import bpmn_diagram, bpmn_xml, write_bpmn
from pmtool.discover.inductive import MINERS, discover_ist
from pmtool.discover.pnml_export import write_pnml
from pmtool.errors import ConfigError
from pmtool.eventlog import pm4py_bridge as bridge
from pmtool.ingest.pipeline import ingest
from pmtool.models.bpmn import load_bpmn
from pmtool.models.pnml import load_pnml
from pmtool.models.tree import ProcessTree as T

ACTS = sorted({a for events in P1_CASES.values() for a, _ in events})


def _alignment_fitness(traces: list[list[str]], net) -> list[float]:
    pm4py = bridge.pm4py()
    df = bridge.traces_to_pandas(traces)
    return [round(d["fitness"], 9) for d in pm4py.conformance_diagnostics_alignments(df, *net)]


def _structure(net) -> tuple:
    """A net without the diagnostic ``origin`` of its transitions, in sorted order."""
    return (sorted(net.places), sorted((t.id, t.label) for t in net.transitions), sorted(net.arcs),
            net.initial, net.final)


def _probe_traces() -> list[list[str]]:
    """The log's own traces plus broken ones (a step left out, a step repeated, an unknown activity)."""
    own = [[a for a, _ in events] for events in P1_CASES.values()]
    broken = [own[0][:2] + own[0][3:], own[1] + [own[1][-1]], own[2][::-1], ["Kaffee gekocht"]]
    return own + broken


@pytest.mark.parametrize("noise", [0.0, 0.2])
def test_bpmn_and_pnml_round_trip_with_the_same_language(tmp_path, noise):
    log = make_log(P1_CASES)
    ist = discover_ist(log, noise_threshold=noise)
    assert ist.net.labels == ist.tree.labels == set(ACTS)
    write_bpmn(ist.tree, tmp_path / "ist.bpmn")
    write_pnml(ist.net, tmp_path / "ist.pnml")
    bpmn = load_bpmn(tmp_path / "ist.bpmn")
    assert bpmn.report.empty, bpmn.report.items
    pnml, _ = load_pnml(tmp_path / "ist.pnml")
    assert _structure(pnml) == _structure(ist.net)  # the PNML file holds exactly the net
    assert bpmn.net.labels == ist.net.labels
    traces = _probe_traces()
    expected = _alignment_fitness(traces, bridge.to_pm4py_net(ist.net))
    assert _alignment_fitness(traces, bridge.to_pm4py_net(bpmn.net)) == expected
    assert _alignment_fitness(traces, bridge.read_pnml_with_pm4py(tmp_path / "ist.pnml")) == expected
    assert _alignment_fitness(traces, bridge.bpmn_to_net_with_pm4py(tmp_path / "ist.bpmn")) == expected
    assert expected[-1] < 1.0
    if noise == 0.0:
        assert expected[: len(P1_CASES)] == [1.0] * len(P1_CASES)
        assert bridge.log_token_replay_fitness(log, ist.net) == 1.0
        assert bridge.log_token_replay_fitness(log, bpmn.net) == 1.0


def test_every_tree_operator_becomes_bpmn_that_loads_with_the_same_language(tmp_path):
    tree = T.seq(T.leaf("A"), T.xor(T.leaf("B"), T.tau()), T.parallel(T.leaf("C"), T.leaf("D")),
                 T.loop(T.leaf("E"), T.tau()), T.loop(T.tau(), T.leaf("F")), T.xor(T.tau(), T.tau()),
                 T.leaf("G"))
    write_bpmn(tree, tmp_path / "t.bpmn")
    loaded = load_bpmn(tmp_path / "t.bpmn")
    net = bridge.tree_to_petri_net(tree)
    traces = [["A", "B", "C", "D", "E", "G"], ["A", "D", "C", "E", "E", "F", "G"], ["A", "C", "D", "E", "G"],
              ["A", "B", "E", "G"], ["A", "C", "E", "G"], ["G", "A"]]
    assert _alignment_fitness(traces, bridge.to_pm4py_net(loaded.net)) == \
        _alignment_fitness(traces, bridge.to_pm4py_net(net))
    kinds = [n.kind for n in bpmn_diagram(tree, "t").nodes]
    assert kinds.count("parallelGateway") == 2 and kinds.count("task") == 7


def test_files_are_byte_identical_for_the_same_tree(tmp_path):
    ist = discover_ist(make_log(P1_CASES), noise_threshold=0.2)
    again = discover_ist(make_log(P1_CASES), noise_threshold=0.2)
    assert ist == again
    assert bpmn_xml(bpmn_diagram(ist.tree, "Ist")) == bpmn_xml(bpmn_diagram(again.tree, "Ist"))
    text = bpmn_xml(bpmn_diagram(ist.tree, "Ist")).decode()
    assert "BPMNShape" in text and "waypoint" in text  # diagram interchange for modelling tools
    write_pnml(ist.net, tmp_path / "a.pnml")
    write_pnml(again.net, tmp_path / "b.pnml")
    assert (tmp_path / "a.pnml").read_bytes() == (tmp_path / "b.pnml").read_bytes()


def test_receipt_model_round_trips(tmp_path):
    log = ingest(real_log("receipt.xes.gz"), allow_identifiable=True, office="NL-01").log
    ist = discover_ist(log, noise_threshold=0.2)
    write_bpmn(ist.tree, tmp_path / "r.bpmn")
    write_pnml(ist.net, tmp_path / "r.pnml")
    loaded = load_bpmn(tmp_path / "r.bpmn")
    assert loaded.report.empty and loaded.net.labels == ist.net.labels
    assert _structure(load_pnml(tmp_path / "r.pnml")[0]) == _structure(ist.net)
    pm_net, _, _ = bridge.read_pnml_with_pm4py(tmp_path / "r.pnml")
    assert len(pm_net.transitions) == len(ist.net.transitions) and len(pm_net.arcs) == len(ist.net.arcs)
    assert 0.9 < bridge.log_token_replay_fitness(log, ist.net) < 1.0  # noise 0.2 leaves out rare behaviour


def test_settings_are_checked():
    log = make_log(P1_CASES)
    with pytest.raises(ConfigError, match="noise threshold"):
        discover_ist(log, noise_threshold=1.5)
    with pytest.raises(ConfigError, match="unknown discovery algorithm 'alpha'.*inductive"):
        discover_ist(log, miner="alpha")
    assert "inductive" in MINERS
