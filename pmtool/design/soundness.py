"""Legal soundness of a candidate Soll model: does its language allow what the rule pack forbids?

Each control-flow rule of the pack becomes a small monitor (a finite automaton over the activities); the
model's reachability graph (markings of its Petri net, bounded) is walked in product with the monitor, and
a complete run of the model (initial to final marking) on which the monitor ends in its "forbidden" state is
a **witness**: a trace the model accepts and the rule forbids. The search is breadth-first on visible
steps (silent steps cost nothing), so the witness shown is a shortest one.

What is checked per rule kind (the semantics of :mod:`pmtool.conform.rules_check` on one trace):

- ``order`` (never THEN before FIRST): a run in which ``then`` occurs while ``first`` has not yet occurred;
- ``mandatory`` (``activity`` must occur, optionally only if ``if_present`` occurred): a complete run
  without ``activity`` (with ``if_present``: a complete run with ``if_present`` and without ``activity``);
- ``absent`` (``activity`` must not occur): a complete run with ``activity``.

``deadline`` and ``role`` rules speak of time and people, not of the order of activities; they are listed
as not checkable on a model's state space (``status = "not_applicable"``).

>>> from pmtool.models.petri import PetriNet
>>> from pmtool.models.rules import Rule
>>> net = PetriNet.build("n", places=["i", "p", "o"], transitions=[("t", "Transmit"), ("c", "Check")],
...                      arcs=[("i", "t"), ("t", "p"), ("p", "c"), ("c", "o")], initial={"i": 1}, final={"o": 1})
>>> rule = Rule("R1", "order", "No transmission before the check", "legal", "high", first="Check",
...             then="Transmit")
>>> [(c.status, c.witness, c.at) for c in check_soundness(net, [rule])]
[('violated', ('Transmit', 'Check'), 0)]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from pmtool.conform.statespace import StateSpace
from pmtool.errors import Location, ModelError
from pmtool.formatting import format_number
from pmtool.models.petri import PetriNet
from pmtool.models.rules import Rule

#: Markings of a candidate's reachability graph explored at most; a larger one is refused with a clear error.
STATE_LIMIT = 200_000
CHECKED = ("order", "mandatory", "absent")


@dataclass(frozen=True)
class RuleCheck:
    """One rule on one model: ``status`` is ``ok`` (no run of the model breaks it), ``violated`` (``witness``
    is a shortest complete run that breaks it; ``at`` the index of the offending event, or ``None`` when the
    offence is an activity that never comes) or ``not_applicable`` (deadline and role rules)."""

    rule_id: str
    kind: str
    basis: str
    severity: str
    title: str
    title_en: str
    source: str
    status: str
    witness: tuple[str, ...] = ()
    at: int | None = None


class _Monitor:
    """A rule as an automaton: states are small ints, 0 the start; ``bad(q)`` at the final marking means
    the run breaks the rule."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule

    def step(self, q: int, label: str | None) -> int:
        r = self.rule
        if label is None:
            return q
        if r.kind == "order":  # 0: first not yet, 1: first seen (safe), 2: then before first (bad, absorbing)
            if q == 0 and label == r.first:
                return 1
            if q == 0 and label == r.then:
                return 2
            return q
        if r.kind == "mandatory":  # bit 1: activity seen, bit 2: if_present seen
            if label == r.activity:
                q |= 1
            if label == r.if_present:
                q |= 2
            return q
        return 1 if q or label == r.activity else 0  # absent

    def bad(self, q: int) -> bool:
        r = self.rule
        if r.kind == "order":
            return q == 2
        if r.kind == "mandatory":
            return not q & 1 and (r.if_present is None or bool(q & 2))
        return q == 1

    def offending(self, witness: tuple[str, ...]) -> int | None:
        """Index of the event that breaks the rule in ``witness`` (None: an activity that never comes)."""
        r = self.rule
        target = r.then if r.kind == "order" else r.activity if r.kind == "absent" else None
        return witness.index(target) if target in witness else None


def state_space_of(net: PetriNet, *, limit: int = STATE_LIMIT) -> StateSpace:
    """The complete reachability graph of ``net``; :class:`ModelError` names the model when it has more than
    ``limit`` markings (the check needs all of them)."""
    space = StateSpace(net, limit=limit)
    if not space.complete:
        raise ModelError("design.state_space_too_large", Location(net.name), limit=format_number(limit))
    return space


def check_soundness(net: PetriNet, rules: Sequence[Rule], *, limit: int = STATE_LIMIT) -> tuple[RuleCheck, ...]:
    """Every rule of ``rules`` on the language of ``net`` (see the module text), in the order given."""
    space = state_space_of(net, limit=limit)
    out = []
    for rule in rules:
        common = dict(rule_id=rule.id, kind=rule.kind, basis=rule.basis, severity=rule.severity, title=rule.title,
                      title_en=rule.title_en or rule.title, source=rule.source)
        if rule.kind not in CHECKED:
            out.append(RuleCheck(**common, status="not_applicable"))
            continue
        monitor = _Monitor(rule)
        witness = _shortest_witness(space, monitor, limit)
        if witness is None:
            out.append(RuleCheck(**common, status="ok"))
        else:
            out.append(RuleCheck(**common, status="violated", witness=witness, at=monitor.offending(witness)))
    return tuple(out)


def _shortest_witness(space: StateSpace, monitor: _Monitor, limit: int) -> tuple[str, ...] | None:
    """Fewest visible steps from (initial, 0) to (final, bad) in the product of the reachability graph and
    the monitor (0-1 breadth-first search: silent steps are free), as the run's visible labels."""
    labels = space.labels
    tl = space.transition_label
    start = (space.initial, 0)
    dist = {start: 0}
    parent: dict[tuple[int, int], tuple[tuple[int, int], int]] = {}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        m, q = state
        if m == space.final and monitor.bad(q):
            return _trace(parent, state, labels, tl)
        d = dist[state]
        for k, target in space.successors(m):
            lab = labels[tl[k]] if tl[k] >= 0 else None
            nxt = (target, monitor.step(q, lab))
            w = 0 if lab is None else 1
            if nxt not in dist or d + w < dist[nxt]:
                if nxt not in dist and len(dist) >= 4 * limit:
                    raise ModelError("design.state_space_too_large", Location(space.net.name),
                                     limit=format_number(limit))
                dist[nxt] = d + w
                parent[nxt] = (state, k)
                if w:
                    queue.append(nxt)
                else:
                    queue.appendleft(nxt)
    return None


def _trace(parent: dict[tuple[int, int], tuple[tuple[int, int], int]], state: tuple[int, int],
           labels: tuple[str, ...], tl: tuple[int, ...]) -> tuple[str, ...]:
    out = []
    while state in parent:
        state, k = parent[state]
        if tl[k] >= 0:
            out.append(labels[tl[k]])
    return tuple(reversed(out))


def legally_sound(checks: Sequence[RuleCheck]) -> bool:
    """No rule with a legal basis is broken by any run of the model."""
    return not any(c.status == "violated" and c.basis == "legal" for c in checks)
