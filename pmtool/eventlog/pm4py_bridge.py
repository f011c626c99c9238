"""The one place where pmtool meets pm4py: frames and nets go in and out here, and nowhere else.

pm4py's ``concept:name``-style keys and pandas frames appear only in this module. pm4py is imported
lazily, so commands that do not need it start fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from pmtool.errors import ModelError
from pmtool.eventlog import schema
from pmtool.eventlog.log import EventLog
from pmtool.models.petri import PetriNet, Transition, marking
from pmtool.models.tree import OPERATORS, ProcessTree

CASE_KEY = "case:concept:name"
ACTIVITY_KEY = "concept:name"
TIMESTAMP_KEY = "time:timestamp"
RESOURCE_KEY = "org:resource"
ROLE_KEY = "org:role"
LIFECYCLE_KEY = "lifecycle:transition"


def pm4py() -> Any:
    """The pm4py module, imported on first use."""
    import pm4py as _pm4py

    return _pm4py


def to_pandas(log: EventLog) -> Any:
    """The log as a pandas frame with pm4py's standard keys, one case per (office, case id)."""
    frame = log.frame
    case = (pl.col(schema.OFFICE) + pl.lit("/") + pl.col(schema.CASE_ID)) if len(log.offices) > 1 \
        else pl.col(schema.CASE_ID)
    out = frame.select(
        case.alias(CASE_KEY),
        pl.col(schema.ACTIVITY).alias(ACTIVITY_KEY),
        pl.col(schema.TIMESTAMP).alias(TIMESTAMP_KEY),
        pl.col(schema.RESOURCE).alias(RESOURCE_KEY),
        pl.col(schema.ROLE).alias(ROLE_KEY),
        pl.col(schema.LIFECYCLE).alias(LIFECYCLE_KEY),
    )
    return out.to_pandas()


def traces_to_pandas(traces: list[list[str]]) -> Any:
    """A pm4py-ready pandas log from activity sequences (case ids "0000000", "0000001", … so pm4py keeps
    their order; events one second apart). An empty trace yields no case."""
    import datetime as dt

    rows = []
    base = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    for i, trace in enumerate(traces):
        for j, act in enumerate(trace):
            rows.append({CASE_KEY: f"{i:07d}", ACTIVITY_KEY: act, TIMESTAMP_KEY: base + dt.timedelta(seconds=j)})
    return pl.DataFrame(rows, schema={CASE_KEY: pl.String, ACTIVITY_KEY: pl.String,
                                      TIMESTAMP_KEY: pl.Datetime("us", "UTC")}).to_pandas()


def to_pm4py_net(net: PetriNet) -> tuple[Any, Any, Any]:
    """pmtool net → (pm4py PetriNet, initial marking, final marking)."""
    from pm4py.objects.petri_net.obj import Marking
    from pm4py.objects.petri_net.obj import PetriNet as PmNet
    from pm4py.objects.petri_net.utils import petri_utils

    pn = PmNet(net.name)
    places = {p: PmNet.Place(p) for p in net.places}
    for p in places.values():
        pn.places.add(p)
    transitions = {t.id: PmNet.Transition(t.id, t.label) for t in net.transitions}
    for t in transitions.values():
        pn.transitions.add(t)
    for src, dst, w in net.arcs:
        a = places.get(src) or transitions[src]
        b = places.get(dst) or transitions[dst]
        petri_utils.add_arc_from_to(a, b, pn, weight=w)
    im, fm = Marking(), Marking()
    for p, n in net.initial:
        im[places[p]] = n
    for p, n in net.final:
        fm[places[p]] = n
    return pn, im, fm


def from_pm4py_net(pn: Any, im: Any, fm: Any) -> PetriNet:
    """(pm4py PetriNet, initial, final) → pmtool net (transition ids from pm4py's names)."""
    place_id = {p: str(p.name) for p in pn.places}
    trans = sorted(pn.transitions, key=lambda t: str(t.name))
    trans_id = {t: str(t.name) for t in trans}
    arcs = []
    for arc in pn.arcs:
        src = place_id.get(arc.source) or trans_id[arc.source]
        dst = place_id.get(arc.target) or trans_id[arc.target]
        arcs.append((src, dst, int(arc.weight)))
    return PetriNet(
        name=str(pn.name),
        places=tuple(sorted(place_id.values())),
        transitions=tuple(Transition(trans_id[t], t.label) for t in trans),
        arcs=tuple(sorted(arcs)),
        initial=marking({place_id[p]: n for p, n in im.items()}),
        final=marking({place_id[p]: n for p, n in fm.items()}),
    )


