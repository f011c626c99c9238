"""Optimal alignments of trace variants against a Petri net, with pm4py's standard costs and fitness.

Costs (pm4py's ``align_utils``): synchronous move 0, log move 10000, visible model move 10000, silent move 1.
Per-trace fitness as in pm4py's ``conformance_diagnostics_alignments``::

    fitness = 1 - (cost // 10000) / (len(trace) + best_worst_cost // 10000)    (0 if the divisor is 0)

where ``best_worst_cost`` is the cost of aligning the empty trace (the cheapest run of the model alone).

The search is A* over (marking, trace position) on the net's
:class:`~pmtool.conform.statespace.StateSpace` (markings as small ints, silent steps collapsed where that
pays), with an admissible and consistent heuristic from per-marking bounds: labels that can no longer
fire, labels every run still fires, fewest visible and fewest silent transitions to the end. Ties break
by estimated cost, then trace position (deeper first), then the latest queued, so results are the same in
every run and with any number of workers.

>>> from pmtool.models.petri import PetriNet
>>> net = PetriNet.build("n", places=["i", "p", "o"], transitions=[("a", "A"), ("b", "B")],
...                      arcs=[("i", "a"), ("a", "p"), ("p", "b"), ("b", "o")],
...                      initial={"i": 1}, final={"o": 1})
>>> [(al.cost, al.fitness) for al in align_variants(net, [("A", "B"), ("A", "C")], workers=1)]
[(0, 1.0), (20000, 0.5)]
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from pmtool.conform.statespace import (
    DEFAULT_LIMIT,
    INFINITE,
    SEARCH_LIMIT,
    StateSpace,
    fingerprint,
    state_space,
)
from pmtool.conform.workers import run_batches
from pmtool.errors import Location, ModelError
from pmtool.models.petri import PetriNet

SYNC_COST = 0
DEVIATION_COST = 10000  # log move or visible model move
SILENT_COST = 1

#: (log label or None, transition id or None, model label or None); None on the side that does not move.
Move = tuple[str | None, str | None, str | None]
Variant = tuple[str, ...]
_Raw = tuple[int, tuple[Move, ...], int]  # what one search returns: cost, moves, states expanded

#: Below this many variants to align, worker processes cost more to start than they save.
PARALLEL_MIN_VARIANTS = 300
CHUNK = 64


@dataclass(frozen=True)
class Alignment:
    """An optimal alignment of one variant. ``cost`` in pm4py's units; ``fitness`` as pm4py computes it.

    ``bounded``: the search expanded more states than its bound (``max_states``) before finishing; then there
    are no moves, ``cost`` and ``fitness`` are ``None`` — the variant is counted and labelled as not aligned,
    never scored."""

    variant: Variant
    moves: tuple[Move, ...]
    cost: int | None
    fitness: float | None
    sync_moves: int
    log_moves: int
    model_moves: int  # visible model moves
    silent_moves: int
    visited_states: int
    bounded: bool = False

    @property
    def deviations(self) -> int | None:
        return None if self.bounded else self.log_moves + self.model_moves


class AlignmentCache:
    """Alignments already computed, by (net fingerprint, variant): share one object between calls (offices,
    reruns) so that no variant is aligned twice against the same net."""

    def __init__(self) -> None:
        self._store: dict[tuple[str, Variant], Alignment] = {}

    def __len__(self) -> int:
        return len(self._store)

    def get(self, net_key: str, variant: Variant, max_states: int = SEARCH_LIMIT) -> Alignment | None:
        """The cached alignment; a bounded one only if it was bounded at ``max_states`` or more."""
        found = self._store.get((net_key, variant))
        if found is not None and found.bounded and found.visited_states <= max_states:
            return None  # bounded by a smaller bound than asked for now: search again
        return found

    def put(self, net_key: str, alignment: Alignment) -> None:
        self._store[(net_key, alignment.variant)] = alignment


def align_variants(net: PetriNet, variants: Iterable[Sequence[str]], *, workers: int = 2,
                   cache: AlignmentCache | None = None, state_limit: int = DEFAULT_LIMIT,
                   max_states: int = SEARCH_LIMIT) -> list[Alignment]:
    """Optimal alignments of each variant (a sequence of activity labels) against ``net``, in input order.

    Labels the net does not have can only be log moves. Each distinct variant is aligned once (and not at
    all if ``cache`` holds it); with ``workers`` > 1 and at least ``PARALLEL_MIN_VARIANTS`` variants to
    align, batches also go to ``workers - 1`` worker processes (:mod:`pmtool.conform.workers`; no
    ``__main__`` guard needed). Results do not depend on ``workers``.
    Nets with more than ``state_limit`` reachable markings are explored on the fly, with a weaker heuristic.

    A search that expands more than ``max_states`` states gives a ``bounded`` alignment (no cost, no
    fitness) instead of running on: on models with hundreds of activities and much concurrency a few long
    variants could otherwise take hours. The bound counts states, not seconds, so results do not depend on
    the machine. Raises :class:`~pmtool.errors.ModelError` if the final marking cannot be reached.
    """
    wanted = [tuple(v) for v in variants]
    key = fingerprint(net)
    cache = cache if cache is not None else AlignmentCache()
    todo = sorted({v for v in wanted if cache.get(key, v, max_states) is None})
    if todo:
        space = state_space(net, limit=state_limit)
        worst = best_worst_cost(space)
        if workers > 1 and len(todo) >= PARALLEL_MIN_VARIANTS:
            raw = _align_parallel(net, todo, workers, state_limit, max_states)
        else:
            raw = [_search(space, v, max_states) for v in todo]
        for v, r in zip(todo, raw, strict=True):
            cache.put(key, _result(v, r, worst))
    return [cache.get(key, v, max_states) for v in wanted]  # type: ignore[misc]


def variant_fitness(net: PetriNet, variants: Sequence[Variant], *, workers: int = 2,
                    state_limit: int = DEFAULT_LIMIT, max_states: int = SEARCH_LIMIT,
                    known: dict[Variant, float | None] | None = None) -> list[float | None]:
    """The alignment fitness of each of the distinct ``variants`` against ``net`` (``None`` where the search
    hit ``max_states``), as :func:`align_variants` gives it, without building the moves. ``known``: fitness
    already computed for this net, by variant; the new ones are added to it."""
    known = known if known is not None else {}
    todo = sorted({v for v in variants if v not in known})
    if todo:
        space = state_space(net, limit=state_limit)
        worst = best_worst_cost(space)
        if workers > 1 and len(todo) >= PARALLEL_MIN_VARIANTS:
            raw = _align_parallel(net, todo, workers, state_limit, max_states, with_moves=False)
        else:
            raw = [_search(space, v, max_states, with_moves=False) for v in todo]
        for v, (cost, _, _) in zip(todo, raw, strict=True):
            known[v] = fitness(cost, len(v), worst) if cost >= 0 else None
    return [known[v] for v in variants]


def best_worst_cost(space: StateSpace) -> int:
    """Cost of the cheapest run of the model alone (aligning the empty trace).

    Raises :class:`~pmtool.errors.ModelError` when even that search does not finish within
    ``SEARCH_LIMIT`` states (silent transitions that produce tokens without bound)."""
    cost = _search(space, ())[0]
    if cost < 0:
        raise ModelError("conform.search_too_large", Location(space.net.name), limit=SEARCH_LIMIT)
    return cost


def fitness(cost: int, trace_length: int, best_worst: int) -> float:
    """pm4py's per-trace alignment fitness (integer division by the deviation cost, as pm4py does)."""
    den = (trace_length * DEVIATION_COST + best_worst) // DEVIATION_COST
    return 1 - (cost // DEVIATION_COST) / den if den > 0 else 0.0


def _result(variant: Variant, raw: _Raw, worst: int) -> Alignment:
    cost, moves, visited = raw
    if cost < 0:
        return Alignment(variant, (), None, None, 0, 0, 0, 0, visited, bounded=True)
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
    return Alignment(variant, moves, cost, fitness(cost, len(variant), worst), sync, log, model, silent,
                     visited)


# -- the search ------------------------------------------------------------------------------------------


def _search(space: StateSpace, variant: Variant, max_states: int = SEARCH_LIMIT, with_moves: bool = True) -> _Raw:
    """A* over (marking, position): returns (cost, moves, states expanded), or cost -1 and no moves when
    more than ``max_states`` states were expanded (no moves either without ``with_moves``).

    A state is expanded in two steps: first its cheap moves (synchronous and silent), while its deviating
    moves (log and visible model moves) wait in the queue under a lower bound of their estimated cost, so
    a trace that fits never generates them. Queue order: estimated total cost, then deeper in the trace,
    then the latest queued (depth first among equals), so the search is deterministic.
    """
    n = len(variant)
    width = n + 1
    ids = [space.label_id.get(a, UNKNOWN) for a in variant]
    h = _heuristic(space, ids)
    goal = -1
    h0 = h(space.initial, 0)
    if h0 < 0:
        _unreachable(space)
    heap: list[tuple[int, int, int, int, int]] = [(h0, 0, 0, 0, space.initial)]
    best = {space.initial * width: 0}  # g of the best path queued so far; -1 once expanded
    parent: dict[int, tuple[int, int, object]] = {}
    seq = expanded = 0
    moves_of = _search_moves(space)
    to_final = space.to_final
    push = heapq.heappush
    pop = heapq.heappop
    get = best.get
    dev = DEVIATION_COST
    while heap:
        f, neg_i, _, g, m = pop(heap)
        i = -neg_i
        if m >= 0:  # a state: its synchronous and silent moves
            key = m * width + i
            if best[key] != g:
                continue  # expanded already, or queued again with a lower cost
            best[key] = -1
            expanded += 1
            if expanded > max_states:
                return -1, (), expanded
            by_label, silent, visible = moves_of(m)
            if i < n:
                i1 = i + 1
                for y, taus, path in by_label.get(ids[i], ()):
                    nk = y * width + i1
                    ng = g + taus
                    if get(nk, INFINITE) > ng:
                        hv = h(y, i1)
                        if hv >= 0:
                            best[nk] = ng
                            parent[nk] = (key, SYNC, path)
                            seq -= 1
                            push(heap, (ng + hv, neg_i - 1, seq, ng, y))
            else:
                home = to_final(m)
                if home is not None:
                    ng = g + home[0] * SILENT_COST
                    if ng < get(goal, INFINITE):
                        best[goal] = ng
                        parent[goal] = (key, HOME, home[1])
                        seq -= 1
                        push(heap, (ng, -width, seq, ng, goal))
            for y, taus, path in silent:
                yk = y * width + i
                ng = g + taus
                if get(yk, INFINITE) > ng:
                    hv = h(y, i)
                    if hv >= 0:
                        best[yk] = ng
                        parent[yk] = (key, SILENT, path)
                        seq -= 1
                        push(heap, (ng + hv, neg_i, seq, ng, y))
            if i < n or visible:
                # each deviating move costs one deviation and lowers h by at most one
                seq -= 1
                push(heap, (f + dev if f - g < dev else f, neg_i, seq, g, -2 - m))
        elif m == goal:
            return g, _moves(space, variant, parent, width) if with_moves else (), expanded
        else:  # the deviating moves of state -2 - m
            m = -2 - m
            key = m * width + i
            if i < n:
                nk = key + 1
                ng = g + dev
                if get(nk, INFINITE) > ng:
                    best[nk] = ng
                    parent[nk] = (key, LOG, None)
                    seq -= 1
                    push(heap, (ng + h(m, i + 1), neg_i - 1, seq, ng, m))
            for y, taus, path in moves_of(m)[2]:
                yk = y * width + i
                ng = g + taus + dev
                if get(yk, INFINITE) > ng:
                    hv = h(y, i)
                    if hv >= 0:
                        best[yk] = ng
                        parent[yk] = (key, MODEL, path)
                        seq -= 1
                        push(heap, (ng + hv, neg_i, seq, ng, y))
    _unreachable(space)


_Step = tuple[int, int, tuple[str, ...]]  # target marking, silent cost, transition ids
_Moves = tuple[dict[int, list[_Step]], list[_Step], list[_Step]]


def _search_moves(space: StateSpace) -> Callable[[int], _Moves]:
    """``space.moves`` as the search uses them: visible moves by label (for synchronous moves), single
    silent steps, and all visible moves (for model moves); moves into markings that cannot reach the end
    left out."""
    cache: dict[int, _Moves] = space.extras.setdefault("alignments.steps", {})  # type: ignore[assignment]
    alive = space.bounds.visible if space.bounds is not None else None

    def moves(m: int) -> _Moves:
        found = cache.get(m)
        if found is None:
            by_label: dict[int, list[_Step]] = {}
            silent: list[_Step] = []
            visible: list[_Step] = []
            for lab, y, taus, path in space.moves(m):
                if alive is not None and alive[y] >= INFINITE:
                    continue
                step = (y, taus * SILENT_COST, path)
                if lab >= 0:
                    by_label.setdefault(lab, []).append(step)
                    visible.append(step)
                else:
                    silent.append(step)
            found = cache[m] = (by_label, silent, visible)
        return found

    return moves


def _unreachable(space: StateSpace) -> NoReturn:
    raise ModelError("conform.final_unreachable", Location(space.net.name))


# kinds of steps in the search; UNKNOWN/NONE: label ids that match no move (a label the net does not have,
# and "no event left")
LOG, SYNC, MODEL, SILENT, HOME = range(5)
UNKNOWN, NONE = -2, -3


def _heuristic(space: StateSpace, ids: list[int]):
    """h(marking, position): a lower bound on the cost still to pay, or -1 if the final marking cannot be
    reached any more.

    Deviations: remaining events of labels the net cannot fire that often any more (or does not have) are
    log moves; labels every remaining run fires more often than the rest of the trace has them are model
    moves; and the fewest visible transitions to the end, less the events that could still be synchronous,
    bound both together. Plus the fewest silent transitions to the end. Consistent: no move lowers it by
    more than its own cost.
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
    dev = DEVIATION_COST
    if bounds is None:
        return lambda m, i: unknown[i] * dev
    visible, silent, fewer, needed = bounds.visible, bounds.silent, bounds.fewer, bounds.needed

    def h(m: int, i: int) -> int:
        vis = visible[m]
        if vis >= INFINITE:
            return -1
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
        return (log + (model if model > vis else vis if vis > 0 else 0)) * dev + silent[m]

    return h


def _moves(space: StateSpace, variant: Variant, parent: dict[int, tuple[int, int, object]],
           width: int) -> tuple[Move, ...]:
    label_of: dict[str, str | None] | None = space.extras.get("alignments.labels")  # type: ignore[assignment]
    if label_of is None:
        label_of = space.extras["alignments.labels"] = {t.id: t.label for t in space.net.transitions}
    out: list[Move] = []
    key = -1
    while key in parent:
        prev, kind, how = parent[key]
        i = prev % width
        if kind == LOG:
            out.append((variant[i], None, None))
        else:
            steps = list(how)  # type: ignore[call-overload]
            if kind == SYNC:
                last = steps.pop()
                out.append((variant[i], last, label_of[last]))
            elif kind == MODEL:
                last = steps.pop()
                out.append((None, last, label_of[last]))
            out.extend((None, t, None) for t in reversed(steps))
        key = prev
    out.reverse()
    return tuple(out)


# -- workers -----------------------------------------------------------------------------------------------


def _chunk_worker(net: PetriNet, state_limit: int, max_states: int = SEARCH_LIMIT,
                  with_moves: bool = True) -> Callable[[list[Variant]], list[_Raw]]:
    """In a worker process: the function that aligns one chunk of variants."""
    space = state_space(net, limit=state_limit)
    return lambda chunk: [_search(space, v, max_states, with_moves) for v in chunk]


def _align_parallel(net: PetriNet, todo: list[Variant], workers: int, state_limit: int,
                    max_states: int, *, with_moves: bool = True) -> list[_Raw]:
    chunks = [todo[k:k + CHUNK] for k in range(0, len(todo), CHUNK)]
    bare = PetriNet(net.name, net.places, net.transitions, net.arcs, net.initial, net.final)  # without caches
    results = run_batches(chunks, _chunk_worker(net, state_limit, max_states, with_moves), workers=workers,
                          factory=f"{__name__}:_chunk_worker", setup=(bare, state_limit, max_states, with_moves))
    return [r for chunk in results for r in chunk]
