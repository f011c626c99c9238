"""Statistical disclosure control over everything published together: primary and secondary suppression,
checked by linear programming — the audit τ-ARGUS and sdcTable run for official statistics.

A :class:`Ledger` holds every count that is published (or can be derived from what is published) as a
cell, and the linear relations between them: a total and its parts, ``eligible = affected + …``, "all other
offices" = total − own, the same count shown in two tables (one cell, one key). :func:`protect` then

1. hides every *sensitive* cell with a count of 1 … k−1 (**primary suppression**; zero is shown: "none"
   reveals nothing about a person);
2. gives every relation with a single hidden member a second one (**secondary suppression**), the member
   that costs least: first cells that are never printed themselves, then small positive counts, totals
   and zeros last (a zero partner bounds the hidden cell by its own value);
3. **audits** the result: for every primary cell it computes, by linear programming over all published
   numbers (the hidden cells are the unknowns, ≥ 0, the published ones constants), the smallest and the
   largest value the cell can take. The cell is protected when that interval still holds the whole
   protection interval [1, k−1] — whatever a reader combines, "·" stays "somewhere from 1 to k−1". A cell
   that is narrowed gets one more hidden partner from its component, and the audit repeats.

Cells in ``frozen`` keep their state (a table already decided elsewhere); when only frozen cells could help,
the cell is reported in :attr:`Protection.unprotected` and the caller withholds the numbers that depend
on it.

The audit solves the linear relaxation, as τ-ARGUS does; the bounds are rounded inwards to whole numbers.
Published statistics that are not linear in the counts (p-values, shrunk rates) are computed from
published numbers only (see :mod:`pmtool.compare.compare`), so they add nothing the audit does not see.

>>> ledger = Ledger()
>>> for office, n in (("GA-01", 3), ("GA-02", 40), ("GA-03", 9)):
...     _ = ledger.cell(("stale", office), n)
>>> _ = ledger.total(("stale", "all"), [("stale", o) for o in ("GA-01", "GA-02", "GA-03")])
>>> result = protect(ledger, k=5)
>>> sorted(result.hidden), result.recoverable
([('stale', 'GA-01'), ('stale', 'GA-03')], ())
>>> result.bounds[("stale", "GA-01")]
(0.0, 12.0)
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog

Key = Hashable
_EPS = 1e-6
_TRIALS = 6  # cheap candidates tried per repair before the margins


@dataclass(frozen=True)
class Cell:
    """One published count. ``sensitive``: the primary rule applies (a count of cases); ``shown``: printed
    somewhere (False: only derivable from other cells, so hiding it loses nothing); ``total``: a margin
    (hidden only as a last resort); ``keep``: larger values are hidden later among equals (e.g. a row that
    could be a finding)."""

    value: int
    sensitive: bool = True
    shown: bool = True
    total: bool = False
    keep: int = 0


@dataclass(frozen=True)
class Relation:
    """``Σ coefficient · cell = rhs`` (``kind`` "eq") or ``≤ rhs`` (``kind`` "le")."""

    terms: tuple[tuple[Key, float], ...]
    kind: str = "eq"
    rhs: float = 0.0

    @property
    def keys(self) -> tuple[Key, ...]:
        return tuple(k for k, c in self.terms if c)


@dataclass
class Ledger:
    """The cells and relations of one publication. Keys are any hashable; a key added twice must carry the
    same value (the same count shown in two places is one cell)."""

    cells: dict[Key, Cell] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)

    def cell(self, key: Key, value: int, *, sensitive: bool = True, shown: bool = True, total: bool = False,
             keep: int = 0) -> Key:
        """Add a cell (or check that an existing one has the same value); returns ``key``."""
        old = self.cells.get(key)
        if old is not None:
            if old.value != int(value):
                raise ValueError(f"cell {key!r} has two values: {old.value} and {value}")
            if keep > old.keep or (shown and not old.shown):
                self.cells[key] = Cell(old.value, old.sensitive, old.shown or shown, old.total, max(old.keep, keep))
            return key
        self.cells[key] = Cell(int(value), sensitive, shown, total, keep)
        return key

    def total(self, key: Key, parts: Iterable[Key], *, sensitive: bool = True, shown: bool = True) -> Key:
        """A margin: cell ``key`` = Σ ``parts`` (its value is computed from the parts)."""
        parts = list(dict.fromkeys(parts))
        self.cell(key, sum(self.cells[p].value for p in parts), sensitive=sensitive, shown=shown, total=True)
        self.relations.append(Relation(tuple((p, 1.0) for p in parts) + ((key, -1.0),)))
        return key

    def equal(self, whole: Key, parts: Sequence[Key]) -> None:
        """``whole`` = Σ ``parts`` for cells that are all already there (checked)."""
        if self.cells[whole].value != sum(self.cells[p].value for p in parts):
            raise ValueError(f"{whole!r} is not the sum of {parts!r}")
        self.relations.append(Relation(tuple((p, 1.0) for p in parts) + ((whole, -1.0),)))

    def at_most(self, part: Key, whole: Key) -> None:
        """``part`` ≤ ``whole`` (affected cases never exceed the eligible ones)."""
        self.relations.append(Relation(((part, 1.0), (whole, -1.0)), kind="le"))


@dataclass(frozen=True)
class Protection:
    """The outcome of :func:`protect`: the ``hidden`` cells, the ``primary`` ones among them (never to be
    published as such: which hidden cell is small is itself confidential), the feasible interval of every
    hidden cell given everything published (``bounds``), and the small cells that could not be protected
    because only frozen cells could have helped (``unprotected``)."""

    k: int
    hidden: frozenset
    primary: frozenset
    bounds: dict
    unprotected: frozenset = frozenset()
    solved: int = 0  # linear programs solved

    def is_hidden(self, key: Key) -> bool:
        return key in self.hidden

    @property
    def recoverable(self) -> tuple:
        """Primary cells whose feasible interval is narrower than [1, k−1] (empty after :func:`protect`,
        unless cells were frozen)."""
        return tuple(key for key in self.primary if not covers(self.bounds[key], self.k))


def is_small(value: int | None, k: int) -> bool:
    """A count that must not be shown: 1 … k−1."""
    return value is not None and 0 < value < k


def covers(bounds: tuple[float, float], k: int) -> bool:
    """True when the interval, rounded inwards to whole numbers, still holds all of [1, k−1]."""
    low, high = bounds
    low_int = math.ceil(low - _EPS)
    high_int = math.inf if math.isinf(high) else math.floor(high + _EPS)
    return low_int <= 1 and high_int >= k - 1


def protect(ledger: Ledger, k: int, *, hidden: Iterable[Key] = (), frozen: Iterable[Key] = ()) -> Protection:
    """Primary and secondary suppression of ``ledger`` at threshold ``k``, audited by linear programming
    (see the module docstring). ``hidden``: cells hidden anyway; ``frozen``: cells whose state may not
    change. Deterministic: candidates are ranked by cost, then by the order cells were added."""
    order = {key: i for i, key in enumerate(ledger.cells)}
    frozen = frozenset(frozen)
    primary = frozenset(key for key, c in ledger.cells.items() if c.sensitive and is_small(c.value, k))
    out = set(primary) | set(hidden)
    by_cell: dict[Key, list[int]] = {}
    for i, rel in enumerate(ledger.relations):
        for key in rel.keys:
            by_cell.setdefault(key, []).append(i)
    solver = _Solver(ledger, order)
    unprotected: set[Key] = set()
    while True:
        _singletons(ledger, out, frozen, order)
        bounds = solver.bounds(out, [key for key in primary if key not in unprotected])
        bad = sorted((key for key, b in bounds.items() if not covers(b, k)), key=order.__getitem__)
        added = False
        done: set[Key] = set()
        for key in bad:
            if key in done:
                continue
            done |= _component(ledger, out, key, by_cell)
            choice = _repair(ledger, solver, out, key, k, by_cell, frozen, order)
            if choice is None:
                unprotected.add(key)
            else:
                out |= choice
                added = True
        if not added:
            break
    final = solver.bounds(out, sorted(out, key=order.__getitem__))
    return Protection(k, frozenset(out), primary & frozenset(out), final,
                      frozenset(key for key in primary if not covers(final[key], k)), solver.solved)


def _repair(ledger: Ledger, solver: _Solver, out: set[Key], key: Key, k: int, by_cell: dict[Key, list[int]],
            frozen: frozenset, order: dict[Key, int]) -> set[Key] | None:
    """The cells to hide so that ``key`` gets its protection interval back: candidates from its component,
    cheapest first, each tried with its secondary partners (a few cheap ones, then the margins — a count
    pinned by two published totals is only freed by hiding one of them); the first that protects the cell,
    else the one that widens its interval most, else the cheapest."""
    component = _component(ledger, out, key, by_cell)
    ranked = sorted(_candidates(ledger, out, component, by_cell, frozen),
                    key=lambda c: _cost(ledger.cells[c], order[c]))
    if not ranked:
        return None
    trials = [c for c in ranked if not ledger.cells[c].total][:_TRIALS] + [c for c in ranked if ledger.cells[c].total]
    low, high = solver.bounds(out, [key])[key]
    best, best_gain = None, 0.0
    for candidate in trials:
        trial = set(out) | {candidate}
        _singletons(ledger, trial, frozen, order)
        bounds = solver.bounds(trial, [key])[key]
        if covers(bounds, k):
            return trial - out
        gain = (low - bounds[0]) + (bounds[1] - high)
        if gain > best_gain:
            best, best_gain = trial - out, gain
    return best if best is not None else {ranked[0]}


def _cost(cell: Cell, position: int) -> tuple:
    # never printed first (free); margins last; zeros after that (a zero partner adds no room: x + 0 = s
    # still bounds x by s); among the rest the smallest count, rows that could be a finding after the others
    return (cell.shown, cell.total, cell.value <= 0, cell.keep, cell.value, position)


def _cheapest(ledger: Ledger, candidates: Iterable[Key], order: dict[Key, int]) -> Key | None:
    return min(candidates, key=lambda key: _cost(ledger.cells[key], order[key]), default=None)


def _singletons(ledger: Ledger, out: set[Key], frozen: frozenset, order: dict[Key, int]) -> None:
    """Give every equality with exactly one hidden member a second hidden member, until none is left."""
    changed = True
    while changed:
        changed = False
        for rel in ledger.relations:
            if rel.kind != "eq":
                continue
            keys = rel.keys
            if sum(1 for key in keys if key in out) != 1:
                continue
            choice = _cheapest(ledger, (key for key in keys if key not in out and key not in frozen), order)
            if choice is not None:
                out.add(choice)
                changed = True


def _component(ledger: Ledger, out: set[Key], start: Key, by_cell: dict[Key, list[int]]) -> set[Key]:
    """The hidden cells linked to ``start`` through relations."""
    seen = {start}
    stack = [start]
    while stack:
        key = stack.pop()
        for i in by_cell.get(key, ()):
            for other in ledger.relations[i].keys:
                if other in out and other not in seen:
                    seen.add(other)
                    stack.append(other)
    return seen


def _candidates(ledger: Ledger, out: set[Key], component: set[Key], by_cell: dict[Key, list[int]],
                frozen: frozenset) -> set[Key]:
    found: set[Key] = set()
    for key in component:
        for i in by_cell.get(key, ()):
            found.update(other for other in ledger.relations[i].keys if other not in out and other not in frozen)
    return found


class _Solver:
    """Feasible intervals of hidden cells by linear programming, one problem per connected component,
    remembered per component (the loop of :func:`protect` re-audits only what changed)."""

    def __init__(self, ledger: Ledger, order: dict[Key, int]) -> None:
        self.ledger = ledger
        self.order = order
        self.solved = 0
        self._memo: dict[tuple[frozenset, Key], tuple[float, float]] = {}
        self._by_cell: dict[Key, list[int]] = {}
        for i, rel in enumerate(ledger.relations):
            for key in rel.keys:
                self._by_cell.setdefault(key, []).append(i)

    def bounds(self, out: set[Key], targets: Sequence[Key]) -> dict[Key, tuple[float, float]]:
        result: dict[Key, tuple[float, float]] = {}
        for key in targets:
            if key in result:
                continue
            component = frozenset(_component(self.ledger, out, key, self._by_cell))
            todo = [t for t in targets if t in component and (component, t) not in self._memo]
            if todo:
                for t, b in zip(todo, self._solve(component, todo), strict=True):
                    self._memo[(component, t)] = b
            for t in component:
                if (component, t) in self._memo:
                    result[t] = self._memo[(component, t)]
        return result

    def _solve(self, component: frozenset, targets: list[Key]) -> list[tuple[float, float]]:
        cells = self.ledger.cells
        variables = sorted(component, key=self.order.__getitem__)
        index = {key: i for i, key in enumerate(variables)}
        rels = sorted({i for key in component for i in self._by_cell.get(key, ())})
        eq_rows, eq_rhs, ub_rows, ub_rhs = [], [], [], []
        for i in rels:
            rel = self.ledger.relations[i]
            row = np.zeros(len(variables))
            rhs = rel.rhs
            for key, coef in rel.terms:
                if key in index:
                    row[index[key]] += coef
                else:
                    rhs -= coef * cells[key].value
            (eq_rows if rel.kind == "eq" else ub_rows).append(row)
            (eq_rhs if rel.kind == "eq" else ub_rhs).append(rhs)
        problem = {"A_eq": np.array(eq_rows) if eq_rows else None, "b_eq": np.array(eq_rhs) if eq_rows else None,
                   "A_ub": np.array(ub_rows) if ub_rows else None, "b_ub": np.array(ub_rhs) if ub_rows else None,
                   "bounds": [(0, None)] * len(variables), "method": "highs"}
        out = []
        for key in targets:
            c = np.zeros(len(variables))
            c[index[key]] = 1.0
            low = self._optimum(c, problem)
            high = -self._optimum(-c, problem)
            out.append((low, high))
        return out

    def _optimum(self, c: np.ndarray, problem: dict) -> float:
        self.solved += 1
        res = linprog(c, **problem)
        if res.status == 3:  # unbounded: nothing published limits the cell in this direction
            return -math.inf
        if res.status != 0:  # the true values always satisfy the relations; anything else is a bug
            raise RuntimeError(f"disclosure audit: linear program failed ({res.message})")
        return float(res.fun)
