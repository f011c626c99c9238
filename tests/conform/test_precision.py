"""Align-ETConformance precision equal to pm4py's: hand-made nets, Soll models with noisy logs, receipt."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import REPO, real_log

from pmtool.conform.precision import precision
from pmtool.eventlog import pm4py_bridge as bridge
from pmtool.models.bpmn import load_bpmn
from pmtool.models.petri import PetriNet, Transition
from pmtool.models.reference import load_reference
from pmtool.simulate.playout import add_noise, play_out

MODELS = REPO / "pmtool" / "reference_models"
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix inside pm4py


def pm4py_precision(net: PetriNet, frame) -> float:
    pm4py = bridge.pm4py()
    pm4py.util.constants.SHOW_PROGRESS_BAR = False
    return pm4py.precision_alignments(frame, *bridge.to_pm4py_net(net))


def pm4py_precision_of(net: PetriNet, traces: list[tuple[str, ...]]) -> float:
    return pm4py_precision(net, bridge.traces_to_pandas([list(t) for t in traces]))


def choice_then_c() -> PetriNet:
    return PetriNet.build("xor", places=["i", "p", "o"], transitions=[("a", "A"), ("b", "B"), ("c", "C")],
                          arcs=[("i", "a"), ("i", "b"), ("a", "p"), ("b", "p"), ("p", "c"), ("c", "o")],
                          initial={"i": 1}, final={"o": 1})


def test_escaping_edges_by_hand():
    net = choice_then_c()
    # empty prefix: A and B enabled, only A observed first (3 traces); after "A": C enabled and observed
    assert precision(net, {("A", "C"): 3}) == 1 - 3 / (3 * 2 + 3 * 1)
    assert precision(net, {("A", "C"): 3, ("B", "C"): 1}) == 1.0
    assert precision(net, [(("A", "C"), 1), (("A", "C"), 2)]) == precision(net, {("A", "C"): 3})
    assert precision(net, {}) == 1.0


def test_small_logs_match_pm4py():
    net = choice_then_c()
    logs = [
        [("A", "C"), ("B", "C"), ("B",)],
        [("X", "A", "C"), ("A", "X", "C"), ("A", "C", "C")],  # unknown activity: prefixes that cannot replay
        [("C", "A"), ("A",), ("B", "B", "C")],
    ]
    for traces in logs:
        assert precision(net, Counter(traces)) == pm4py_precision_of(net, traces), traces


def test_pm4py_quirk_in_labels_enabled_after_silent_steps():
    """pm4py keeps only the latest marking per transition while it walks silent steps. Here, initially, it
    never looks at the marking after only a2, so V (enabled only there) does not count as enabled; pmtool
    does the same. Counting V, a log of W alone would have precision 1 - 2/4."""
    net = PetriNet(
        "quirk", ("p1", "p2", "q1", "q2", "f"),
        (Transition("a1", None), Transition("a2", None), Transition("v", "V"), Transition("w", "W")),
        (("p1", "a1", 1), ("a1", "q1", 1), ("p2", "a2", 1), ("a2", "q2", 1), ("p1", "v", 1), ("q2", "v", 1),
         ("v", "f", 1), ("q1", "w", 1), ("q2", "w", 1), ("w", "f", 1)),
        (("p1", 1), ("p2", 1)), (("f", 1),))
    traces = [("W",), ("W",)]
    assert precision(net, Counter(traces)) == pm4py_precision_of(net, traces) == 1.0


@pytest.mark.parametrize("name, cases", [("P1_meldefallbearbeitung", 30), ("P2_ausbruchsmanagement", 50),
                                         ("P3a_belehrung_43", 120)])
def test_soll_models_with_noisy_logs(name, cases):
    net = load_reference(MODELS / f"{name}.bpmn").net
    traces = [t for t in add_noise(play_out(net, cases=cases, seed=21), seed=22, probability=0.5) if t]
    theirs = pm4py_precision_of(net, traces)
    assert 0 < theirs <= 1
    assert precision(net, Counter(traces), pm4py_comma_split=True) == theirs
    if not any("," in a for a in net.labels):
        assert precision(net, Counter(traces)) == theirs


def test_activities_with_commas_stay_whole():
    """pm4py splits prefixes at commas; pmtool's default equals pm4py on the same net and log with the commas
    replaced."""
    net = load_reference(MODELS / "P2_ausbruchsmanagement.bpmn").net
    assert any("," in a for a in net.labels)
    traces = [t for t in add_noise(play_out(net, cases=50, seed=23), seed=24, probability=0.3) if t]

    def fix(label):
        return label.replace(",", ";") if label else label

    plain = PetriNet(net.name, net.places, tuple(Transition(t.id, fix(t.label)) for t in net.transitions),
                     net.arcs, net.initial, net.final)
    ours = precision(net, Counter(traces))
    assert ours == pm4py_precision_of(plain, [tuple(fix(a) for a in t) for t in traces])
    assert ours != precision(net, Counter(traces), pm4py_comma_split=True)


def test_receipt_matches_pm4py():
    pm4py = bridge.pm4py()
    net = load_bpmn(real_log("receipt_discovered.bpmn")).net
    frame = pm4py.read_xes(str(real_log("receipt.xes.gz")), variant="chunk_regex")
    counts = Counter(tuple(t) for t in frame.groupby(bridge.CASE_KEY)[bridge.ACTIVITY_KEY].agg(list))
    assert precision(net, counts) == pm4py_precision(net, frame)