def read_pnml_with_pm4py(path: Path) -> tuple[Any, Any, Any]:
    """pm4py's own PNML reader (used by tests as the reference)."""
    return pm4py().read_pnml(str(path))


def bpmn_to_net_with_pm4py(path: Path) -> tuple[Any, Any, Any]:
    """pm4py's own BPMN reader and converter (used by tests as the reference)."""
    pm = pm4py()
    return pm.convert_to_petri_net(pm.read_bpmn(str(path)))


# --- discovery ---------------------------------------------------------------------------------------------

def discover_process_tree(log: EventLog, noise_threshold: float = 0.0) -> ProcessTree:
    """The inductive miner's process tree (pm4py's IMf when ``noise_threshold`` > 0) as pmtool's tree.

    The miner works on the log's variants with their numbers of cases (:func:`variant_log`), exactly as
    ``pm4py.discover_process_tree_inductive`` does after reducing a pandas frame to them, so the tree is the
    same and no copy of the events is made. Raises :class:`ModelError` when pm4py returns an operator pmtool
    cannot represent."""
    return discover_process_tree_variants(variant_log(log), noise_threshold)


def variant_log(log: EventLog) -> list[tuple[tuple[str, ...], int]]:
    """The variants of ``log`` with their numbers of cases, in the order pm4py meets them in
    :func:`to_pandas`'s frame: cases ordered by case key, events of a case by timestamp (ties keep the log's
    order), each variant where its first case is."""
    names, per_case = log.sequences()  # events of a case in canonical order: by time, ties in the log's order
    case = (pl.col(schema.OFFICE) + pl.lit("/") + pl.col(schema.CASE_ID)) if len(log.offices) > 1 \
        else pl.col(schema.CASE_ID)
    variants = (per_case.group_by("codes").agg(pl.len().alias("n"), case.min().alias("first")).sort("first"))
    return [(tuple(names[i] for i in v), n)
            for v, n in zip(variants["codes"].to_list(), variants["n"].to_list(), strict=True)]


def discover_process_tree_variants(variants: list[tuple[tuple[str, ...], int]],
                                   noise_threshold: float = 0.0) -> ProcessTree:
    """The inductive miner (IMf when ``noise_threshold`` > 0, else IM) on variants with their numbers of cases,
    in pm4py's order (see :func:`variant_log`): what ``pm4py.discover_process_tree_inductive`` runs on them."""
    from collections import Counter

    from pm4py.algo.discovery.inductive.dtypes.im_ds import IMDataStructureUVCL
    from pm4py.algo.discovery.inductive.variants.im import IMUVCL
    from pm4py.algo.discovery.inductive.variants.imf import IMFUVCL
    from pm4py.objects.process_tree.utils import generic
    from pm4py.util import constants

    uvcl: Counter[tuple[str, ...]] = Counter()
    for variant, n in variants:
        uvcl[variant] = n
    parameters = {"noise_threshold": noise_threshold, "multiprocessing": constants.ENABLE_MULTIPROCESSING_DEFAULT,
                  "disable_fallthroughs": False}
    miner = IMFUVCL(parameters) if noise_threshold > 0 else IMUVCL(parameters)
    tree = generic.fold(miner.apply(IMDataStructureUVCL(uvcl), parameters))
    generic.tree_sort(tree)
    return from_pm4py_tree(tree)


def discover_process_tree_dfg(log: EventLog) -> ProcessTree:
    """The inductive miner on the directly-follows graph (pm4py's IMd): its cost grows with the number of
    activities, not of cases or variants, so it finishes on logs where IMf on the log does not."""
    pm = pm4py()
    from pm4py.objects.dfg.obj import DFG

    graph, start, end = pm.discover_dfg(to_pandas(log))
    return from_pm4py_tree(pm.discover_process_tree_inductive(DFG(graph, start, end)))


def from_pm4py_tree(node: Any) -> ProcessTree:
    """pm4py ProcessTree → pmtool :class:`ProcessTree` (children in pm4py's order)."""
    if node.operator is None:
        return ProcessTree(None, None if node.label is None else str(node.label))
    value = getattr(node.operator, "value", str(node.operator))
    if value not in OPERATORS:
        raise ModelError("discover.unsupported_operator", None, operator=str(value))
    return ProcessTree(value, None, tuple(from_pm4py_tree(c) for c in node.children))


