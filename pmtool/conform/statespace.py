"""The state space of a Petri net as conformance checking walks it: markings interned to small ints.

A :class:`StateSpace` is built once per net (and kept with it) and shared by every alignment and precision
computation on that net.

- Markings are tuples of token counts (one entry per place), so nets with arc weights > 1 and unsafe
  markings work like safe ones; each distinct marking gets an int id.
- If the reachability graph has at most ``limit`` markings it is explored up front, and per-marking bounds
  for the A* heuristic are computed from it (:class:`Bounds`). Otherwise markings are explored on the fly
  as the searches reach them, and the heuristic only counts labels the net does not have.
- :meth:`StateSpace.moves` lists what can happen in a marking. Silent steps are collapsed into the visible
  moves after them (fewest silent steps, found breadth-first with transitions in net order, so ties break
  the same way in every run), unless too many markings lie behind silent transitions: then the marking's
  moves are its single transitions, silent ones included.

>>> from pmtool.models.petri import PetriNet
>>> net = PetriNet.build("n", places=["i", "p", "q", "o"], transitions=[("a", "A"), ("t", None), ("b", "B")],
...                      arcs=[("i", "a"), ("a", "p"), ("p", "t"), ("t", "q"), ("q", "b"), ("b", "o")],
...                      initial={"i": 1}, final={"o": 1})
>>> space = StateSpace(net)
>>> [(space.labels[lab], space.marking(m), taus, path) for lab, m, taus, path in space.moves(space.initial)]
[('A', (('p', 1),), 0, ('a',))]
>>> after_a = space.moves(space.initial)[0][1]
>>> [(space.labels[lab], space.marking(m), taus, path) for lab, m, taus, path in space.moves(after_a)]
[('B', (('o', 1),), 1, ('t', 'b'))]
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass

from pmtool.errors import Location, ModelError
from pmtool.models.petri import Marking, PetriNet

#: Markings explored up front; a bigger net is explored on the fly during the searches.
DEFAULT_LIMIT = 200_000
#: Silent steps are collapsed into the visible moves after them while at most this many markings lie behind
#: silent transitions from a marking; beyond that (concurrent silent transitions interleave combinatorially,
#: or silent transitions pump tokens) the marking's moves are its single transitions, silent ones included.
COLLAPSE_LIMIT = 8
#: "Unbounded" in the per-marking label counts.
INFINITE = 1 << 30
#: States one search may expand before giving up (silent transitions that produce tokens without bound).
SEARCH_LIMIT = 2_000_000

Move = tuple[int, int, int, tuple[str, ...]]  # (label id, target marking id, silent steps, transition ids)


def fingerprint(net: PetriNet) -> str:
    """A stable hash of the net's structure and markings (not its name): the key of cached results."""
    cached = net._cache.get("conform.fingerprint")
    if cached is None:
        text = repr((sorted(net.places), sorted((t.id, t.label) for t in net.transitions), sorted(net.arcs),
                     net.initial, net.final))
        cached = net._cache["conform.fingerprint"] = hashlib.sha256(text.encode()).hexdigest()
    return cached


def state_space(net: PetriNet, *, limit: int = DEFAULT_LIMIT) -> StateSpace:
    """The net's state space, built on first use and kept with the (immutable) net."""
    key = ("conform.state_space", limit)
    space = net._cache.get(key)
    if space is None:
        space = net._cache[key] = StateSpace(net, limit=limit)
    return space


@dataclass(frozen=True)
class Bounds:
    """Per-marking bounds on what every path to the final marking fires, as label bitmasks (bit ``a`` is
    label id ``a``), for the A* heuristic.

    ``visible[m]``: fewest visible transitions on a path from ``m`` to the final marking (``INFINITE`` if
    the final marking cannot be reached from ``m``). ``fewer[m][k]``: labels that fire fewer than ``k + 1``
    times on every such path (the last entry holds for every larger ``k``; labels on a cycle are never in
    it). ``needed[m][k]``: labels that fire at least ``k + 1`` times on every such path (none beyond the
    last entry). ``silent[m]``: fewest silent transitions on such a path.
    """

    visible: list[int]
    silent: list[int]
    fewer: list[tuple[int, ...]]
    needed: list[tuple[int, ...]]


