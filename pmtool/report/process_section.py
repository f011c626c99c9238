"""Part B, one process: verdict and key figures, offices × checks, deadline compliance, throughput times
with a histogram per office and the bottleneck table, the Soll with every kind of finding at its place,
the Ist maps of the top finding's office and its model office, conformance per office and one card per
finding (group).

Large maps are printed as their relevant part (:mod:`pmtool.report.map_parts`); the HTML shows them whole,
and the annex (:mod:`pmtool.report.annex`) holds all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from pmtool.compare.disclosure import Protection
from pmtool.compare.publication import ALL
from pmtool.eventlog.filters import parse_filters
from pmtool.formatting import format_period
from pmtool.i18n import t, tn
from pmtool.report import numbers
from pmtool.report.bpmn_view import read_process_view
from pmtool.report.cards import FindingCard, card
from pmtool.report.charts import DeadlinePanel, OfficeInterval, ThroughputRow, deadline_chart, throughput_chart
from pmtool.report.context import Figure, Table
from pmtool.report.items import FindingGroup, card_number
from pmtool.report.map_parts import dfg_for_print, soll_excerpts
from pmtool.report.models import (
    cut_flows,
    dfg_caption,
    drawn_overlay,
    flow_view,
    ist_figure,
    overlay_legend,
    soll_figure,
    wait_legend,
)
from pmtool.report.performance import bottleneck_table, duration_histograms
from pmtool.report.print_layout import fits
from pmtool.report.process_tables import (
    MIN_POOLED_RATE,
    conformance_table,
    heatmap,
    overlay_data,
    overlay_marks,
    overlay_table,
)
from pmtool.report.summary import Summary, Verdict, process_anchor, process_name
from pmtool.report.suppression import SUPPRESSED, ist_view, published_dfg, report_protection

if TYPE_CHECKING:
    from pmtool.analysis import Analysis, ProcessAnalysis

MAX_IST_SHOWN = 2


@dataclass(frozen=True)
class ProcessSection:
    pid: str
    name: str
    anchor: str
    verdict: Verdict
    facts: tuple[tuple[str, str], ...]
    soll: Figure | None  # None: too large for a page, in the annex only
    soll_note: str
    overlay: Figure
    overlay_table: Table
    ist: tuple[Figure, ...]
    ist_note: str
    heatmap: Table | None
    heatmap_note: str  # why there is no table of offices × checks (when there is none)
    deadline: Figure | None
    throughput: Figure | None
    durations: Figure | None
    bottlenecks: Table | None
    conformance: Table
    cards: tuple[FindingCard, ...]


@dataclass(frozen=True)
class SollFigures:
    """The Soll of a process, drawn once: plain and with the findings, for the section and the annex."""

    soll: Figure
    overlay: Figure
    view: Any
    draw_overlay: Callable[[frozenset[str] | None], bytes]
    extras: tuple[str, ...]  # overlay activities the Soll does not have


def soll_figures(analysis: Analysis, pid: str, groups: list[FindingGroup], lang: str) -> SollFigures:
    """The Soll and the overlay of process ``pid``; the overlay's print version is the excerpt around the
    findings with the highest scores when the whole does not fit on A4."""
    pa = analysis.processes[pid]
    name = process_name(analysis, pid, lang)
    table = _process_table(analysis, pid)
    config = analysis.project.processes.get(pid)
    view = flow_view(read_process_view(config.model, pa.reference.sha256) if config else None, pa.reference.net)
    soll_svg = soll_figure(view, pa.reference.net, title=t("report.soll.title", lang, name=name), lang=lang)
    soll = Figure(f"soll-{pid}", soll_svg, alt=_soll_alt(view, name, lang),
                  caption=t("report.soll.caption", lang, model=pa.reference.source), size="sheet",
                  title=t("report.soll.title", lang, name=name), notes=(t("report.soll.legend", lang),))
    overlay = overlay_data(table) if table.height else {}
    marks = overlay_marks(table, pa.reference, lang) if table.height else ()
    title = t("report.overlay.title", lang, name=name)

    drawn = drawn_overlay(overlay, pa.reference.task_labels)  # by the task names the model draws

    def draw(keep: frozenset[str] | None = None) -> bytes:
        return soll_figure(view, pa.reference.net, lang=lang, overlay=drawn, marks=marks, title=title, keep=keep)

    svg = draw()
    printed: tuple[bytes, ...] = ()
    note = ""
    if not fits(svg):
        open_groups = [g for g in groups if not g.lead.get("accepted")]
        excerpts = soll_excerpts(view, [_group_activities(g, pa.reference) for g in open_groups], draw)
        printed = tuple(svg for svg, _ in excerpts)
        numbers_shown = sorted(i + 1 for _, members in excerpts for i in members)
        if excerpts:
            note = tn("report.overlay.excerpt", len(numbers_shown), lang, total=len(open_groups),
                      cards=", ".join(str(n) for n in numbers_shown))
        else:  # nothing to cut around: the print says so once, and where the whole map is (never shrunk)
            soll_too = "" if fits(soll_svg) else "_with_soll"
            note = t(f"report.overlay.{'no_excerpt' if open_groups else 'no_findings'}{soll_too}", lang)
    fig = Figure(f"overlay-{pid}", svg, alt=_overlay_alt(overlay, marks, name, lang),
                 caption=t("report.overlay.caption", lang), size="sheet", title=title,
                 legend=overlay_legend(lang), legend_title=t("report.overlay.legend_title", lang),
                 notes=(t("report.overlay.legend", lang), t("report.overlay.legend_marks", lang),
                        t("report.soll.legend", lang)), print_svgs=printed, print_note=note,
                 part_label=t("report.overlay.excerpt_part", lang))
    tasks = {n.name for n in view.nodes}
    return SollFigures(soll, fig, view, draw, tuple(sorted(a for a in drawn if a not in tasks)))


def _group_activities(group: FindingGroup, reference: Any) -> list[str]:
    """The Soll tasks a finding group is about: its activities and its rules' activities."""
    out: list[str] = []
    for row in (group.lead, *group.others):
        if row.get("activity"):
            out.append(row["activity"])
        rule = reference.rules.by_id.get(row["rule_id"]) if reference.rules and row.get("rule_id") else None
        if rule is not None:
            out += list(rule.activities)
        if row.get("code") == "NO_CLOSURE":
            out += sorted(reference.closing)
    return list(dict.fromkeys(out))


