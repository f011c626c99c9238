"""Which process to standardise first: the prioritisation matrix as the committee reads it.

Every share stands with its numbers ("k von n Fällen"), durations are in days, the weights the project file
sets (``[priorities]``) are shown beside the factors, and the reasons name only what the numbers carry: with
a single process there is nothing to rank against, so none is named. A process whose offices could not be
compared stands with its factors but without rank or priority, and its line says why (no recommendation from
case volume alone). The chart (each factor's part of the priority) belongs to the method appendix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pmtool.compare.priority import FACTORS
from pmtool.i18n import t, tn
from pmtool.report import numbers
from pmtool.report.charts import PriorityBar, priority_chart
from pmtool.report.context import Cell, Figure, Table
from pmtool.report.suppression import SUPPRESSED

if TYPE_CHECKING:
    from pmtool.analysis import Analysis


@dataclass(frozen=True)
class PriorityView:
    table: Table
    weights: str  # „Gewichte (Projektdatei, [priorities]): Fallzahl 1, …“
    reasons: tuple[tuple[str, str], ...]  # (process, reasons in words)
    figure: Figure | None
    first: str  # the process to standardise first ("" when there is nothing to rank)


def build_priority_view(analysis: Analysis, lang: str) -> PriorityView:
    """The prioritisation of ``analysis`` in words and numbers (see the module docstring)."""
    from pmtool.report.summary import process_name

    k = analysis.project.privacy_threshold
    frame = analysis.priorities
    rows = frame.sort("rank", nulls_last=True).to_dicts() if frame.height else []
    weights = {f: float(rows[0].get(f"{f}_weight", 1.0)) if rows else 1.0 for f in FACTORS}
    head = (t("report.priority.process", lang), t("report.priority.rank", lang),
            *(t(f"report.factor.{f}", lang) for f in FACTORS), t("report.priority.priority", lang))
    ranked = [r for r in rows if r.get("rank") is not None]
    unranked = [process_name(analysis, r["process"], lang) for r in rows if r.get("rank") is None]
    out, bars, reasons = [], [], []
    for r in rows:
        name = process_name(analysis, r["process"], lang)
        if r.get("rank") is None:  # not compared: its factors are facts, no rank, no priority, no shading
            out.append((name, (Cell("—"), *(Cell(_factor_value(f, r, k, lang)) for f in FACTORS), Cell("—"))))
            reasons.append((name, t("report.priority.not_ranked", lang)))
            continue
        # shading compares processes: a single process is the largest of everything, which says nothing
        cells = (Cell(str(r["rank"])), *(Cell(_factor_value(f, r, k, lang),
                                              css=f"level-{_level(r[f + '_norm'])}" if len(ranked) > 1 else "")
                                         for f in FACTORS),
                 Cell(numbers.decimal(r["priority"], lang, 2), css="strong"))
        out.append((name, cells))
        total = sum(weights.values()) or 1.0
        bars.append(PriorityBar(name, tuple((r[f + "_norm"] or 0.0) * weights[f] / total for f in FACTORS),
                                r["priority"]))
        reasons.append((name, _reasons(r, len(ranked), lang, alone=len(rows) == 1)))
    foot = ((t("report.priority.weight", lang), (Cell("—"), *(Cell(numbers.decimal(weights[f], lang, 1))
                                                                for f in FACTORS), Cell("—"))),)
    if len(ranked) > 1:
        note = t("report.priority.note", lang)
    elif len(rows) == 1:
        note = t("report.priority.note_single", lang)
    else:  # one comparable process, or none, among several
        note = tn("report.priority.note_few", len(ranked), lang)
    others = t("report.priority.note_others", lang) if ranked else ""
    notes = (note, *((tn("report.priority.note_unranked", len(unranked), lang, processes=", ".join(unranked),
                         others=others),) if unranked else ()))
    table = Table(id="priorities", caption=t("report.priority.caption", lang), head=head, rows=tuple(out),
                  foot=foot if rows else (), notes=notes, css="priorities")
    weights_text = t("report.priority.weights", lang, weights=", ".join(
        f"{t(f'report.factor.{f}', lang)} {numbers.decimal(weights[f], lang, 1)}" for f in FACTORS),
        configured=t("report.priority.configured" if analysis.project.priorities else "report.priority.default",
                     lang))
    figure = None
    if len(bars) > 1:
        figure = Figure("priority-chart", priority_chart(bars, [t(f"report.factor.{f}", lang) for f in FACTORS], lang),
                        alt=t("report.priority.alt", lang, order=", ".join(
                            f"{b.label} ({numbers.decimal(b.priority, lang, 2)})" for b in bars)),
                        caption=t("report.priority.figure", lang), size="wide")
    first = process_name(analysis, ranked[0]["process"], lang) if len(ranked) > 1 else ""
    return PriorityView(table, weights_text, tuple(reasons), figure, first)


def _factor_value(factor: str, row: dict[str, Any], k: int, lang: str) -> str:
    if row.get(factor) is None:  # hidden: a count below the privacy threshold, or one it could be recomputed from
        return SUPPRESSED
    if factor == "volume":
        return numbers.count(int(row["cases"]), lang)
    if factor == "nonconformance":
        return numbers.share_of(row.get("deviating_cases"), row.get("cases"), lang, k=k, noun="plain")
    if factor == "spread":
        return numbers.decimal(100 * row["spread"], lang, 1)
    if factor == "legal_risk":
        if row.get("legal_checked") == 0:
            return t("report.priority.no_legal", lang)
        return numbers.share_of(row.get("legal_violated"), row["legal_checked"], lang, k=k, noun="plain")
    return numbers.days(row["time_lost"], lang)


def _reasons(row: dict[str, Any], processes: int, lang: str, *, alone: bool) -> str:
    """Rank, priority and the factors that carry it; ``processes``: how many are ranked, ``alone``: whether
    the analysis has this one process only (else the others could not be compared)."""
    priority = numbers.decimal(row["priority"], lang, 2)
    if processes == 1:
        return t("report.priority.single" if alone else "report.priority.single_ranked", lang, priority=priority)
    named = [t(f"report.reason.{x}", lang) for x in (row["reasons"] or "").split(",") if x]
    return t("report.priority.reason_line", lang, rank=row["rank"], priority=priority,
             reasons=", ".join(named) or t("report.reason.none", lang))


def _level(norm: float | None) -> int:
    """0 … 4 for the shading of a factor cell (share of the largest value across processes)."""
    if norm is None:
        return 0
    return min(4, int(norm * 4.999))