class StateSpace:
    """Interned markings of one net with their successors, collapsed silent moves and heuristic bounds."""

    def __init__(self, net: PetriNet, *, limit: int = DEFAULT_LIMIT, collapse: int = COLLAPSE_LIMIT) -> None:
        self.net = net
        self.collapse = collapse
        self.places = tuple(net.places)
        index = {p: i for i, p in enumerate(self.places)}
        self.labels: tuple[str, ...] = tuple(sorted(net.labels))
        self.label_id = {a: i for i, a in enumerate(self.labels)}
        self.transition_ids = tuple(t.id for t in net.transitions)
        self.transition_label = tuple(-1 if t.label is None else self.label_id[t.label]
                                      for t in net.transitions)
        self._pre = tuple(tuple((index[p], w) for p, w in sorted(net.preset[t.id].items()))
                          for t in net.transitions)
        delta: list[dict[int, int]] = []
        for t in net.transitions:
            d: dict[int, int] = {}
            for p, w in net.preset[t.id].items():
                d[index[p]] = d.get(index[p], 0) - w
            for p, w in net.postset[t.id].items():
                d[index[p]] = d.get(index[p], 0) + w
            delta.append({p: v for p, v in d.items() if v})
        self._delta = tuple(tuple(sorted(d.items())) for d in delta)
        consumers: list[list[int]] = [[] for _ in self.places]
        self._always = tuple(k for k, pre in enumerate(self._pre) if not pre)  # empty preset: always enabled
        for k, pre in enumerate(self._pre):
            for p, _ in pre:
                consumers[p].append(k)
        self._consumers = tuple(tuple(c) for c in consumers)
        self._ids: dict[tuple[int, ...], int] = {}
        self._markings: list[tuple[int, ...]] = []
        self._succ: list[list[tuple[int, int]] | None] = []
        self._moves: list[list[Move] | None] = []
        self._to_final: list[tuple[int, tuple[str, ...]] | None | bool] = []
        self.initial = self._intern(self._vector(net.initial, index))
        self.final = self._intern(self._vector(net.final, index))
        self.complete = self._explore(limit)
        self.extras: dict[str, object] = {}  # derived tables its users keep with it
        self.bounds = self._bounds() if self.complete else None
        if self.complete and self.bounds is not None and self.bounds.visible[self.initial] >= INFINITE:
            raise ModelError("conform.final_unreachable", Location(net.name))

    # -- markings ---------------------------------------------------------------------------------------

    @staticmethod
    def _vector(m: Marking, index: dict[str, int]) -> tuple[int, ...]:
        v = [0] * len(index)
        for p, n in m:
            v[index[p]] = n
        return tuple(v)

    def _intern(self, vec: tuple[int, ...]) -> int:
        mid = self._ids.get(vec)
        if mid is None:
            mid = self._ids[vec] = len(self._markings)
            self._markings.append(vec)
            self._succ.append(None)
            self._moves.append(None)
            self._to_final.append(False)
        return mid

    @property
    def size(self) -> int:
        """Markings interned so far."""
        return len(self._markings)

    def marking(self, mid: int) -> Marking:
        """The marking with id ``mid`` as pmtool's sorted ``(place, tokens)`` pairs."""
        return tuple(sorted((self.places[p], n) for p, n in enumerate(self._markings[mid]) if n))

    def successors(self, mid: int) -> list[tuple[int, int]]:
        """``(transition index, target marking id)`` for every transition enabled in marking ``mid``."""
        succ = self._succ[mid]
        if succ is None:
            vec = self._markings[mid]
            candidates = set(self._always)
            for p, n in enumerate(vec):
                if n:
                    candidates.update(self._consumers[p])
            succ = []
            for k in sorted(candidates):
                if all(vec[p] >= w for p, w in self._pre[k]):
                    new = list(vec)
                    for p, d in self._delta[k]:
                        new[p] += d
                    succ.append((k, self._intern(tuple(new))))
            self._succ[mid] = succ
        return succ

    def _explore(self, limit: int) -> bool:
        """Breadth-first exploration of all reachable markings; False if there are more than ``limit``."""
        queue = deque([self.initial])
        seen = {self.initial}
        while queue:
            for _, target in self.successors(queue.popleft()):
                if target not in seen:
                    if len(seen) >= limit:
                        return False
                    seen.add(target)
                    queue.append(target)
        return True

    # -- silent closure -------------------------------------------------------------------------------

    def moves(self, mid: int) -> list[Move]:
        """What can fire from ``mid``: visible transitions after the fewest silent ones (label id >= 0);
        or, for a marking with too many markings behind silent transitions, single transitions (silent ones
        with label id -1 and one silent step)."""
        moves = self._moves[mid]
        if moves is None:
            moves = self._close(mid)
        return moves

    def to_final(self, mid: int) -> tuple[int, tuple[str, ...]] | None:
        """``(silent steps, transition ids)`` from ``mid`` to the final marking by silent moves only."""
        if self._moves[mid] is None:
            self._close(mid)
        return self._to_final[mid]  # type: ignore[return-value]

    def _close(self, mid: int) -> list[Move]:
        dist = {mid: 0}
        parent: dict[int, tuple[int, int]] = {}
        best: dict[tuple[int, int], tuple[int, int, int]] = {}
        order: list[tuple[int, int]] = []
        queue = deque([mid])
        label = self.transition_label
        while queue:
            x = queue.popleft()
            dx = dist[x]
            for k, y in self.successors(x):
                if label[k] < 0:
                    if y not in dist:
                        if len(dist) > self.collapse:
                            return self._single(mid)
                        dist[y] = dx + 1
                        parent[y] = (x, k)
                        queue.append(y)
                elif (label[k], y) not in best:
                    best[(label[k], y)] = (dx, x, k)
                    order.append((label[k], y))
        moves = [(lab, y, best[(lab, y)][0], self._path(parent, best[(lab, y)][1], best[(lab, y)][2]))
                 for lab, y in order]
        self._moves[mid] = moves
        fin = dist.get(self.final)
        self._to_final[mid] = None if fin is None else (fin, self._path(parent, self.final, None))
        return moves

    def _single(self, mid: int) -> list[Move]:
        label, ids = self.transition_label, self.transition_ids
        moves = [(label[k], y, 0 if label[k] >= 0 else 1, (ids[k],)) for k, y in self.successors(mid)]
        self._moves[mid] = moves
        self._to_final[mid] = (0, ()) if mid == self.final else None
        return moves

    def _path(self, parent: dict[int, tuple[int, int]], x: int, last: int | None) -> tuple[str, ...]:
        steps = [] if last is None else [self.transition_ids[last]]
        while x in parent:
            x, k = parent[x]
            steps.append(self.transition_ids[k])
        return tuple(reversed(steps))

    # -- heuristic bounds ----------------------------------------------------------------------------

    def _bounds(self) -> Bounds:
        n = self.size
        nl = len(self.labels)
        label = self.transition_label
        back: list[list[tuple[int, int]]] = [[] for _ in range(n)]  # target → (source, label)
        for x in range(n):
            for k, y in self.successors(x):
                back[y].append((x, label[k]))
        visible = self._backward_01(back, lambda lab: lab >= 0)
        silent = self._backward_01(back, lambda lab: lab < 0)
        alive = [v < INFINITE for v in visible]
        at_least = [[0] * nl for _ in range(n)]
        for a in range(nl):
            dist = self._backward_01(back, lambda lab, a=a: lab == a)
            for x in range(n):
                if alive[x]:
                    at_least[x][a] = dist[x]
        at_most = self._at_most(alive)
        fewer, needed = [], []
        for x in range(n):
            finite = [c for c in at_most[x] if c < INFINITE]
            fewer.append(tuple(sum(1 << a for a, c in enumerate(at_most[x]) if c < k)
                               for k in range(1, max(finite, default=0) + 2)))
            needed.append(tuple(sum(1 << a for a, c in enumerate(at_least[x]) if c >= k)
                                for k in range(1, max(at_least[x], default=0) + 1)))
        return Bounds(visible, silent, fewer, needed)

    def _backward_01(self, back: list[list[tuple[int, int]]], counts) -> list[int]:
        """Fewest transitions with ``counts(label)`` on a path from each marking to the final one."""
        dist = [INFINITE] * self.size
        dist[self.final] = 0
        queue = deque([self.final])
        while queue:
            y = queue.popleft()
            dy = dist[y]
            for x, lab in back[y]:
                w = 1 if counts(lab) else 0
                if dy + w < dist[x]:
                    dist[x] = dy + w
                    if w:
                        queue.append(x)
                    else:
                        queue.appendleft(x)
        return dist

    def _at_most(self, alive: list[bool]) -> list[tuple[int, ...]]:
        """Most firings of each label on a path to the final marking, over the strongly connected components
        of the markings that can still reach it (a label on a cycle can fire unboundedly often)."""
        n, nl = self.size, len(self.labels)
        label = self.transition_label
        succ = [[(label[k], y) for k, y in self.successors(x) if alive[y]] if alive[x] else []
                for x in range(n)]
        comp = _components(succ)  # numbered in reverse topological order: successors' components come first
        ncomp = max(comp, default=-1) + 1
        inner: list[set[int]] = [set() for _ in range(ncomp)]
        for x in range(n):
            for lab, y in succ[x]:
                if comp[x] == comp[y] and lab >= 0:
                    inner[comp[x]].add(lab)
        members: list[list[int]] = [[] for _ in range(ncomp)]
        for x in range(n):
            if alive[x]:
                members[comp[x]].append(x)
        best: list[list[int]] = [[0] * nl for _ in range(ncomp)]
        for c in range(ncomp):
            row = best[c]
            for x in members[c]:
                for lab, y in succ[x]:
                    d = comp[y]
                    if d == c:
                        continue
                    other = best[d]
                    for a in range(nl):
                        v = other[a] + (1 if a == lab else 0)
                        if v > row[a]:
                            row[a] = v
            for a in inner[c]:
                row[a] = INFINITE
            for a in range(nl):
                if row[a] > INFINITE:
                    row[a] = INFINITE
        zero = (0,) * nl
        return [tuple(best[comp[x]]) if alive[x] else zero for x in range(n)]


def _components(succ: list[list[tuple[int, int]]]) -> list[int]:
    """Tarjan's strongly connected components (iterative); components numbered in reverse topological
    order (a component's successors have smaller numbers)."""
    n = len(succ)
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    comp = [-1] * n
    stack: list[int] = []
    counter = 0
    ncomp = 0
    for root in range(n):
        if index[root] >= 0:
            continue
        work = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            v, i = work[-1]
            edges = succ[v]
            if i < len(edges):
                work[-1] = (v, i + 1)
                w = edges[i][1]
                if index[w] < 0:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, 0))
                elif on_stack[w]:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp[w] = ncomp
                    if w == v:
                        break
                ncomp += 1
    return comp
