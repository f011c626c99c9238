"""The design stage as a chapter of the report (HTML and PDF): the cross-office matrix with the groups, and
per process the decision table, the numbers per office and the reasoning — as the report's own tables
(:class:`pmtool.report.context.Table`), so both renderers draw them like every other table.

Offices with fewer cases than the privacy threshold show "·" (suppressed) instead of their numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pmtool.design.design import SollDesign
from pmtool.design.html import candidate_label, reasoning
from pmtool.i18n import t
from pmtool.report import numbers
from pmtool.report.context import Cell, Table

HIDDEN = "·"


@dataclass(frozen=True)
class DesignProcess:
    heading: str
    decision: Table
    offices: Table
    reasons: tuple[tuple[str, str], ...]  # (kind, sentence): recommended, refused, repaired, consensus, none


@dataclass(frozen=True)
class DesignSection:
    """What the report's chapter "Soll-Entwurf" shows."""

    title: str
    intro: str
    cross_title: str
    cross_intro: str
    matrices: tuple[tuple[Table, str], ...]  # per process: conforming share office log × model, the groups
    processes: tuple[DesignProcess, ...]
    anchor: str = "soll-design"


def _share(value: float | None, lang: str) -> Cell:
    return Cell(HIDDEN, suppressed=True) if value is None else Cell(numbers.rate(value, lang))


def design_section(result: SollDesign, lang: str) -> DesignSection:
    k = result.k
    matrices = []
    for (process,), part in result.cross.matrix.group_by("process", maintain_order=True):
        models = list(dict.fromkeys(part["model"].to_list()))
        cells = {(o, m): (c, s) for o, m, c, s in part.select("office", "model", "cases", "fitting_share").iter_rows()}
        rows = []
        for office in sorted(set(part["office"].to_list())):
            row = []
            for m in models:
                cases, share = cells.get((office, m), (0, None))
                row.append(_share(share if cases >= k else None, lang))
            rows.append((office, tuple(row)))
        head = (t("design.cross.log_model", lang), *(t("design.soll", lang) if m == "Soll" else m for m in models))
        groups = result.cross.groups.filter(pl.col("process") == process)
        grouped = groups.group_by("group", maintain_order=True).agg("office").sort("group")
        text = t("design.cross.method", lang, cut=numbers.decimal(groups["cut"][0], lang, 3)) + " " + "; ".join(
            t("design.cross.group", lang, n=g, offices=", ".join(o)) for g, o in grouped.iter_rows()) \
            if groups.height else ""
        matrices.append((Table(f"design-cross-{process}", t("design.report.matrix", lang, process=process),
                               head, tuple(rows), css="matrix"), text))
    processes = []
    for pd_ in result.processes.values():
        rows, office_rows = [], []
        for e in pd_.evaluations:
            decision = ("recommended" if e.candidate.id == pd_.recommended else "refused" if not e.sound
                        else "possible")
            rows.append((candidate_label(e.candidate.id, lang), (
                _share(e.fitting_share, lang), Cell(numbers.decimal(e.fitness, lang, 3)),
                Cell(numbers.decimal(e.precision, lang, 3)), Cell(numbers.decimal(e.f1, lang, 3)),
                Cell(numbers.count(int(e.size["activities"]), lang)), Cell(numbers.count(int(e.size["arcs"]), lang)),
                Cell(numbers.count(int(e.size["markings"]), lang)),
                Cell(t("design.yes" if e.sound else "design.no", lang), numeric=False),
                Cell(t(f"design.decision.{decision}", lang), numeric=False, css=decision))))
        offices = sorted({o for e in pd_.evaluations for o in e.per_office["office"].to_list()})
        for office in offices:
            cells = []
            for e in pd_.evaluations:
                r = e.per_office.filter(pl.col("office") == office)
                small = not r.height or r["cases"][0] < k
                cells.append(_share(None if small else r["fitting_share"][0], lang))
            office_rows.append((office, tuple(cells)))
        head = tuple(t(f"design.col.{c}", lang) for c in ("candidate", "fitting", "fitness", "precision", "f1",
                                                          "activities", "arcs", "markings", "sound", "decision"))
        per_head = (t("design.col.office", lang), *(candidate_label(e.candidate.id, lang) for e in pd_.evaluations))
        processes.append(DesignProcess(
            t("design.process", lang, process=pd_.process, name=pd_.name),
            Table(f"design-{pd_.process}", t("design.report.decision", lang), head, tuple(rows), css="matrix"),
            Table(f"design-{pd_.process}-offices", t("design.report.offices", lang), per_head, tuple(office_rows),
                  css="matrix"),
            tuple(reasoning(pd_, lang))))
    return DesignSection(t("design.title", lang), t("design.intro", lang), t("design.cross.title", lang),
                         t("design.cross.intro", lang), tuple(matrices), tuple(processes))
