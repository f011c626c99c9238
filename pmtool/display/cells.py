"""Small-number protection for the notebook views (pmtool.display): primary and secondary suppression per view.

The report and the tables are protected across everything they publish by the disclosure ledger and its
linear-programming audit (:mod:`pmtool.compare.disclosure`, :mod:`pmtool.report.suppression`). A
notebook view shows one table at a time to an analyst who holds the log; it is protected table by table with the rule
below, so that a view copied into a slide does not carry a small count either.

A count below the privacy threshold (``k``, the project's ``privacy_threshold``, default 5) is *primary*
suppressed: the view shows "·" instead (the sign official statistics use for secret cells). Zero is not
suppressed: "none" reveals nothing about a person.

Where a table also shows totals, one hidden cell could be recomputed by subtraction. Every additive
relation of a table (the cells of a row and the row total; the cells of a column and the column total;
``read = loaded + quarantined``) is therefore checked: a relation with exactly one hidden member gets a
second one — the smallest non-zero count of the relation that is not a total (a total only when nothing
else is left) — and the check repeats until no relation has a single hidden member. This is the usual
"no singleton in any relation" rule; it does not solve the full linear-programming audit, which tables of
this size do not need.

>>> hidden = suppress({"a": 2, "b": 40, "c": 9, "total": 51}, [["a", "b", "c", "total"]], k=5)
>>> sorted(hidden)
['a', 'c']
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

from pmtool.report.suppression import is_small


def primary(values: Mapping[Hashable, int | None], k: int) -> set[Hashable]:
    """The cells whose own count is below ``k``."""
    return {cell for cell, value in values.items() if is_small(value, k)}


def secondary(values: Mapping[Hashable, int | None], relations: Sequence[Sequence[Hashable]],
              hidden: Iterable[Hashable]) -> set[Hashable]:
    """``hidden`` plus the complementary cells that keep each of them from being recomputed.

    ``relations``: lists of cells whose members add up; by convention the last member is the total (it is
    hidden only when no other member is left). Deterministic: ties go to the member listed first.
    """
    out = set(hidden)
    changed = True
    while changed:
        changed = False
        for relation in relations:
            members = [c for c in relation if c in values]
            if sum(1 for c in members if c in out) != 1:
                continue
            parts, total = members[:-1], members[-1:]
            candidates = [c for c in parts if c not in out] or [c for c in total if c not in out]
            if not candidates:
                continue
            # the smallest positive count hides the least information; zeros only as a last resort
            choice = min(candidates, key=lambda c: (_value(values[c]) <= 0, _value(values[c]),
                                                    members.index(c)))
            out.add(choice)
            changed = True
    return out


def suppress(values: Mapping[Hashable, int | None], relations: Sequence[Sequence[Hashable]], k: int) -> set[Hashable]:
    """Primary suppression below ``k``, then secondary suppression over ``relations``."""
    return secondary(values, relations, primary(values, k))


def table_relations(rows: Sequence[Hashable], columns: Sequence[Hashable], *, row_total: Hashable | None = None,
                    column_total: Hashable | None = None) -> list[list[tuple[Hashable, Hashable]]]:
    """The additive relations of a table whose cells are keyed ``(row, column)``.

    With ``row_total`` (a column key) each row adds up to that column; with ``column_total`` (a row key) each
    column adds up to that row. Both together also give the grand total's relations.
    """
    relations: list[list[tuple[Hashable, Hashable]]] = []
    data_columns = [c for c in columns if c != row_total]
    data_rows = [r for r in rows if r != column_total]
    if row_total is not None:
        for r in rows:
            relations.append([(r, c) for c in data_columns] + [(r, row_total)])
    if column_total is not None:
        for c in columns:
            relations.append([(r, c) for r in data_rows] + [(column_total, c)])
    return relations


def _value(value: int | None) -> int:
    return 0 if value is None else int(value)
