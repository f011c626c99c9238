"""Statistical disclosure control over everything published together: primary and secondary suppression,
checked by linear programming — the audit τ-ARGUS and sdcTable run for official statistics.

A :class:`Ledger` holds every count that is published (or can be derived from what is published) as a
cell, and the linear relations between them: a total and its parts, ``eligible = affected + …``, "all other
offices" = total − own, the same count shown in two tables (one cell, one key). :func:`protect` then

1. hides every *sensitive* cell with a count of 1 … k−1 (**primary suppression**; zero is shown: "none"
   reveals nothing about a person);
2. gives every relation a reader knows as an exact sum and that has a single hidden member a second one
   (**secondary suppression**), the member that costs least: first cells that are never printed
   themselves, then members whose hiding leaves no new relation with a single hidden member (they close a
   cycle instead of starting a chain), the smallest positive counts, rows that could be a finding later,
   zeros and totals last (a zero partner bounds the hidden cell by its own value);
3. **audits** the result by linear programming over all published numbers (the hidden cells are the
   unknowns, ≥ 0, the published ones constants; :mod:`pmtool.compare.lp_audit`): a small cell is protected
   when the values it can take, rounded inwards to whole numbers, still hold the whole protection interval
   [1, k−1] — whatever a reader combines, "·" stays "somewhere from 1 to k−1". A narrowed cell gets further
   hidden partners from its component (the candidates weighed by what they cost and tried by the audit)
   and the audit repeats.

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

import hashlib
import json
import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pmtool.compare.lp_audit import EPS, Auditor, covers, linked

if TYPE_CHECKING:
    from pmtool.stage_cache import Files, StageCache

Key = Hashable
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
    solver = Auditor(ledger, order, by_cell)
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
            done |= linked(ledger, out, key, by_cell)
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


def protect_cached(store: StageCache | None, ledger: Ledger, k: int, *, hidden: Iterable[Key] = (),
                   frozen: Iterable[Key] = ()) -> Protection:
    """:func:`protect` without ``bounds``, kept in the stage cache ``store`` under the SHA-256 of the
    ledger (every cell with its value and flags, every relation, in order), ``k``, ``hidden`` and ``frozen``:
    a run whose published numbers did not change takes the protection from the cache instead of solving the
    linear programs again (with ``store`` ``None``, it is computed). The cache entry holds positions of
    cells in the ledger only, as JSON."""
    hidden, frozen = frozenset(hidden), frozenset(frozen)
    if store is None or not (hidden <= ledger.cells.keys()):
        return protect(ledger, k, hidden=hidden, frozen=frozen, bounds=False)
    keys = list(ledger.cells)
    position = {key: i for i, key in enumerate(keys)}

    def save(result: Protection, folder: Path) -> None:
        document = {"k": result.k, "solved": result.solved,
                    **{name: sorted(position[c] for c in getattr(result, name))
                       for name in ("hidden", "primary", "unprotected")}}
        (folder / "protection.json").write_text(json.dumps(document, sort_keys=True), "utf-8")

    def load(files: Files) -> Protection:
        document = json.loads(files["protection.json"])
        cells = {name: frozenset(keys[i] for i in document[name]) for name in ("hidden", "primary", "unprotected")}
        return Protection(int(document["k"]), cells["hidden"], cells["primary"], {}, cells["unprotected"],
                          int(document["solved"]))

    key = store.key("audit", ledger_digest(ledger, k, hidden, frozen))
    result, _ = store.memo("audit", key, lambda: protect(ledger, k, hidden=hidden, frozen=frozen, bounds=False),
                           save=save, load=load)
    return result


def ledger_digest(ledger: Ledger, k: int, hidden: Iterable[Key] = (), frozen: Iterable[Key] = ()) -> str:
    """The SHA-256 of everything :func:`protect` depends on: the cells (keys, values, flags) and relations
    in their order, the threshold, the cells hidden anyway and the frozen ones."""
    digest = hashlib.sha256(f"ledger/1 k={k}\n".encode())
    for key, c in ledger.cells.items():
        digest.update(f"c {key!r} {c.value} {c.sensitive:d}{c.shown:d}{c.total:d} {c.keep}\n".encode())
    for rel in ledger.relations:
        digest.update(f"r {rel!r}\n".encode())
    for name, cells in (("hidden", hidden), ("frozen", frozen)):
        digest.update(f"{name} {sorted(map(repr, cells))!r}\n".encode())
    return digest.hexdigest()


def _repair(ledger: Ledger, solver: Auditor, out: set[Key], key: Key, k: int, by_cell: dict[Key, list[int]],
            frozen: frozenset, order: dict[Key, int]) -> set[Key] | None:
    """The cells to hide so that ``key`` gets its protection interval back: candidates from its component,
    cheapest first, each tried with its secondary partners (a few cheap ones, then the margins — a count
    pinned by two published totals is only freed by hiding one of them); the first that protects the cell,
    else the one that widens its interval most, else the cheapest."""
    component = linked(ledger, out, key, by_cell)
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
    need_low, need_high = math.ceil(low - EPS) > 1, not covers((0.0, high), k)
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


def _candidates(ledger: Ledger, out: set[Key], component: set[Key], by_cell: dict[Key, list[int]],
                frozen: frozenset) -> set[Key]:
    found: set[Key] = set()
    for key in component:
        for i in by_cell.get(key, ()):
            found.update(other for other in ledger.relations[i].keys if other not in out and other not in frozen)
    return found