def to_pm4py_tree(tree: ProcessTree) -> Any:
    """pmtool tree → pm4py ProcessTree (built directly, never parsed from text, so any label is safe)."""
    from pm4py.objects.process_tree.obj import Operator
    from pm4py.objects.process_tree.obj import ProcessTree as PmTree

    by_value = {op.value: op for op in Operator}

    def build(node: ProcessTree, parent: Any) -> Any:
        if node.is_leaf:
            return PmTree(operator=None, parent=parent, label=node.label)
        pm_node = PmTree(operator=by_value[node.operator], parent=parent)
        pm_node.children.extend(build(c, pm_node) for c in node.children)
        return pm_node

    return build(tree, None)


def tree_to_petri_net(tree: ProcessTree, name: str = "ist") -> PetriNet:
    """The tree as a workflow net (pm4py's block-wise translation) with deterministic transition ids.

    pm4py names visible transitions with random UUIDs; here they become ``t1``, ``t2``, … in the order of
    their (input places, output places, label), so the same tree always gives the same net."""
    pm = pm4py()
    pn, im, fm = pm.convert_to_petri_net(to_pm4py_tree(tree))
    pn.name = name
    return canonical_transition_ids(from_pm4py_net(pn, im, fm))


def discover_inductive(log: EventLog, noise_threshold: float = 0.0) -> PetriNet:
    """The inductive miner's Petri net for ``log`` as pmtool's net (see :func:`discover_process_tree`)."""
    return tree_to_petri_net(discover_process_tree(log, noise_threshold))


def canonical_transition_ids(net: PetriNet) -> PetriNet:
    """Rename visible transitions to ``t1``, ``t2``, … ordered by (sorted input places, sorted output
    places, label); silent transitions keep their ids. Arcs and transitions come out sorted."""
    visible = [t for t in net.transitions if t.label is not None]

    def signature(t: Transition) -> tuple[tuple[str, ...], tuple[str, ...], str]:
        return tuple(sorted(net.preset[t.id])), tuple(sorted(net.postset[t.id])), t.label or ""

    rename = {t.id: f"t{i}" for i, t in enumerate(sorted(visible, key=signature), 1)}
    taken = {t.id for t in net.transitions if t.label is None}
    if taken & set(rename.values()):  # a silent id looks like ours: prefix ours to stay unique
        rename = {old: f"vis_{new}" for old, new in rename.items()}
    transitions = sorted((Transition(rename.get(t.id, t.id), t.label, t.origin) for t in net.transitions),
                         key=lambda t: t.id)
    arcs = sorted((rename.get(s, s), rename.get(d, d), w) for s, d, w in net.arcs)
    return PetriNet(net.name, net.places, tuple(transitions), tuple(arcs), net.initial, net.final)


def log_token_replay_fitness(log: EventLog, net: PetriNet) -> float:
    """pm4py's token-based replay fitness of ``log`` on ``net`` (1.0: every case replays without missing
    or remaining tokens)."""
    pm = pm4py()
    from pm4py.util import constants

    shown = constants.SHOW_PROGRESS_BAR
    constants.SHOW_PROGRESS_BAR = False  # a tqdm bar on stderr would cut through the CLI's tables
    try:
        result = pm.fitness_token_based_replay(to_pandas(log), *to_pm4py_net(net))
    finally:
        constants.SHOW_PROGRESS_BAR = shown
    return float(result["log_fitness"])


def token_replay_fitness(net: PetriNet, variants: list[tuple[str, ...]]) -> list[float]:
    """pm4py's token-based replay fitness per variant (fast, approximate: not an optimal alignment)."""
    pm = pm4py()
    _quiet()
    df = traces_to_pandas([list(v) if v else [] for v in variants])
    results = pm.conformance_diagnostics_token_based_replay(df, *to_pm4py_net(net))
    by_case = dict(zip(sorted({f"{i:07d}" for i, v in enumerate(variants) if v}), results, strict=False))
    return [float(by_case[f"{i:07d}"]["trace_fitness"]) if v else 0.0 for i, v in enumerate(variants)]


def _quiet() -> None:
    """No progress bars from pm4py (they distort timing and clutter the terminal)."""
    try:
        from pm4py.util import constants

        constants.SHOW_PROGRESS_BAR = False
    except ImportError:  # pragma: no cover - older pm4py
        pass
