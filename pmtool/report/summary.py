"""Part A of the report, the two pages that decide: a verdict per process with its reason, offices ×
processes (findings, highest score, not comparable), the top findings as "k von n Fällen (x %)" with the
other offices' rate, the model office and one recommendation each, and the process prioritisation with its
weights (:mod:`pmtool.report.priority_view`).

**One count of findings.** A finding is a row of the findings table (``findings.csv``): the number the
command line prints is the number this part states, accepted ones included and said so. Findings of one
office that count the very same cases (a case never closed also skips "Fall abgeschlossen") are shown
together as one group, led by the one with the highest score; the group names its other findings, so the
count stays the table's.

Verdict levels (per process, accepted findings left out):

- **not comparable** – fewer than two offices passed the comparability gate, so there is no verdict on
  differences at all; the reason is named per office (never shown as "inconspicuous");
- **critical** – a finding rests on a legal rule, or a finding scores :data:`CRITICAL_SCORE` or more;
- **action** – there are findings, none of them critical;
- **ok** – no compared office differs significantly from the others (offices that were not compared are
  named with their reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from pmtool.compare.cases import affected_sets
from pmtool.compare.disclosure import Protection
from pmtool.compare.outcome import reason_text
from pmtool.compare.publication import ALL
from pmtool.i18n import t, tn
from pmtool.report import numbers
from pmtool.report.advice import ModelOffice, advise
from pmtool.report.context import Cell, Table
from pmtool.report.items import (
    FindingGroup,
    basis_text,
    card_number,
    group_findings,
    item_label,
    rank_order,
    same_cases_label,
)
from pmtool.report.priority_view import PriorityView, build_priority_view
from pmtool.report.suppression import report_protection
from pmtool.vocabulary import vocabulary

if TYPE_CHECKING:
    from pmtool.analysis import Analysis

#: Findings shown in Part A (the rest are in the process sections).
TOP_N = 5
CRITICAL_SCORE = 20.0


@dataclass(frozen=True)
class TopFinding:
    number: int
    process: str
    process_name: str
    office: str
    item: str  # „Frist „…“ (§ 11 Abs. 1 IfSG)“
    numbers: str  # „178 von 370 Fällen (48 %); übrige Ämter: 328 von 3.832 Fällen (8,6 %)“
    model: str  # „Vorbild GA-04: 9 von 276 Fällen (3,3 %)“
    advice: str
    score: str
    bar: int  # width of the score bar in percent of the largest score
    basis: str
    also: str  # the group's other findings, in words („Dieselben Fälle: …“)
    anchor: str
    link: str  # the link text: where it goes („Befund 3 in P1 Meldefallbearbeitung“)


@dataclass(frozen=True)
class Verdict:
    process: str
    name: str
    anchor: str
    level: str  # critical | action | ok
    level_text: str
    reason: str  # why this level
    text: str  # findings, offices, conforming cases, fitness


@dataclass(frozen=True)
class Summary:
    lead: str
    findings: int  # rows of the findings table (accepted included): the one count everyone shows
    no_findings: str  # what Part A says where the top findings would be
    accepted_count: int
    verdicts: tuple[Verdict, ...]
    matrix: Table
    top: tuple[TopFinding, ...]
    top_caption: str
    priorities: PriorityView
    groups: dict[str, list[FindingGroup]]  # per process, all finding groups (accepted included)


def process_name(analysis: Analysis, pid: str, lang: str) -> str:
    """„P1 Meldefallbearbeitung“ (English: the vocabulary's gloss); the project file's name wins; without either, the
    process id (a model's own name may be a mining tool's net id)."""
    configured = analysis.project.processes[pid].name if pid in analysis.project.processes else None
    title = configured or vocabulary().process_title(pid, lang)
    return f"{pid} {title}" if title else pid


def process_anchor(pid: str) -> str:
    return f"process-{pid.lower()}"


def statement(row: dict[str, Any], lang: str) -> str:
    return row.get(f"statement_{lang}") or row.get("statement_de") or ""


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


def build_summary(analysis: Analysis, lang: str, *, protection: Protection | None = None) -> Summary:
    """Part A of the report for ``analysis`` in ``lang`` (see the module docstring); ``protection``: the
    report's disclosure check (computed when not given)."""
    protection = protection or report_protection(analysis)
    k = analysis.project.privacy_threshold
    rows = analysis.findings.to_dicts() if analysis.findings.height else []
    groups: dict[str, list[FindingGroup]] = {pid: [] for pid in analysis.processes}
    for g in group_findings(rows, lambda found: affected_sets(analysis, found)):
        groups.setdefault(g.lead["process"], []).append(g)
    numbered = {id(g): card_number(g, i) for gs in groups.values() for i, g in enumerate(gs, 1)}
    open_groups = [g for gs in groups.values() for g in gs if not g.lead.get("accepted")]
    open_groups.sort(key=lambda g: rank_order(g.lead))
    top_score = max([g.lead["score"] or 0.0 for g in open_groups] or [1.0]) or 1.0
    table = analysis.comparison.table
    top = tuple(_top(analysis, g, i, numbered[id(g)], top_score, table, k, lang)
                for i, g in enumerate(open_groups[:TOP_N], 1))
    accepted = sum(1 for r in rows if r.get("accepted"))
    verdicts = tuple(verdict(analysis, pid, groups.get(pid, []), lang, protection=protection)
                     for pid in analysis.processes)
    priorities = build_priority_view(analysis, lang)
    legal = sum(1 for r in rows if not r.get("accepted") and r.get("basis") == "legal")
    offices = len({r["office"] for r in rows if not r.get("accepted")})
    first = priorities.first
    lead = " ".join(part for part in (
        tn("report.summary.lead_findings", len(rows), lang, n=numbers.count(len(rows), lang),
           offices=tn("report.n.offices", offices, lang), processes=tn("report.n.processes",
                                                                        len(analysis.processes), lang)),
        tn("report.summary.lead_accepted", accepted, lang) if accepted else "",
        tn("report.summary.lead_legal", legal, lang) if rows else "",
        t("report.summary.lead_first", lang, process=first) if first else "") if part)
    statuses = {p.process: p.status for p in analysis.outcome.processes}
    blocked = [pid for pid in analysis.processes if statuses.get(pid, "not_comparable") == "not_comparable"]
    no_findings = t("report.summary.no_findings", lang)
    if blocked:  # said first, where the reader looks: no all-clear for what could not be compared
        names = ", ".join(process_name(analysis, pid, lang) for pid in blocked)
        prefix = t("report.summary.not_comparable", lang, n=len(blocked), total=len(analysis.processes),
                   processes=names)
        lead = f"{prefix} {lead}" if open_groups else prefix
        no_findings = t("report.summary.no_findings_blocked", lang, processes=names)
    return Summary(lead=lead, findings=len(rows), no_findings=no_findings, accepted_count=accepted, verdicts=verdicts,
                   matrix=_matrix(analysis, rows, lang), top=top,
                   top_caption=tn("report.summary.top_caption", len(top), lang,
                                  total=numbers.count(len(rows) - accepted, lang),
                                  groups=numbers.count(len(open_groups), lang)),
                   priorities=priorities, groups=groups)


def _top(analysis: Analysis, group: FindingGroup, number: int, card: int, top_score: float, table: pl.DataFrame,
         k: int, lang: str) -> TopFinding:
    r = group.lead
    pid = r["process"]
    name = process_name(analysis, pid, lang)
    best = [o.strip() for o in (r.get("best_offices") or "").split(",") if o.strip()]
    model = model_office(table, r, best[0], office_label(analysis, best[0])) if best else None
    reference = analysis.processes[pid].reference
    rule = reference.rules.by_id.get(r["rule_id"]) if reference.rules and r.get("rule_id") else None
    advice = advise(r, model, rule, k, lang)
    line = t("report.summary.numbers", lang,
             office=numbers.share_of(r["affected"], r["eligible"], lang, k=k),
             others=numbers.share_of(r["affected_others"], r["eligible_others"], lang, k=k))
    return TopFinding(number=number, process=pid, process_name=name, office=office_label(analysis, r["office"]),
                      item=item_label(r, lang, source=True), numbers=line, model=advice.model,
                      advice=advice.text, score=numbers.score(r["score"], lang),
                      bar=round(100 * (r["score"] or 0) / top_score),
                      basis=basis_text(r.get("basis"), r.get("severity"), lang),
                      also=same_cases_label(group.others, lang), anchor=anchor(r["finding_id"]),
                      link=t("report.summary.details", lang, number=card, process=name))


def model_office(table: pl.DataFrame, row: dict[str, Any], office: str, name: str = "") -> ModelOffice:
    """The model office's published numbers for the finding's check (from the comparison table)."""
    match = table.filter((pl.col("process") == row["process"]) & (pl.col("period") == row["period"])
                         & (pl.col("item") == row["item"]) & (pl.col("office") == office))
    if not match.height:
        return ModelOffice(office, None, None, name=name)
    m = match.row(0, named=True)
    hidden = bool(m.get("suppressed"))
    return ModelOffice(office, None if hidden else m["affected"], m["eligible"],
                       None if hidden else m.get("duration_median_hours"), name)


def verdict(analysis: Analysis, pid: str, groups: list[FindingGroup], lang: str, *,
            protection: Protection | None = None) -> Verdict:
    """The verdict on process ``pid``: its level, why, and the numbers behind it (the cases and the cases
    that follow the Soll completely as far as the disclosure check ``protection`` publishes them)."""
    name = process_name(analysis, pid, lang)
    k = analysis.project.privacy_threshold
    hidden = protection.hidden if protection is not None else frozenset()
    period = analysis.project.period
    summary = analysis.processes[pid].conformance.summary
    cases: int | None = int(summary["cases"].sum())
    fitting: int | None = int(round(float((summary["fitting_share"] * summary["cases"]).sum()))) if cases else 0
    if ("fitting", pid, period, None, ALL) in hidden:
        fitting = None
    if ("cases", pid, period, None, ALL) in hidden:
        cases = fitting = None
    total = int(summary["cases"].sum())
    fitness = float((summary["fitness"] * summary["cases"]).sum() / total) if total else None
    members = [r for g in groups for r in (g.lead, *g.others)]
    open_rows = [r for r in members if not r.get("accepted")]
    open_groups = [g for g in groups if not g.lead.get("accepted")]
    text = t("report.verdict.text", lang,
             findings=tn("report.verdict.findings", len(open_rows), lang, n=numbers.count(len(open_rows), lang),
                         offices=tn("report.n.in_offices", len({r["office"] for r in open_rows}), lang)),
             fitting=numbers.share_of(fitting, cases, lang, k=k), fitness=numbers.decimal(fitness, lang, 3))
    status, not_compared = _not_compared_text(analysis, pid, lang)
    if status in (None, "not_comparable"):
        return Verdict(pid, name, process_anchor(pid), "not_comparable",
                       t("report.verdict.level.not_comparable", lang),
                       t("report.verdict.not_comparable", lang, offices=not_compared or "—",
                         fitness=numbers.decimal(fitness, lang, 3)), text)
    also = " " + t("report.verdict.not_compared", lang, offices=not_compared) if not_compared else ""
    if not open_groups:
        return Verdict(pid, name, process_anchor(pid), "ok", t("report.verdict.level.ok", lang),
                       t("report.verdict.reason.ok", lang) + also, text)
    legal = [g for g in open_groups if g.lead.get("basis") == "legal"]
    lead = (legal or open_groups)[0].lead
    where = ", ".join(office_label(analysis, o) for o in
                      sorted({g.lead["office"] for g in open_groups if g.lead["item"] == lead["item"]}))
    item = item_label(lead, lang, source=True)
    if legal:
        level, reason = "critical", t("report.verdict.reason.legal", lang, item=item, offices=where)
    elif (lead["score"] or 0) >= CRITICAL_SCORE:
        level, reason = "critical", t("report.verdict.reason.score", lang, item=item, offices=where,
                                      score=numbers.score(lead["score"], lang),
                                      limit=numbers.decimal(CRITICAL_SCORE, lang, 0))
    else:
        level, reason = "action", t("report.verdict.reason.action", lang, item=item, offices=where,
                                    score=numbers.score(lead["score"], lang))
    return Verdict(pid, name, process_anchor(pid), level, t(f"report.verdict.level.{level}", lang), reason + also,
                   text)


def _matrix(analysis: Analysis, rows: list[dict[str, Any]], lang: str) -> Table:
    """Offices × processes: the number of findings (accepted ones said so) and the highest score, or
    "nicht vergleichbar" where the office was not compared (the comparability gate left it out, or it had no
    comparable peer): never "—", which says "no finding"; totals per process."""
    pids = list(analysis.processes)
    not_compared = {(p.process, office) for p in analysis.outcome.processes for office, _, _ in p.not_compared}
    offices = sorted({o for pa in analysis.processes.values() for o in pa.conformance.summary["office"].to_list()})
    out = []
    for office in offices:
        cells: list[Cell] = []
        for pid in pids:
            mine = [r for r in rows if r["process"] == pid and r["office"] == office]
            if (pid, office) in not_compared:
                cells += [Cell(t("report.matrix.not_comparable", lang), numeric=False, css="not-comparable"),
                          Cell("—")]
                continue
            cells += [_count_cell(mine, lang),
                      Cell(numbers.score(max(r["score"] or 0.0 for r in mine), lang) if mine else "—")]
        out.append((office_label(analysis, office), tuple(cells)))
    foot: list[Cell] = []
    for pid in pids:
        mine = [r for r in rows if r["process"] == pid]
        foot += [_count_cell(mine, lang),
                 Cell(numbers.score(max(r["score"] or 0.0 for r in mine), lang) if mine else "—")]
    head = (t("report.matrix.office", lang), *(h for pid in pids for h in (
        t("report.matrix.findings", lang, process=pid), t("report.matrix.score", lang, process=pid))))
    return Table(id="matrix", caption=t("report.matrix.caption", lang), head=head, rows=tuple(out),
                 foot=((t("report.matrix.all", lang), tuple(foot)),), notes=(t("report.matrix.note", lang),),
                 css="matrix")


def _count_cell(rows: list[dict[str, Any]], lang: str) -> Cell:
    if not rows:
        return Cell("—")
    accepted = sum(1 for r in rows if r.get("accepted"))
    text = numbers.count(len(rows), lang)
    if accepted:
        text += " " + t("report.matrix.accepted", lang, n=numbers.count(accepted, lang))
    return Cell(text, css="strong")
