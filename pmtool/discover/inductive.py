"""The Ist model: a process model discovered from a log, as a process tree and as a Petri net.

Miners are entries in :data:`MINERS` (name → function from log and noise threshold to a process tree);
the inductive miner is the default because its models are sound and block-structured, so they translate
to readable BPMN. pm4py does the mining behind :mod:`pmtool.eventlog.pm4py_bridge`.

>>> import polars as pl, datetime as dt
>>> from pmtool.eventlog.log import EventLog
>>> t0 = dt.datetime(2025, 3, 3, 8, tzinfo=dt.timezone.utc)
>>> log = EventLog.from_frame(pl.DataFrame({"office": "GA-01", "case_id": ["a", "a", "b"],
...     "activity": ["A", "B", "A"], "timestamp": [t0, t0, t0]}))
>>> discover_ist(log, noise_threshold=0.0).tree.to_text()  # doctest: +SKIP
"->('A', X(tau, 'B'))"
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from pmtool.discover.mining import Mining, MiningSettings, mine_model
from pmtool.errors import ConfigError, Location
from pmtool.eventlog import pm4py_bridge
from pmtool.eventlog.log import EventLog
from pmtool.models.petri import PetriNet
from pmtool.models.tree import ProcessTree

Miner = Callable[[EventLog, float], ProcessTree]
VariantMiner = Callable[[list[tuple[tuple[str, ...], int]], float], ProcessTree]

#: Discovery algorithms by name. Each takes a log and a noise threshold in [0, 1]: the inductive miner on the
#: log (pm4py's IMf; IM for threshold 0) and on the directly-follows graph (IMd, which ignores the threshold).
MINERS: dict[str, Miner] = {
    "inductive": lambda log, noise: pm4py_bridge.discover_process_tree(log, noise_threshold=noise),
    "inductive_dfg": lambda log, noise: pm4py_bridge.discover_process_tree_dfg(log),
}
#: The miners of :data:`MINERS` that need only the log's variants with their numbers of cases (in
#: :func:`~pmtool.eventlog.pm4py_bridge.variant_log`'s order), given the same tree from them: the mining
#: helper process is sent these instead of the events.
VARIANT_MINERS: dict[str, VariantMiner] = {
    "inductive": lambda variants, noise: pm4py_bridge.discover_process_tree_variants(variants, noise),
}


@dataclass(frozen=True)
class IstModel:
    """A discovered model: the ``tree`` and the equivalent workflow ``net`` (same language), and how it was
    mined (``mining``: the miner used, what part of the log it saw, a fallback)."""

    miner: str
    noise_threshold: float
    tree: ProcessTree
    net: PetriNet
    mining: Mining | None = None


def discover_ist(log: EventLog, *, noise_threshold: float = 0.2, miner: str = "inductive",
                 name: str = "Ist", settings: MiningSettings | None = None) -> IstModel:
    """Discover the Ist model of ``log`` with ``miner`` (see :data:`MINERS`) in bounded time: the frequent
    part of a large log, within a time budget, with a labelled fallback (:mod:`pmtool.discover.mining`).

    ``noise_threshold`` 0 keeps every observed behaviour (every case fits); higher values drop
    infrequent behaviour for a simpler model. ``settings`` overrides the filter and the budget. Raises
    :class:`ConfigError` for an unknown miner or a threshold outside [0, 1]."""
    if miner not in MINERS:
        raise ConfigError("discover.unknown_miner", Location(), name=miner, known=", ".join(MINERS))
    if not 0.0 <= noise_threshold <= 1.0:
        raise ConfigError("discover.bad_noise", Location(), value=noise_threshold)
    settings = replace(settings or MiningSettings(), miner=miner, noise_threshold=noise_threshold)
    tree, mining, net = mine_model(log, settings, name)  # the net converted where pm4py is loaded already
    return IstModel(mining.method, noise_threshold, tree,
                    net if net is not None else pm4py_bridge.tree_to_petri_net(tree, name=name), mining)
