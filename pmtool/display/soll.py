"""Notebook views of the steps from differences to a uniform Soll: the cross-office matrix and the Soll
candidates (drawn by :mod:`pmtool.design.html`), the adoption of a Soll over time, one office before and
after a date, and an e-file message.

Counts of cases go through :meth:`View.count` (hidden below the threshold); the adoption view shows shares
only, as the report does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from pmtool.display.markup import View, cell, facts, heading, note, page, table
from pmtool.i18n import t

if TYPE_CHECKING:
    from pmtool.compare.adoption import Adoption
    from pmtool.compare.before_after import BeforeAfter
    from pmtool.design.cross import CrossConformance
    from pmtool.design.design import SollDesign
    from pmtool.report.efile import EfileMessage

TOP = 10


def cross_html(cross: CrossConformance, v: View) -> str:
    from pmtool.design.html import cross_html as draw

    return page(draw(cross, v.lang, v.k))


def design_html(design: SollDesign, v: View) -> str:
    from pmtool.design.html import design_html as draw

    return page(draw(design, v.lang))


def adoption_html(result: Adoption, v: View) -> str:
    """The binding date, per office the conforming share before and after with the estimated level change
    and its interval, the verdict, and the offices that have not adopted the Soll."""
    from pmtool.compare.adoption import CONFORMING
    from pmtool.report.adoption_view import interval, points, verdict_text

    parts = [heading(t("report.adoption.title", v.lang) + f" · {result.process}")]
    if result.valid_from is None:
        return page(*parts, note(t("report.adoption.no_date", v.lang), warn=True))
    months = result.months
    parts.append(note(t(f"report.adoption.binding_{result.valid_from_source}", v.lang,
                        date=result.valid_from.isoformat(), first=months[0] if months else "—",
                        last=months[-1] if months else "—")))
    if not result.estimable:
        return page(*parts, note(t("report.adoption.no_before", v.lang), warn=True))
    rows = []
    for r in result.estimates.filter(pl.col("measure") == CONFORMING).iter_rows(named=True):
        rows.append((cell(r["office"]), cell(f"{r['months_before']} / {r['months_after']}"),
                     v.rate(r["share_before"]), v.rate(r["share_after"]),
                     cell(points(r["level"], v.lang)), cell(interval(r["level_low"], r["level_high"], v.lang)),
                     cell(r["change_month"] or "—"), cell(verdict_text(r, v.lang))))
    head = tuple(t(f"report.adoption.col.{c}", v.lang) for c in (
        "office", "months", "before", "after", "level", "interval", "change_month", "verdict"))
    parts += [table(head, rows, caption=t("report.adoption.offices_caption", v.lang)),
              note(t("report.adoption.offices_note", v.lang))]
    if result.not_adopted:
        parts.append(note(t("report.adoption.not_adopted", v.lang, offices=", ".join(result.not_adopted)),
                          warn=True))
    return page(*parts)


def before_after_html(result: BeforeAfter, v: View) -> str:
    """The loud note that the period-overlap condition is off, the cases per side, the findings between the
    two sides and the transitions that changed most."""
    from pmtool.display.comparison import comparison_parts

    before, after = result.ids
    parts = [note(result.note(v.lang), warn=True),
             facts([(result.names[before], v.count(result.cases[before])),
                    (result.names[after], v.count(result.cases[after]))])]
    changed = result.difference.filter(pl.col("frequency") != "same").head(TOP)
    rows = [(cell(r["source"]), cell(r["target"]), v.rate(r["share_before"]), v.rate(r["share_after"]),
             cell(r["frequency"]), cell(r["speed"] or "—")) for r in changed.iter_rows(named=True)]
    head = tuple(t(key, v.lang) for key in (
        "display.before_after.from", "display.before_after.to", "report.adoption.col.before",
        "report.adoption.col.after", "display.before_after.frequency", "display.before_after.speed"))
    parts.append(table(head, rows, caption=t("display.before_after.changed", v.lang, n=len(rows))))
    return page(*parts, *comparison_parts(result.tables, v))


def efile_html(message: EfileMessage, v: View) -> str:
    """The zip written, its message type and the documents it files, in order."""
    return page(heading(t("display.efile.title", v.lang)),
                facts([(t("display.efile.message", v.lang), cell(message.message)),
                       (t("display.run.output", v.lang), cell(message.path.name))]),
                table((t("display.report.file", v.lang),), [(cell(d),) for d in message.documents]))
