"""The registry of deviation patterns: named, documented transforms of a conforming case.

Each pattern has a stable ``code`` (e.g. ``P1-LATE-TRANSMISSION``), the process it belongs to, the number
of the realistic deviation in the domain brief (section 8), a baseline probability that applies in every
office, and its EXPECTATION: what a conformance or rule checker observes in an affected case, as
:class:`Expectation` codes

    SKIP        a Soll activity is missing            (activity, or a mandatory rule)
    INSERT      an activity the Soll does not have     (activity, or an absent rule)
    ORDER       wrong order                            (activity, or an order rule)
    REPEAT      rework / repetition                    (activity)
    DEADLINE    a deadline rule is violated            (rule)
    ROLE        a role rule is violated                (rule)
    NO_CLOSURE  the case was never closed (stale for more than 90 days at export)
    INCOMPLETE  the case is still running at export

A pattern works on a case that was first built conforming: ``modify`` edits its skeleton, timing ops or
roles, the case is timed again, and ``realised`` says whether the expectation shows (a weekly transport
run breaches § 11 only for some cases). Only realised cases count as affected; the ground truth holds
that realised share. Patterns are mutually exclusive per case, so no pattern hides another's expectation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pmtool.simulate.clock import DAY
from pmtool.simulate.process import Case, ProcessSpec
from pmtool.simulate.timing import Sim
from pmtool.vocabulary import vocabulary

CODES = ("SKIP", "INSERT", "ORDER", "REPEAT", "DEADLINE", "ROLE", "NO_CLOSURE", "INCOMPLETE")
#: A case is never closed when its last event is older than this at export, else it is still running.
STALE_DAYS = 90
#: Patterns are only applied to cases that end at least this long before the export.
MARGIN_DAYS = 45


@dataclass(frozen=True, order=True)
class Expectation:
    """What a checker sees: a code with the canonical activity name or the rule id."""

    code: str
    activity: str | None = None
    rule: str | None = None

    @property
    def key(self) -> str:
        return ":".join(x for x in (self.code, self.activity or self.rule) if x)

    def to_dict(self) -> dict[str, str]:
        out = {"code": self.code}
        if self.activity:
            out["activity"] = self.activity
        if self.rule:
            out["rule"] = self.rule
        return out


def act(code: str, activity_id: str) -> Expectation:
    return Expectation(code, activity=vocabulary().resolve(activity_id).name)  # type: ignore[union-attr]


def rule(code: str, rule_id: str) -> Expectation:
    return Expectation(code, rule=rule_id)


class Pattern:
    """Base class; subclasses set the class attributes and override the hooks."""

    code: ClassVar[str]
    process: ClassVar[str]
    title: ClassVar[str]
    domain_ref: ClassVar[str] = ""
    expectations: ClassVar[tuple[Expectation, ...]]
    baseline: ClassVar[float] = 0.0
    changes: ClassVar[str] = ""
    natural: ClassVar[bool] = False  # not injected: arises from the export date

    def eligible(self, spec: ProcessSpec, sim: Sim, case: Case) -> bool:
        return True

    def weight(self, spec: ProcessSpec, sim: Sim, case: Case) -> float:
        """Multiplier of the probability for this case (e.g. higher before weekends)."""
        return 1.0

    def modify(self, spec: ProcessSpec, sim: Sim, case: Case) -> None:
        raise NotImplementedError

    def realised(self, spec: ProcessSpec, sim: Sim, case: Case) -> bool:
        deadlines = [e.rule for e in self.expectations if e.code == "DEADLINE"]
        return all(breaches(spec, sim, case, r) for r in deadlines if r)

    def describe(self) -> dict:
        return {
            "process": self.process,
            "title": self.title,
            "domain_ref": self.domain_ref,
            "changes": self.changes,
            "baseline": self.baseline,
            "natural": self.natural,
            "expectations": [e.to_dict() for e in self.expectations],
            "doc": " ".join((type(self).__doc__ or "").split()),
        }


PATTERNS: dict[str, Pattern] = {}


def register(cls: type[Pattern]) -> type[Pattern]:
    if cls.code in PATTERNS:
        raise ValueError(f"duplicate pattern code {cls.code}")
    PATTERNS[cls.code] = cls()
    return cls


def patterns_for(process: str) -> list[Pattern]:
    _load()
    return [p for code, p in sorted(PATTERNS.items()) if p.process == process]


def _load() -> None:
    from pmtool.simulate import deviations_p1, deviations_p2_p3a  # noqa: F401  (register on import)


def breaches(spec: ProcessSpec, sim: Sim, case: Case, rule_id: str) -> bool:
    """Whether the case violates deadline ``rule_id`` (first start → first end, end of the due day)."""
    cap = next(c for caps in spec.caps.values() for c in caps if c.rule == rule_id)
    start, end = case.time_of(cap.start), case.time_of(cap.end)
    if start is None or end is None:
        return False
    due = (
        sim.clock.due_end(start, cap.amount)
        if cap.unit == "working_days"
        else sim.clock.due_end_calendar(start, cap.amount)
    )
    return end > due


def choose(
    candidates: list[Pattern],
    probability: dict[str, float],
    spec: ProcessSpec,
    sim: Sim,
    case: Case,
    export_at: int,
) -> Pattern | None:
    """At most one pattern per case: one uniform draw against the stacked probabilities of the eligible
    patterns (each pattern hits an eligible case with its own probability while they sum to at most 1)."""
    if case.end + MARGIN_DAYS * DAY > export_at:
        return None
    u = sim.random()
    acc = 0.0
    for pattern in candidates:
        p = probability.get(pattern.code, 0.0)
        if p <= 0 or pattern.natural or not pattern.eligible(spec, sim, case):
            continue
        acc += min(1.0, p * pattern.weight(spec, sim, case))
        if u < acc:
            return pattern
    return None


def edit_cached(pattern: Pattern, case: Case, edit) -> None:
    """Apply a skeleton edit, cached per (pattern, skeleton)."""
    cache = case.skeleton._cache
    key = ("edit", pattern.code)
    edited = cache.get(key)
    if edited is None:
        edited = edit(case.skeleton)
        cache[key] = edited
    case.skeleton = edited
