"""Random traces of a Petri net, with optional noise: test data and benchmark logs with a known origin.

Deterministic for a given seed. Playouts walk the reachability graph from the initial marking, choosing
uniformly among the enabled transitions that can still reach the final marking, until the final marking
is reached (then the case ends; a loop back out of the final marking is not taken).

>>> from pmtool.models.petri import PetriNet
>>> net = PetriNet.build("n", places=["i", "o"], transitions=[("a", "A")], arcs=[("i", "a"), ("a", "o")],
...                      initial={"i": 1}, final={"o": 1})
>>> play_out(net, cases=2, seed=1)
[('A',), ('A',)]
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Sequence

from pmtool.conform.statespace import INFINITE, StateSpace, state_space
from pmtool.errors import Location, ModelError
from pmtool.models.petri import PetriNet


def play_out(net: PetriNet, *, cases: int, seed: int, max_length: int = 200) -> list[tuple[str, ...]]:
    """``cases`` random traces of visible labels; a walk longer than ``max_length`` transitions is cut
    short by heading for the final marking on a shortest path.

    Raises :class:`ModelError` for a net whose reachability graph is too large to walk this way.
    """
    space = state_space(net)
    if space.bounds is None:
        raise ModelError("conform.too_large_to_play_out", Location(net.name))
    rng = random.Random(seed)
    alive = space.bounds.visible
    labels = [t.label for t in net.transitions]
    traces = []
    for _ in range(cases):
        m, steps, trace = space.initial, 0, []
        while m != space.final:
            if steps >= max_length:  # cut short: the fewest transitions to the final marking
                trace.extend(labels[k] for k in _path_home(space, m) if labels[k] is not None)
                break
            options = [(k, y) for k, y in space.successors(m) if alive[y] < INFINITE]
            k, m = options[rng.randrange(len(options))]
            steps += 1
            if labels[k] is not None:
                trace.append(labels[k])
        traces.append(tuple(trace))
    return traces


def _path_home(space: StateSpace, start: int) -> list[int]:
    """Transition indices of a shortest firing sequence from ``start`` to the final marking."""
    parent: dict[int, tuple[int, int] | None] = {start: None}
    queue = deque([start])
    while queue:
        m = queue.popleft()
        if m == space.final:
            break
        for k, y in space.successors(m):
            if y not in parent:
                parent[y] = (m, k)
                queue.append(y)
    path = []
    step = parent.get(space.final)
    while step is not None:
        path.append(step[1])
        step = parent[step[0]]
    return path[::-1]


def add_noise(traces: Sequence[tuple[str, ...]], *, seed: int, probability: float = 0.3,
              alphabet: Sequence[str] = (), unknown: Sequence[str] = ("Unbekannte Tätigkeit",),
              unknown_share: float = 0.2, max_edits: int = 3) -> list[tuple[str, ...]]:
    """Each trace, with ``probability``, gets 1..``max_edits`` edits: delete an event, insert a label
    (from ``alphabet``, or with ``unknown_share`` one of the ``unknown`` labels), or swap two neighbours."""
    rng = random.Random(seed)
    alphabet = sorted(set(alphabet) or {a for t in traces for a in t})
    out = []
    for trace in traces:
        events = list(trace)
        if rng.random() < probability:
            for _ in range(rng.randint(1, max_edits)):
                kind = rng.choice(("delete", "insert", "swap"))
                if kind == "delete" and events:
                    del events[rng.randrange(len(events))]
                elif kind == "swap" and len(events) > 1:
                    i = rng.randrange(len(events) - 1)
                    events[i], events[i + 1] = events[i + 1], events[i]
                else:
                    pool = unknown if unknown and rng.random() < unknown_share else alphabet
                    events.insert(rng.randint(0, len(events)), rng.choice(list(pool)))
        out.append(tuple(events))
    return out