def _process_table(analysis: Analysis, pid: str) -> pl.DataFrame:
    table = analysis.comparison.table
    return table.filter(pl.col("process") == pid) if table.height else table


def build_process_section(analysis: Analysis, pid: str, lang: str, summary: Summary, figures: SollFigures, *,
                          protection: Protection | None = None) -> ProcessSection:
    """The section of process ``pid``; ``figures``: its Soll pictures (:func:`soll_figures`); ``protection``:
    the report's disclosure check (computed when not given, see
    :func:`~pmtool.report.suppression.report_protection`)."""
    pa = analysis.processes[pid]
    k = analysis.project.privacy_threshold
    protection = protection or report_protection(analysis)
    period = analysis.project.period
    name = process_name(analysis, pid, lang)
    table = _process_table(analysis, pid)
    offices = sorted(pa.conformance.summary["office"].to_list())
    groups = summary.groups.get(pid, [])
    verdict = next(v for v in summary.verdicts if v.process == pid)
    soll_order = [(n.name, n.lane) for n in figures.view.tasks]
    names = analysis.project.office_names
    ist, ist_note = _ist_figures(pa, groups, name, k, lang, protection, period, names)
    heat, left_out = heatmap(table, offices, lang, pid, names) if table.height else (None, 0)
    heat_note = ""
    if heat is not None and not heat.rows:  # a table of its header only says nothing: say why instead
        heat = None
        heat_note = tn("report.heat.empty", left_out, lang, share=numbers.rate(MIN_POOLED_RATE, lang))
    cases = int(pa.conformance.summary["cases"].sum())
    findings = [r for g in groups for r in (g.lead, *g.others)]
    open_rows = [r for r in findings if not r.get("accepted")]
    facts = (
        (t("report.fact.cases", lang), SUPPRESSED if ("cases", pid, period, None, ALL) in protection.hidden
         else numbers.count(cases, lang)),
        (t("report.fact.offices", lang), numbers.count(len(offices), lang)),
        (t("report.fact.fitness", lang), numbers.decimal(
            float((pa.conformance.summary["fitness"] * pa.conformance.summary["cases"]).sum() / cases)
            if cases else None, lang, 3)),
        (t("report.fact.findings", lang), numbers.count(len(open_rows), lang)),
        (t("report.fact.accepted", lang), numbers.count(len(findings) - len(open_rows), lang)),
        (t("report.fact.rules", lang), f"{pa.reference.rules.id} {pa.reference.rules.version}"
         if pa.reference.rules else "—"),
    )
    chosen = parse_filters(analysis.project.filters_for(pid))
    if chosen:  # every number of the section is about the filtered cases only
        facts = (*facts, (t("report.fact.filters", lang), chosen.describe(lang)))
    soll_fits = fits(figures.soll.svg)
    return ProcessSection(
        pid=pid, name=name, anchor=process_anchor(pid), verdict=verdict, facts=facts,
        soll=figures.soll if soll_fits else None,
        soll_note="" if soll_fits else t("report.soll.in_annex", lang),
        overlay=figures.overlay, overlay_table=overlay_table(_overlay_of(table), soll_order, lang, pid),
        ist=ist, ist_note=ist_note, heatmap=heat, heatmap_note=heat_note,
        deadline=_deadline_figure(table, offices, name, k, lang, pid, names),
        throughput=_throughput_figure(pa.conformance.cases, offices, k, name, lang, pid, names),
        durations=duration_histograms(pa.conformance.cases, offices, k, name, lang, pid, hidden=protection.hidden,
                                      period=period, names=names),
        bottlenecks=bottleneck_table(pa.log, k, lang, pid),
        conformance=conformance_table(pa.conformance.summary, pa.conformance.cases, k, lang, pid,
                                      hidden=protection.hidden, period=period, names=names),
        cards=tuple(card(g, card_number(g, i), table, pa.reference, k, lang, names)
                    for i, g in enumerate(groups, 1)))


