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
_TRIALS = 12  # candidates (and as many margins) weighed per repair


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
    """``Σ coefficient · cell = rhs`` (``kind`` "eq"), ``≤ rhs`` ("le"), or ``low ≤ Σ cells ≤ high``
    ("between", the coefficients 1): a sum a reader can bound by two published counts — and knows exactly
    when both are published and equal."""

    terms: tuple[tuple[Key, float], ...]
    kind: str = "eq"
    rhs: float = 0.0
    low: Key | None = None
    high: Key | None = None

    @property
    def keys(self) -> tuple[Key, ...]:
        keys = tuple(k for k, c in self.terms if c)
        return (*keys, self.low, self.high) if self.kind == "between" else keys

    def as_equality(self, ledger: Ledger, out: set[Key]) -> tuple[Key, ...] | None:
        """The members of this relation when it tells a reader an exact sum (None otherwise): an equality,
        or a "between" whose bounds are published and equal (then ``low`` stands for both)."""
        if self.kind == "eq":
            return self.keys
        if self.kind != "between" or self.low in out or self.high in out:
            return None
        cells = ledger.cells
        if cells[self.low].value != cells[self.high].value:
            return None
        return (*(k for k, _ in self.terms), self.low)


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

    def between(self, low: Key, parts: Sequence[Key], high: Key) -> None:
        """``low`` ≤ Σ ``parts`` ≤ ``high`` (checked)."""
        total = sum(self.cells[p].value for p in parts)
        if not self.cells[low].value <= total <= self.cells[high].value:
            raise ValueError(f"{parts!r} do not lie between {low!r} and {high!r}")
        self.relations.append(Relation(tuple((p, 1.0) for p in parts), kind="between", low=low, high=high))


@dataclass(frozen=True)
class Protection:
    """The outcome of :func:`protect`: the ``hidden`` cells, the ``primary`` ones among them (never to be
    published as such: which hidden cell is small is itself confidential), the feasible interval of every
    hidden cell given everything published (``bounds``, when asked for), and the small cells the published
    numbers still narrow below [1, k−1] because only frozen cells could have helped (``unprotected``)."""

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
        return tuple(sorted(self.unprotected, key=repr))


def is_small(value: int | None, k: int) -> bool:
    """A count that must not be shown: 1 … k−1."""
    return value is not None and 0 < value < k


def covers(bounds: tuple[float, float], k: int) -> bool:
    """True when the interval, rounded inwards to whole numbers, still holds all of [1, k−1]."""
    low, high = bounds
    low_int = math.ceil(low - _EPS)
    high_int = math.inf if math.isinf(high) else math.floor(high + _EPS)
    return low_int <= 1 and high_int >= k - 1


def protect(ledger: Ledger, k: int, *, hidden: Iterable[Key] = (), frozen: Iterable[Key] = (),
            bounds: bool = True) -> Protection:
    """Primary and secondary suppression of ``ledger`` at threshold ``k``, audited by linear programming
    (see the module docstring). ``hidden``: cells hidden anyway; ``frozen``: cells whose state may not
    change; ``bounds``: also compute every hidden cell's feasible interval for the record (two linear
    programs per cell; the audit itself needs far fewer). Deterministic: candidates are ranked by cost,
    then by the order cells were added."""
    order = {key: i for i, key in enumerate(ledger.cells)}
    frozen = frozenset(frozen)
    primary = frozenset(key for key, c in ledger.cells.items() if c.sensitive and is_small(c.value, k))
    out = set(primary) | set(hidden)
    by_cell: dict[Key, list[int]] = {}
    for i, rel in enumerate(ledger.relations):
        for key in rel.keys:
            by_cell.setdefault(key, []).append(i)
    solver = _Solver(ledger, order, by_cell)
    unprotected: set[Key] = set()
    _singletons(ledger, out, frozen, order, by_cell)
    while True:
        bad = sorted(solver.narrowed(out, [key for key in primary if key not in unprotected], k),
                     key=order.__getitem__)
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
                _singletons(ledger, out, frozen, order, by_cell, choice)
                added = True
        if not added:
            break
    still = solver.narrowed(out, sorted(primary, key=order.__getitem__), k)
    final = {key: solver.interval(out, key) for key in sorted(out, key=order.__getitem__)} if bounds else {}
    return Protection(k, frozenset(out), primary & frozenset(out), final, frozenset(still), solver.solved)


