"""What to do about a finding, in words, from the data: what the model office does differently.

Every recommendation names the model office (the best comparable office for the same check, from the
findings table's ``best_offices``), its numbers as "k von n Fällen" from the comparison table, and one
concrete thing to take over, chosen by the kind of check:

- a **deadline**: finish the end activity as soon after the start as the model office does — with the
  median time between the two there and here (``duration_median_hours``) and the deadline itself;
- a **role** rule: who the Soll lets do the activity;
- a **mandatory**, **order** or **absent** rule, a skipped, repeated, out-of-order or inserted activity and
  never-closed cases: the Soll step to keep, with the path the model office usually takes through the
  activity (``fragment``, a path the Soll allows).

Each kind is one entry of :data:`ADVICE` (kind → function), so a new check kind adds one entry.

>>> advice_kind({"code": "SKIP"}), advice_kind({"code": "RULE", "rule_id": "R1"}, rule_kind="mandatory")
('SKIP', 'mandatory')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pmtool.i18n import t, tn
from pmtool.models.rules import Rule
from pmtool.report import numbers


@dataclass(frozen=True)
class ModelOffice:
    """The model office of a finding and its numbers for the same check (``None``: not published)."""

    office: str
    affected: int | None
    eligible: int | None
    duration_hours: float | None = None
    name: str = ""  # display name (default: the id)

    @property
    def label(self) -> str:
        return self.name or self.office


@dataclass(frozen=True)
class Advice:
    """``model``: „Vorbild GA-04: 9 von 276 Fällen (3,3 %)“; ``text``: the recommendation."""

    model: str
    text: str


def advice_kind(row: Mapping[str, Any], rule_kind: str | None = None) -> str:
    """The advice entry for a finding row: the rule kind for rules, else the deviation code."""
    if row.get("rule_id") and rule_kind:
        return "role" if row.get("code") == "ROLE" else rule_kind
    return str(row.get("code") or "")


def advise(row: Mapping[str, Any], model: ModelOffice | None, rule: Rule | None, k: int, lang: str) -> Advice:
    """The model office's numbers and the recommendation for the finding ``row`` (a findings-table row)."""
    if model is None:
        return Advice("", t("report.advice.no_model", lang))
    numbers_text = numbers.share_of(model.affected, model.eligible, lang, k=k)
    kind = advice_kind(row, rule.kind if rule else None)
    write = ADVICE.get(kind, _generic)
    text = write(row, model, rule, lang)
    if row.get("fragment"):
        text += " " + t("report.advice.path", lang, office=model.label, path=row["fragment"])
    return Advice(t("report.advice.model", lang, office=model.label, numbers=numbers_text), text)


def _deadline(row: Mapping[str, Any], model: ModelOffice, rule: Rule | None, lang: str) -> str:
    if rule is None or not rule.start or not rule.end:
        return _generic(row, model, rule, lang)
    within = within_text(rule, lang)
    own = row.get("duration_median_hours")
    best, mine = (numbers.days(model.duration_hours, lang) if model.duration_hours is not None else None,
                  numbers.days(own, lang) if own is not None else None)
    # the medians only when they tell the office something: the model's is shorter, also as printed (a finding
    # about the late cases can come with the same median as the model's)
    if best is None or mine is None or model.duration_hours >= own or best == mine:
        return t("report.advice.deadline_plain", lang, best=model.label, start=rule.start, end=rule.end,
                 within=within)
    return t("report.advice.deadline", lang, best=model.label, office=row.get("office_name") or row["office"],
             start=rule.start, end=rule.end, within=within, best_duration=best, duration=mine)


def within_text(rule: Rule, lang: str) -> str:
    """A deadline rule's time allowed: „1 Arbeitstag“, „2 Arbeitstage“, „24 Stunden“."""
    amount = rule.amount if rule.amount is not None else 0
    whole = int(amount) if float(amount).is_integer() else None
    shown = str(whole) if whole is not None else numbers.decimal(amount, lang, 1)
    return tn(f"report.unit.{rule.unit or 'working_days'}", whole if whole is not None else 2, lang, n=shown)


def _role(row: Mapping[str, Any], model: ModelOffice, rule: Rule | None, lang: str) -> str:
    if rule is None or not rule.activity:
        return _generic(row, model, rule, lang)
    return t("report.advice.role", lang, best=model.label, activity=rule.activity,
             roles=" / ".join(rule.roles) or "—")


def _mandatory(row: Mapping[str, Any], model: ModelOffice, rule: Rule | None, lang: str) -> str:
    if rule is None or not rule.activity:
        return _generic(row, model, rule, lang)
    if rule.if_present:
        return t("report.advice.mandatory_if", lang, best=model.label, activity=rule.activity,
                 condition=rule.if_present)
    return t("report.advice.mandatory", lang, best=model.label, activity=rule.activity)


def _order(row: Mapping[str, Any], model: ModelOffice, rule: Rule | None, lang: str) -> str:
    if rule is None or not rule.first or not rule.then:
        return _generic(row, model, rule, lang)
    return t("report.advice.order_rule", lang, best=model.label, first=rule.first, then=rule.then)


def _absent(row: Mapping[str, Any], model: ModelOffice, rule: Rule | None, lang: str) -> str:
    if rule is None or not rule.activity:
        return _generic(row, model, rule, lang)
    return t("report.advice.absent", lang, best=model.label, activity=rule.activity)


def _activity(code: str) -> Callable[[Mapping[str, Any], ModelOffice, Rule | None, str], str]:
    def write(row: Mapping[str, Any], model: ModelOffice, rule: Rule | None, lang: str) -> str:
        return t(f"report.advice.{code}", lang, best=model.label, activity=row.get("activity") or "—")
    return write


def _no_closure(row: Mapping[str, Any], model: ModelOffice, rule: Rule | None, lang: str) -> str:
    return t("report.advice.NO_CLOSURE", lang, best=model.label)


def _generic(row: Mapping[str, Any], model: ModelOffice, rule: Rule | None, lang: str) -> str:
    return t("report.advice.generic", lang, best=model.label)


#: Kind of check → the recommendation for it.
ADVICE: dict[str, Callable[[Mapping[str, Any], ModelOffice, Rule | None, str], str]] = {
    "deadline": _deadline, "role": _role, "mandatory": _mandatory, "order": _order, "absent": _absent,
    "SKIP": _activity("SKIP"), "INSERT": _activity("INSERT"), "ORDER": _activity("ORDER"),
    "REPEAT": _activity("REPEAT"), "NO_CLOSURE": _no_closure,
}
