"""Notebook views of the Soll and of checks against it: a Soll model with its rules, a conformance result,
an office's bundle.

A conformance result holds every case; its view shows per office only counts, means and shares, with the
report's rules: counts below ``k`` are "·" (with secondary suppression over the "all offices" totals), a
mean or share of an office with fewer than ``k`` cases is hidden, and a deviation is listed only when at
least ``k`` cases show it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from pmtool.display.cells import suppress, table_relations
from pmtool.display.logs import thing_count
from pmtool.display.markup import View, cell, facts, heading, note, page, table
from pmtool.i18n import t
from pmtool.report.items import basis_text, item_label
from pmtool.report.suppression import is_small

if TYPE_CHECKING:
    from pmtool.compare.bundle import Bundle
    from pmtool.conform.conformance import ConformanceResult
    from pmtool.models.reference import ReferenceModel
    from pmtool.models.rules import Rule

_ALL = "__all__"
_COUNTS = ("cases", "running", "stale")


def rule_text(rule: Rule, lang: str) -> str:
    """What a rule demands, in words: „Falldefinition bewertet → Fall übermittelt: 1 Arbeitstag“."""
    if rule.kind == "deadline":
        amount = f"{rule.amount:g}".replace(".", "," if lang == "de" else ".")
        return t("display.rule.deadline", lang, start=rule.start, end=rule.end,
                 within=t(f"display.unit.{rule.unit}", lang, n=amount))
    if rule.kind == "order":
        return t("display.rule.order", lang, first=rule.first, then=rule.then)
    if rule.kind == "role":
        return t("display.rule.role", lang, activity=rule.activity, roles=", ".join(rule.roles))
    return t(f"display.rule.{rule.kind}", lang, activity=rule.activity)


def reference_html(model: ReferenceModel, v: View) -> str:
    """The Soll model as a picture, its facts and its rules."""
    from pmtool.display.pictures import soll_picture

    pack = model.rules
    roles = sorted({r for rs in model.roles.values() for r in rs})
    parts = [heading(f"{model.name} ({model.process or '—'})"), facts([
        (t("display.model.file", v.lang), cell(model.source)),
        (t("cli.inspect.activities", v.lang), thing_count(len(model.activities), v.lang)),
        (t("display.model.roles", v.lang), cell(", ".join(roles) or "—")),
        (t("report.fact.rules", v.lang), cell(f"{pack.id} {pack.version}" if pack else "—")),
    ]), soll_picture(model, lang=v.lang)._repr_html_()]
    if pack is not None:
        rows = [(r.id, (cell(t(f"report.rule_kind.{r.kind}", v.lang)),
                        cell((r.title_en if v.lang == "en" and r.title_en else r.title)
                             + (f" ({r.source})" if r.source else "")),
                        cell(rule_text(r, v.lang)), cell(basis_text(r.basis, r.severity, v.lang))))
                for r in pack.rules]
        head = (t("display.rule.id", v.lang), t("display.rule.kind", v.lang), t("display.rule.title", v.lang),
                t("display.rule.demand", v.lang), t("display.rule.weight", v.lang))
        parts.append(table(head, rows, caption=pack.title))
    return page(*parts)


def conformance_html(result: ConformanceResult, v: View) -> str:
    """Per office: cases, fitness, cases fully as Soll, precision, F1, running and never-closed cases; the
    deviations of at least ``k`` cases; the rules with their violations."""
    parts = [heading(t("cli.conform.title", v.lang, process=result.process, model=result.model)),
             _per_office(result, v)]
    if result.method == "token_replay":
        parts.append(note(t("cli.conform.token_replay_note", v.lang), warn=True))
    parts.append(_deviations(result, v))
    if result.rules is not None and result.rules.cases.height:
        parts.append(_rules(result, v))
    parts += [note(t("display.conformance.overlay_hint", v.lang)), v.suppressed_note()]
    return page(*parts)


def _per_office(result: ConformanceResult, v: View) -> str:
    rows = result.summary.sort("office").to_dicts()
    offices = [r["office"] for r in rows]
    values: dict[tuple[str, str], int | None] = {(r["office"], c): int(r[c] or 0) for r in rows for c in _COUNTS}
    for c in _COUNTS:
        values[(_ALL, c)] = sum(int(values[(o, c)] or 0) for o in offices)
    hidden = suppress(values, table_relations([*offices, _ALL], _COUNTS, column_total=_ALL), v.k)
    out = []
    for r in rows:
        small = is_small(r["cases"], v.k)
        fitting = round((r["fitting_share"] or 0.0) * r["cases"])
        out.append((r["office"], (
            v.count(r["cases"], hidden=(r["office"], "cases") in hidden),
            v.decimal(r["fitness"], hidden=small),
            v.rate(r["fitting_share"], hidden=small or is_small(fitting, v.k) or is_small(r["cases"] - fitting, v.k)),
            v.decimal(r["precision"], hidden=small), v.decimal(r["f1"], hidden=small),
            v.count(r["running"], hidden=(r["office"], "running") in hidden),
            v.count(r["stale"], hidden=(r["office"], "stale") in hidden))))
    total = values[(_ALL, "cases")] or 0
    summary = result.summary
    mean = float((summary["fitness"] * summary["cases"]).sum() / total) if total else None
    foot = [(t("report.conf.all", v.lang), (
        v.count(total, hidden=(_ALL, "cases") in hidden), v.decimal(mean, hidden=is_small(total, v.k)),
        v.number("—"), v.number("—"), v.number("—"),
        v.count(values[(_ALL, "running")], hidden=(_ALL, "running") in hidden),
        v.count(values[(_ALL, "stale")], hidden=(_ALL, "stale") in hidden)))]
    head = (t("report.conf.office", v.lang), t("report.conf.cases", v.lang), t("report.conf.fitness", v.lang),
            t("report.conf.fitting", v.lang), t("report.conf.precision", v.lang), t("cli.conform.col.f1", v.lang),
            t("report.conf.running", v.lang), t("report.conf.stale", v.lang))
    return table(head, out, caption=t("report.conf.caption", v.lang), foot=foot)


def _deviations(result: ConformanceResult, v: View) -> str:
    finished = result.cases.filter(pl.col("case_status") != "running").height
    per = (result.deviations.filter(pl.col("source") != "rule")
           .select("office", "case_id", "code", "activity").unique()
           .group_by("code", "activity").len("cases")
           .sort(["cases", "code", "activity"], descending=[True, False, False], nulls_last=True))
    shown = per.filter(pl.col("cases") >= v.k)
    rows = [(item_label(r, v.lang), (v.count(r["cases"]), v.rate(r["cases"] / finished if finished else None)))
            for r in shown.iter_rows(named=True)]
    head = (t("display.conformance.deviation", v.lang), t("report.conf.cases", v.lang),
            t("display.conformance.share", v.lang))
    return table(head, rows, caption=t("cli.conform.deviations", v.lang)) + note(
        t("display.conformance.deviations_note", v.lang, n=per.height - shown.height, k=v.k))


def _rules(result: ConformanceResult, v: View) -> str:
    assert result.rules is not None
    per = (result.rules.summary().group_by("rule_id", "kind", maintain_order=True)
           .agg(pl.col("ok").sum(), pl.col("violated").sum(), pl.col("judged").sum(), pl.col("pending").sum())
           .sort("rule_id"))
    rows = []
    for r in per.iter_rows(named=True):
        values = {"violated": r["violated"], "ok": r["ok"], "judged": r["judged"]}
        hidden = suppress(values, [["violated", "ok", "judged"]], v.k)
        rows.append((r["rule_id"], (
            cell(t(f"report.rule_kind.{r['kind']}", v.lang)), v.count(r["judged"], hidden="judged" in hidden),
            v.count(r["violated"], hidden="violated" in hidden),
            v.rate(r["violated"] / r["judged"] if r["judged"] else None, hidden=bool(hidden)),
            v.count(r["pending"]))))
    head = (t("display.rule.id", v.lang), t("display.rule.kind", v.lang), t("display.conformance.judged", v.lang),
            t("display.conformance.violated", v.lang), t("display.conformance.share", v.lang),
            t("display.conformance.pending", v.lang))
    return table(head, rows, caption=t("display.conformance.rules", v.lang))


def bundle_html(bundle: Bundle, v: View) -> str:
    """An office's bundle: what it shares — per check eligible and affected cases, small counts removed."""
    items = bundle.items.sort("item").to_dicts()
    # bundles hold exact counts (they are confidential, not published): a check with a small count is counted,
    # not listed — its label (an inserted activity) may be a rare free text
    shown = [r for r in items if not (r["affected"] is None or is_small(r["eligible"], v.k)
                                      or (r["affected"] and is_small(r["affected"], v.k)))]
    rows = [(item_label(r, v.lang), (v.count(r["eligible"]), v.count(r["affected"]),
                                     v.rate(r["affected"] / r["eligible"] if r["eligible"] else None)))
            for r in shown]
    fitness = bundle.fitness_sum / bundle.cases if bundle.cases else None
    parts = [heading(t("display.bundle.title", v.lang, office=bundle.office, process=bundle.process,
                       period=bundle.period)), facts([
        (t("report.conf.cases", v.lang), v.count(bundle.cases)),
        (t("report.conf.fitness", v.lang), v.decimal(fitness, hidden=is_small(bundle.cases, v.k))),
        (t("display.bundle.suppressed", v.lang), thing_count(len(items) - len(shown), v.lang)),
    ]), table((t("report.heat.item", v.lang), t("display.conformance.judged", v.lang),
               t("display.conformance.affected", v.lang), t("display.conformance.share", v.lang)), rows),
        v.suppressed_note()]
    return page(*parts)
