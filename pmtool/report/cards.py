"""One card per finding (group): the numbers as "k von n Fällen", one sentence each on how the excess share
and the score follow from the numbers shown, the model office with what it does differently, and the other
findings that count the same cases.

Every duration on a card is in days (:func:`pmtool.report.numbers.days`); an impact that does not raise
the score says why ("die betroffenen Fälle dauern nicht länger"), never a bare "—".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from pmtool.compare.score import IMPACT_CAP_DAYS
from pmtool.i18n import t
from pmtool.models.reference import ReferenceModel
from pmtool.report import numbers
from pmtool.report.advice import advise
from pmtool.report.items import FindingGroup, basis_text, item_label, same_cases_label
from pmtool.report.summary import anchor, model_office, statement


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


def card(group: FindingGroup, number: int, table: pl.DataFrame, reference: ReferenceModel, k: int,
         lang: str, names: Mapping[str, str] | None = None) -> FindingCard:
    """The card of finding ``group`` (numbered ``number`` within its process); ``names``: the offices'
    display names (default: their ids)."""
    r = group.lead
    lines = [(t("report.card.numbers", lang), t(
        "report.card.numbers_line", lang, office=r.get("office_name") or r["office"],
        share=numbers.share_of(r["affected"], r["eligible"], lang, k=k), low=numbers.rate(r["ci_low"], lang),
        high=numbers.rate(r["ci_high"], lang),
        others=numbers.share_of(r["affected_others"], r["eligible_others"], lang, k=k),
        q=numbers.p_value(r["q_value"], lang)))]
    lines.append((t("report.card.excess", lang), excess_sentence(r, lang)))
    lines.append((t("report.card.score", lang), score_sentence(r, lang)))
    best = [o.strip() for o in (r.get("best_offices") or "").split(",") if o.strip()]
    rule = reference.rules.by_id.get(r["rule_id"]) if reference.rules and r.get("rule_id") else None
    label = (names or {}).get(best[0], "") if best else ""
    advice = advise(r, model_office(table, r, best[0], label) if best else None, rule, k, lang)
    lines.append((t("report.card.best", lang), f"{advice.model} {advice.text}".strip()))
    if group.others:
        lines.append((t("report.card.also", lang), same_cases_label(group.others, lang)))
    return FindingCard(anchor=anchor(r["finding_id"]), number=number, finding_id=r["finding_id"],
                       office=r.get("office_name") or r["office"],
                       item=item_label(r, lang, source=True), statement=statement(r, lang),
                       basis=basis_text(r.get("basis"), r.get("severity"), lang), lines=tuple(lines),
                       score=numbers.score(r["score"], lang), accepted=bool(r.get("accepted")),
                       justification=r.get("justification") or "")


def excess_sentence(r: dict[str, Any], lang: str) -> str:
    """„Mehranteil = 42,6 % (vorsichtig geschätzte Rate von GA-01: untere Grenze …) minus 8,6 % (übrige Ämter)
    = 34,0 Prozentpunkte.“ The rates are shown to a tenth of a percent, as the result, so that the sum can be
    worked on the card; where the shown numbers, being rounded, give another tenth, the sign is „≈“."""
    low, others = r.get("shrunk_low"), r["rate_others"]
    points = 100 * (r["excess_share"] or 0.0)
    shown = [None if v is None else round(100 * v, 1) for v in (low, others)]
    exact = shown[0] is None or shown[1] is None or _same(max(shown[0] - shown[1], 0.0), points, 1)
    return t("report.card.excess_line", lang, office=r.get("office_name") or r["office"],
             low=numbers.rate(low, lang, 1), shrunk=numbers.rate(r.get("shrunk_rate"), lang),
             others=numbers.rate(others, lang, 1), eq="=" if exact else "≈",
             points=numbers.decimal(points, lang, 1))


def _same(worked: float, exact: float, places: int) -> bool:
    """Whether ``worked`` (from the numbers as shown) and ``exact`` read the same at ``places`` decimals."""
    return f"{worked:.{places}f}" == f"{exact:.{places}f}"


def score_sentence(r: dict[str, Any], lang: str) -> str:
    """„Score = 100 × 0,340 × 1,00 (Gewicht: gesetzlich, hoch) × 1,19 (Wirkungsfaktor: …) = 40,6.“"""
    excess, weight, factor = r["excess_share"] or 0.0, r["severity_weight"], r["impact_factor"]
    exact = (weight is None or factor is None or r["score"] is None
             or _same(100 * round(excess, 3) * round(weight, 2) * round(factor, 2), r["score"], 1))
    return t("report.card.score_line", lang, score=numbers.score(r["score"], lang), eq="=" if exact else "≈",
             excess=numbers.decimal(r["excess_share"] or 0.0, lang, 3),
             weight=numbers.decimal(r["severity_weight"], lang, 2),
             basis=basis_text(r.get("basis"), r.get("severity"), lang),
             factor=numbers.decimal(r["impact_factor"], lang, 2), impact=impact_text(r, lang))


def impact_text(r: dict[str, Any], lang: str) -> str:
    """Why the impact factor has its value, in days."""
    impact = r.get("impact_hours")
    cap = numbers.decimal(IMPACT_CAP_DAYS, lang, 0)
    if impact is None or impact <= 0:
        key = "report.card.impact_none_deadline" if r.get("code") == "DEADLINE" else "report.card.impact_none"
        return t(key, lang)
    key = "report.card.impact_deadline" if r.get("code") == "DEADLINE" else "report.card.impact_longer"
    return t(key, lang, days=numbers.days(impact, lang), cap=cap)