def _overlay_of(table: pl.DataFrame) -> dict:
    return overlay_data(table) if table.height else {}


def _soll_alt(view: Any, name: str, lang: str) -> str:
    tasks = [n.name for n in view.tasks]
    roles = sorted({n.lane for n in view.tasks if n.lane})
    return t("report.soll.alt", lang, name=name, n=len(tasks), first=tasks[0] if tasks else "—",
             last=tasks[-1] if tasks else "—", roles=", ".join(roles) or "—")


def _quoted(text: str, lang: str) -> str:
    """``text`` in the quotation marks of ``lang``: „…“ in German, '…' in English."""
    return f"'{text}'" if lang == "en" else f"„{text}“"


def _overlay_alt(overlay: dict, marks: Any, name: str, lang: str) -> str:
    ranked = sorted(overlay.items(), key=lambda kv: (-kv[1].total, kv[0]))[:3]
    top = "; ".join(f"{_quoted(a, lang)} {numbers.rate(info.total, lang)}" for a, info in ranked) or "—"
    flagged = "; ".join(f"{m.label} ({', '.join(m.offices)})" for m in marks if m.offices) or "—"
    return t("report.overlay.alt", lang, name=name, top=top, rules=flagged)


def ist_dfgs(pa: ProcessAnalysis, k: int, protection: Protection, period: str) -> dict[str, Any]:
    """Each office's directly-follows graph as the report may show it, by office: privacy-filtered, without
    what the disclosure check hides (no graph for an office whose case count is hidden)."""
    out = {}
    for d in sorted((d for d in pa.discoveries if d.scope.process == pa.process), key=lambda d: d.scope.office):
        dfg = ist_view(d, k)
        if dfg is None or ("cases", pa.process, period, None, d.scope.office) in protection.hidden:
            continue
        out[d.scope.office] = published_dfg(dfg, protection, pa.process, d.scope.office)
    return out


