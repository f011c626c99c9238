"""Notebook views of the comparison and of a whole analysis: findings in words, the heat map of offices ×
checks, the process priorities, a verdict per process, and the files a run or report wrote.

The comparison works from bundles, where counts below the threshold are already removed; the views show
rates, tests and scores, and counts only through :meth:`View.count`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from pmtool.compare.statements import statement
from pmtool.display.logs import thing_count
from pmtool.display.markup import View, cell, esc, facts, heading, note, page, rank_cell, table
from pmtool.i18n import t, tn
from pmtool.report import numbers
from pmtool.report.palette import RATE_COLOURS, RATE_TEXT

if TYPE_CHECKING:
    from pmtool.analysis import Analysis, ComparisonTables
    from pmtool.api.types import Findings
    from pmtool.report import ReportFiles
    from pmtool.results import RunResult
    from pmtool.simulate.simulator import SimulationResult

TOP = 10
_HEAT = re.compile(r"heat-(\d)")


def findings_table(rows: Sequence[Mapping[str, Any]], v: View, *, caption: str) -> str:
    """One row per finding: process, rank, office, the statement (with the rates), q-value, score, the best
    practice and whether it is accepted."""
    out = []
    for r in rows:
        said = r.get(f"statement_{v.lang}") or statement(dict(r), v.lang)
        status = (t("display.findings.accepted", v.lang, why=r.get("justification") or "—") if r.get("accepted")
                  else t("display.findings.open", v.lang))
        out.append((cell(r["process"]), rank_cell(r.get("rank")), cell(r["office"]), cell(said),
                    v.number(numbers.p_value(r.get("q_value"), v.lang)),
                    v.number(numbers.score(r.get("score"), v.lang)), cell(r.get("best_offices") or "—"),
                    cell(status)))
    head = (t("cli.discover.col.process", v.lang), t("cli.compare.col.rank", v.lang),
            t("cli.compare.col.office", v.lang), t("report.summary.col.statement", v.lang),
            t("cli.compare.col.q", v.lang), t("cli.compare.col.score", v.lang), t("report.summary.col.best", v.lang),
            t("display.findings.status", v.lang))
    return table(head, out, caption=caption)


def _ranked(frame: pl.DataFrame, process: str | None = None) -> list[dict[str, Any]]:
    if frame.height == 0:
        return []
    if process is not None:
        frame = frame.filter(pl.col("process") == process)
    return frame.sort(["accepted", "process", "rank"]).to_dicts()


def findings_html(found: Findings, v: View) -> str:
    rows = _ranked(found.frame)
    n_open = sum(1 for r in rows if not r.get("accepted"))
    return page(heading(t("display.findings.title", v.lang, n=n_open, accepted=len(rows) - n_open)),
                findings_table(rows, v, caption=t("report.summary.top", v.lang)),
                note(t("report.summary.score_note", v.lang)))


def heat_html(table_frame: pl.DataFrame, process: str, v: View) -> str:
    """The report's heat map of one process (rates per check and office), coloured as in the report."""
    from pmtool.report.process_tables import heatmap

    part = table_frame.filter(pl.col("process") == process)
    if part.height == 0:
        return ""
    offices = sorted(part["office"].unique().to_list())
    heat, _ = heatmap(part, offices, v.lang, process)
    rows = []
    for label, cells in heat.rows:
        html_cells = []
        for c in cells:
            match = _HEAT.search(c.css)
            style = (f' style="background:{RATE_COLOURS[int(match.group(1))]};color:{RATE_TEXT[int(match.group(1))]}"'
                     if match else "")
            extra = " pm-finding" if " finding" in f" {c.css}" else ""
            extra += " pm-accepted" if "accepted" in c.css else ""
            html_cells.append(f'<td class="pm-x{extra}"{style}>{esc(c.text)}</td>')
        rows.append((label, html_cells))
    return ("<details><summary>" + esc(heat.caption) + "</summary>" + table(heat.head, rows)
            + "".join(note(n) for n in heat.notes) + "</details>")


def priorities_table(frame: pl.DataFrame, v: View) -> str:
    if frame.height == 0:
        return ""
    rows = []
    for r in frame.sort("rank", nulls_last=True).iter_rows(named=True):
        reasons = [t(f"report.reason.{x}", v.lang) for x in (r["reasons"] or "").split(",") if x]
        why = (t("report.priority.not_ranked", v.lang) if r["rank"] is None
               else ", ".join(reasons) or t("report.reason.none", v.lang))
        rows.append((rank_cell(r["rank"]), cell(f"{r['process']} {r['process_name']}"), v.count(r["cases"]),
                     v.decimal(r["fitness"]), v.decimal(r["priority"], 2), cell(why)))
    head = (t("report.priority.rank", v.lang), t("report.priority.process", v.lang), t("report.conf.cases", v.lang),
            t("report.conf.fitness", v.lang), t("report.priority.priority", v.lang),
            t("display.priorities.reasons", v.lang))
    return table(head, rows, caption=t("report.summary.priorities", v.lang))


def comparison_html(tables: ComparisonTables, v: View) -> str:
    """Per process: findings (open first), the heat map (folded) and the priorities of the processes."""
    return page(*comparison_parts(tables, v))


