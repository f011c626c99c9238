"""Public API, part 5: from the differences to a uniform Soll — cross-office conformance, Soll candidates with
their decision table, and the chosen candidate as a BPMN file a modeller can open (`export_soll`).

Defaults are those of ``pmtool design``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pmtool.analysis import Analysis
    from pmtool.design.cross import CrossConformance
    from pmtool.design.design import SollDesign


def cross_conformance(analysis: Analysis, *, process: str | None = None, threshold: float | None = None,
                      workers: int = 2) -> CrossConformance:
    """Every office's log against every office's Ist model and against the Soll: a matrix (office log ×
    model) of fitness, share of conforming cases and precision — the Soll column as `check_conformance`
    gives it — and the groups of offices that work alike (hierarchical clustering, average linkage on
    1 − mutual fitness, cut at the largest gap of the dendrogram or at ``threshold``; named in the output).

    >>> import pmtool as pt
    >>> analysis = pt.analyse(pt.restrict(pt.demo_project(), offices=["GA-01", "GA-02", "GA-03"],
    ...                                   processes=["P3a"]), key=pt.demo_key())
    >>> cross = pt.cross_conformance(analysis)
    >>> sorted(set(cross.matrix["model"])), cross.groups["office"].to_list()
    (['GA-01', 'GA-02', 'GA-03', 'Soll'], ['GA-01', 'GA-02', 'GA-03'])
    """
    from pmtool.conform.alignments import AlignmentCache
    from pmtool.design.cross import combine
    from pmtool.design.cross import cross_conformance as cross
    from pmtool.design.design import chosen_processes

    cache = AlignmentCache()
    parts = []
    for pid in chosen_processes(analysis, process):
        pa = analysis.processes[pid]
        parts.append(cross(pid, pa.conformance.cases, pa.reference.net,
                           {d.scope.office: d.ist.net for d in pa.discoveries}, threshold=threshold,
                           workers=workers, cache=cache))
    return combine(parts)


def design_soll(analysis: Analysis, *, edited: Mapping[str, str | Path] | None = None, process: str | None = None,
                model_offices: int = 2, threshold: float | None = None, workers: int = 2) -> SollDesign:
    """Soll candidates per process and the decision between them, as ``pmtool design``: the current Soll, a
    consensus model discovered from the offices without critical findings, the Ist models of up to
    ``model_offices`` model offices and, per process in ``edited``, a BPMN file the user edits. Each with
    its share of conforming cases and fitness per office, precision, size and legal soundness (whether the
    model allows what the rule pack forbids, with the shortest offending run); the recommended candidate
    with its reasoning. Also holds `cross_conformance`'s matrix and groups.

    >>> import pmtool as pt
    >>> analysis = pt.analyse(pt.restrict(pt.demo_project(), offices=["GA-01", "GA-02", "GA-03"],
    ...                                   processes=["P3a"]), key=pt.demo_key())
    >>> result = pt.design_soll(analysis)
    >>> [e.candidate.id for e in result.processes["P3a"].evaluations], result.recommended
    (['soll', 'consensus', 'ist:GA-03', 'ist:GA-02'], {'P3a': 'soll'})
    """
    from pmtool.design.design import design

    return design(analysis, edited=edited, process=process, model_offices_n=model_offices, threshold=threshold,
                  workers=workers)


def export_soll(design: SollDesign, *, process: str, candidate: str | None = None, path: str | Path | None = None,
                lang: str | None = None) -> bytes:
    """A Soll candidate of `design_soll` (default: the recommended one) as a BPMN 2.0 file a modeller can
    open: a pool with a lane per role (the role that performs each activity most often in the logs) and full
    diagram interchange (a layered layout from Graphviz). pmtool's BPMN loader reads it back with the same
    language. Written to ``path`` when given; the bytes are returned either way. A legally unsound candidate
    is refused with `ModelError`, naming the rule and the shortest offending run.

    >>> import pmtool as pt
    >>> analysis = pt.analyse(pt.restrict(pt.demo_project(), offices=["GA-01", "GA-02", "GA-03"],
    ...                                   processes=["P3a"]), key=pt.demo_key())
    >>> data = pt.export_soll(pt.design_soll(analysis), process="P3a", candidate="consensus")
    >>> b"<bpmn:lane " in data, b"<bpmndi:BPMNEdge " in data
    (True, True)
    """
    from pmtool.design.design import export_candidate

    data = export_candidate(design, process, candidate, lang=lang)
    if path is not None:
        from pmtool.ingest.output import write_atomically

        write_atomically({Path(path): lambda p: p.write_bytes(data)})
    return data