def ist_map(pa: ProcessAnalysis, office: str, dfg: Any, name: str, k: int, lang: str,
            focus: list[str] | None = None, label: str = "") -> Figure:
    """One office's Ist map (``label``: the office's display name): the whole (privacy-filtered) graph, and
    for print the activities around ``focus`` (or the most frequent ones) when the whole does not fit."""
    office_text = label or office
    title = t("report.ist.title", lang, office=office_text, name=name)
    found = next((d for d in pa.discoveries if d.scope.office == office), None)
    described = parse_filters(found.settings.filters).describe(lang) if found else ""
    if described:  # a filtered map never passes for a whole one
        title = f"{title} · {t('filter.applied', lang, filters=described)}"
    svg = ist_figure(dfg, title=title, lang=lang)
    printed: tuple[bytes, ...] = ()
    note = ""
    if not fits(svg):
        # a narrowed map keeps, as dashed "⋯" arrows, where its activities' flow goes on to hidden ones
        found = dfg_for_print(dfg, lambda view: ist_figure(view, title=title, lang=lang, cut=cut_flows(dfg, view),
                                                           compact=True), focus or ())
        if found is not None:
            view, small, focused = found
            printed = (small,)
            whole = view.activities.height == dfg.activities.height and view.edges.height == dfg.edges.height
            key = "report.ist.print_focus" if focused else "report.ist.print_top"
            note = "" if whole else t(key, lang, activities=numbers.count(view.activities.height, lang),
                     total=numbers.count(dfg.activities.height, lang),
                     cut=t("report.ist.print_cut", lang) if cut_flows(dfg, view) else "")
    return Figure(f"ist-{pa.process}-{office}", svg,
                  alt=t("report.ist.alt", lang, office=office_text, name=name,
                        cases=numbers.count(dfg.cases, lang), activities=dfg.activities.height,
                        edges=dfg.edges.height),
                  caption=t("report.ist.caption", lang, office=office_text, k=k,
                            period=format_period(dfg.period_start, dfg.period_end, lang),
                            cases=numbers.count(dfg.cases, lang)),
                  size="sheet", title=title, legend=wait_legend(lang), legend_title=t("render.legend_wait", lang),
                  notes=(t("render.legend_width", lang), dfg_caption(dfg, lang)), print_svgs=printed,
                  print_note=note)


def _ist_figures(pa: ProcessAnalysis, groups: list[FindingGroup], name: str, k: int, lang: str,
                 protection: Protection, period: str, names: Mapping[str, str]) -> tuple[tuple[Figure, ...], str]:
    """The office of the top finding and its model office, side by side around the finding's tasks."""
    dfgs = ist_dfgs(pa, k, protection, period)
    open_groups = [g for g in groups if not g.lead.get("accepted")]
    focus: list[str] = []
    if open_groups:
        lead = open_groups[0].lead
        chosen = [lead["office"]] + [o.strip() for o in (lead.get("best_offices") or "").split(",") if o.strip()][:1]
        focus = _group_activities(open_groups[0], pa.reference)
    else:
        chosen = [max(dfgs, key=lambda o: (dfgs[o].cases, o))] if dfgs else []
    chosen = [o for o in chosen if o in dfgs][:MAX_IST_SHOWN]
    shown = tuple(ist_map(pa, o, dfgs[o], name, k, lang, focus or None, names.get(o, o)) for o in chosen)
    note = (t("report.ist.note" if open_groups else "report.ist.note_no_findings", lang,
              offices=", ".join(names.get(o, o) for o in chosen)) if shown else "")
    discoveries = {d.scope.office: d for d in pa.discoveries if d.scope.process == pa.process}
    mined = [t("report.ist.mining", lang, office=names.get(o, o), method=discoveries[o].ist.mining.describe(lang))
             for o in sorted(discoveries) if discoveries[o].ist.mining is not None
             and (discoveries[o].ist.mining.filtered or discoveries[o].ist.mining.fallback
                  or discoveries[o].ist.mining.activities < discoveries[o].ist.mining.activities_total)]
    note = " ".join(x for x in (note, *mined) if x)  # a filtered or fallback Ist model says so here too
    return shown, note


