"""pmtool's own Petri net: plain, immutable, hashable — what conformance checking needs and nothing more.

pm4py's net objects stay in :mod:`pmtool.eventlog.pm4py_bridge`; here a net is tuples of ids.

>>> net = PetriNet.build("n", places=["i", "o"], transitions=[("t", "A")], arcs=[("i", "t"), ("t", "o")],
...                      initial={"i": 1}, final={"o": 1})
>>> net.labels
frozenset({'A'})
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

Marking = tuple[tuple[str, int], ...]  # sorted (place, tokens) pairs with tokens > 0


def marking(tokens: Mapping[str, int]) -> Marking:
    """A canonical, hashable marking."""
    return tuple(sorted((p, n) for p, n in tokens.items() if n))


@dataclass(frozen=True)
class Transition:
    """``label`` is the activity name, or ``None`` for a silent (tau) transition."""

    id: str
    label: str | None
    origin: str | None = None  # the model element it came from (BPMN id), for diagnostics


@dataclass(frozen=True)
class PetriNet:
    name: str
    places: tuple[str, ...]
    transitions: tuple[Transition, ...]
    arcs: tuple[tuple[str, str, int], ...]  # (source, target, weight); place→transition or transition→place
    initial: Marking
    final: Marking
    _cache: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def build(cls, name: str, *, places: Iterable[str], transitions: Iterable[tuple[str, str | None]],
              arcs: Iterable[tuple[str, str] | tuple[str, str, int]], initial: Mapping[str, int],
              final: Mapping[str, int]) -> PetriNet:
        """Convenience constructor; arcs default to weight 1."""
        return cls(
            name=name,
            places=tuple(places),
            transitions=tuple(Transition(t, label) for t, label in transitions),
            arcs=tuple((a[0], a[1], a[2] if len(a) > 2 else 1) for a in arcs),  # type: ignore[misc]
            initial=marking(initial),
            final=marking(final),
        )

    @cached_property
    def preset(self) -> dict[str, dict[str, int]]:
        """Transition id → {input place: weight}."""
        pre: dict[str, dict[str, int]] = {t.id: {} for t in self.transitions}
        for src, dst, w in self.arcs:
            if dst in pre:
                pre[dst][src] = pre[dst].get(src, 0) + w
        return pre

    @cached_property
    def postset(self) -> dict[str, dict[str, int]]:
        """Transition id → {output place: weight}."""
        post: dict[str, dict[str, int]] = {t.id: {} for t in self.transitions}
        for src, dst, w in self.arcs:
            if src in post:
                post[src][dst] = post[src].get(dst, 0) + w
        return post

    @cached_property
    def labels(self) -> frozenset[str]:
        """The visible activity labels."""
        return frozenset(t.label for t in self.transitions if t.label is not None)

    @cached_property
    def transition(self) -> dict[str, Transition]:
        return {t.id: t for t in self.transitions}

    def enabled(self, tokens: Mapping[str, int]) -> list[Transition]:
        return [t for t in self.transitions
                if all(tokens.get(p, 0) >= w for p, w in self.preset[t.id].items())]

    def fire(self, tokens: Mapping[str, int], transition: str) -> dict[str, int]:
        out = dict(tokens)
        for p, w in self.preset[transition].items():
            out[p] -= w
            if not out[p]:
                del out[p]
        for p, w in self.postset[transition].items():
            out[p] = out.get(p, 0) + w
        return out


def reduce_silent(net: PetriNet, *, one_sided: bool = False) -> PetriNet:
    """Fuse series places joined by a silent transition (Murata's fusion of series places).

    A silent transition ``t`` with one input place ``p`` and one output place ``q`` disappears, and ``p``
    and ``q`` become one place, when ``t`` is the only transition consuming from ``p`` and the only one
    producing into ``q``. With ``one_sided``, one of the two suffices: ``t`` the only consumer of ``p`` (a
    token in ``p`` can only move on to ``q``: ``p`` is fused into ``q``) or the only producer into ``q`` (a
    token reaches ``q`` only from ``p``: ``q`` is fused into ``p``, which offers ``q``'s consumers as well) —
    this also removes the silent branches of exclusive gateways, so the BPMN of a discovered model (a gateway
    for every operator) shrinks to about the size of the discovered net. The language of visible labels
    stays the same either way; there are fewer silent steps and far fewer markings.
    """
    places = list(net.places)
    transitions = list(net.transitions)
    arcs = [list(a) for a in net.arcs]
    initial, final = dict(net.initial), dict(net.final)
    changed = True
    while changed:
        changed = False
        consumers: dict[str, set[str]] = {}
        producers: dict[str, set[str]] = {}
        pre: dict[str, list[tuple[str, int]]] = {}
        post: dict[str, list[tuple[str, int]]] = {}
        tids = {t.id for t in transitions}
        for src, dst, w in arcs:
            if dst in tids:
                consumers.setdefault(src, set()).add(dst)
                pre.setdefault(dst, []).append((src, w))
            else:
                producers.setdefault(dst, set()).add(src)
                post.setdefault(src, []).append((dst, w))
        for t in transitions:
            if t.label is not None:
                continue
            ins, outs = pre.get(t.id, []), post.get(t.id, [])
            if len(ins) != 1 or len(outs) != 1 or ins[0][1] != 1 or outs[0][1] != 1:
                continue
            p, q = ins[0][0], outs[0][0]
            if p == q:
                continue
            both = producers.get(q) == {t.id} and consumers.get(p) == {t.id}
            if not (both or one_sided):
                continue
            if producers.get(q) == {t.id} and q not in initial:
                keep, gone = p, q  # fuse q into p: p takes q's consumers and q's place in the final marking
            elif consumers.get(p) == {t.id} and p not in final:
                keep, gone = q, p  # fuse p into q: q takes p's producers and p's place in the initial marking
            else:
                continue
            neighbours = [consumers.get(x, set()) | producers.get(x, set()) for x in (keep, gone)]
            if (neighbours[0] & neighbours[1]) - {t.id}:
                continue  # a transition on both places would need an arc weight of 2 after the fusion
            transitions = [x for x in transitions if x.id != t.id]
            arcs = [a for a in arcs if t.id not in (a[0], a[1])]
            for a in arcs:
                if a[0] == gone:
                    a[0] = keep
                if a[1] == gone:
                    a[1] = keep
            places = [x for x in places if x != gone]
            for tokens in (initial, final):
                if gone in tokens:
                    tokens[keep] = tokens.get(keep, 0) + tokens.pop(gone)
            changed = True
            break
    return PetriNet(net.name, tuple(places), tuple(transitions), tuple((a[0], a[1], a[2]) for a in arcs),
                    marking(initial), marking(final))


def closing_labels(net: PetriNet, limit: int = 200_000) -> frozenset[str]:
    """Labels after which the final marking can be reached by silent steps alone: the activities that may
    end a case of this model. Explores the reachable markings (up to ``limit``; beyond that, the labels of
    transitions that put a token into a final-marking place are used as an approximation)."""
    start = dict(net.initial)
    target = marking(dict(net.final))
    seen: dict[Marking, dict[str, int]] = {marking(start): start}
    edges: list[tuple[Marking, str | None, Marking]] = []
    queue = [marking(start)]
    while queue:
        if len(seen) > limit or len(edges) > 4 * limit:  # many concurrent branches: bounded in time and memory
            finals = {p for p, _ in net.final}
            return frozenset(t.label for t in net.transitions
                             if t.label is not None and finals & set(net.postset[t.id]))
        current = queue.pop()
        tokens = seen[current]
        for t in net.enabled(tokens):
            nxt = net.fire(tokens, t.id)
            key = marking(nxt)
            edges.append((current, t.label, key))
            if key not in seen:
                seen[key] = nxt
                queue.append(key)
    # markings from which the final marking is reachable by silent moves only (backwards closure)
    silent_into: dict[Marking, list[Marking]] = {}
    for src, label, dst in edges:
        if label is None:
            silent_into.setdefault(dst, []).append(src)
    good = {target} if target in seen else set()
    stack = list(good)
    while stack:
        m = stack.pop()
        for prev in silent_into.get(m, []):
            if prev not in good:
                good.add(prev)
                stack.append(prev)
    return frozenset(label for _, label, dst in edges if label is not None and dst in good)


def reachable_states(net: PetriNet, limit: int) -> int | None:
    """The number of markings reachable from the initial one, or ``None`` when there are more than ``limit``.
    Markings are kept sparse and only the transitions of marked places are tried, so the check stays quick
    up to the limit (a safe net, the usual case, is walked with sets of marked places)."""
    if all(w == 1 for _, _, w in net.arcs) and all(n == 1 for _, n in net.initial):
        try:
            return _count(frozenset(p for p, _ in net.initial), _safe_successors(net), limit)
        except _NotSafe:
            pass  # a second token on a place: count tokens instead
    return _count(net.initial, _successors(net), limit)


class _NotSafe(Exception):
    pass


def _count(first: Any, successors: Callable[[Any], Iterable[Any]], limit: int) -> int | None:
    seen = {first}
    stack = [first]
    while stack:
        for key in successors(stack.pop()):
            if key not in seen:
                if len(seen) >= limit:
                    return None
                seen.add(key)
                stack.append(key)
    return len(seen)


def _by_input(moves: list[tuple[Any, Any]], inputs: Callable[[Any], Iterable[str]]
              ) -> tuple[dict[str, list[tuple[Any, Any]]], list[tuple[Any, Any]]]:
    """Moves by their input places, and those without one (always enabled)."""
    consumers: dict[str, list[tuple[Any, Any]]] = {}
    for move in moves:
        for place in inputs(move):
            consumers.setdefault(place, []).append(move)
    return consumers, [m for m in moves if not list(inputs(m))]


def _successors(net: PetriNet) -> Callable[[Marking], Iterator[Marking]]:
    moves = []
    for t in net.transitions:
        delta: dict[str, int] = {}
        for place, w in net.preset[t.id].items():
            delta[place] = delta.get(place, 0) - w
        for place, w in net.postset[t.id].items():
            delta[place] = delta.get(place, 0) + w
        moves.append((tuple(net.preset[t.id].items()), delta))
    consumers, free = _by_input(moves, lambda m: (p for p, _ in m[0]))

    def successors(current: Marking) -> Iterator[Marking]:
        tokens = dict(current)
        candidates = {id(m): m for place in tokens for m in consumers.get(place, ())}
        for pre, delta in [*candidates.values(), *free]:
            if all(tokens.get(place, 0) >= w for place, w in pre):
                nxt = dict(tokens)
                for place, d in delta.items():
                    nxt[place] = nxt.get(place, 0) + d
                yield marking(nxt)

    return successors


def _safe_successors(net: PetriNet) -> Callable[[frozenset[str]], Iterator[frozenset[str]]]:
    moves = [(frozenset(net.preset[t.id]), frozenset(net.postset[t.id])) for t in net.transitions]
    consumers, free = _by_input(moves, lambda m: m[0])

    def successors(current: frozenset[str]) -> Iterator[frozenset[str]]:
        candidates = {id(m): m for place in current for m in consumers.get(place, ())}
        for pre, post in [*candidates.values(), *free]:
            if pre <= current:
                rest = current - pre
                if rest & post:
                    raise _NotSafe
                yield rest | post

    return successors
