"""Per-process tables of the report: the office × deviation matrix (heat map), the conformance summary per
office, and the numbers behind the Soll overlay.

All rates come from the comparison table as published: counts the disclosure check hides are already empty
(``suppressed``), and the pooled column "all offices" is the comparable offices' true total, published only
where no hidden count can be recomputed from it (else the item is withheld, and a note says how many).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from pmtool.compare.publication import ALL
from pmtool.i18n import t
from pmtool.models.reference import ReferenceModel
from pmtool.report import numbers
from pmtool.report.advice import within_text
from pmtool.report.context import Cell, Table
from pmtool.report.items import item_label
from pmtool.report.models import CODES, ActivityOverlay, RuleMark, scale_legend
from pmtool.report.palette import RATE_BOUNDS, RATE_COLOURS, rate_class
from pmtool.report.suppression import SUPPRESSED, is_small

#: Items whose pooled rate is below this and that are no finding anywhere are counted, not listed.
MIN_POOLED_RATE = 0.005
_KIND_ORDER = {"DEADLINE": 0, "RULE": 1, "ROLE": 2, "NO_CLOSURE": 3, "SKIP": 4, "ORDER": 5, "INSERT": 6, "REPEAT": 7}


def pooled_rate(rows: Sequence[dict[str, Any]]) -> float | None:
    """k_all / n_all of an item: comparable offices with shown numbers only."""
    for r in rows:
        if r.get("n_all"):
            return r["k_all"] / r["n_all"]
    return None


def heatmap(table: pl.DataFrame, offices: Sequence[str], lang: str, pid: str,
            names: Mapping[str, str] | None = None) -> tuple[Table, int]:
    """Items × offices (headed by ``names``, their display names) with the rate of affected cases; returns the
    table and the number of items left out because no office deviates noticeably."""
    by_item: dict[str, list[dict[str, Any]]] = {}
    for r in table.iter_rows(named=True):
        by_item.setdefault(r["item"], []).append(r)
    keep = []
    left_out = 0
    for item, rows in by_item.items():
        pooled = pooled_rate(rows)
        # without a comparable office there is no pooled rate: an office's own shown rate decides then
        level = pooled if pooled is not None else max(
            (r["rate"] for r in rows if r["rate"] is not None and not r["suppressed"]), default=0.0)
        if any(r["finding"] for r in rows) or level >= MIN_POOLED_RATE:
            keep.append((item, rows, pooled))
        else:
            left_out += 1
    keep.sort(key=lambda x: (_KIND_ORDER.get(x[1][0]["code"], 9), -(x[2] or 0.0), x[0]))
    out_rows = []
    for _item, rows, pooled in keep:
        by_office = {r["office"]: r for r in rows}
        cells = [_heat_cell(by_office.get(o), lang) for o in offices]
        cls = rate_class(pooled)
        cells.append(Cell(numbers.rate(pooled, lang), css=f"heat heat-{cls} pooled" if cls is not None else "pooled"))
        out_rows.append((item_label(rows[0], lang), tuple(cells)))
    out_rows = _merge_identical(out_rows, lang)
    notes = [t("report.heat.note", lang), t("report.heat.note_pooled", lang)]
    withheld = sum(1 for rows in by_item.values() if any(r["not_comparable_reason"] == "small_numbers_others"
                                                         for r in rows))
    if withheld:
        notes.append(t("report.heat.withheld", lang, n=withheld))
    if left_out:
        notes.append(t("report.heat.left_out", lang, n=left_out, share=numbers.rate(MIN_POOLED_RATE, lang)))
    head = (t("report.heat.item", lang), *((names or {}).get(o, o) for o in offices), t("report.heat.pooled", lang))
    return Table(id=f"heat-{pid}", caption=t("report.heat.caption", lang), head=head, rows=tuple(out_rows),
                 notes=tuple(notes), css="heatmap"), left_out


def heat_legend(lang: str) -> tuple[tuple[str, str], ...]:
    """(colour, label) of each shade of the heat map: „unter 1 %“, „1 % bis unter 2 %“, …, „ab 20 %“."""
    return scale_legend(RATE_COLOURS, RATE_BOUNDS, lang)


def _merge_identical(rows: list[tuple[str, tuple[Cell, ...]]], lang: str) -> list[tuple[str, tuple[Cell, ...]]]:
    """Rows with the same values in every office are one row (never-closed cases, the missing closing activity
    and the rule "case closed" usually count the same cases)."""
    merged: dict[tuple[Cell, ...], list[str]] = {}
    for label, cells in rows:
        merged.setdefault(cells, []).append(label)
    out = []
    for cells, labels in merged.items():
        label = labels[0] if len(labels) == 1 else t("report.heat.same", lang, label=labels[0],
                                                       others="; ".join(labels[1:]))
        out.append((label, cells))
    return out


def _heat_cell(row: dict[str, Any] | None, lang: str) -> Cell:
    if row is None:
        return Cell("—", css="heat none")
    if row["suppressed"] or row["rate"] is None:
        return Cell(SUPPRESSED, suppressed=True, css="heat suppressed")
    css = f"heat heat-{rate_class(row['rate'])}"
    if row["finding"]:
        css += " accepted" if row.get("accepted") else " finding"
    if not row["comparable_office"]:
        css += " not-comparable"
    return Cell(numbers.rate(row["rate"], lang), css=css)


def overlay_data(table: pl.DataFrame) -> dict[str, ActivityOverlay]:
    """Per activity: pooled rate per deviation code and the offices with a finding there."""
    rates: dict[str, dict[str, float]] = {}
    offices: dict[str, set[str]] = {}
    devs = table.filter(pl.col("item_type") == "deviation")
    for (activity, code), group in devs.group_by("activity", "code", maintain_order=True):
        rows = group.to_dicts()
        pooled = pooled_rate(rows)
        if pooled:
            rates.setdefault(activity, {})[code] = pooled
        hit = {r["office"] for r in rows if r["finding"]}
        if hit:
            offices.setdefault(activity, set()).update(hit)
    names = set(rates) | set(offices)
    return {a: ActivityOverlay(rates.get(a, {}), tuple(sorted(offices.get(a, ())))) for a in sorted(names)}


def overlay_marks(table: pl.DataFrame, reference: ReferenceModel, lang: str) -> tuple[RuleMark, ...]:
    """Every rule of the comparison (and never-closed cases) at its place in the Soll, with its pooled
    violation rate and the offices with a finding; rules nobody breaks noticeably are left out."""
    rules = reference.rules.by_id if reference.rules else {}
    marks = []
    items = table.filter(pl.col("item_type").is_in(["rule", "case"]))
    for _, group in items.group_by("item", maintain_order=True):
        rows = group.to_dicts()
        pooled = pooled_rate(rows)
        offices = tuple(sorted({r["office"] for r in rows if r["finding"]}))
        if not offices and (pooled or 0.0) < MIN_POOLED_RATE:
            continue
        first = rows[0]
        if first["code"] == "NO_CLOSURE":
            marks += [RuleMark("no_closure", t("report.overlay.mark.no_closure", lang), pooled, offices,
                               activity=a) for a in sorted(reference.closing)]
            continue
        rule = rules.get(first.get("rule_id") or "")
        if rule is None:
            continue
        if rule.kind == "deadline":
            label = t("report.overlay.mark.deadline", lang, within=within_text(rule, lang))
            marks.append(RuleMark("deadline", label, pooled, offices, start=rule.start, end=rule.end))
        elif rule.kind == "order":
            marks.append(RuleMark("order", t("report.overlay.mark.order", lang), pooled, offices,
                                  start=rule.first, end=rule.then))
        else:
            marks.append(RuleMark(rule.kind, t(f"report.overlay.mark.{rule.kind}", lang), pooled, offices,
                                  activity=rule.activity))
    return tuple(sorted(marks, key=lambda m: (m.kind, m.activity or m.start or "", m.end or "")))


def overlay_table(overlay: dict[str, ActivityOverlay], soll_order: Sequence[tuple[str, str]], lang: str,
                  pid: str) -> Table:
    """The overlay's numbers as a table (text alternative of the picture): Soll activities in flow order,
    then activities the Soll does not have."""
    order = list(soll_order) + [(a, "") for a in sorted(overlay) if a not in {n for n, _ in soll_order}]
    rows = []
    for activity, role in order:
        info = overlay.get(activity, ActivityOverlay({}))
        cells = [Cell(role or ("—" if any(a == activity for a, _ in soll_order) else
                               t("report.overlay.not_in_soll_short", lang)), numeric=False)]
        cells += [Cell(numbers.rate(info.rates[c], lang) if info.rates.get(c) else "–") for c in CODES]
        cells.append(Cell(", ".join(info.offices) or "–", numeric=False, css="strong" if info.offices else ""))
        rows.append((activity, tuple(cells)))
    head = (t("report.overlay.activity", lang), t("report.overlay.role", lang),
            *(t(f"report.code_long.{c}", lang) for c in CODES), t("report.overlay.offices_col", lang))
    return Table(id=f"overlay-{pid}", caption=t("report.overlay.table_caption", lang), head=head,
                 rows=tuple(rows), notes=(t("report.overlay.table_note", lang),), css="overlay")


def conformance_table(summary: pl.DataFrame, cases: pl.DataFrame, k: int, lang: str, pid: str, *,
                      hidden: frozenset = frozenset(), period: str = "all",
                      names: Mapping[str, str] | None = None) -> Table:
    """Per office: cases, mean fitness, share of fitting cases, precision, running and never-closed cases,
    median throughput of completed cases; totals for all offices. A count is "·" when the report's
    disclosure check hides it (``hidden``, keys of :mod:`pmtool.compare.publication`: the same cells as
    the comparison's, so no table gives away what another hides); fitness and precision go with the cases,
    the median with fewer than ``k`` completed cases."""
    rows = summary.sort("office").to_dicts()

    def key(cell: str, office: str) -> tuple:
        return (cell, pid, period, None, office)

    completed = cases.filter(pl.col("case_status") == "complete")
    medians = dict(completed.group_by("office").agg(pl.col("throughput_hours").median(), pl.len()).select(
        "office", pl.struct("throughput_hours", "len")).iter_rows())
    out = []
    for r in rows:
        o = r["office"]
        small = key("cases", o) in hidden or is_small(r["cases"], k)
        fitting = round((r["fitting_share"] or 0) * r["cases"])
        med = medians.get(o)
        cells = (
            _count(int(r["cases"]), small, lang),
            _value(numbers.decimal(r["fitness"], lang, 3), small),
            _value(numbers.share_of(fitting, r["cases"], lang, noun="plain"), small or key("fitting", o) in hidden),
            _value(numbers.decimal(r["precision"], lang, 3), small),
            _count(int(r["running"] or 0), key("running", o) in hidden, lang),
            _count(int(r["stale"] or 0), key("stale", o) in hidden or is_small(r["stale"], k), lang),
            _value(numbers.days(med["throughput_hours"], lang) if med else "—",
                   small or med is None or is_small(med["len"], k)),
        )
        out.append(((names or {}).get(o, o), cells))
    total_cases = int(summary["cases"].sum())
    fitness = float((summary["fitness"] * summary["cases"]).sum() / total_cases) if total_cases else None
    fitting = round(float((summary["fitting_share"] * summary["cases"]).sum())) if total_cases else None
    all_median = completed["throughput_hours"].median() if completed.height >= k else None
    every = key("cases", ALL) in hidden
    foot = ((t("report.conf.all", lang), (
        _count(total_cases, every, lang), _value(numbers.decimal(fitness, lang, 3), every),
        _value(numbers.share_of(fitting, total_cases, lang, k=k, noun="plain"),
               every or key("fitting", ALL) in hidden), Cell("—"),
        _count(int(summary["running"].sum()), key("running", ALL) in hidden, lang),
        _count(int(summary["stale"].sum()), key("stale", ALL) in hidden, lang),
        Cell(numbers.days(all_median, lang)))),)  # type: ignore[arg-type]
    head = (t("report.conf.office", lang), t("report.conf.cases", lang), t("report.conf.fitness", lang),
            t("report.conf.fitting", lang), t("report.conf.precision", lang), t("report.conf.running", lang),
            t("report.conf.stale", lang), t("report.conf.throughput", lang))
    notes = [t("report.conf.note", lang)]
    bounded = int(summary["bounded"].sum()) if "bounded" in summary.columns else 0
    if bounded:  # cases whose alignment hit the search bound: counted and named, never scored
        notes.append(t("report.conf.bounded", lang, n=numbers.count(bounded, lang) if bounded >= k
                       else t("report.conf.fewer_than", lang, k=k)))
    return Table(id=f"conformance-{pid}", caption=t("report.conf.caption", lang), head=head, rows=tuple(out),
                 foot=foot, notes=tuple(notes), css="conformance")


def _count(value: int, hidden: bool, lang: str) -> Cell:
    return Cell(SUPPRESSED, suppressed=True) if hidden else Cell(numbers.count(value, lang))


def _value(text: str, hidden: bool) -> Cell:
    return Cell(SUPPRESSED, suppressed=True) if hidden else Cell(text)
