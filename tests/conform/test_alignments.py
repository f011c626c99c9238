"""Alignments: determinism, unknown labels, the empty trace, loops, weighted and unsafe nets, the on-the-fly
fallback, caching, worker processes."""

from __future__ import annotations

import random

import pytest
from conftest import REPO

from pmtool.conform import alignments
from pmtool.conform.alignments import AlignmentCache, align_variants, best_worst_cost
from pmtool.conform.statespace import state_space
from pmtool.conform.workers import run_batches
from pmtool.errors import ModelError
from pmtool.eventlog import pm4py_bridge as bridge
from pmtool.models.petri import PetriNet
from pmtool.models.reference import load_reference
from pmtool.simulate.playout import add_noise, play_out

MODELS = REPO / "pmtool" / "reference_models"
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix inside pm4py


def soll(name: str) -> PetriNet:
    return load_reference(MODELS / f"{name}.bpmn").net


def pm4py_costs(net, variants):
    pm4py = bridge.pm4py()
    pm4py.util.constants.SHOW_PROGRESS_BAR = False
    res = pm4py.conformance_diagnostics_alignments(bridge.traces_to_pandas([list(v) for v in variants]),
                                                   *bridge.to_pm4py_net(net))
    return [(r["cost"], r["fitness"]) for r in res]


def replays(net: PetriNet, alignment) -> bool:
    """The model side of the moves fires in order from the initial to the final marking."""
    tokens = dict(net.initial)
    for _, tid, _ in alignment.moves:
        if tid is not None:
            if any(tokens.get(p, 0) < w for p, w in net.preset[tid].items()):
                return False
            tokens = net.fire(tokens, tid)
    return tuple(sorted(tokens.items())) == net.final


def check_moves(net: PetriNet, alignment) -> None:
    assert tuple(m[0] for m in alignment.moves if m[0] is not None) == alignment.variant
    assert replays(net, alignment)
    labels = {t.id: t.label for t in net.transitions}
    cost = 0
    for log_label, tid, model_label in alignment.moves:
        assert model_label == (labels[tid] if tid else None)
        if tid is None or (log_label is None and model_label is not None):
            cost += 10000
        elif log_label is None:
            cost += 1
        else:
            assert log_label == model_label
    assert cost == alignment.cost


def test_deterministic_across_runs_and_workers():
    net = soll("P3a_belehrung_43")
    variants = sorted(set(add_noise(play_out(net, cases=900, seed=1), seed=2, probability=0.9, max_edits=4)))
    assert len(variants) >= alignments.PARALLEL_MIN_VARIANTS
    one = align_variants(net, variants, workers=1)
    again = align_variants(net, list(reversed(variants)), workers=1)[::-1]
    two = align_variants(net, variants, workers=2)
    assert one == again == two
    for a in one[:50]:
        check_moves(net, a)


def test_unknown_labels_are_log_moves_and_never_fit():
    net = soll("P3a_belehrung_43")
    fitting = play_out(net, cases=1, seed=3)[0]
    with_unknown = (*fitting[:2], "Kaffee gekocht", *fitting[2:])
    ok, bad, only = align_variants(net, [fitting, with_unknown, ("Kaffee gekocht",)], workers=1)
    assert ok.fitness == 1.0 and ok.deviations == 0
    assert bad.fitness < 1.0 and bad.log_moves == 1 and bad.model_moves == 0 and bad.cost == 10000 + ok.cost
    assert ("Kaffee gekocht", None, None) in bad.moves
    assert only.fitness < 1.0 and only.log_moves == 1
    for a in (ok, bad, only):
        check_moves(net, a)


def test_empty_trace_is_the_cheapest_model_run():
    net = soll("P1_meldefallbearbeitung")
    (empty,) = align_variants(net, [()], workers=1)
    assert empty.cost == best_worst_cost(state_space(net)) and empty.cost >= 10000
    assert empty.fitness == 0.0 and empty.log_moves == 0 and empty.sync_moves == 0
    check_moves(net, empty)


