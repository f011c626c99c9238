"""One process in the report: verdict and key figures, the Soll model, the Soll with deviations overlaid,
selected Ist models (the rest in the annex), the office × deviation matrix, deadline compliance,
throughput times, conformance per office and one card per finding."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from pmtool.compare.disclosure import Protection
from pmtool.compare.publication import ALL
from pmtool.compare.score import IMPACT_CAP_DAYS
from pmtool.discover.formatting import format_period
from pmtool.i18n import t
from pmtool.report import numbers
from pmtool.report.bpmn_view import read_process_view
from pmtool.report.charts import DeadlinePanel, OfficeInterval, ThroughputRow, deadline_chart, throughput_chart
from pmtool.report.context import Figure, Table
from pmtool.report.items import FindingGroup, basis_text, item_label
from pmtool.report.models import (
    dfg_caption,
    drawn_overlay,
    ist_figure,
    overlay_legend,
    page_class,
    soll_figure,
    wait_legend,
)
from pmtool.report.process_tables import conformance_table, heatmap, overlay_data, overlay_table
from pmtool.report.summary import Summary, Verdict, anchor, process_name, statement
from pmtool.report.suppression import SUPPRESSED, ist_view, published_dfg, report_protection

if TYPE_CHECKING:
    from pmtool.analysis import Analysis

MAX_IST_SHOWN = 2


@dataclass(frozen=True)
class FindingCard:
    anchor: str
    number: int
    finding_id: str
    office: str
    item: str
    statement: str
    basis: str
    lines: tuple[tuple[str, str], ...]
    score: str
    accepted: bool
    justification: str


@dataclass(frozen=True)
class ProcessSection:
    pid: str
    name: str
    anchor: str
    verdict: Verdict
    facts: tuple[tuple[str, str], ...]
    soll: Figure
    overlay: Figure
    overlay_table: Table
    ist: tuple[Figure, ...]
    ist_note: str
    heatmap: Table | None
    deadline: Figure | None
    throughput: Figure | None
    conformance: Table
    cards: tuple[FindingCard, ...]
    annex_figures: tuple[Figure, ...]


def build_process_section(analysis: Analysis, pid: str, lang: str, summary: Summary, *,
                          protection: Protection | None = None) -> ProcessSection:
    """The section of process ``pid``; ``protection``: the report's disclosure check (computed when not
    given, see :func:`~pmtool.report.suppression.report_protection`)."""
    pa = analysis.processes[pid]
    k = analysis.project.privacy_threshold
    protection = protection or report_protection(analysis)
    period = analysis.project.period
    name = process_name(analysis, pid, lang)
    table = analysis.comparison.table.filter(pl.col("process") == pid) if analysis.comparison.table.height \
        else analysis.comparison.table
    offices = sorted(pa.conformance.summary["office"].to_list())
    groups = summary.groups.get(pid, [])
    verdict = next(v for v in summary.verdicts if v.process == pid)
    config = analysis.project.processes.get(pid)
    view = read_process_view(config.model, pa.reference.sha256) if config else None
    soll_svg = soll_figure(view, pa.reference.net, title=t("report.soll.title", lang, name=name), lang=lang)
    soll = Figure(f"soll-{pid}", soll_svg, alt=_soll_alt(view, pa, name, lang),
                  caption=t("report.soll.caption", lang, model=pa.reference.source), size=page_class(soll_svg),
                  title=t("report.soll.title", lang, name=name), notes=(t("report.soll.legend", lang),))
    overlay = overlay_data(table) if table.height else {}
    overlay_svg = soll_figure(view, pa.reference.net, lang=lang,
                              overlay=drawn_overlay(overlay, pa.reference.task_labels) if view else overlay,
                              title=t("report.overlay.title", lang, name=name))
    overlay_fig = Figure(f"overlay-{pid}", overlay_svg, alt=_overlay_alt(overlay, name, lang),
                         caption=t("report.overlay.caption", lang), size=page_class(overlay_svg),
                         title=t("report.overlay.title", lang, name=name), legend=overlay_legend(lang),
                         legend_title=t("report.overlay.legend_title", lang),
                         notes=(t("report.overlay.legend", lang), t("report.soll.legend", lang)))
    soll_order = ([(n.name, n.lane) for n in view.tasks] if view else
                  [(lbl, ", ".join(pa.reference.roles.get(lbl, ()))) for lbl in sorted(pa.reference.activities)])
    names = analysis.project.office_names
    ist, annex, ist_note = _ist_figures(pa, groups, name, k, lang, protection, period, names)
    heat, _ = heatmap(table, offices, lang, pid, names) if table.height else (None, 0)
    cases = int(pa.conformance.summary["cases"].sum())
    facts = (
        (t("report.fact.cases", lang), SUPPRESSED if ("cases", pid, period, None, ALL) in protection.hidden
         else numbers.count(cases, lang)),
        (t("report.fact.offices", lang), numbers.count(len(offices), lang)),
        (t("report.fact.fitness", lang), numbers.decimal(
            float((pa.conformance.summary["fitness"] * pa.conformance.summary["cases"]).sum() / cases)
            if cases else None, lang, 3)),
        (t("report.fact.findings", lang), numbers.count(sum(1 for g in groups if not g.lead.get("accepted")), lang)),
        (t("report.fact.accepted", lang), numbers.count(sum(1 for g in groups if g.lead.get("accepted")), lang)),
        (t("report.fact.rules", lang), f"{pa.reference.rules.id} {pa.reference.rules.version}"
         if pa.reference.rules else "—"),
    )
    return ProcessSection(
        pid=pid, name=name, anchor=f"process-{pid.lower()}", verdict=verdict, facts=facts, soll=soll,
        overlay=overlay_fig, overlay_table=overlay_table(overlay, soll_order, lang, pid), ist=ist, ist_note=ist_note,
        heatmap=heat, deadline=_deadline_figure(table, offices, name, lang, pid, names),
        throughput=_throughput_figure(pa.conformance.cases, offices, k, name, lang, pid, names),
        conformance=conformance_table(pa.conformance.summary, pa.conformance.cases, k, lang, pid,
                                      hidden=protection.hidden, period=period, names=names),
        cards=tuple(_card(g, i, lang) for i, g in enumerate(groups, 1)), annex_figures=annex)


def _soll_alt(view: Any, pa: Any, name: str, lang: str) -> str:
    tasks = [n.name for n in view.tasks] if view else sorted(pa.reference.activities)
    roles = sorted({n.lane for n in view.tasks if n.lane}) if view else []
    return t("report.soll.alt", lang, name=name, n=len(tasks), first=tasks[0] if tasks else "—",
             last=tasks[-1] if tasks else "—", roles=", ".join(roles) or "—")


def _overlay_alt(overlay: dict, name: str, lang: str) -> str:
    ranked = sorted(overlay.items(), key=lambda kv: (-kv[1].total, kv[0]))[:3]
    top = "; ".join(f"„{a}“ {numbers.rate(info.total, lang)}" for a, info in ranked) or "—"
    return t("report.overlay.alt", lang, name=name, top=top)


def _ist_figures(pa: Any, groups: list[FindingGroup], name: str, k: int, lang: str, protection: Protection,
                 period: str, names: Mapping[str, str]) -> tuple[tuple[Figure, ...], tuple[Figure, ...], str]:
    """The offices of the top finding and its best practice in the section, every other office in the annex;
    each without what the disclosure check hides (no figure for an office whose case count is hidden)."""
    discoveries = {d.scope.office: d for d in pa.discoveries if d.scope.process == pa.process}
    chosen: list[str] = []
    open_groups = [g for g in groups if not g.lead.get("accepted")]
    if open_groups:
        lead = open_groups[0].lead
        chosen = [lead["office"]] + [o.strip() for o in (lead.get("best_offices") or "").split(",") if o.strip()][:1]
    elif discoveries:
        chosen = [max(discoveries, key=lambda o: (discoveries[o].dfg.cases, o))]
    chosen = [o for o in chosen if o in discoveries][:MAX_IST_SHOWN]
    shown, annex = [], []
    for office in sorted(discoveries):
        dfg = ist_view(discoveries[office], k)
        if dfg is None or ("cases", pa.process, period, None, office) in protection.hidden:
            continue
        dfg = published_dfg(dfg, protection, pa.process, office)
        label = names.get(office, office)
        title = t("report.ist.title", lang, office=label, name=name)
        svg = ist_figure(dfg, title=title, lang=lang)
        fig = Figure(f"ist-{pa.process}-{office}", svg,
                     alt=t("report.ist.alt", lang, office=label, name=name, cases=numbers.count(dfg.cases, lang),
                           activities=dfg.activities.height, edges=dfg.edges.height),
                     caption=t("report.ist.caption", lang, office=label, k=k,
                               period=format_period(dfg.period_start, dfg.period_end, lang),
                               cases=numbers.count(dfg.cases, lang)),
                     size=page_class(svg), title=title, legend=wait_legend(lang),
                     legend_title=t("render.legend_wait", lang),
                     notes=(t("render.legend_width", lang), dfg_caption(dfg, lang)))
        (shown if office in chosen else annex).append(fig)
    note = t("report.ist.note", lang, offices=", ".join(names.get(o, o) for o in chosen) or "—") if shown else ""
    mined = [t("report.ist.mining", lang, office=names.get(o, o), method=discoveries[o].ist.mining.describe(lang))
             for o in sorted(discoveries) if discoveries[o].ist.mining is not None
             and (discoveries[o].ist.mining.filtered or discoveries[o].ist.mining.fallback
                  or discoveries[o].ist.mining.activities < discoveries[o].ist.mining.activities_total)]
    note = " ".join(x for x in (note, *mined) if x)  # a filtered or fallback Ist model says so here too
    return tuple(sorted(shown, key=lambda f: chosen.index(f.id.split("-", 2)[2]))), tuple(annex), note


def _deadline_figure(table: pl.DataFrame, offices: list[str], name: str, lang: str, pid: str,
                     names: Mapping[str, str]) -> Figure | None:
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
        panels.append(DeadlinePanel(f"{first['rule_id']}: {title}", tuple(cells),
                                    None if pooled is None else 1 - pooled))
    if not panels:
        return None
    worst = min(((p.title.split(":")[0], c) for p in panels for c in p.offices if c.value is not None),
                key=lambda x: x[1].value, default=None)
    alt = t("report.deadline.alt", lang, name=name, n=len(panels),
            worst=f"{worst[1].label or worst[1].office}, {worst[0]}: {numbers.rate(worst[1].value, lang)}"
            if worst else "—")
    return Figure(f"deadline-{pid}", deadline_chart(panels, lang), alt=alt,
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
    return Figure(f"throughput-{pid}", throughput_chart(rows, pooled, lang), alt=alt,
                  caption=t("report.throughput.caption", lang, k=k), size="wide")


def _card(group: FindingGroup, number: int, lang: str) -> FindingCard:
    r = group.lead
    lines = [(t("report.card.numbers", lang), t(
        "report.card.numbers_line", lang, office=r.get("office_name") or r["office"],
        k=numbers.count(r["affected"], lang),
        n=numbers.count(r["eligible"], lang), rate=numbers.rate(r["rate"], lang), low=numbers.rate(r["ci_low"], lang),
        high=numbers.rate(r["ci_high"], lang), others=numbers.rate(r["rate_others"], lang),
        k_others=numbers.count(r["affected_others"], lang), n_others=numbers.count(r["eligible_others"], lang),
        shrunk=numbers.rate(r["shrunk_rate"], lang), q=numbers.p_value(r["q_value"], lang)))]
    impact = r.get("impact_hours")
    lines.append((t("report.card.score", lang), t(
        "report.card.score_line", lang, score=numbers.score(r["score"], lang),
        excess=numbers.decimal(r["excess_share"] or 0.0, lang, 4),
        points=numbers.decimal(100 * (r["excess_share"] or 0.0), lang, 1),
        weight=numbers.decimal(r["severity_weight"], lang, 2),
        basis=basis_text(r.get("basis"), r.get("severity"), lang),
        factor=numbers.decimal(r["impact_factor"], lang, 4),
        impact=numbers.hours(impact, lang) if impact and impact > 0 else "—",
        cap=numbers.decimal(IMPACT_CAP_DAYS, lang, 0))))
    if not r.get("best_offices"):
        lines.append((t("report.card.best", lang), t("report.card.best_none", lang)))
    else:
        text = t("report.card.best_line", lang, offices=r.get("best_office_names") or r["best_offices"],
                 rate=numbers.rate(r.get("best_rate"), lang))
        if r.get("best_duration_median_hours") is not None:
            text += " · " + t("report.card.best_duration", lang,
                              duration=numbers.hours(r["best_duration_median_hours"], lang))
        if r.get("fragment"):
            text += " · " + t("report.card.fragment", lang, path=r["fragment"])
        lines.append((t("report.card.best", lang), text))
    if group.others:
        lines.append((t("report.card.also", lang), "; ".join(item_label(o, lang) for o in group.others)))
    return FindingCard(anchor=anchor(r["finding_id"]), number=number, finding_id=r["finding_id"],
                       office=r.get("office_name") or r["office"],
                       item=item_label(r, lang), statement=statement(r, lang),
                       basis=basis_text(r.get("basis"), r.get("severity"), lang), lines=tuple(lines),
                       score=numbers.score(r["score"], lang), accepted=bool(r.get("accepted")),
                       justification=r.get("justification") or "")
