"""Soll candidates for a process and the decision table between them.

Candidates (:func:`candidates`):

- ``soll`` — the current Soll model;
- ``consensus`` — a model discovered (inductive miner, the discovery stage's noise threshold) from the logs of
  the offices **without critical findings** (no open finding on a legal rule and none scoring
  :data:`~pmtool.report.summary.CRITICAL_SCORE` or more). Where the mined model lets an ``order`` rule's
  THEN happen before its FIRST only because both sit in different branches of one parallel block, the two
  branches are put in sequence (FIRST's branch, then THEN's branch) and the repair is named;
- ``ist:<office>`` — the Ist model of each *model office*: the offices most often named as best practice in
  the process's findings (without critical findings themselves; up to ``model_offices``);
- ``edited`` — a BPMN file the user edits (given by path).

Per candidate (:func:`evaluate`): per office the share of conforming cases and the fitness (as ``pmtool
conform`` computes them, :mod:`pmtool.design.scoring`), precision over all offices' cases, size and
complexity (activities, places, transitions, silent transitions, arcs, reachable markings, and the
coefficient of network connectivity arcs / nodes), and legal soundness (:mod:`pmtool.design.soundness`).

**Recommendation.** A candidate whose language allows what a legal rule forbids is refused, with the shortest
offending run. Among the others the recommended one has the highest F1 of case-weighted fitness and pooled
precision; ties go to the smaller model, then to the order above (the current Soll first).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pmtool.conform.alignments import AlignmentCache
from pmtool.design.scoring import pooled_precision, score, variant_counts
from pmtool.design.soundness import RuleCheck, check_soundness, legally_sound, state_space_of
from pmtool.eventlog import schema
from pmtool.models.petri import PetriNet
from pmtool.models.rules import Rule
from pmtool.models.tree import OR, PARALLEL, ProcessTree

KINDS = ("soll", "consensus", "model_office", "edited")


@dataclass(frozen=True)
class Repair:
    """A change made to a discovered model so that it keeps an order rule: ``first`` before ``then``."""

    rule_id: str
    first: str
    then: str


@dataclass(frozen=True)
class Candidate:
    """One candidate Soll model of ``process``. ``tree`` is set for discovered candidates (their BPMN can be
    drawn block by block); ``offices`` are the offices whose logs it was discovered from."""

    process: str
    id: str
    kind: str
    net: PetriNet
    tree: ProcessTree | None = None
    source: str = ""
    offices: tuple[str, ...] = ()
    repairs: tuple[Repair, ...] = ()
    path: Path | None = None


@dataclass(frozen=True)
class Evaluation:
    """What the decision table says about one candidate."""

    candidate: Candidate
    per_office: pl.DataFrame  # office, cases, fitness, fitting_share, precision, bounded
    precision: float | None
    size: dict[str, float]
    checks: tuple[RuleCheck, ...]
    excluded: tuple[str, ...] = field(default=())  # offices left out of the consensus (critical findings)

    @property
    def sound(self) -> bool:
        return legally_sound(self.checks)

    @property
    def cases(self) -> int:
        return int(self.per_office["cases"].sum())

    @property
    def fitness(self) -> float | None:
        return _weighted(self.per_office, "fitness")

    @property
    def fitting_share(self) -> float | None:
        return _weighted(self.per_office, "fitting_share")

    @property
    def f1(self) -> float | None:
        f, p = self.fitness, self.precision
        return 2 * f * p / (f + p) if f is not None and p is not None and f + p > 0 else None

    @property
    def offence(self) -> RuleCheck | None:
        """The first legal rule the candidate's language breaks (with its shortest witness), if any."""
        return next((c for c in self.checks if c.status == "violated" and c.basis == "legal"), None)


def _weighted(frame: pl.DataFrame, column: str) -> float | None:
    """The case-weighted mean of ``column`` over the offices (cases whose alignment was bounded left out)."""
    rows = frame.filter(pl.col(column).is_not_null())
    scored = rows["cases"] - rows["bounded"]
    total = int(scored.sum())
    return float((rows[column] * scored).sum() / total) if total else None


def size(net: PetriNet) -> dict[str, float]:
    """Size and complexity of ``net``: visible activities, places, transitions (silent ones), arcs, reachable
    markings (bounded, see :func:`~pmtool.design.soundness.state_space_of`) and CNC = arcs / (places +
    transitions)."""
    silent = sum(1 for t in net.transitions if t.label is None)
    nodes = len(net.places) + len(net.transitions)
    return {"activities": len(net.labels), "places": len(net.places), "transitions": len(net.transitions),
            "silent": silent, "arcs": len(net.arcs), "markings": state_space_of(net).size,
            "cnc": round(len(net.arcs) / nodes, 3) if nodes else 0.0}