def test_net_with_loops_matches_pm4py():
    pm4py = bridge.pm4py()
    tree = pm4py.parse_process_tree("->('A', *(->('B', X('C', tau)), 'D'), +('E', *('F', tau)), 'G')")
    net = bridge.from_pm4py_net(*pm4py.convert_to_petri_net(tree))
    variants = sorted(set(add_noise(play_out(net, cases=150, seed=4), seed=5, probability=0.6)))[:60]
    variants = [v for v in variants if v]
    ours = align_variants(net, variants, workers=1)
    assert [(a.cost, a.fitness) for a in ours] == pm4py_costs(net, variants)
    assert max(len(v) for v in variants) > 10
    for a in ours:
        check_moves(net, a)


def weighted_net() -> PetriNet:
    """A puts two tokens into p, B moves one at a time to q (so B fires twice), C needs two in q at once;
    instead of the two Bs, a silent transition may take both tokens from p, and D then puts two into q.
    The reachability graph has markings with two tokens in a place (unsafe)."""
    return PetriNet.build(
        "weights", places=["i", "p", "q", "r", "o"],
        transitions=[("a", "A"), ("b", "B"), ("c", "C"), ("s", None), ("d", "D")],
        arcs=[("i", "a"), ("a", "p", 2), ("p", "b"), ("b", "q"), ("q", "c", 2), ("c", "o"),
              ("p", "s", 2), ("s", "r"), ("r", "d"), ("d", "q", 2)],
        initial={"i": 1}, final={"o": 1})


def random_variants(labels: str, seed: int, n: int = 60) -> list[tuple[str, ...]]:
    rng = random.Random(seed)
    return sorted({tuple(rng.choice(labels) for _ in range(rng.randint(1, 6))) for _ in range(n)})


def test_weighted_net_respects_arc_weights():
    net = weighted_net()
    space = state_space(net)
    assert space.complete and any(n > 1 for m in range(space.size) for _, n in space.marking(m))
    variants = random_variants("ABCDX", seed=6) + [("A", "B", "B", "C"), ("A", "D", "C"), ("A", "B", "C")]
    ours = align_variants(net, variants, workers=1)
    for a in ours:
        check_moves(net, a)  # the model side fires with the weights
    assert [a.fitness for a in ours[-3:]] == [1.0, 1.0, 1 - 1 / (3 + 3)]  # one B is not enough for C
    # pm4py's synchronous product drops arc weights: its results are pmtool's on the unweighted net
    unweighted = PetriNet(net.name, net.places, net.transitions, tuple((s, d, 1) for s, d, _ in net.arcs),
                          net.initial, net.final)
    assert [(a.cost, a.fitness) for a in align_variants(unweighted, variants, workers=1)] == \
        pm4py_costs(net, variants)


def test_unsafe_net_matches_pm4py():
    """A and B run in parallel and each put a token into the same place; C takes one at a time; the final
    marking has two tokens."""
    net = PetriNet.build(
        "unsafe", places=["i", "x", "y", "p", "o"],
        transitions=[("split", None), ("a", "A"), ("b", "B"), ("c", "C")],
        arcs=[("i", "split"), ("split", "x"), ("split", "y"), ("x", "a"), ("a", "p"), ("y", "b"), ("b", "p"),
              ("p", "c"), ("c", "o")],
        initial={"i": 1}, final={"o": 2})
    space = state_space(net)
    assert any(n > 1 for m in range(space.size) for _, n in space.marking(m))
    variants = random_variants("ABCX", seed=7) + [("A", "B", "C", "C"), ("B", "C", "A", "C")]
    ours = align_variants(net, variants, workers=1)
    assert [(a.cost, a.fitness) for a in ours] == pm4py_costs(net, variants)
    assert ours[-1].fitness == ours[-2].fitness == 1.0
    for a in ours:
        check_moves(net, a)


def test_on_the_fly_fallback_gives_the_same_alignments():
    net = soll("P1_meldefallbearbeitung")
    variants = sorted(set(add_noise(play_out(net, cases=40, seed=7), seed=8, probability=0.8)))
    small = state_space(net, limit=50)
    assert not small.complete and small.bounds is None
    full = align_variants(net, variants, workers=1)
    fly = align_variants(net, variants, workers=1, state_limit=50)
    assert [(a.cost, a.fitness) for a in fly] == [(a.cost, a.fitness) for a in full]
    for a in fly:
        check_moves(net, a)


