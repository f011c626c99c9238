"""Comparison items in words, and findings that describe the same cases grouped into one.

An item is a deviation code at an activity (``dev:SKIP:Fall abgeschlossen``), a rule (``rule:P1-L-11-GA``) or
never-closed cases (``case:NO_CLOSURE``). Several items often count the very same cases: a case never closed
also skips "Fall abgeschlossen" and breaks the rule "Fall abgeschlossen". Findings of one office and process
with the same numbers (eligible and affected cases) are therefore shown once, led by the one with the
highest score (a rule before a deviation at equal score), naming the others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pmtool.compare.compare import ITEM_TYPE_ORDER
from pmtool.i18n import catalogue, t, tn
from pmtool.vocabulary import vocabulary


def item_label(row: dict[str, Any], lang: str, *, source: bool = False) -> str:
    """„Frist „Übermittlung …““ (with ``source``: „… (§ 11 Abs. 1 IfSG)“), „„Falldefinition bewertet“
    fehlt“, „Fälle nie abgeschlossen“; an activity the catalogue explains (a merged duplicate case) says
    what it is."""
    code = row.get("code") or ""
    if row.get("rule_id"):
        title = (row.get("rule_title_en") if lang == "en" else None) or row.get("rule_title") or row["rule_id"]
        key = "deadline" if code == "DEADLINE" else "role" if code == "ROLE" else "rule"
        label = t(f"report.item.{key}", lang, title=title)
        if source and row.get("legal_source"):
            label += f" ({row['legal_source']})"
        return label
    if code == "NO_CLOSURE":
        return t("report.item.no_closure", lang)
    activity = row.get("activity") or ""
    label = t(f"report.item.{code}", lang, activity=activity)
    meaning = explanation(activity, lang)
    return t("report.item.explained", lang, label=label, meaning=meaning) if meaning else label


def explanation(activity: str, lang: str) -> str:
    """What an activity that is no step of the Soll stands for, when the catalogue knows it
    (``report.explain.<vocabulary id>``): „ein doppelt angelegter Fall wurde zusammengeführt“."""
    code = _activity_codes().get(activity)
    entry = catalogue().get(f"report.explain.{code}") if code else None
    return t(f"report.explain.{code}", lang) if entry else ""


def _activity_codes() -> dict[str, str]:
    return {a.name: a.id for p in vocabulary().processes.values() for a in p.activities}


def same_cases_label(others: tuple[dict[str, Any], ...], lang: str) -> str:
    """„Dieselben Fälle zählen auch als Befunde: Nr. 9 „…“ fehlt; …“ for the other findings of a group (""
    without any), each with its ``rank`` in the findings table where it has one."""
    if not others:
        return ""
    items = [t("report.item.numbered", lang, n=o["rank"], label=item_label(o, lang)) if o.get("rank")
             else item_label(o, lang) for o in others]
    return tn("report.item.same_cases", len(others), lang, items="; ".join(items))


def card_number(group: FindingGroup, index: int) -> int:
    """The number of a finding's card: its lead's ``rank`` in the findings table (``findings.csv``), so that
    card and table row match also after findings were put together on one card; ``index`` (its place
    among the cards, from 1) for rows without a rank."""
    rank = group.lead.get("rank")
    return int(rank) if rank else index


def basis_text(basis: str | None, severity: str | None, lang: str) -> str:
    """„gesetzlich, hoch“ – the legal basis and severity from the rule pack in words."""
    parts = []
    if basis:
        parts.append(t(f"report.basis.{basis}", lang))
    if severity:
        parts.append(t(f"report.severity.{severity}", lang))
    return ", ".join(parts)


@dataclass(frozen=True)
class FindingGroup:
    """A finding and the other findings of the same office and process that count the same cases."""

    lead: dict[str, Any]
    others: tuple[dict[str, Any], ...]


def group_findings(rows: list[dict[str, Any]],
                   cases_of: Callable[[list[dict[str, Any]]], Mapping[str, frozenset]] | None = None
                   ) -> list[FindingGroup]:
    """Group finding rows (any order): findings of the same process, period and office that count exactly
    the same affected cases go together. ``cases_of`` gives the affected cases of findings by id (e.g.
    :func:`pmtool.compare.cases.affected_sets`); it is asked only about findings with the same number of
    affected cases. Without it, or where it does not know a finding, every finding stands alone: equal
    numbers are not the same cases. A group is led by its first finding in the order of findings.csv
    (:func:`rank_order`), so its lead has the group's smallest ``rank``; groups come in that order too."""
    buckets: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        key = (row["process"], row["period"], row["office"], row["affected"])
        buckets.setdefault(key, []).append(row)
    candidates = [r for members in buckets.values() if len(members) > 1 for r in members]
    cases = dict(cases_of(candidates)) if cases_of is not None and candidates else {}
    together: dict[tuple, list[dict[str, Any]]] = {}
    for key, members in buckets.items():
        for row in members:
            found = cases.get(row["finding_id"]) if len(members) > 1 else None
            same = (*key, found) if found is not None else (*key, "alone", row["finding_id"])
            together.setdefault(same, []).append(row)
    groups = []
    for members in together.values():
        members = sorted(members, key=rank_order)
        groups.append(FindingGroup(members[0], tuple(members[1:])))
    return sorted(groups, key=lambda g: rank_order(g.lead))


def rank_order(row: dict[str, Any]) -> tuple:
    """The order of findings in findings.csv (its ``rank``): score, highest first; at equal scores a rule, a
    case, a deviation; then the finding id."""
    return (-(row["score"] or 0.0), ITEM_TYPE_ORDER.get(row["item_type"], len(ITEM_TYPE_ORDER)), row["finding_id"])
