"""What the three simulated processes share: the case record and the process specification.

A :class:`ProcessSpec` ties a Soll model (``ReferenceModel``: net, lanes, rule pack) to the semantics of
the simulation: how a case plan is drawn (pathogen, priority, branches, loop counts), how the plan answers
the gateways of the net, and how long each activity takes. The deadlines of the rule pack become caps
(:class:`~pmtool.simulate.timing.Cap`), so conforming cases keep every deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pmtool.models.reference import ReferenceModel, load_reference
from pmtool.models.shipped import MODEL_DIR
from pmtool.simulate.runs import Chooser, Skeleton, play
from pmtool.simulate.timing import Cap, Op, Sim, time_case
from pmtool.vocabulary import vocabulary


@dataclass
class Case:
    """One simulated case while it is being built. ``plan`` is hashable and fixes the control flow."""

    seq: int
    attrs: dict[str, Any]
    plan: tuple
    t0: int
    skeleton: Skeleton
    overrides: dict[str, Op] = field(default_factory=dict)
    uncapped: set[str] = field(default_factory=set)
    roles: dict[str, str] = field(default_factory=dict)
    pattern: str | None = None
    times: list[int] = field(default_factory=list)

    def time_of(self, act: str, occurrence: int = 0) -> int | None:
        """Time of the ``occurrence``-th event of ``act`` (in skeleton order), or None."""
        k = 0
        for i, (a, _) in enumerate(self.skeleton.nodes):
            if a == act:
                if k == occurrence:
                    return self.times[i] if self.times else None
                k += 1
        return None

    @property
    def end(self) -> int:
        return max(self.times)


#: gateway id → (token in the chosen branch's target place, predicate(plan, visits) for that branch)
Branches = dict[str, tuple[str, Callable[[tuple, int], bool]]]


class ProcessSpec:
    """Base of the per-process specifications (:mod:`meldefall`, :mod:`ausbruch`, :mod:`belehrung`)."""

    process: str = ""
    model_file: str = ""
    branches: Branches = {}
    #: the activity that completes a case: a case without it is INCOMPLETE or NO_CLOSURE
    final: str = ""
    #: timing-only anchors: activity → activity whose time it is placed relative to
    timing_after: dict[str, str] = {}

    def __init__(self, model_dir: Path | None = None) -> None:
        # the plays follow the gateways' silent branches, so the net keeps them
        self.model: ReferenceModel = load_reference((model_dir or MODEL_DIR) / self.model_file, compact=False)
        vocab = vocabulary()
        self.label_ids = {label: vocab.resolve(label).id for label in self.model.net.labels}  # type: ignore[union-attr]
        self.roles: dict[str, str] = {}
        for label, lanes in self.model.roles.items():
            self.roles[self.label_ids[label]] = lanes[0]
        for act in vocab.processes[self.process].activities:
            self.roles.setdefault(act.id, act.role or "Sachbearbeitung")
        self.caps: dict[str, tuple[Cap, ...]] = {}
        assert self.model.rules is not None
        for rule in self.model.rules.rules:
            if rule.kind == "deadline":
                if rule.unit not in ("working_days", "calendar_days"):
                    raise ValueError(f"{rule.id}: unit {rule.unit} is not simulated")
                cap = Cap(
                    rule.id,
                    vocab.resolve(rule.start).id,
                    vocab.resolve(rule.end).id,  # type: ignore[arg-type, union-attr]
                    int(rule.amount or 0),
                    rule.unit,
                )
                self.caps[cap.end] = (*self.caps.get(cap.end, ()), cap)
        self._skeletons: dict[tuple, Skeleton] = {}

    @property
    def ops(self) -> dict[str, Op]:
        raise NotImplementedError

    def sample(self, sim: Sim, seq: int, office: Any) -> Case:
        """Draw a case (attributes, plan, start time) and its Soll skeleton."""
        raise NotImplementedError

    def chooser(self, plan: tuple) -> Chooser:
        branches = self.branches

        def choose(gateway: str, target: str, visits: int) -> bool:
            if gateway not in branches:
                raise KeyError(f"{self.process}: gateway {gateway} has no rule in the simulator")
            token, predicate = branches[gateway]
            return predicate(plan, visits) == (token in target)

        return choose

    def skeleton(self, plan: tuple) -> Skeleton:
        sk = self._skeletons.get(plan)
        if sk is None:
            sk = play(self.model.net, self.chooser(plan), self.label_ids)
            self._skeletons[plan] = sk
        return sk

    def time(self, sim: Sim, case: Case) -> None:
        case.times = time_case(sim, case, self.ops, self.timing_after)

    def role(self, case: Case, act: str) -> str:
        return case.roles.get(act) or self.roles[act]
