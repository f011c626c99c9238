"""Optimal alignments of trace variants against a Petri net, with pm4py's standard costs and fitness.

Costs (pm4py's ``align_utils``): synchronous move 0, log move 10000, visible model move 10000, silent move 1.
Per-trace fitness as in pm4py's ``conformance_diagnostics_alignments``::

    fitness = 1 - (cost // 10000) / (len(trace) + best_worst_cost // 10000)    (0 if the divisor is 0)

where ``best_worst_cost`` is the cost of aligning the empty trace (the cheapest run of the model alone).

The search is A* over (marking id, trace position) on the net's :class:`~pmtool.conform.statespace.StateSpace`,
with silent transitions collapsed into the visible moves that follow them, and an admissible, consistent
heuristic from per-marking bounds (labels that can no longer fire, labels every run still fires, fewest
visible transitions to the end). Ties break by cost, then by trace position (deeper first), then by
insertion order, so results are the same in every run and with any number of workers.

>>> from pmtool.models.petri import PetriNet
>>> net = PetriNet.build("n", places=["i", "p", "o"], transitions=[("a", "A"), ("b", "B")],
...                      arcs=[("i", "a"), ("a", "p"), ("p", "b"), ("b", "o")], initial={"i": 1}, final={"o": 1})
>>> [(al.cost, al.fitness) for al in align_variants(net, [("A", "B"), ("A", "C")], workers=1)]
[(0, 1.0), (20000, 0.5)]
"""

from __future__ import annotations

import heapq
import multiprocessing
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import NoReturn

from pmtool.conform.statespace import INFINITE, StateSpace, fingerprint, state_space
from pmtool.errors import Location, ModelError
from pmtool.models.petri import PetriNet

SYNC_COST = 0
DEVIATION_COST = 10000  # log move or visible model move
SILENT_COST = 1

#: (log label or None, transition id or None, model label or None); None on the side that does not move.
Move = tuple[str | None, str | None, str | None]
Variant = tuple[str, ...]

#: Below this many variants to align, worker processes cost more to start than they save.
PARALLEL_MIN_VARIANTS = 300
CHUNK = 64


@dataclass(frozen=True)
class Alignment:
    """An optimal alignment of one variant. ``cost`` in pm4py's units; ``fitness`` as pm4py computes it."""

    variant: Variant
    moves: tuple[Move, ...]
    cost: int
    fitness: float
    sync_moves: int
    log_moves: int
    model_moves: int  # visible model moves
    silent_moves: int
    visited_states: int

    @property
    def deviations(self) -> int:
        return self.log_moves + self.model_moves


class AlignmentCache:
    """Alignments already computed, by (net fingerprint, variant): share one object between calls (offices,
    reruns) so that no variant is aligned twice against the same net."""

    def __init__(self) -> None:
        self._store: dict[tuple[str, Variant], Alignment] = {}

    def __len__(self) -> int:
        return len(self._store)

    def get(self, net_key: str, variant: Variant) -> Alignment | None:
        return self._store.get((net_key, variant))

    def put(self, net_key: str, alignment: Alignment) -> None:
        self._store[(net_key, alignment.variant)] = alignment


def align_variants(net: PetriNet, variants: Iterable[Sequence[str]], *, workers: int = 2,
                   cache: AlignmentCache | None = None) -> list[Alignment]:
    """Optimal alignments of each variant (a sequence of activity labels) against ``net``, in input order.

    Labels the net does not have can only be log moves. Each distinct variant is aligned once (and not at
    all if ``cache`` holds it); with ``workers`` > 1 and enough variants, batches go to worker processes
    (spawned, so safe on every platform); the results do not depend on ``workers``.

    Raises :class:`~pmtool.errors.ModelError` if the final marking cannot be reached.
    """
    wanted = [tuple(v) for v in variants]
    key = fingerprint(net)
    cache = cache if cache is not None else AlignmentCache()
    todo = sorted({v for v in wanted if cache.get(key, v) is None})
    if todo:
        space = state_space(net)
        worst = best_worst_cost(space)
        if workers > 1 and len(todo) >= PARALLEL_MIN_VARIANTS:
            raw = _align_parallel(net, todo, workers)
        else:
            raw = [_search(space, v) for v in todo]
        for v, r in zip(todo, raw, strict=True):
            cache.put(key, _result(v, r, worst))
    return [cache.get(key, v) for v in wanted]  # type: ignore[misc]


