"""The design stage in one call: from the analysis of a project to the cross-office matrix, the Soll
candidates of each process, their decision table and the recommended candidate.

>>> import pmtool as pt  # doctest: +SKIP
>>> analysis = pt.analyse(pt.demo_project(), key=pt.demo_key())  # doctest: +SKIP
>>> result = design(analysis)  # doctest: +SKIP
>>> result.recommended  # doctest: +SKIP
{'P1': 'soll', 'P2': 'soll', 'P3a': 'consensus'}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from pmtool.conform.alignments import AlignmentCache
from pmtool.design.candidates import (
    Candidate,
    Evaluation,
    critical_offices,
    evaluate,
    keep_order,
    model_offices,
    recommend,
)
from pmtool.design.cross import CrossConformance, combine, cross_conformance
from pmtool.design.scoring import variant_counts
from pmtool.errors import ConfigError, Location
from pmtool.eventlog import schema
from pmtool.eventlog.lifecycle import activity_instances
from pmtool.eventlog.log import EventLog
from pmtool.eventlog.pm4py_bridge import tree_to_petri_net

if TYPE_CHECKING:
    from pmtool.analysis import Analysis, ProcessAnalysis

#: Model offices whose Ist model becomes a candidate.
MODEL_OFFICES = 2
DECISION_SCHEMA = {
    "process": pl.String, "candidate": pl.String, "kind": pl.String, "source": pl.String, "offices": pl.String,
    "cases": pl.Int64, "fitness": pl.Float64, "fitting_share": pl.Float64, "precision": pl.Float64,
    "f1": pl.Float64, "activities": pl.Int64, "places": pl.Int64, "transitions": pl.Int64, "silent": pl.Int64,
    "arcs": pl.Int64, "markings": pl.Int64, "cnc": pl.Float64, "legally_sound": pl.Boolean,
    "legal_violations": pl.String, "other_violations": pl.String, "witness": pl.String, "repairs": pl.String,
    "decision": pl.String,
}


@dataclass(frozen=True)
class ProcessDesign:
    """The candidates of one process with their evaluations (in candidate order) and the recommended one."""

    process: str
    name: str
    evaluations: tuple[Evaluation, ...]
    recommended: str | None
    critical: tuple[str, ...]  # offices left out of the consensus
    model_offices: tuple[str, ...]
    roles: dict[str, str]  # activity → the role that performs it most often in the logs (lanes of the export)

    def candidate(self, cid: str) -> Evaluation:
        for e in self.evaluations:
            if e.candidate.id == cid:
                return e
        raise ConfigError("design.unknown_candidate", Location(), process=self.process, candidate=cid,
                          known=", ".join(e.candidate.id for e in self.evaluations))


@dataclass(frozen=True)
class SollDesign:
    """The design stage's result: ``cross`` (matrix and groups), ``processes`` (candidates per process) and
    the tables (:meth:`frames`); ``k`` is the privacy threshold (offices with fewer cases are not shown)."""

    cross: CrossConformance
    processes: dict[str, ProcessDesign]
    k: int = 5
    lang: str = "de"

    @property
    def recommended(self) -> dict[str, str | None]:
        return {p: d.recommended for p, d in self.processes.items()}

    def frames(self) -> dict[str, pl.DataFrame]:
        """The output tables by file name (offices with fewer than ``k`` cases left out of the per-office
        numbers)."""
        return {**{name: _protected(frame, self.k) for name, frame in self.cross.frames().items()},
                "soll_candidates": decision_table(self), "soll_candidates_offices": _protected(
                    office_table(self), self.k), "soll_candidates_rules": rule_table(self)}

    def _repr_html_(self) -> str:
        from pmtool.display import html_of  # how Jupyter shows it (pmtool.display)

        return html_of(self)


def design(analysis: Analysis, *, edited: Mapping[str, str | Path] | None = None, process: str | None = None,
           model_offices_n: int = MODEL_OFFICES, noise_threshold: float = 0.2, workers: int = 2,
           threshold: float | None = None) -> SollDesign:
    """Cross-office conformance, Soll candidates and their decision table for every process of ``analysis``
    (or only ``process``). ``edited`` maps a process to the BPMN file of a candidate the user edits.
    ``threshold`` cuts the office groups at a fixed distance (default: at the largest gap)."""
    from pmtool.i18n import language
    from pmtool.vocabulary import extended

    edited = {p: Path(v) for p, v in (edited or {}).items()}
    unknown = sorted(set(edited) - set(analysis.processes))
    if unknown:
        raise ConfigError("design.unknown_process", Location(str(edited[unknown[0]])), process=unknown[0],
                          known=", ".join(analysis.processes))
    chosen = chosen_processes(analysis, process)
    cache = AlignmentCache()
    parts, processes = [], {}
    with extended(analysis.project.vocabulary_files):
        for pid in chosen:
            pa = analysis.processes[pid]
            ist = {d.scope.office: d.ist.net for d in pa.discoveries}
            if not ist:
                raise ConfigError("design.no_ist_models", Location(), process=pid)
            parts.append(cross_conformance(pid, pa.conformance.cases, pa.reference.net, ist, workers=workers,
                                           cache=cache, threshold=threshold))
            processes[pid] = _process_design(analysis, pa, edited.get(pid), model_offices_n, noise_threshold,
                                             workers, cache)
    return SollDesign(combine(parts), processes, analysis.project.privacy_threshold, language())


def chosen_processes(analysis: Analysis, process: str | None) -> list[str]:
    """``[process]`` if the analysis has it (else :class:`ConfigError`), or all its processes."""
    if process is None:
        return list(analysis.processes)
    if process not in analysis.processes:
        raise ConfigError("design.unknown_process", Location(), process=process, known=", ".join(analysis.processes))
    return [process]


def _process_design(analysis: Analysis, pa: ProcessAnalysis, edited: Path | None, n_model: int, noise: float,
                    workers: int, cache: AlignmentCache) -> ProcessDesign:
    from pmtool.discover.inductive import discover_ist
    from pmtool.report.summary import CRITICAL_SCORE

    pid = pa.process
    rules = pa.reference.rules.rules if pa.reference.rules else ()
    offices = sorted(set(pa.conformance.cases[schema.OFFICE].to_list()))
    critical = critical_offices(analysis.findings, pid, CRITICAL_SCORE)
    calm = [o for o in offices if o not in critical]
    counts = variant_counts(pa.conformance.cases)
    found: list[Candidate] = [Candidate(pid, "soll", "soll", pa.reference.net, source=pa.reference.source,
                                        path=pa.reference.path)]
    if calm:
        log = activity_instances(EventLog.from_frame(pa.log.frame.filter(pl.col(schema.OFFICE).is_in(calm)))).log
        mined = discover_ist(log, noise_threshold=noise, name=f"{pid} consensus")
        tree, repairs = keep_order(mined.tree, rules)
        net = tree_to_petri_net(tree, name=f"{pid} consensus") if repairs else mined.net
        found.append(Candidate(pid, "consensus", "consensus", net, tree, source=mined.miner, offices=tuple(calm),
                               repairs=repairs))
    chosen = model_offices(analysis.findings, pid, offices, critical, pa.conformance.summary, n_model)
    by_office = {d.scope.office: d for d in pa.discoveries}
    for office in chosen:
        d = by_office[office]
        found.append(Candidate(pid, f"ist:{office}", "model_office", d.ist.net, d.ist.tree, source=d.ist.miner,
                               offices=(office,)))
    if edited is not None:
        config = analysis.project.processes.get(pid)
        found.append(_edited(pa, edited, config.labels if config else None))
    evaluations = tuple(evaluate(c, counts, rules, workers=workers, cache=cache,
                                 excluded=critical if c.kind == "consensus" else ()) for c in found)
    best = recommend(evaluations)
    name = analysis.project.processes[pid].name if pid in analysis.project.processes else pid
    return ProcessDesign(pid, name or pid, evaluations, best.candidate.id if best else None, critical, chosen,
                         performers(pa.log))


def performers(log: EventLog) -> dict[str, str]:
    """Per activity the role that performs it most often (ties: alphabetical); events without a role are
    not counted, an activity only ever done without one has no entry."""
    frame = log.frame
    if schema.ROLE not in frame.columns:
        return {}
    counts = (frame.filter(pl.col(schema.ROLE).is_not_null() & (pl.col(schema.ROLE) != ""))
              .group_by(schema.ACTIVITY, schema.ROLE).len()
              .sort([schema.ACTIVITY, "len", schema.ROLE], descending=[False, True, False]))
    return {a: r for a, r in counts.group_by(schema.ACTIVITY, maintain_order=True).agg(pl.col(schema.ROLE).first())
            .iter_rows()}


def _edited(pa: ProcessAnalysis, path: Path, labels: Path | None) -> Candidate:
    """The user's candidate: a BPMN (or PNML) file, its tasks labelled as the process's label map says."""
    from pmtool.models.reference import load_reference

    model = load_reference(path, rules=None, labels=labels)
    return Candidate(pa.process, "edited", "edited", replace(model.net, name=path.stem), source=path.name,
                     path=path)


def decision_table(result: SollDesign) -> pl.DataFrame:
    rows = []
    for pd_ in result.processes.values():
        for e in pd_.evaluations:
            c = e.candidate
            legal = [x for x in e.checks if x.status == "violated" and x.basis == "legal"]
            other = [x for x in e.checks if x.status == "violated" and x.basis != "legal"]
            offence = e.offence
            rows.append({
                "process": pd_.process, "candidate": c.id, "kind": c.kind, "source": c.source,
                "offices": ", ".join(c.offices), "cases": e.cases, "fitness": e.fitness,
                "fitting_share": e.fitting_share, "precision": e.precision, "f1": e.f1,
                **{k: e.size[k] for k in ("activities", "places", "transitions", "silent", "arcs", "markings", "cnc")},
                "legally_sound": e.sound, "legal_violations": ", ".join(x.rule_id for x in legal),
                "other_violations": ", ".join(x.rule_id for x in other),
                "witness": " → ".join(offence.witness) if offence else "",
                "repairs": ", ".join(r.rule_id for r in c.repairs),
                "decision": ("recommended" if c.id == pd_.recommended else "refused" if not e.sound else "possible"),
            })
    return pl.DataFrame(rows, schema=DECISION_SCHEMA)


def office_table(result: SollDesign) -> pl.DataFrame:
    parts = [e.per_office.select(pl.lit(pd_.process).alias("process"), pl.lit(e.candidate.id).alias("candidate"),
                                 pl.all())
             for pd_ in result.processes.values() for e in pd_.evaluations]
    return pl.concat(parts) if parts else pl.DataFrame()


def rule_table(result: SollDesign) -> pl.DataFrame:
    rows = [{"process": pd_.process, "candidate": e.candidate.id, "rule_id": c.rule_id, "kind": c.kind,
             "basis": c.basis, "severity": c.severity, "status": c.status, "witness": " → ".join(c.witness),
             "offending_step": None if c.at is None else c.at + 1}
            for pd_ in result.processes.values() for e in pd_.evaluations for c in e.checks]
    return pl.DataFrame(rows, schema={"process": pl.String, "candidate": pl.String, "rule_id": pl.String,
                                      "kind": pl.String, "basis": pl.String, "severity": pl.String,
                                      "status": pl.String, "witness": pl.String, "offending_step": pl.Int64})


def _protected(frame: pl.DataFrame, k: int) -> pl.DataFrame:
    """Per-office numbers of offices with fewer than ``k`` cases emptied (the row stays, marked)."""
    if "cases" not in frame.columns or schema.OFFICE not in frame.columns:
        return frame
    small = pl.col("cases") < k
    values = [c for c in ("fitness", "fitting_share", "precision", "bounded") if c in frame.columns]
    return frame.with_columns(*(pl.when(small).then(None).otherwise(pl.col(c)).alias(c) for c in values),
                              small.alias("suppressed"))


def export_candidate(result: SollDesign, process: str, candidate: str | None = None, *,
                     lang: str | None = None) -> bytes:
    """The BPMN 2.0 file (with lanes and diagram interchange, :mod:`pmtool.design.bpmn`) of ``candidate`` of
    ``process`` (default: the recommended one). A legally unsound candidate is refused
    (:class:`ModelError` naming the rule and the shortest offending run)."""
    from pmtool.design.bpmn import candidate_bpmn, diagram_of
    from pmtool.design.html import candidate_label, witness_text
    from pmtool.errors import ModelError

    if process not in result.processes:
        raise ConfigError("design.unknown_process", Location(), process=process, known=", ".join(result.processes))
    pd_ = result.processes[process]
    cid = candidate or pd_.recommended
    if cid is None:
        raise ModelError("design.nothing_recommended", Location(), process=process)
    evaluation = pd_.candidate(cid)
    offence = evaluation.offence
    if offence is not None:
        raise ModelError("design.export_refused", Location(), candidate=cid, rule=offence.rule_id,
                         path=witness_text(offence.witness, offence.at))
    name = f"{process} {pd_.name} – {candidate_label(cid, lang or result.lang)}"
    return candidate_bpmn(diagram_of(evaluation.candidate, name), pd_.roles, lang=lang or result.lang)