def _deadline_figure(table: pl.DataFrame, offices: list[str], name: str, k: int, lang: str,
                     pid: str, names: Mapping[str, str]) -> Figure | None:
    if not table.height:
        return None
    rules = table.filter(pl.col("code") == "DEADLINE")
    panels = []
    for item in sorted(set(rules["item"].to_list())):
        rows = {r["office"]: r for r in rules.filter(pl.col("item") == item).iter_rows(named=True)}
        first = next(iter(rows.values()))
        title = (first.get("rule_title_en") if lang == "en" else None) or first.get("rule_title") or first["rule_id"]
        if first.get("legal_source"):
            title += f" ({first['legal_source']})"
        cells = []
        for o in offices:
            r = rows.get(o)
            if r is None:
                continue
            if r["suppressed"] or r["rate"] is None:
                cells.append(OfficeInterval(o, None, label=names.get(o, o)))
            else:
                cells.append(OfficeInterval(o, 1 - r["rate"], 1 - r["ci_high"], 1 - r["ci_low"], bool(r["finding"]),
                                            label=names.get(o, o)))
        pooled = first["k_all"] / first["n_all"] if first.get("n_all") else None
        panels.append(DeadlinePanel(title, tuple(cells), None if pooled is None else 1 - pooled))
    if not panels:
        return None
    worst = min(((p.title, c) for p in panels for c in p.offices if c.value is not None),
                key=lambda x: x[1].value, default=None)
    worst_text = (f"{worst[1].office}, {_quoted(worst[0], lang)}: {numbers.rate(worst[1].value, lang)}"
                  if worst else "—")
    alt = t("report.deadline.alt", lang, name=name, deadlines=tn("report.n.deadlines", len(panels), lang),
            worst=worst_text)
    return Figure(f"deadline-{pid}", deadline_chart(panels, lang, k), alt=alt,
                  caption=t("report.deadline.caption", lang), size="wide")


def _throughput_figure(cases: pl.DataFrame, offices: list[str], k: int, name: str, lang: str,
                       pid: str, names: Mapping[str, str]) -> Figure | None:
    completed = cases.filter(pl.col("case_status") == "complete")
    if completed.height < k:
        return None
    rows = []
    for o in offices:
        values = completed.filter(pl.col("office") == o)["throughput_hours"].drop_nulls()
        if values.len() < k:
            rows.append(ThroughputRow(o, None, label=names.get(o, o)))
            continue
        qs = tuple(float(values.quantile(q, "linear")) for q in (0.1, 0.25, 0.5, 0.75, 0.9))
        rows.append(ThroughputRow(o, qs, label=names.get(o, o)))  # type: ignore[arg-type]
    shown = [r for r in rows if r.quantiles]
    if not shown:
        return None
    lo = min(shown, key=lambda r: (r.quantiles[2], r.office))  # type: ignore[index]
    hi = max(shown, key=lambda r: (r.quantiles[2], r.office))  # type: ignore[index]
    alt = t("report.throughput.alt", lang, name=name, low=numbers.days(lo.quantiles[2], lang),
            low_office=lo.label or lo.office, high=numbers.days(hi.quantiles[2], lang),
            high_office=hi.label or hi.office)  # type: ignore[index]
    pooled = completed["throughput_hours"].median()
    return Figure(f"throughput-{pid}", throughput_chart(rows, pooled, lang, k), alt=alt,
                  caption=t("report.throughput.caption", lang, k=k), size="wide")