def best_worst_cost(space: StateSpace) -> int:
    """Cost of the cheapest run of the model alone (aligning the empty trace)."""
    return _search(space, ())[0]


def fitness(cost: int, trace_length: int, best_worst: int) -> float:
    """pm4py's per-trace alignment fitness (integer division by the deviation cost, as pm4py does)."""
    den = (trace_length * DEVIATION_COST + best_worst) // DEVIATION_COST
    return 1 - (cost // DEVIATION_COST) / den if den > 0 else 0


def _result(variant: Variant, raw: tuple[int, tuple[Move, ...], int], worst: int) -> Alignment:
    cost, moves, visited = raw
    sync = log = model = silent = 0
    for log_label, tid, model_label in moves:
        if log_label is None:
            if model_label is None:
                silent += 1
            else:
                model += 1
        elif tid is None:
            log += 1
        else:
            sync += 1
    return Alignment(variant, moves, cost, fitness(cost, len(variant), worst), sync, log, model, silent, visited)


# -- the search ------------------------------------------------------------------------------------------


def _search(space: StateSpace, variant: Variant) -> tuple[int, tuple[Move, ...], int]:
    """A* over (marking, position): returns (cost, moves, states expanded).

    The heuristic is evaluated lazily (as pm4py does with its LP solutions): a new state is queued with
    its parent's value minus what the move may lower it by (consistency makes that a lower bound), and its
    own value is computed only when it comes up; if that raises its key, it goes back into the queue.
    """
    n = len(variant)
    width = n + 1
    ids = [space.label_id.get(a, -1) for a in variant]
    h = _heuristic(space, ids)
    goal = -1
    h0 = h(space.initial, 0)
    if h0 >= INFINITE:
        _unreachable(space)
    heap: list[tuple[int, int, int, int, int]] = [(h0 * DEVIATION_COST, 0, 0, 0, space.initial)]
    best = {space.initial * width: 0}
    parent: dict[int, tuple[int, int, object]] = {}
    closed: set[int] = set()
    seq = 0
    moves_of = space.moves
    to_final = space.to_final
    push = heapq.heappush
    pop = heapq.heappop
    get = best.get
    dev = DEVIATION_COST
    while heap:
        f, neg_i, _, g, m = pop(heap)
        if m == goal:
            return g, _moves(space, variant, parent, width), len(closed)
        i = -neg_i
        key = m * width + i
        if key in closed:
            continue
        closed.add(key)
        if i < n:
            a = ids[i]
            nk = key + 1
            ng = g + dev
            if nk not in closed and get(nk, INFINITE) > ng:
                hv = h(m, i + 1)
                best[nk] = ng
                parent[nk] = (key, 0, None)
                seq += 1
                push(heap, (ng + hv * dev, neg_i - 1, seq, ng, m))
            i1 = i + 1
            for lab, y, taus, path in moves_of(m):
                yk = y * width + i
                if lab == a:
                    nk = yk + 1
                    ng = g + taus
                    if nk not in closed and get(nk, INFINITE) > ng:
                        hv = h(y, i1)
                        if hv < INFINITE:
                            best[nk] = ng
                            parent[nk] = (key, 1, path)
                            seq += 1
                            push(heap, (ng + hv * dev, neg_i - 1, seq, ng, y))
                ng = g + taus + dev
                if yk not in closed and get(yk, INFINITE) > ng:
                    hv = h(y, i)
                    if hv < INFINITE:
                        best[yk] = ng
                        parent[yk] = (key, 2, path)
                        seq += 1
                        push(heap, (ng + hv * dev, neg_i, seq, ng, y))
        else:
            home = to_final(m)
            if home is not None:
                ng = g + home[0] * SILENT_COST
                if ng < get(goal, INFINITE):
                    best[goal] = ng
                    parent[goal] = (key, 3, home[1])
                    seq += 1
                    push(heap, (ng, -width, seq, ng, goal))
            for _, y, taus, path in moves_of(m):
                yk = y * width + i
                ng = g + taus + dev
                if yk not in closed and get(yk, INFINITE) > ng:
                    hv = h(y, i)
                    if hv < INFINITE:
                        best[yk] = ng
                        parent[yk] = (key, 2, path)
                        seq += 1
                        push(heap, (ng + hv * dev, neg_i, seq, ng, y))
    _unreachable(space)


def _unreachable(space: StateSpace) -> NoReturn:
    raise ModelError("conform.final_unreachable", Location(space.net.name))


def _heuristic(space: StateSpace, ids: list[int]):
    """h(marking, position) in deviations: a lower bound on the log plus model moves still needed.

    Log moves: remaining events of labels the net cannot fire that often any more (or does not have).
    Model moves: labels every remaining run fires more often than the rest of the trace has them. Both
    together: the fewest visible transitions to the end minus the events that could still be synchronous.
    Consistent: no move lowers it by more than its own cost in deviations.
    """
    n = len(ids)
    unknown = [0] * (n + 1)
    levels: list[tuple[int, ...]] = [()] * (n + 1)  # levels[i][k]: labels with more than k events from i on
    counts: dict[int, int] = {}
    for i in range(n - 1, -1, -1):
        a = ids[i]
        unknown[i] = unknown[i + 1] + (a < 0)
        if a >= 0:
            k = counts[a] = counts.get(a, 0) + 1
            lv = list(levels[i + 1])
            if k > len(lv):
                lv.append(0)
            lv[k - 1] |= 1 << a
            levels[i] = tuple(lv)
        else:
            levels[i] = levels[i + 1]
    bounds = space.bounds
    if bounds is None:
        return lambda m, i: unknown[i]
    visible, fewer, needed = bounds.visible, bounds.fewer, bounds.needed

    def h(m: int, i: int) -> int:
        vis = visible[m]
        if vis >= INFINITE:
            return INFINITE
        lv = levels[i]
        few = fewer[m]
        log = unknown[i]
        last = len(few) - 1
        for k, mask in enumerate(lv):
            log += (mask & few[k if k < last else last]).bit_count()
        model = 0
        nlv = len(lv)
        for k, mask in enumerate(needed[m]):
            model += (mask & ~lv[k]).bit_count() if k < nlv else mask.bit_count()
        vis -= n - i - log
        return log + (model if model > vis else vis if vis > 0 else 0)

    return h


def _moves(space: StateSpace, variant: Variant, parent: dict[int, tuple[int, int, object]],
           width: int) -> tuple[Move, ...]:
    label_of = {t.id: t.label for t in space.net.transitions}
    out: list[Move] = []
    key = -1
    while key in parent:
        prev, kind, how = parent[key]
        i = prev % width
        if kind == 0:
            out.append((variant[i], None, None))
        else:
            path: tuple[str, ...] = how  # type: ignore[assignment]
            steps = list(path)
            if kind in (1, 2):
                last = steps.pop()
                out.append((variant[i], last, label_of[last]) if kind == 1 else (None, last, label_of[last]))
            out.extend((None, t, None) for t in reversed(steps))
        key = prev
    out.reverse()
    return tuple(out)


# -- workers -----------------------------------------------------------------------------------------------

_worker_space: StateSpace | None = None


def _init_worker(net: PetriNet) -> None:
    global _worker_space
    _worker_space = state_space(net)


def _align_chunk(chunk: list[Variant]) -> list[tuple[int, tuple[Move, ...], int]]:
    assert _worker_space is not None
    return [_search(_worker_space, v) for v in chunk]


def _align_parallel(net: PetriNet, todo: list[Variant], workers: int) -> list[tuple[int, tuple[Move, ...], int]]:
    """The calling process works through chunks from the front while ``workers - 1`` spawned processes take
    chunks from the back; each chunk's results land at its index, so the order never depends on timing."""
    space = state_space(net)
    chunks = [todo[k:k + CHUNK] for k in range(0, len(todo), CHUNK)]
    results: list[list | None] = [None] * len(chunks)
    front, back = 0, len(chunks) - 1
    bare = PetriNet(net.name, net.places, net.transitions, net.arcs, net.initial, net.final)  # no caches pickled
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers - 1, mp_context=ctx, initializer=_init_worker, initargs=(bare,)) as pool:
        running: dict = {}
        while front <= back or running:
            while len(running) < 2 * (workers - 1) and front <= back:
                running[pool.submit(_align_chunk, chunks[back])] = back
                back -= 1
            if front <= back:
                results[front] = [_search(space, v) for v in chunks[front]]
                front += 1
            else:
                wait(running, return_when=FIRST_COMPLETED)
            for fut in [f for f in running if f.done()]:
                results[running.pop(fut)] = fut.result()
    return [r for chunk in results for r in chunk]  # type: ignore[union-attr]
