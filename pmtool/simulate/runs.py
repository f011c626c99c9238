"""Causal runs of a Soll Petri net: plan-driven playout into a *skeleton* (events with their causes).

The token game fires enabled transitions until the final marking is reached. Choices are not made by
chance inside the net but by a :data:`Chooser` that knows the case (pathogen, priority, …): for each
exclusive-gateway branch (a silent transition whose ``origin`` is the gateway id) it answers whether
the branch is taken, given how often that gateway was visited. Loops are therefore bounded by the case
plan, and the same plan always gives the same run, so runs are cached per plan.

Every token remembers the visible events that produced it (through silent transitions), so each visible
event gets its direct causal predecessors. Any order of the events that respects these causes is a firing
sequence of the net; the timing engine picks one by giving each event a time after its causes.

>>> from pmtool.models.petri import PetriNet
>>> net = PetriNet.build("n", places=["i", "p", "o"], transitions=[("a", "A"), ("b", "B")],
...                      arcs=[("i", "a"), ("a", "p"), ("p", "b"), ("b", "o")],
...                      initial={"i": 1}, final={"o": 1})
>>> play(net, lambda gateway, target, visits: True, {"A": "A", "B": "B"}).nodes
(('A', ()), ('B', (0,)))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

from pmtool.models.petri import PetriNet

#: (gateway id, target place of the branch, visits of this gateway so far) -> take this branch?
Chooser = Callable[[str, str, int], bool]
_MAX_STEPS = 10_000


class PlayoutError(RuntimeError):
    """The net and the chooser disagree (no branch chosen, or the final marking is never reached)."""


@dataclass(frozen=True)
class Skeleton:
    """Visible events of one run in a causal (topological) order: ``(activity id, predecessor indices)``."""

    nodes: tuple[tuple[str, tuple[int, ...]], ...]
    _cache: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @cached_property
    def activities(self) -> tuple[str, ...]:
        return tuple(a for a, _ in self.nodes)

    @cached_property
    def first(self) -> dict[str, int]:
        """Activity → index of its first occurrence."""
        out: dict[str, int] = {}
        for i, (act, _) in enumerate(self.nodes):
            out.setdefault(act, i)
        return out

    @cached_property
    def occurrence(self) -> tuple[int, ...]:
        """For each event, how many earlier events of the same activity the skeleton has."""
        seen: dict[str, int] = {}
        out = []
        for act, _ in self.nodes:
            out.append(seen.get(act, 0))
            seen[act] = out[-1] + 1
        return tuple(out)

    def has(self, act: str) -> bool:
        return act in self.first

    def ancestors(self, i: int) -> set[int]:
        seen: set[int] = set()
        stack = list(self.nodes[i][1])
        while stack:
            j = stack.pop()
            if j not in seen:
                seen.add(j)
                stack.extend(self.nodes[j][1])
        return seen

    # -- edits used by deviation patterns (pure: each returns a new skeleton) ----------------------

    def without(self, acts: Iterable[str]) -> Skeleton:
        """All occurrences of ``acts`` removed; their dependants inherit their causes."""
        drop = set(acts)
        keep = [i for i, (a, _) in enumerate(self.nodes) if a not in drop]
        resolved: dict[int, tuple[int, ...]] = {}
        for i, (a, preds) in enumerate(self.nodes):
            causes: list[int] = []
            for p in preds:
                for q in resolved.get(p, (p,)):
                    if q not in causes:
                        causes.append(q)
            if a in drop:
                resolved[i] = tuple(causes)
        new_index = {old: new for new, old in enumerate(keep)}
        nodes = []
        for i in keep:
            a, preds = self.nodes[i]
            causes = []
            for p in preds:
                for q in resolved.get(p, (p,)):
                    if new_index[q] not in causes:
                        causes.append(new_index[q])
            nodes.append((a, tuple(causes)))
        return Skeleton(tuple(nodes))

    def insert_after(
        self, anchor: str, acts: Iterable[str], *, series: bool, occurrence: int = 0
    ) -> Skeleton:
        """A chain of new events after the ``occurrence``-th ``anchor``.

        ``series=True`` puts the chain between the anchor and everything that waited for it; ``False``
        makes it a side branch nothing waits for.
        """
        positions = [i for i, (a, _) in enumerate(self.nodes) if a == anchor]
        if occurrence >= len(positions):
            raise PlayoutError(f"no occurrence {occurrence} of {anchor}")
        at = positions[occurrence]
        new = list(acts)
        k = len(new)

        def shift(j: int) -> int:
            return j if j <= at else j + k

        nodes: list[tuple[str, tuple[int, ...]]] = []
        for i, (a, preds) in enumerate(self.nodes):
            nodes.append((a, tuple(shift(p) for p in preds)))
            if i == at:
                for n, act in enumerate(new):
                    nodes.append((act, (at + n,)))
        if series:
            last = at + k
            out = []
            for i, (a, preds) in enumerate(nodes):
                if i > last:
                    preds = tuple(dict.fromkeys(last if p == at else p for p in preds))
                out.append((a, preds))
            nodes = out
        return Skeleton(tuple(nodes))

    def move_after(self, act: str, anchor: str, *, occurrence: int = 0) -> Skeleton:
        """``act`` taken out of its place and put in series after ``anchor``."""
        return self.without([act]).insert_after(anchor, [act], series=True, occurrence=occurrence)


def play(net: PetriNet, choose: Chooser, label_ids: dict[str, str]) -> Skeleton:
    """Play the net out once. ``label_ids`` maps transition labels to activity ids (vocabulary)."""
    tokens: dict[str, list[tuple[int, ...]]] = {p: [()] * n for p, n in net.initial}
    visits: dict[str, int] = {}
    nodes: list[tuple[str, tuple[int, ...]]] = []
    final = dict(net.final)
    for _ in range(_MAX_STEPS):
        enabled = [
            t
            for t in net.transitions
            if all(len(tokens.get(p, ())) >= w for p, w in net.preset[t.id].items())
        ]
        if not enabled:
            current = {p: len(v) for p, v in tokens.items() if v}
            if current == final:
                return Skeleton(tuple(nodes))
            raise PlayoutError(f"dead marking {sorted(current)}")
        fired = _pick(net, enabled, choose, visits)
        causes: list[int] = []
        for p, w in net.preset[fired.id].items():
            for _ in range(w):
                for c in tokens[p].pop(0):
                    if c not in causes:
                        causes.append(c)
        if fired.label is not None:
            nodes.append((label_ids[fired.label], tuple(causes)))
            produced: tuple[int, ...] = (len(nodes) - 1,)
        else:
            produced = tuple(causes)
        for p, w in net.postset[fired.id].items():
            tokens.setdefault(p, []).extend([produced] * w)
    raise PlayoutError("the playout did not terminate (unbounded loop?)")


def _pick(net: PetriNet, enabled: list, choose: Chooser, visits: dict[str, int]):
    """Fire a non-choice transition first (order among concurrent ones does not change the run);
    at a choice, ask the chooser which branch of the gateway to take."""
    by_place: dict[str, list] = {}
    for t in enabled:
        pre = net.preset[t.id]
        if len(pre) == 1:
            by_place.setdefault(next(iter(pre)), []).append(t)
    conflicted = {t.id for ts in by_place.values() if len(ts) > 1 for t in ts}
    for t in enabled:
        if t.id not in conflicted:
            return t
    place, options = next((p, ts) for p, ts in by_place.items() if len(ts) > 1)
    gateway = options[0].origin or place
    n = visits.get(gateway, 0)
    visits[gateway] = n + 1
    chosen = [t for t in options if t.label is None and choose(gateway, next(iter(net.postset[t.id])), n)]
    if len(chosen) != 1:
        raise PlayoutError(f"gateway {gateway}: the case plan chose {len(chosen)} of {len(options)} branches")
    return chosen[0]