def _repair(ledger: Ledger, solver: _Solver, out: set[Key], key: Key, k: int, by_cell: dict[Key, list[int]],
            frozen: frozenset, order: dict[Key, int]) -> set[Key] | None:
    """The cells to hide so that ``key`` gets its protection interval back: candidates from its component,
    cheapest first, each tried with its secondary partners (a few cheap ones, then the margins — a count
    pinned by two published totals is only freed by hiding one of them); the first that protects the cell,
    else the one that widens its interval most, else the cheapest."""
    component = _component(ledger, out, key, by_cell)
    ranked = sorted(_candidates(ledger, out, component, by_cell, frozen),
                    key=lambda c: _cost(ledger, c, order, out, by_cell))
    if not ranked:
        return None
    options = []
    for candidate in ([c for c in ranked if not ledger.cells[c].total][:_TRIALS]
                      + [c for c in ranked if ledger.cells[c].total][:_TRIALS]):
        trial = set(out) | {candidate}
        _singletons(ledger, trial, frozen, order, by_cell, [candidate])
        added = trial - out
        # fewest numbers lost first (a partner that closes a cycle of relations beats one that starts a chain)
        options.append((sum(ledger.cells[c].shown for c in added), sum(ledger.cells[c].value for c in added),
                        order[candidate], trial, added))
    options.sort(key=lambda o: o[:3])
    low, high = solver.interval(out, key)
    need_low, need_high = math.ceil(low - _EPS) > 1, not covers((0.0, high), k)
    best, best_gain = None, 0.0
    for *_, trial, added in options:
        new_low = solver.extreme(trial, key, lowest=True) if need_low else low
        new_high = solver.extreme(trial, key, lowest=False) if need_high else high
        if covers((new_low, new_high), k):
            return added
        gain = (low - new_low) + (new_high - high)
        if gain > best_gain:
            best, best_gain = added, gain
    return best if best is not None else {ranked[0]}


def _cost(ledger: Ledger, key: Key, order: dict[Key, int], out: set[Key], by_cell: dict[Key, list[int]]) -> tuple:
    # never printed first (free); margins last; zeros after that (a zero partner adds no room: x + 0 = s
    # still bounds x by s); then partners that leave no new relation with a single hidden member (they close
    # a cycle instead of starting a chain of further suppressions); among the rest the smallest count, rows
    # that could be a finding after the others
    cell = ledger.cells[key]
    fresh = 0
    for i in by_cell.get(key, ()):
        rel = ledger.relations[i]
        members = rel.as_equality(ledger, out)
        # hiding a bound of a "between" turns it into a mere bound: no new exact sum to protect
        if members is not None and key not in (rel.low, rel.high) and not any(m in out for m in members):
            fresh += 1
    return (cell.shown, cell.total, cell.value <= 0, fresh, cell.keep, cell.value, order[key])


def _cheapest(ledger: Ledger, candidates: Iterable[Key], order: dict[Key, int], out: set[Key],
              by_cell: dict[Key, list[int]]) -> Key | None:
    return min(candidates, key=lambda key: _cost(ledger, key, order, out, by_cell), default=None)


