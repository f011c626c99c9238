"""Best practice: for each finding, the offices that do this part best and what they do there.

A model office must be a model for the Soll, not just have a low rate on one item:

- **Candidates** are the comparable offices with a published rate for the same item, by lowest shrunk rate
  (ties by office id) — except offices that have a finding themselves on a *related* item: the same item,
  an item at the same activity (a rule naming it counts), the same rule, or an activity in the same lane of
  the Soll model. An office flagged for unsigned orders is no model for who signs them.
- **The path** shown is the most common one through the activity in the best office (from its
  directly-follows counts, each step taken by at least ``k`` cases) whose every step the Soll model allows.
  A path that contains the deviation it is meant to cure (an inserted activity, a repetition, a wrong
  order) is never shown; when there is no such path, there is none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from pmtool.compare.bundle import Bundle
from pmtool.conform.statespace import state_space
from pmtool.models.petri import PetriNet
from pmtool.models.reference import ReferenceModel

COLUMNS = {"finding_id": pl.String, "best_offices": pl.String, "best_rate": pl.Float64,
           "best_duration_median_hours": pl.Float64, "fragment": pl.String}


def best_practice(table: pl.DataFrame, bundles: Sequence[Bundle], references: Mapping[str, ReferenceModel],
                  top: int = 2, k: int = 5) -> pl.DataFrame:
    """Per finding: ``best_offices`` (see the module docstring), their rates, the median duration of the
    rule's interval there (deadline rules), and ``fragment``: the Soll-conforming path through the activity
    in the best office (empty when there is none)."""
    edges = {(b.process, b.period, b.office): b.edges for b in bundles}
    candidates = table.filter(pl.col("comparable") & pl.col("shrunk_rate").is_not_null())
    flagged = table.filter(pl.col("finding")).to_dicts()
    rows = []
    for row in flagged:
        reference = references.get(row["process"])
        mine = _scope(row, reference)
        excluded = {f["office"] for f in flagged if f["process"] == row["process"] and f["period"] == row["period"]
                    and _related(mine, _scope(f, reference))}
        peers = (candidates.filter((pl.col("process") == row["process"]) & (pl.col("period") == row["period"])
                                   & (pl.col("item") == row["item"]) & ~pl.col("office").is_in(sorted(excluded)))
                 .sort(["shrunk_rate", "office"]).head(top))
        best = peers["office"].to_list()
        activity = row.get("activity") or _rule_activity(row, reference)
        fragment = None
        if best and reference is not None:
            fragment = _fragment(edges.get((row["process"], row["period"], best[0]), ()), activity,
                                 soll_follows(reference.net), k)
        rows.append({
            "finding_id": row["finding_id"], "best_offices": ", ".join(best),
            "best_rate": peers["rate"].to_list()[0] if best else None,
            "best_duration_median_hours": peers["duration_median_hours"].to_list()[0] if best else None,
            "fragment": fragment,
        })
    return pl.DataFrame(rows, schema=COLUMNS)


def _scope(row: dict[str, Any], reference: ReferenceModel | None) -> tuple[str, frozenset, frozenset]:
    """(item, activities, lanes) of a comparison row: what "related" compares."""
    activities: set[str] = set()
    if row.get("activity"):
        activities.add(row["activity"])
    if reference is not None and reference.rules is not None and row.get("rule_id"):
        rule = reference.rules.by_id.get(row["rule_id"])
        if rule is not None:
            activities.update(rule.activities)
    if row.get("code") == "NO_CLOSURE" and reference is not None:
        activities.update(reference.closing)
    lanes = {lane for a in activities for lane in (reference.roles.get(a, ()) if reference else ())}
    return row["item"], frozenset(activities), frozenset(lanes)


def _related(a: tuple[str, frozenset, frozenset], b: tuple[str, frozenset, frozenset]) -> bool:
    """Same item (a rule is an item), a shared activity or a shared lane."""
    return a[0] == b[0] or bool(a[1] & b[1]) or bool(a[2] & b[2])


def _rule_activity(row: dict, reference: ReferenceModel | None) -> str | None:
    if reference is None or reference.rules is None or not row.get("rule_id"):
        return None
    rule = reference.rules.by_id.get(row["rule_id"])
    return (rule.end or rule.activity or rule.then) if rule else None


def soll_follows(net: PetriNet) -> frozenset[tuple[str, str]] | None:
    """Every pair (a, b) of activities where the Soll model allows b directly after a (silent steps
    between them do not count); ``None`` when the model's state space is too large to list."""
    key = "compare.soll_follows"
    if key in net._cache:
        return net._cache[key]
    space = state_space(net)
    pairs: set[tuple[str, str]] | None = None
    if space.complete:
        pairs = set()
        nexts: dict[int, set[tuple[int, int]]] = {}
        for marking in range(space.size):
            for label, target in _visible_next(space, marking, nexts):
                pairs.update((space.labels[label], space.labels[b]) for b, _ in _visible_next(space, target, nexts))
    result = frozenset(pairs) if pairs is not None else None
    net._cache[key] = result
    return result


def _visible_next(space: Any, marking: int, memo: dict[int, set[tuple[int, int]]]) -> set[tuple[int, int]]:
    """(label id, marking after it) of every visible transition reachable from ``marking`` through silent
    transitions only."""
    found = memo.get(marking)
    if found is None:
        found = set()
        seen, stack = {marking}, [marking]
        while stack:
            for transition, target in space.successors(stack.pop()):
                label = space.transition_label[transition]
                if label >= 0:
                    found.add((label, target))
                elif target not in seen:
                    seen.add(target)
                    stack.append(target)
        memo[marking] = found
    return found


def _fragment(edges: Sequence[tuple[str, str, int]], activity: str | None,
              follows: frozenset[tuple[str, str]] | None, k: int) -> str | None:
    if not activity or follows is None:
        return None
    allowed = [e for e in edges if e[2] >= k and (e[0], e[1]) in follows]
    into = sorted((e for e in allowed if e[1] == activity), key=lambda e: (-e[2], e[0]))
    out = sorted((e for e in allowed if e[0] == activity), key=lambda e: (-e[2], e[1]))
    if not into and not out:
        return None
    parts = ([into[0][0]] if into else []) + [activity] + ([out[0][1]] if out else [])
    return " → ".join(parts)
