"""The summary page: the critical differences to tackle first, the process prioritisation matrix with its
reasons in words, and one verdict per process generated from the numbers.

Verdict levels (per process, findings accepted on the allowlist left out):

- **not comparable** – fewer than two offices passed the comparability gate, so there is no verdict on
  differences at all; the reason is named per office (never shown as "inconspicuous");
- **critical** – a finding rests on a legal rule, or a finding scores 20 or more;
- **action** – there are findings, none of them critical;
- **inconspicuous** – no compared office differs significantly from the others (offices that were not
  compared are named with their reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pmtool.compare.outcome import reason_text
from pmtool.compare.priority import FACTORS
from pmtool.i18n import t
from pmtool.report import numbers
from pmtool.report.charts import PriorityBar, priority_chart
from pmtool.report.context import Cell, Figure, Table
from pmtool.report.items import FindingGroup, basis_text, group_findings, item_label
from pmtool.report.suppression import SUPPRESSED
from pmtool.vocabulary import vocabulary

if TYPE_CHECKING:
    from pmtool.analysis import Analysis

TOP_N = 10
CRITICAL_SCORE = 20.0


@dataclass(frozen=True)
class TopFinding:
    number: int
    process: str
    process_name: str
    office: str
    statement: str
    score: str
    bar: int  # width of the score bar in percent of the largest score
    basis: str
    best: str
    also: tuple[str, ...]
    anchor: str


@dataclass(frozen=True)
class Verdict:
    process: str
    name: str
    level: str  # critical | action | ok
    level_text: str
    text: str


@dataclass(frozen=True)
class Summary:
    lead: str
    no_findings: str  # what the summary says where the top-findings table would be
    top: tuple[TopFinding, ...]
    accepted_count: int
    priority_table: Table
    priority_reasons: tuple[tuple[str, str], ...]  # (process, reasons in words)
    priority_figure: Figure | None
    verdicts: tuple[Verdict, ...]
    groups: dict[str, list[FindingGroup]]  # per process, all finding groups (accepted included)


def process_name(analysis: Analysis, pid: str, lang: str) -> str:
    """„P1 Meldefallbearbeitung“ (English: the vocabulary's gloss); the project file's name wins."""
    configured = analysis.project.processes[pid].name if pid in analysis.project.processes else None
    if configured:
        return f"{pid} {configured}"
    proc = vocabulary().processes.get(pid)
    if proc is not None:
        return f"{pid} {proc.gloss if lang == 'en' and proc.gloss else proc.name}"
    return analysis.processes[pid].reference.name


def statement(row: dict[str, Any], lang: str) -> str:
    return row.get(f"statement_{lang}") or row.get("statement_de") or ""


def build_summary(analysis: Analysis, lang: str) -> Summary:
    rows = analysis.findings.to_dicts() if analysis.findings.height else []
    groups: dict[str, list[FindingGroup]] = {}
    for g in group_findings(rows):
        groups.setdefault(g.lead["process"], []).append(g)
    open_groups = [g for gs in groups.values() for g in gs if not g.lead.get("accepted")]
    open_groups.sort(key=lambda g: (-(g.lead["score"] or 0.0), g.lead["finding_id"]))
    top_score = max([g.lead["score"] or 0.0 for g in open_groups] or [1.0]) or 1.0
    top = tuple(
        TopFinding(number=i, process=g.lead["process"], process_name=process_name(analysis, g.lead["process"], lang),
                   office=office_label(analysis, g.lead["office"]), statement=statement(g.lead, lang),
                   score=numbers.score(g.lead["score"], lang), bar=round(100 * (g.lead["score"] or 0) / top_score),
                   basis=basis_text(g.lead.get("basis"), g.lead.get("severity"), lang),
                   best=g.lead.get("best_office_names") or g.lead.get("best_offices") or "—",
                   also=tuple(item_label(o, lang) for o in g.others),
                   anchor=anchor(g.lead["finding_id"]))
        for i, g in enumerate(open_groups[:TOP_N], 1))
    accepted = sum(1 for gs in groups.values() for g in gs if g.lead.get("accepted"))
    verdicts = tuple(verdict(analysis, pid, groups.get(pid, []), lang) for pid in analysis.processes)
    table, reasons, figure = _priorities(analysis, lang)
    legal = sum(1 for g in open_groups if g.lead.get("basis") == "legal")
    first = analysis.priorities.row(0, named=True) if analysis.priorities.height else None
    lead = t("report.summary.lead", lang, n=len(open_groups), legal=legal,
             offices=len({g.lead["office"] for g in open_groups}),
             process=process_name(analysis, first["process"], lang) if first else "—")
    statuses = {p.process: p.status for p in analysis.outcome.processes}
    blocked = [pid for pid in analysis.processes if statuses.get(pid, "not_comparable") == "not_comparable"]
    no_findings = t("report.summary.no_findings", lang)
    if blocked:  # said first, where the reader looks: no all-clear for what could not be compared
        names = ", ".join(process_name(analysis, pid, lang) for pid in blocked)
        prefix = t("report.summary.not_comparable", lang, n=len(blocked), total=len(analysis.processes),
                   processes=names)
        lead = f"{prefix} {lead}" if open_groups else prefix
        no_findings = t("report.summary.no_findings_blocked", lang, processes=names)
    return Summary(lead=lead, no_findings=no_findings, top=top, accepted_count=accepted, priority_table=table,
                   priority_reasons=reasons, priority_figure=figure, verdicts=verdicts, groups=groups)


def office_label(analysis: Analysis, office: str) -> str:
    """The office's display name from the project file (its id where none is given)."""
    return analysis.project.office_names.get(office, office)


def _not_compared_text(analysis: Analysis, pid: str, lang: str) -> tuple[str | None, str]:
    """(status of the process's comparison, "office (reason); …" for the offices not compared)."""
    for p in analysis.outcome.processes:
        if p.process == pid:
            return p.status, "; ".join(f"{name} ({reason_text(reason, lang)})" for _, name, reason in p.not_compared)
    return None, ""


def anchor(finding_id: str) -> str:
    return "finding-" + finding_id.lower()


def verdict(analysis: Analysis, pid: str, groups: list[FindingGroup], lang: str) -> Verdict:
    name = process_name(analysis, pid, lang)
    summary = analysis.processes[pid].conformance.summary
    cases = int(summary["cases"].sum())
    fitness = float((summary["fitness"] * summary["cases"]).sum() / cases) if cases else None
    open_groups = [g for g in groups if not g.lead.get("accepted")]
    status, not_compared = _not_compared_text(analysis, pid, lang)
    if status in (None, "not_comparable"):
        return Verdict(pid, name, "not_comparable", t("report.verdict.level.not_comparable", lang),
                       t("report.verdict.not_comparable", lang, offices=not_compared or "—",
                         fitness=numbers.decimal(fitness, lang, 3)))
    also = " " + t("report.verdict.not_compared", lang, offices=not_compared) if not_compared else ""
    if not open_groups:
        return Verdict(pid, name, "ok", t("report.verdict.level.ok", lang),
                       t("report.verdict.ok", lang, fitness=numbers.decimal(fitness, lang, 3)) + also)
    lead = open_groups[0].lead
    critical = any(g.lead.get("basis") == "legal" or (g.lead["score"] or 0) >= CRITICAL_SCORE for g in open_groups)
    level = "critical" if critical else "action"
    same_item = [office_label(analysis, g.lead["office"]) for g in open_groups if g.lead["item"] == lead["item"]]
    text = t("report.verdict.text", lang, n=len(open_groups),
             offices=len({g.lead["office"] for g in open_groups}), fitness=numbers.decimal(fitness, lang, 3),
             item=item_label(lead, lang), where=", ".join(same_item),
             best=lead.get("best_office_names") or lead.get("best_offices") or "—")
    return Verdict(pid, name, level, t(f"report.verdict.level.{level}", lang), text + also)


def _priorities(analysis: Analysis, lang: str) -> tuple[Table, tuple[tuple[str, str], ...], Figure | None]:
    frame = analysis.priorities
    head = (t("report.priority.process", lang), t("report.priority.rank", lang),
            *(t(f"report.factor.{f}", lang) for f in FACTORS), t("report.priority.priority", lang))
    rows = []
    bars = []
    reasons_out = []
    for r in frame.sort("rank").iter_rows(named=True) if frame.height else []:
        name = process_name(analysis, r["process"], lang)
        factor_cells = tuple(Cell(_factor_value(f, r[f], lang), css=f"level-{_level(r[f + '_norm'])}")
                             for f in FACTORS)
        reasons = [t(f"report.reason.{x}", lang) for x in (r["reasons"] or "").split(",") if x]
        cells = (Cell(str(r["rank"])), *factor_cells, Cell(numbers.decimal(r["priority"], lang, 2), css="strong"))
        rows.append((name, cells))
        reasons_out.append((name, t("report.priority.reason_line", lang, rank=r["rank"],
                                    priority=numbers.decimal(r["priority"], lang, 2),
                                    reasons=", ".join(reasons) or t("report.reason.none", lang))))
        bars.append(PriorityBar(name, tuple((r[f + "_norm"] or 0.0) / len(FACTORS) for f in FACTORS), r["priority"]))
    table = Table(id="priorities", caption=t("report.priority.caption", lang), head=head, rows=tuple(rows),
                  notes=(t("report.priority.note", lang),), css="priorities")
    figure = None
    if bars:
        figure = Figure("priority-chart", priority_chart(bars, [t(f"report.factor.{f}", lang) for f in FACTORS], lang),
                        alt=t("report.priority.alt", lang, order=", ".join(
                            f"{b.label} ({numbers.decimal(b.priority, lang, 2)})" for b in bars)),
                        caption=t("report.priority.figure", lang), size="wide")
    return table, tuple(reasons_out), figure


def _factor_value(factor: str, value: float | None, lang: str) -> str:
    if value is None:  # hidden: a count below the privacy threshold, or one it could be recomputed from
        return SUPPRESSED
    if factor == "volume":
        return numbers.count(round(value), lang)
    if factor == "time_lost":
        return numbers.hours(value, lang)
    return numbers.rate(value, lang)


def _level(norm: float | None) -> int:
    """0 … 4 for the shading of a factor cell (share of the largest value across processes)."""
    if norm is None:
        return 0
    return min(4, int(norm * 4.999))