def pumping_net() -> PetriNet:
    """A silent transition that puts ever more tokens into a place nobody empties: unbounded."""
    return PetriNet.build(
        "pump", places=["i", "p", "junk", "o"],
        transitions=[("a", "A"), ("pump", None), ("b", "B")],
        arcs=[("i", "a"), ("a", "p"), ("p", "pump"), ("pump", "p"), ("pump", "junk"), ("p", "b"), ("b", "o")],
        initial={"i": 1}, final={"o": 1})


def test_unbounded_net_fits_or_is_bounded_and_labelled():
    net = pumping_net()
    (fit,) = align_variants(net, [("A", "B")], workers=1, state_limit=100)
    assert fit.cost == 0 and fit.fitness == 1.0
    assert not state_space(net, limit=100).complete
    cache = AlignmentCache()
    # "A" alone needs a model move for B; the silent pump (cost 1 per step) is searched first, without end
    (bounded,) = align_variants(net, [("A",)], workers=1, state_limit=100, max_states=2000, cache=cache)
    assert bounded.bounded and bounded.cost is None and bounded.fitness is None and bounded.moves == ()
    assert bounded.visited_states == 2001 and bounded.deviations is None
    # a later call with a larger bound searches again instead of reusing the bounded result
    (again,) = align_variants(net, [("A",)], workers=1, state_limit=100, cache=cache)
    assert not again.bounded and again.cost == 10000


def test_bounded_variants_are_counted_never_scored():
    import datetime as dt

    import polars as pl

    from pmtool.conform.conformance import ConformanceSettings, conform
    from pmtool.conform.labels import LabelSettings
    from pmtool.eventlog.log import EventLog
    from pmtool.models.bpmn import ConversionReport
    from pmtool.models.reference import ReferenceModel

    net = pumping_net()
    reference = ReferenceModel("pump", None, net, {}, None, ConversionReport(), "pump.pnml", "x", {})
    t0 = dt.datetime(2025, 3, 3, 8, tzinfo=dt.UTC)
    rows = [{"office": "A", "case_id": c, "activity": a, "timestamp": t0 + dt.timedelta(hours=i)}
            for c, trace in (("c1", "AB"), ("c2", "A"), ("c3", "A")) for i, a in enumerate(trace)]
    result = conform(EventLog.from_frame(pl.DataFrame(rows)), reference,
                     settings=ConformanceSettings(workers=1, max_states=2000, precision=False,
                                                  labels=LabelSettings(max_unknown_share=1.0)))
    cases = result.cases.sort("case_id")
    assert cases["bounded"].to_list() == [False, True, True]
    assert cases["fitness"].to_list()[0] == 1.0 and cases["fitness"].to_list()[1:] == [None, None]
    assert result.summary["bounded"].to_list() == [2] and result.summary["fitness"].to_list() == [1.0]
    assert result.deviations.filter(pl.col("case_id").is_in(["c2", "c3"]) & (pl.col("source") == "alignment")
                                    ).height == 0


def test_unreachable_final_marking_is_refused():
    net = PetriNet.build("dead", places=["i", "p", "o"], transitions=[("a", "A")],
                         arcs=[("i", "a"), ("a", "p")], initial={"i": 1}, final={"o": 1})
    with pytest.raises(ModelError, match="final marking cannot be reached"):
        align_variants(net, [("A",)], workers=1)


def test_cache_skips_known_variants(monkeypatch):
    net = soll("P3a_belehrung_43")
    variants = play_out(net, cases=5, seed=9) + [("Kaffee gekocht",)]
    cache = AlignmentCache()
    first = align_variants(net, variants, workers=1, cache=cache)
    assert len(cache) == len(set(variants))

    def fail(*_):
        raise AssertionError("aligned twice")

    monkeypatch.setattr(alignments, "_search", fail)
    assert align_variants(net, variants + variants, workers=1, cache=cache) == first + first
    renamed = PetriNet(net.name + " (copy)", net.places, net.transitions, net.arcs, net.initial, net.final)
    assert align_variants(renamed, variants, workers=1, cache=cache) == first  # same structure, same key


def test_batches_a_worker_fails_on_are_computed_here():
    batches = [[i, i + 1] for i in range(6)]
    done = run_batches(batches, lambda b: sum(b), workers=2, factory="pmtool.conform.workers:no_such_thing",
                       setup=())
    assert done == [sum(b) for b in batches]
