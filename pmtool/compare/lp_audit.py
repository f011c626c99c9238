"""The linear programs of the disclosure audit (:mod:`pmtool.compare.disclosure`): how far a reader can
narrow each hidden count from everything published.

The hidden cells of one connected component (cells linked through relations) are the unknowns, ≥ 0; every
published cell is a constant. :meth:`Auditor.interval` gives a cell's smallest and largest value (two
programs). :meth:`Auditor.narrowed` only needs to know whether each small cell can still be 1 and k−1:
one program that lifts all open cells towards k−1 at once (the sum of ``min(cell, k−1)`` maximised) and one
that lowers them (their sum minimised) certify most of them; only the rest get a program of their own.
Results are remembered per component, so a loop that hides a few more cells re-audits only what changed.
The constraint matrices are sparse (a relation names a few cells of thousands): memory grows with the
relations' terms, not with relations × cells.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from pmtool import interrupts

if TYPE_CHECKING:
    from scipy import sparse

    from pmtool.compare.disclosure import Ledger

Key = Hashable
EPS = 1e-6


def linprog(c: np.ndarray, **problem: Any) -> Any:
    """scipy's ``linprog``, imported when an audit first solves a program: the worker processes, which import
    this module with the comparison's but never audit, do not load scipy."""
    from scipy.optimize import linprog as solve

    return solve(c, **problem)


def covers(bounds: tuple[float, float], k: int) -> bool:
    """True when the interval, rounded inwards to whole numbers, still holds all of [1, k−1].

    >>> covers((0.0, 12.0), 5), covers((2.0, 40.0), 5), covers((0.0, 3.0), 5)
    (True, False, False)
    """
    low, high = bounds
    low_int = math.ceil(low - EPS)
    high_int = math.inf if math.isinf(high) else math.floor(high + EPS)
    return low_int <= 1 and high_int >= k - 1


def linked(ledger: Ledger, out: set[Key], start: Key, by_cell: dict[Key, list[int]]) -> set[Key]:
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



class _Rows:
    """Rows of a constraint matrix as they are made (column → coefficient), and their right-hand sides."""

    def __init__(self) -> None:
        self.columns: list[int] = []
        self.values: list[float] = []
        self.starts = [0]
        self.rhs: list[float] = []

    def add(self, row: dict[int, float], rhs: float) -> None:
        for column in sorted(row):
            if row[column] != 0.0:  # terms that cancel are no coefficient (as in a dense row)
                self.columns.append(column)
                self.values.append(row[column])
        self.starts.append(len(self.columns))
        self.rhs.append(rhs)

    def matrix(self, n: int) -> sparse.csr_array | None:
        from scipy import sparse  # scipy is loaded when an audit runs, not by every process importing pmtool

        if not self.rhs:
            return None
        return sparse.csr_array((np.array(self.values, dtype=float), np.array(self.columns, dtype=np.int64),
                                 np.array(self.starts, dtype=np.int64)), shape=(len(self.rhs), n))

    def rhs_array(self) -> np.ndarray | None:
        return np.array(self.rhs) if self.rhs else None


def _widened(matrix: sparse.csr_array, m: int) -> sparse.csr_array:
    """``matrix`` with ``m`` more columns of zeros on the right."""
    from scipy import sparse

    return sparse.csr_array((matrix.data, matrix.indices, matrix.indptr), shape=(matrix.shape[0], matrix.shape[1] + m))


class Auditor:
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
        component = frozenset(linked(self.ledger, out, key, self.by_cell))
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
        component = frozenset(linked(self.ledger, out, key, self.by_cell))
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
            component = frozenset(linked(self.ledger, out, key, self.by_cell))
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
                        if (point[index[key]] <= 1 + EPS if lowest else point[index[key]] >= k - 1 - EPS)}
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
        from scipy import sparse

        n = len(index)
        if lowest:
            c = np.zeros(n)
            c[[index[key] for key in open_]] = 1.0
            bounds = [(0, self.ceiling)] * n
            extra = {k_: problem[k_] for k_ in ("A_eq", "b_eq", "A_ub", "b_ub")}
        else:
            m = len(open_)
            c = np.concatenate([np.zeros(n), -np.ones(m)])
            rows = np.repeat(np.arange(m), 2)
            cols = np.ravel([(index[key], n + j) for j, key in enumerate(open_)])
            lift = sparse.csr_array((np.tile([-1.0, 1.0], m), (rows, cols)), shape=(m, n + m))
            a_eq = problem["A_eq"]
            a_ub = problem["A_ub"]
            extra = {"A_eq": None if a_eq is None else _widened(a_eq, m),
                     "b_eq": problem["b_eq"],
                     "A_ub": lift if a_ub is None else sparse.vstack([_widened(a_ub, m), lift], format="csr"),
                     "b_ub": np.zeros(m) if a_ub is None else np.concatenate([problem["b_ub"], np.zeros(m)])}
            bounds = [(0, self.ceiling)] * n + [(0, k - 1)] * m
        self.solved += 1
        interrupts.check()  # a run that stopped calls the audit off between programs
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
        eq: _Rows = _Rows()
        ub: _Rows = _Rows()
        for i in rels:
            rel = self.ledger.relations[i]
            rows = ([(rel.terms, rel.rhs, rel.kind == "eq")] if rel.kind != "between" else
                    [(((rel.low, 1.0), *((p, -1.0) for p, _ in rel.terms)), 0.0, False),
                     ((*rel.terms, (rel.high, -1.0)), 0.0, False)])
            for terms, rhs, equal in rows:
                row: dict[int, float] = {}
                for key, coef in terms:
                    if key in index:
                        row[index[key]] = row.get(index[key], 0.0) + coef
                    else:
                        rhs -= coef * cells[key].value
                (eq if equal else ub).add(row, rhs)
        n = len(variables)
        problem = {"A_eq": eq.matrix(n), "b_eq": eq.rhs_array(), "A_ub": ub.matrix(n), "b_ub": ub.rhs_array(),
                   "bounds": [(0, None)] * n, "method": "highs"}
        memo = self._problems[component] = (variables, problem)
        return memo

    def _optimum(self, c: np.ndarray, problem: dict) -> float:
        self.solved += 1
        interrupts.check()
        res = linprog(c, **problem)
        if res.status == 3:  # unbounded: nothing published limits the cell in this direction
            return -math.inf
        if res.status != 0:  # the true values always satisfy the relations; anything else is a bug
            raise RuntimeError(f"disclosure audit: linear program failed ({res.message})")
        return float(res.fun)
