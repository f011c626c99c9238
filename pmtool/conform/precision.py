"""Alignment-based precision (align-ETConformance) with the semantics of ``pm4py.precision_alignments``.

What pm4py computes (``algo/evaluation/precision/variants/align_etconformance.py``), and so what this does:

- every proper, non-empty prefix of every trace (``trace[:k]``, ``1 <= k < len(trace)``) is weighted by
  the number of traces that have it, and remembers the activities observed right after it;
- each prefix is replayed on the net with synchronous and silent moves only (no log or visible model
  moves), with the fewest silent steps; the markings reached right after its last event by such cheapest
  replays are kept. A prefix that cannot be replayed this way is left out;
- the *activated* labels of a prefix are those enabled in these markings after silent steps; the ones
  never observed after the prefix are its *escaping edges*;
- the empty prefix counts once per trace: labels enabled initially against the log's start activities;
- precision = 1 - sum(escaping * weight) / sum(activated * weight), or 1.0 if nothing is activated.

Instead of one search per distinct prefix, the prefixes form a trie and each node extends its parent's
replay by one event (the cheapest replays of a prefix end in markings that the parent's replays, all of
them with their costs, reach by silent steps and one synchronous move), on the net's shared
:class:`~pmtool.conform.statespace.StateSpace`.

>>> from pmtool.models.petri import PetriNet
>>> net = PetriNet.build("n", places=["i", "o"], transitions=[("a", "A"), ("b", "B")],
...                      arcs=[("i", "a"), ("a", "o"), ("i", "b"), ("b", "o")],
...                      initial={"i": 1}, final={"o": 1})
>>> precision(net, {("A",): 3})
0.5
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence

from pmtool.conform.statespace import DEFAULT_LIMIT, SEARCH_LIMIT, StateSpace, state_space
from pmtool.errors import Location, ModelError
from pmtool.models.petri import PetriNet

VariantCounts = Mapping[Sequence[str], int] | Iterable[tuple[Sequence[str], int]]


def precision(net: PetriNet, variants_with_counts: VariantCounts, *, pm4py_comma_split: bool = False,
              state_limit: int = DEFAULT_LIMIT) -> float:
    """Align-ETConformance precision of ``net`` on a log given as ``{variant: number of cases}`` (or pairs).

    Equals ``pm4py.precision_alignments`` on the same log and net, except for activity names with a comma:
    pm4py joins each prefix into one string with "," and splits it again, so it replays
    "Kommunikation (Einrichtung, Öffentlichkeit)" as two activities the net does not know and drops that
    prefix and all its extensions. pmtool keeps the activity whole; ``pm4py_comma_split=True`` reproduces
    pm4py's behaviour (for comparisons).

    Raises :class:`~pmtool.errors.ModelError` if the final marking cannot be reached (pm4py refuses such
    nets as not easy sound).
    """
    if isinstance(variants_with_counts, Mapping):
        items: Iterable[tuple[Sequence[str], int]] = variants_with_counts.items()
    else:
        items = variants_with_counts
    space = state_space(net, limit=state_limit)
    # the prefix trie: node 0 is the empty prefix; weight = traces having the prefix, seen = labels after it
    children: list[dict[str, int]] = [{}]
    weight = [0]
    seen: list[set[str]] = [set()]
    traces = 0
    starts: set[str] = set()
    for variant, count in items:
        traces += count
        if variant:
            starts.add(variant[0])
        node = 0
        for k, activity in enumerate(variant):
            if k:
                weight[node] += count
                seen[node].add(activity)
            for token in activity.split(",") if pm4py_comma_split else (activity,):
                child = children[node].get(token)
                if child is None:
                    child = children[node][token] = len(children)
                    children.append({})
                    weight.append(0)
                    seen.append(set())
                node = child
    enabled = _enabled_labels(space)
    bit = {a: 1 << i for i, a in enumerate(space.labels)}

    def escaping(activated: int, observed: set[str]) -> int:
        mask = 0
        for a in observed:
            mask |= bit.get(a, 0)
        return (activated & ~mask).bit_count()

    initial = enabled(space.initial)
    activated_sum = traces * initial.bit_count()
    escaping_sum = traces * escaping(initial, starts)
    # depth first: replay states are kept only for the branches still to be walked
    stack: list[tuple[int, dict[int, int]]] = [(0, {space.initial: 0})]
    while stack:
        node, reached = stack.pop()
        for activity, child in children[node].items():
            nxt = _step(space, reached, space.label_id.get(activity, -1))
            if not nxt:
                continue  # not replayable: neither this prefix nor its extensions count
            if weight[child]:
                cheapest = min(nxt.values())
                activated = 0
                for m, cost in nxt.items():
                    if cost == cheapest:
                        activated |= enabled(m)
                activated_sum += activated.bit_count() * weight[child]
                escaping_sum += escaping(activated, seen[child]) * weight[child]
            if children[child]:
                stack.append((child, nxt))
    return 1 - escaping_sum / activated_sum if activated_sum > 0 else 1.0


def _step(space: StateSpace, reached: dict[int, int], label: int) -> dict[int, int]:
    """Markings right after one more synchronous move on ``label``, with the fewest silent steps so far.

    Dijkstra from the markings ``reached`` (with their costs) over silent steps: collapsed ones come with
    each visible move, single ones (markings with many markings behind silent transitions) are followed.
    """
    out: dict[int, int] = {}
    if label < 0:
        return out
    heap = sorted((c, m) for m, c in reached.items())
    done: set[int] = set()
    while heap:
        cost, m = heapq.heappop(heap)
        if m in done:
            continue
        done.add(m)
        if len(done) > SEARCH_LIMIT:
            raise ModelError("conform.search_too_large", Location(space.net.name), limit=SEARCH_LIMIT)
        for lab, y, taus, _ in space.moves(m):
            if lab == label:
                c = cost + taus
                if c < out.get(y, c + 1):
                    out[y] = c
            elif lab < 0 and y not in done:
                heapq.heappush(heap, (cost + taus, y))
    return out


def _enabled_labels(space: StateSpace):
    """Marking id → bitmask of the visible labels pm4py counts as enabled in it after silent steps (memoised).

    This follows pm4py's ``get_visible_transitions_eventually_enabled_by_marking`` step by step, including
    its quirk: it walks a list of (transition, marking) pairs in order of transition name, but keeps only
    the *latest* marking per transition, so a transition listed twice is explored from the later marking
    only and some markings behind silent transitions may never be looked at. The result can therefore be
    a subset of the labels really enabled after silent steps; reproducing it keeps the value equal to pm4py's.
    """
    rank = {k: r for r, k in enumerate(sorted(range(len(space.transition_ids)),
                                              key=lambda k: space.transition_ids[k]))}
    label = space.transition_label
    memo: dict[int, int] = {}

    def ordered(m: int) -> list[tuple[int, int]]:
        return sorted(space.successors(m), key=lambda ky: rank[ky[0]])

    def enabled(m: int) -> int:
        mask = memo.get(m)
        if mask is None:
            mask = 0
            todo = [k for k, _ in ordered(m)]
            at = dict.fromkeys(todo, m)
            visited: set[tuple[int, int]] = set()
            i = 0
            while i < len(todo):
                k = todo[i]
                mk = at[k]
                if (k, mk) not in visited:
                    if label[k] >= 0:
                        mask |= 1 << label[k]
                    else:
                        y = dict(space.successors(mk)).get(k)  # None: not enabled in the latest marking
                        if y is not None:
                            for k2, _ in ordered(y):
                                todo.append(k2)
                                at[k2] = y
                    visited.add((k, mk))
                i += 1
            memo[m] = mask
        return mask

    return enabled
