"""Timestamps for a skeleton: each event gets a time after its causes, from an activity-specific *op*.

An op is ``op(sim, case, base, i, times) -> minute`` where ``base`` is the time of the latest cause of
event ``i``. The ops live in the process modules (office-hour delays, courier runs, lab turnaround…); this
module holds the engine and the helpers they share. After an op, the engine enforces every deadline rule
of the rule pack whose end is this event (a *cap*): a conforming case can never breach a deadline by
chance. A deviation pattern lifts the cap of the activity it delays (``case.uncapped``) or replaces the
op (``case.overrides``); nothing else changes.

>>> from pmtool.simulate.clock import Clock
>>> import random
>>> sim = Sim(Clock(2025), random.Random(1))
>>> sim.u(3, 3)
3
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pmtool.simulate.clock import DAY, OFFICE_END, OFFICE_START, Clock

if TYPE_CHECKING:
    from pmtool.simulate.process import Case

Op = Callable[["Sim", "Case", int, int, list[int]], int]


class SimulationError(RuntimeError):
    """The simulator could not keep one of its own guarantees (a bug, never a user error)."""


@dataclass(frozen=True)
class Cap:
    """Deadline rule ``rule``: the first ``end`` is due ``amount`` ``unit`` after the first ``start``."""

    rule: str
    start: str
    end: str
    amount: int
    unit: str  # working_days | calendar_days


@dataclass
class Sim:
    """Random helpers and calendar for one office × process. ``speed`` stretches office delays."""

    clock: Clock
    rnd: random.Random
    speed: float = 1.0
    caps: dict[str, tuple[Cap, ...]] = field(default_factory=dict)
    export_at: int = 0  # last minute in the export

    def __post_init__(self) -> None:
        self.random = self.rnd.random

    def u(self, lo: int, hi: int) -> int:
        """A uniform whole number from ``lo`` to ``hi``."""
        return lo + int(self.random() * (hi - lo + 1))

    def chance(self, p: float) -> bool:
        return self.random() < p

    def pick(self, options: tuple | list, weights: tuple | list | None = None):
        if weights is None:
            return options[int(self.random() * len(options))]
        x = self.random() * sum(weights)
        for option, w in zip(options, weights, strict=True):
            x -= w
            if x < 0:
                return option
        return options[-1]

    # -- ops helpers ------------------------------------------------------------------------------

    def office(self, base: int, lo: int, hi: int) -> int:
        """``base`` plus lo..hi office minutes (stretched by ``speed``), inside office hours."""
        hi = lo + int((hi - lo) * self.speed)
        return self.clock.office_add(base, self.u(lo, hi))

    def office_or_oncall(self, base: int, oncall: bool, lo: int, hi: int, rt_lo: int, rt_hi: int) -> int:
        """Outside office hours an on-call service works in real time; otherwise office time."""
        if oncall and not self.clock.in_office(base):
            return self.clock.avoid_dst(base + self.u(rt_lo, rt_hi))
        return self.office(base, lo, hi)

    def same_day(self, base: int, lo: int, hi: int) -> int:
        """``base`` plus lo..hi real minutes, but not past the end of ``base``'s day."""
        end = (base // DAY + 1) * DAY - 1
        return self.clock.avoid_dst(min(base + self.u(lo, hi), max(end, base + 1)))

    def office_on(self, day: int, lo: int = OFFICE_START, hi: int = OFFICE_END - 1) -> int:
        return day * DAY + self.u(lo, hi)

    def run_at(self, base: int, hour: int, jitter: int) -> int:
        """The next daily run at ``hour`` on a working day strictly after ``base``."""
        day, m = divmod(base, DAY)
        if not (self.clock.is_working(day) and m < hour * 60):
            day = self.clock.add_wd(day, 1)
        return day * DAY + hour * 60 + self.u(0, jitter)

    def clamp(self, base: int, due: int) -> int:
        """A time after ``base`` and by ``due``, in office hours of the due day when possible."""
        day = due // DAY
        lo, hi = max(base + 1, day * DAY + OFFICE_START), min(due, day * DAY + OFFICE_END - 1)
        if lo <= hi:
            return self.u(lo, hi)
        if base + 1 <= due:
            return self.clock.avoid_dst(self.u(base + 1, min(due, base + 30)))
        raise SimulationError(
            f"cannot meet a deadline: cause at {self.clock.label(base)}, due {self.clock.label(due)}"
        )


def timing_order(case: Case, after: dict[str, str]) -> tuple[int, ...]:
    """Topological order of the skeleton, plus timing-only edges ``after`` (activity → anchor activity)
    where the anchor is present and is not a causal descendant of the activity."""
    sk = case.skeleton
    key = ("order", tuple(sorted(after.items())))
    cached = sk._cache.get(key)
    if cached is not None:
        return cached
    extra: dict[int, list[int]] = {}
    for act, anchor in after.items():
        if act in sk.first and anchor in sk.first:
            i, j = sk.first[act], sk.first[anchor]
            if i not in sk.ancestors(j):
                extra.setdefault(i, []).append(j)
    n = len(sk.nodes)
    done = [False] * n
    order: list[int] = []

    def visit(i: int, stack: set[int]) -> None:
        if done[i]:
            return
        if i in stack:
            raise SimulationError("cyclic timing dependencies")
        stack.add(i)
        for p in (*sk.nodes[i][1], *extra.get(i, ())):
            visit(p, stack)
        stack.discard(i)
        done[i] = True
        order.append(i)

    for i in range(n):
        visit(i, set())
    result = tuple(order)
    sk._cache[key] = result
    return result


def time_case(sim: Sim, case: Case, ops: dict[str, Op], after: dict[str, str]) -> list[int]:
    """Times for every event of ``case.skeleton`` (minutes), strictly increasing along causes."""
    sk = case.skeleton
    times = [0] * len(sk.nodes)
    done = [False] * len(sk.nodes)
    clock = sim.clock
    for i in timing_order(case, after):
        act, preds = sk.nodes[i]
        if preds:
            base = max(times[p] for p in preds)
            t = (case.overrides.get(act) or ops[act])(sim, case, base, i, times)
            if t <= base:
                t = base + 1
        else:
            base = case.t0
            t = (case.overrides.get(act) or ops[act])(sim, case, base, i, times)
        if act not in case.uncapped and sk.first[act] == i:
            for cap in sim.caps.get(act, ()):
                j = sk.first.get(cap.start)
                if j is None or not done[j]:
                    continue
                due = (
                    clock.due_end(times[j], cap.amount)
                    if cap.unit == "working_days"
                    else clock.due_end_calendar(times[j], cap.amount)
                )
                if t > due:
                    t = sim.clamp(base, due)
        times[i] = t
        done[i] = True
    return times


def event_order(times: list[int], clock: Clock) -> tuple[list[int], list[int]]:
    """Events sorted by time; ties between concurrent events are broken by one minute so that every
    event of a case has its own minute (the exports keep minutes only)."""
    order = sorted(range(len(times)), key=lambda i: (times[i], i))
    out = []
    last = -1
    for i in order:
        t = times[i]
        if t <= last:
            t = clock.avoid_dst(last + 1)
        out.append(t)
        last = t
    return order, out