def comparison_parts(tables: ComparisonTables, v: View) -> list[str]:
    """The parts of :func:`comparison_html`, for views that show a comparison beside parts of their own."""
    frame = tables.comparison.table
    parts = [heading(t("display.comparison.title", v.lang))]
    processes = sorted(frame["process"].unique().to_list()) if frame.height else []
    for pid in processes:
        rows = _ranked(tables.findings, pid)
        n_open = sum(1 for r in rows if not r.get("accepted"))
        offices = frame.filter(pl.col("process") == pid)["office"].n_unique()
        parts += [heading(pid, 4), facts([
            (t("report.fact.offices", v.lang), thing_count(offices, v.lang)),
            (t("report.fact.findings", v.lang), thing_count(n_open, v.lang)),
            (t("report.fact.accepted", v.lang), thing_count(len(rows) - n_open, v.lang))])]
        if rows:
            parts.append(findings_table(rows[:TOP], v,
                                        caption=tn("display.findings.top", min(TOP, len(rows)), v.lang)))
        parts.append(heat_html(frame, pid, v))
    if not processes:
        parts.append(note(t("report.summary.no_findings", v.lang)))
    parts += [priorities_table(tables.priorities, v), note(t("display.comparison.hint", v.lang))]
    return parts


def analysis_html(analysis: Analysis, v: View) -> str:
    """The run at a glance: facts, the steps (with cache use), one verdict per process, the top open
    findings and the priorities."""
    from pmtool.compare.cases import affected_sets
    from pmtool.report.items import group_findings
    from pmtool.report.summary import process_name, verdict

    project = analysis.project
    stages: dict[str, list[float]] = {}
    for step in analysis.steps:
        row = stages.setdefault(step.stage, [0, 0, 0.0])
        row[0], row[1], row[2] = row[0] + 1, row[1] + step.cached, row[2] + step.seconds
    steps = table((t("cli.run.col.stage", v.lang), t("cli.run.col.steps", v.lang), t("cli.run.col.cached", v.lang),
                   t("cli.run.col.seconds", v.lang)),
                  [(t(f"cli.run.stage.{s}", v.lang), (thing_count(int(n), v.lang), thing_count(int(c), v.lang),
                                                      v.decimal(sec, 1))) for s, (n, c, sec) in stages.items()])
    rows = analysis.findings.to_dicts() if analysis.findings.height else []
    groups: dict[str, list] = {}
    for g in group_findings(rows, lambda found: affected_sets(analysis, found)):
        groups.setdefault(g.lead["process"], []).append(g)
    verdicts = []
    for pid in analysis.processes:
        found = verdict(analysis, pid, groups.get(pid, []), v.lang)
        verdicts.append((process_name(analysis, pid, v.lang), (cell(found.level_text, css=f"pm-{found.level}"),
                                                               cell(f"{found.reason} {found.text}"))))
    open_rows = sorted((r for r in rows if not r.get("accepted")), key=lambda r: (-(r["score"] or 0), r["finding_id"]))
    parts = [heading(project.name), facts([
        (t("report.fact.offices", v.lang), thing_count(len(project.offices), v.lang)),
        (t("report.fact.processes", v.lang), cell(", ".join(analysis.processes))),
        (t("report.fact.period", v.lang), cell(project.period)),
        (t("report.fact.as_of", v.lang), cell(numbers.date(analysis.as_of, v.lang))),
        (t("display.analysis.threshold", v.lang), thing_count(project.privacy_threshold, v.lang)),
    ]), steps, table((t("report.priority.process", v.lang), t("display.analysis.level", v.lang),
                      t("report.summary.verdicts", v.lang)), verdicts, caption=t("report.summary.verdicts", v.lang))]
    if open_rows:
        parts.append(findings_table(open_rows[:TOP], v, caption=tn("display.findings.top",
                                                                   min(TOP, len(open_rows)), v.lang)))
    parts += [priorities_table(analysis.priorities, v), note(t("display.analysis.hint", v.lang)), v.suppressed_note()]
    return page(*parts)


def report_files_html(files: ReportFiles, v: View) -> str:
    return page(heading(t("display.report.title", v.lang, language=files.lang)),
                table((t("display.report.format", v.lang), t("display.report.file", v.lang)),
                      [(cell(name), cell(path.name)) for name, path in (*files.files.items(),
                                                                          *files.annex.items())]))


def run_result_html(result: RunResult, v: View) -> str:
    status = result.report_status + (f" ({result.report_note})" if result.report_note else "")
    return page(analysis_html(result.analysis, v), facts([
        (t("display.run.output", v.lang), cell(result.output.name)),
        (t("display.run.files", v.lang), thing_count(len(result.files), v.lang)),
        (t("display.run.report", v.lang), cell(status))]))


def simulation_html(result: SimulationResult, v: View) -> str:
    rows = [(cell(s.office), cell(s.process), cell(s.dialect), cell(s.file), v.count(s.cases), v.count(s.events),
             v.count(s.affected), cell(", ".join(s.elevated) or "–")) for s in result.logs]
    head = tuple(t(f"cli.simulate.col.{c}", v.lang) for c in ("office", "process", "dialect")) + (
        t("display.report.file", v.lang),) + tuple(t(f"cli.simulate.col.{c}", v.lang)
                                                   for c in ("cases", "events", "affected", "elevated"))
    return page(heading(t("cli.simulate.title", v.lang)), table(head, rows), v.suppressed_note())