def critical_offices(findings: pl.DataFrame, process: str, critical_score: float) -> tuple[str, ...]:
    """Offices with an open finding of ``process`` on a legal rule or scoring ``critical_score`` or more."""
    if not findings.height:
        return ()
    rows = findings.filter((pl.col("process") == process) & ~pl.col("accepted")
                           & ((pl.col("basis") == "legal") | (pl.col("score") >= critical_score)))
    return tuple(sorted(set(rows["office"].to_list())))


def model_offices(findings: pl.DataFrame, process: str, offices: Sequence[str], exclude: Sequence[str],
                  summary: pl.DataFrame, n: int) -> tuple[str, ...]:
    """Up to ``n`` offices most often named as best practice in the findings of ``process`` (not in
    ``exclude``); when fewer are named, the offices with the highest share of conforming cases follow."""
    counts: dict[str, int] = {}
    if findings.height and "best_offices" in findings.columns:
        for text in findings.filter(pl.col("process") == process)["best_offices"].to_list():
            for office in (o.strip() for o in (text or "").split(",")):
                if office and office in offices and office not in exclude:
                    counts[office] = counts.get(office, 0) + 1
    chosen = [o for o, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))][:n]
    if len(chosen) < n:
        ranked = summary.filter(pl.col(schema.OFFICE).is_in(list(offices))).sort(
            ["fitting_share", schema.OFFICE], descending=[True, False])[schema.OFFICE].to_list()
        chosen += [o for o in ranked if o not in chosen and o not in exclude][:n - len(chosen)]
    return tuple(chosen)


def keep_order(tree: ProcessTree, rules: Sequence[Rule]) -> tuple[ProcessTree, tuple[Repair, ...]]:
    """``tree`` with every ``order`` rule's FIRST and THEN that sit in different branches of one parallel
    block put in sequence (the block keeps its other branches); the repairs made, in rule order.

    >>> T = ProcessTree
    >>> tree = T.parallel(T.leaf("Check"), T.leaf("Pay"), T.leaf("Transmit"))
    >>> rule = Rule("R", "order", "t", "legal", "high", first="Check", then="Transmit")
    >>> fixed, repairs = keep_order(tree, [rule])
    >>> fixed.to_text(), [r.rule_id for r in repairs]
    ("+(->('Check', 'Transmit'), 'Pay')", ['R'])
    """
    repairs = []
    for rule in rules:
        if rule.kind != "order" or rule.first is None or rule.then is None:
            continue
        fixed = _order(tree, rule.first, rule.then)
        if fixed is not None:
            tree = fixed
            repairs.append(Repair(rule.id, rule.first, rule.then))
    return tree, tuple(repairs)


def _order(tree: ProcessTree, first: str, then: str) -> ProcessTree | None:
    if tree.is_leaf or not ({first, then} <= tree.labels):
        return None
    holders = [i for i, c in enumerate(tree.children) if {first, then} <= c.labels]
    if holders:
        i = holders[0]
        inner = _order(tree.children[i], first, then)
        if inner is None:
            return None
        return ProcessTree(tree.operator, None, tree.children[:i] + (inner,) + tree.children[i + 1:])
    if tree.operator not in (PARALLEL, OR):
        return None
    a = next(i for i, c in enumerate(tree.children) if first in c.labels)
    b = next(i for i, c in enumerate(tree.children) if then in c.labels)
    if a == b:
        return None
    joined = ProcessTree.seq(tree.children[a], tree.children[b])
    rest = [c for i, c in enumerate(tree.children) if i not in (a, b)]
    if not rest:
        return joined
    at = min(a, b)
    kept = [c for i, c in enumerate(tree.children) if i < at and i not in (a, b)]
    later = [c for i, c in enumerate(tree.children) if i > at and i not in (a, b)]
    return ProcessTree(tree.operator, None, (*kept, joined, *later))


def evaluate(candidate: Candidate, counts: pl.DataFrame, rules: Sequence[Rule], *, workers: int = 2,
             cache: AlignmentCache | None = None, excluded: Sequence[str] = ()) -> Evaluation:
    """Score ``candidate`` on the variants ``counts`` (:func:`~pmtool.design.scoring.variant_counts`) and
    check it against ``rules``."""
    per_office = score(candidate.net, counts, workers=workers, cache=cache)
    return Evaluation(candidate, per_office, pooled_precision(candidate.net, counts, workers=workers, cache=cache),
                      size(candidate.net), check_soundness(candidate.net, rules), tuple(excluded))


def recommend(evaluations: Sequence[Evaluation]) -> Evaluation | None:
    """The legally sound candidate with the highest F1 (ties: fewer arcs, then the given order)."""
    sound = [(i, e) for i, e in enumerate(evaluations) if e.sound and e.f1 is not None]
    if not sound:
        return None
    return min(sound, key=lambda ie: (-round(ie[1].f1 or 0.0, 9), ie[1].size["arcs"], ie[0]))[1]


def counts_of(cases: pl.DataFrame) -> pl.DataFrame:
    """The variant counts every candidate of a process is scored on (those ``pmtool conform`` aligned)."""
    return variant_counts(cases)