def _singletons(ledger: Ledger, out: set[Key], frozen: frozenset, order: dict[Key, int],
                by_cell: dict[Key, list[int]], since: Iterable[Key] | None = None) -> None:
    """Give every equality with exactly one hidden member a second hidden member, until none is left.
    ``since``: only relations touching these newly hidden cells can have changed (all when None)."""
    if since is None:
        todo = [i for i, rel in enumerate(ledger.relations) if rel.kind != "le"]
    else:
        todo = sorted({i for key in since for i in by_cell.get(key, ())})
    while todo:
        added: list[Key] = []
        for i in todo:
            keys = ledger.relations[i].as_equality(ledger, out)
            if keys is None or sum(1 for key in keys if key in out) != 1:
                continue
            choice = _cheapest(ledger, (key for key in keys if key not in out and key not in frozen), order, out,
                               by_cell)
            if choice is not None:
                out.add(choice)
                added.append(choice)
        todo = sorted({i for key in added for i in by_cell.get(key, ())})


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
    """Linear programs over the hidden cells of one connected component at a time (the published cells are
    constants), remembered per component: the loop of :func:`protect` re-audits only what changed."""

    def __init__(self, ledger: Ledger, order: dict[Key, int], by_cell: dict[Key, list[int]]) -> None:
        self.ledger = ledger
        self.order = order
        self.by_cell = by_cell
        self.solved = 0
        # a bound no count reaches: certificates look for points inside it (the true point is one)
        self.ceiling = 10.0 * (1 + max((c.value for c in ledger.cells.values()), default=0))
        self._problems: dict[frozenset, tuple[list[Key], dict]] = {}
        self._intervals: dict[tuple[frozenset, Key], tuple[float, float]] = {}
        self._narrowed: dict[tuple[frozenset, frozenset], frozenset] = {}

    def interval(self, out: set[Key], key: Key) -> tuple[float, float]:
        """The smallest and largest value ``key`` can take given everything published."""
        component = frozenset(_component(self.ledger, out, key, self.by_cell))
        memo = self._intervals.get((component, key))
        if memo is None:
            variables, problem = self._problem(component)
            c = np.zeros(len(variables))
            c[variables.index(key)] = 1.0
            low = self._optimum(c, problem)
            high = -self._optimum(-c, problem)
            memo = self._intervals[(component, key)] = (low, high)
        return memo

    def extreme(self, out: set[Key], key: Key, *, lowest: bool) -> float:
        """The smallest (``lowest``) or the largest value ``key`` can take: one program, not two."""
        component = frozenset(_component(self.ledger, out, key, self.by_cell))
        memo = self._intervals.get((component, key))
        if memo is not None:
            return memo[0] if lowest else memo[1]
        variables, problem = self._problem(component)
        c = np.zeros(len(variables))
        c[variables.index(key)] = 1.0
        return self._optimum(c, problem) if lowest else -self._optimum(-c, problem)

    def narrowed(self, out: set[Key], targets: Sequence[Key], k: int) -> set[Key]:
        """The ``targets`` whose feasible interval does not hold [1, k−1]. Per component, points that lift
        (or lower) all open targets at once certify most of them with a few programs; only the rest get a
        program each."""
        result: set[Key] = set()
        seen: set[Key] = set()
        for key in targets:
            if key in seen:
                continue
            component = frozenset(_component(self.ledger, out, key, self.by_cell))
            mine = frozenset(t for t in targets if t in component)
            seen |= mine
            memo = self._narrowed.get((component, mine))
            if memo is None:
                memo = self._narrowed[(component, mine)] = self._certify(component, mine, k)
            result |= memo
        return result

    def _certify(self, component: frozenset, targets: frozenset, k: int) -> frozenset:
        variables, problem = self._problem(component)
        index = {key: i for i, key in enumerate(variables)}
        bad: set[Key] = set()
        for lowest in (False, True):
            open_ = set(targets)
            while open_:
                point = self._point(sorted(open_, key=self.order.__getitem__), index, problem, k, lowest)
                done = {key for key in open_
                        if (point[index[key]] <= 1 + _EPS if lowest else point[index[key]] >= k - 1 - _EPS)}
                if not done:
                    break
                open_ -= done
            for key in open_:
                value = self.extreme(set(component), key, lowest=lowest)
                if not covers((value, math.inf) if lowest else (0.0, value), k):
                    bad.add(key)
        return frozenset(bad)

    def _point(self, open_: list[Key], index: dict[Key, int], problem: dict, k: int, lowest: bool) -> np.ndarray:
        """A feasible point with as many ``open_`` cells as possible at most 1 (``lowest``) or at least k−1:
        the sum of the cells is minimised, or the sum of ``min(cell, k−1)`` maximised (one helper variable
        per cell), within a ceiling no count reaches."""
        n = len(index)
        if lowest:
            c = np.zeros(n)
            c[[index[key] for key in open_]] = 1.0
            bounds = [(0, self.ceiling)] * n
            extra = {k_: problem[k_] for k_ in ("A_eq", "b_eq", "A_ub", "b_ub")}
        else:
            m = len(open_)
            c = np.concatenate([np.zeros(n), -np.ones(m)])
            lift = np.zeros((m, n + m))
            for j, key in enumerate(open_):
                lift[j, index[key]] = -1.0
                lift[j, n + j] = 1.0
            a_eq = problem["A_eq"]
            a_ub = problem["A_ub"]
            extra = {"A_eq": None if a_eq is None else np.hstack([a_eq, np.zeros((a_eq.shape[0], m))]),
                     "b_eq": problem["b_eq"],
                     "A_ub": lift if a_ub is None else np.vstack([np.hstack([a_ub, np.zeros((a_ub.shape[0], m))]),
                                                                   lift]),
                     "b_ub": np.zeros(m) if a_ub is None else np.concatenate([problem["b_ub"], np.zeros(m)])}
            bounds = [(0, self.ceiling)] * n + [(0, k - 1)] * m
        self.solved += 1
        res = linprog(c, bounds=bounds, method="highs", **extra)
        if res.status != 0:  # the true values always satisfy the relations; anything else is a bug
            raise RuntimeError(f"disclosure audit: linear program failed ({res.message})")
        return res.x[:n]

    def _problem(self, component: frozenset) -> tuple[list[Key], dict]:
        memo = self._problems.get(component)
        if memo is not None:
            return memo
        cells = self.ledger.cells
        variables = sorted(component, key=self.order.__getitem__)
        index = {key: i for i, key in enumerate(variables)}
        rels = sorted({i for key in component for i in self.by_cell.get(key, ())})
        eq_rows, eq_rhs, ub_rows, ub_rhs = [], [], [], []
        for i in rels:
            rel = self.ledger.relations[i]
            rows = ([(rel.terms, rel.rhs, rel.kind == "eq")] if rel.kind != "between" else
                    [(((rel.low, 1.0), *((p, -1.0) for p, _ in rel.terms)), 0.0, False),
                     ((*rel.terms, (rel.high, -1.0)), 0.0, False)])
            for terms, rhs, equal in rows:
                row = np.zeros(len(variables))
                for key, coef in terms:
                    if key in index:
                        row[index[key]] += coef
                    else:
                        rhs -= coef * cells[key].value
                (eq_rows if equal else ub_rows).append(row)
                (eq_rhs if equal else ub_rhs).append(rhs)
        problem = {"A_eq": np.array(eq_rows) if eq_rows else None, "b_eq": np.array(eq_rhs) if eq_rows else None,
                   "A_ub": np.array(ub_rows) if ub_rows else None, "b_ub": np.array(ub_rhs) if ub_rows else None,
                   "bounds": [(0, None)] * len(variables), "method": "highs"}
        memo = self._problems[component] = (variables, problem)
        return memo

    def _optimum(self, c: np.ndarray, problem: dict) -> float:
        self.solved += 1
        res = linprog(c, **problem)
        if res.status == 3:  # unbounded: nothing published limits the cell in this direction
            return -math.inf
        if res.status != 0:  # the true values always satisfy the relations; anything else is a bug
            raise RuntimeError(f"disclosure audit: linear program failed ({res.message})")
        return float(res.fun)
