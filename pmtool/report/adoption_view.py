"""The section "Anwendung des Soll-Prozesses" (Adoption of the Soll): per process the binding date, a chart of
each office's monthly conforming share with the before/after fit, a table per office (shares before and after,
level and slope change with their 95 % intervals, the month of change, the verdict), a table per rule
(compliance before and after, offices that improved or worsened) and the offices that have not adopted the
Soll. Built from :func:`pmtool.compare.adoption.adoption_of`; months below the privacy threshold are neither
shown nor used there, and no count of cases is published here (only shares), so no small month can be
recovered from totals published elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from pmtool.compare.adoption import CONFORMING, Adoption, adoption_of, month_label, months_since
from pmtool.eventlog import schema
from pmtool.i18n import t
from pmtool.report import numbers
from pmtool.report.adoption_chart import AdoptionPanel, adoption_chart
from pmtool.report.context import Cell, Figure, Table
from pmtool.report.summary import office_label, process_name

if TYPE_CHECKING:
    from pmtool.analysis import Analysis


@dataclass(frozen=True)
class AdoptionPart:
    pid: str
    name: str
    anchor: str
    text: str  # from when the Soll is binding (and where that is said), or why nothing can be estimated
    figure: Figure | None
    offices: Table | None
    rules: Table | None
    not_adopted: str  # "Not (yet) adopted: …" or ""


@dataclass(frozen=True)
class AdoptionSection:
    anchor: str
    intro: str
    parts: tuple[AdoptionPart, ...]


def build_adoption_section(analysis: Analysis, lang: str) -> AdoptionSection:
    parts = tuple(_part(analysis, pid, adoption_of(analysis, pid), lang) for pid in analysis.processes)
    return AdoptionSection("adoption", t("report.adoption.intro", lang), parts)


def _part(analysis: Analysis, pid: str, result: Adoption, lang: str) -> AdoptionPart:
    name = process_name(analysis, pid, lang)
    months = result.months
    if result.valid_from is None:
        text = t("report.adoption.no_date", lang)
    else:
        text = t(f"report.adoption.binding_{result.valid_from_source}", lang,
                 date=result.valid_from.isoformat(), first=months[0] if months else "—",
                 last=months[-1] if months else "—")
        if not result.estimable:
            text += " " + t("report.adoption.no_before", lang)
    conforming = result.series.filter(pl.col("measure") == CONFORMING)
    estimates = result.estimates.filter(pl.col("measure") == CONFORMING)
    figure = _figure(analysis, pid, name, result, conforming, estimates, lang) if conforming.height else None
    offices = _office_table(analysis, pid, estimates, lang) if estimates.height and result.estimable else None
    rules = _rule_table(analysis, pid, result, lang) if result.estimable else None
    missing = [office_label(analysis, o) for o in result.not_adopted]
    not_adopted = t("report.adoption.not_adopted", lang, offices=", ".join(missing)) if missing else ""
    return AdoptionPart(pid, name, f"adoption-{pid.lower()}", text, figure, offices, rules, not_adopted)


def verdict_text(row: dict, lang: str) -> str:
    """„besser ab 2025-06“, „unverändert“, „nicht schätzbar“ …"""
    if row["verdict"] in ("improved", "worsened"):
        return t(f"report.adoption.verdict.{row['verdict']}", lang, month=row["month"])
    return t(f"report.adoption.verdict.{row['verdict']}", lang)


def points(value: float | None, lang: str) -> str:
    """A change of a share in percentage points with its sign: „+12,5 Pp.“."""
    if value is None:
        return "—"
    sign = "+" if value > 0.0005 else ("−" if value < -0.0005 else "±")
    return t("report.adoption.points", lang, value=sign + numbers.decimal(abs(value) * 100, lang, 1))


def interval(low: float | None, high: float | None, lang: str) -> str:
    if low is None or high is None:
        return "—"
    def signed(v: float) -> str:
        return ("+" if v > 0.0005 else "−" if v < -0.0005 else "±") + numbers.decimal(abs(v) * 100, lang, 1)

    return f"{signed(low)} … {signed(high)}"


def _office_table(analysis: Analysis, pid: str, estimates: pl.DataFrame, lang: str) -> Table:
    rows = []
    for r in estimates.iter_rows(named=True):
        cells = (
            Cell(f"{r['months_before']} / {r['months_after']}"),
            Cell(numbers.rate(r["share_before"], lang)), Cell(numbers.rate(r["share_after"], lang)),
            Cell(points(r["level"], lang)), Cell(interval(r["level_low"], r["level_high"], lang)),
            Cell(points(r["slope"], lang)), Cell(r["change_month"] or "—"),
            Cell(verdict_text(r, lang), numeric=False, css=f"verdict-{r['verdict']}"),
        )
        rows.append((office_label(analysis, r[schema.OFFICE]), cells))
    head = tuple(t(f"report.adoption.col.{c}", lang) for c in (
        "office", "months", "before", "after", "level", "interval", "slope", "change_month", "verdict"))
    return Table(f"adoption-offices-{pid}", t("report.adoption.offices_caption", lang), head, tuple(rows),
                 notes=(t("report.adoption.offices_note", lang),), css="adoption")


def _rule_table(analysis: Analysis, pid: str, result: Adoption, lang: str) -> Table | None:
    series = result.series.filter(pl.col("measure") != CONFORMING)
    if not series.height:
        return None
    pooled = (series.group_by("measure", "side").agg(pl.col("ok").sum(), pl.col("judged").sum())
              .with_columns((pl.col("ok") / pl.col("judged")).alias("share")))
    share = {(r["measure"], r["side"]): r["share"] for r in pooled.iter_rows(named=True)}
    estimates = result.estimates.filter(pl.col("measure") != CONFORMING)
    pack = analysis.processes[pid].reference.rules
    rows = []
    for measure in sorted(series["measure"].unique().to_list()):
        est = estimates.filter(pl.col("measure") == measure)
        names = {v: ", ".join(office_label(analysis, o) for o in est.filter(pl.col("verdict") == v)[schema.OFFICE])
                 for v in ("improved", "worsened")}
        rule = pack.by_id.get(measure) if pack is not None else None
        title = (rule.title_en if lang == "en" and rule and rule.title_en else rule.title if rule else "")
        rows.append((measure, (
            Cell(title, numeric=False),
            Cell(numbers.rate(share.get((measure, "before")), lang)),
            Cell(numbers.rate(share.get((measure, "after")), lang)),
            Cell(names["improved"] or "—", numeric=False), Cell(names["worsened"] or "—", numeric=False),
        )))
    head = tuple(t(f"report.adoption.rule_col.{c}", lang) for c in ("rule", "title", "before", "after",
                                                                     "improved", "worsened"))
    return Table(f"adoption-rules-{pid}", t("report.adoption.rules_caption", lang), head, tuple(rows),
                 notes=(t("report.adoption.rules_note", lang),), css="adoption-rules")


def _figure(analysis: Analysis, pid: str, name: str, result: Adoption, series: pl.DataFrame,
            estimates: pl.DataFrame, lang: str) -> Figure:
    first = result.months[0]
    span = months_since(first, result.months[-1]) + 1
    axis = {m: months_since(first, m) for m in result.months}
    verdicts = {r[schema.OFFICE]: r for r in estimates.iter_rows(named=True)}
    panels = []
    for (office,), part in series.group_by(schema.OFFICE, maintain_order=True):
        row = verdicts.get(office)
        fitted = tuple(part["fitted"].to_list()) if part["fitted"].null_count() == 0 else ()
        panels.append(AdoptionPanel(
            str(office), f"{office_label(analysis, str(office))}\n{verdict_text(row, lang) if row else '—'}",
            tuple(axis[m] for m in part["month"]), tuple(part["share"].to_list()), fitted))
    labels = [m[5:7] + "/" + m[2:4] for m in (month_label(first, i) for i in range(span))]
    binding = (min(max(months_since(first, result.binding_month), 0), span) if result.binding_month else None)
    svg = adoption_chart(panels, labels, binding, lang)
    alt = t("report.adoption.chart.alt", lang, process=name, offices=len(panels),
            date=result.valid_from.isoformat() if result.valid_from else "—")
    return Figure(f"adoption-{pid}", svg, alt=alt, caption=t("report.adoption.chart.caption", lang, process=name))
