"""The report's view model as data for the PDF template: plain JSON values and the pictures as SVG files.

:func:`pdf_document` turns a :class:`~pmtool.report.context.ReportContext` — the same view model the HTML
is rendered from — into a dict of strings, numbers, booleans and lists, and writes every picture as an SVG
file into a folder. The Typst template (``templates/report.typ``) reads the dict with ``json(...)``: every
label, office name and number reaches the PDF as a Typst *string*, so nothing from the data is ever read
as Typst markup, whatever characters it holds.

>>> doc = pdf_document(ctx, Path(tmp))  # doctest: +SKIP
>>> soll = doc["processes"][0]["soll"]["figure"]  # doctest: +SKIP
>>> doc["summary"]["top"][0]["score"], (Path(tmp) / soll["file"]).exists()  # doctest: +SKIP
('40,6', True)
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pmtool import __version__
from pmtool.i18n import t
from pmtool.report import numbers
from pmtool.report.context import Figure, ReportContext, Table
from pmtool.report.palette import RATE_COLOURS, RATE_TEXT

_SIZE = re.compile(rb'<svg[^>]*?width="([\d.]+)(pt|px)?"[^>]*?height="([\d.]+)(pt|px)?"', re.S)
#: Room for a picture on a page of its own (points), after heading, legend and caption: A4 portrait and
#: A4 landscape within the template's margins.
PORTRAIT = (510.0, 600.0)
LANDSCAPE = (767.0, 380.0)
#: A picture turns the page only when it gets this much larger on a landscape page (same size: portrait).
LANDSCAPE_GAIN = 1.15


def pdf_document(ctx: ReportContext, folder: Path) -> dict[str, Any]:
    """The report ``ctx`` as JSON-ready data for ``templates/report.typ``; the pictures are written to
    ``folder`` as ``fig-001.svg`` … (names in document order, so the same report gives the same files)."""
    figures = _Figures(folder)
    lang, k = ctx.lang, ctx.k
    suppressed_note = t("report.suppressed_note", lang, k=k)

    def table(tab: Table | None) -> dict[str, Any] | None:
        return None if tab is None else _table(tab, suppressed_note)

    anchors = {s.pid: s.anchor for s in ctx.processes}
    summary = ctx.summary
    return {
        "lang": lang,
        "meta": _meta(ctx),
        "text": _texts(ctx),
        "heat": [[bg, fg] for bg, fg in zip(RATE_COLOURS, RATE_TEXT, strict=True)],
        "cover": {"title": ctx.title, "subtitle": ctx.subtitle, "facts": [list(f) for f in ctx.facts]},
        "summary": {
            "lead": summary.lead,
            "verdicts": [{"anchor": anchors.get(v.process, ""), "name": v.name, "level": v.level,
                          "level_text": v.level_text, "text": v.text} for v in summary.verdicts],
            "top": [{"number": f.number, "office": f.office, "process_name": f.process_name,
                     "statement": f.statement, "score": f.score, "bar": f.bar, "basis": f.basis, "best": f.best,
                     "also": t("report.summary.also", lang, items="; ".join(f.also)) if f.also else "",
                     "anchor": f.anchor} for f in summary.top],
            "top_caption": t("report.summary.top_caption", lang, n=len(summary.top)),
            "accepted_note": (t("report.summary.accepted_note", lang, n=summary.accepted_count)
                              if summary.accepted_count else ""),
            "priority_table": table(summary.priority_table),
            "priority_reasons": [list(r) for r in summary.priority_reasons],
            "priority_figure": figures.add(summary.priority_figure),
        },
        "processes": [{
            "name": p.name, "anchor": p.anchor,
            "verdict": {"level": p.verdict.level, "level_text": p.verdict.level_text, "text": p.verdict.text},
            "facts": [list(f) for f in p.facts],
            "heatmap": table(p.heatmap),
            "deadline": figures.add(p.deadline),
            "throughput": figures.add(p.throughput),
            "overlay": figures.sheet(p.overlay, t("report.process.overlay", lang)),
            "overlay_table": table(p.overlay_table),
            "cards": [{"anchor": c.anchor, "number": c.number, "finding_id": c.finding_id, "office": c.office,
                       "item": c.item, "statement": c.statement, "basis": c.basis,
                       "lines": [list(line) for line in c.lines], "accepted": c.accepted,
                       "justification": c.justification} for c in p.cards],
            "conformance": table(p.conformance),
            "soll": figures.sheet(p.soll, t("report.process.soll", lang)),
            "ist": [figures.sheet(f, "", p.ist_note if i == 0 else "") for i, f in enumerate(p.ist)],
        } for p in ctx.processes],
        "appendix": {
            "imports": table(ctx.appendix.imports),
            "comparability": table(ctx.appendix.comparability),
            "comparability_text": ctx.appendix.comparability_text,
            "models": [{"name": m.name, "facts": [list(f) for f in m.facts], "rules": table(m.rules),
                        "conversion": list(m.conversion)} for m in ctx.appendix.models],
            "method": [{"heading": h, "paragraphs": list(ps)} for h, ps in ctx.appendix.method],
            "weights": table(ctx.appendix.weights),
            "versions": table(ctx.appendix.versions),
            "settings": table(ctx.appendix.settings),
            "inputs": table(ctx.appendix.inputs),
        },
        "annex": [figures.sheet(f) for _, _, figs in ctx.annex for f in figs],
    }


def _meta(ctx: ReportContext) -> dict[str, Any]:
    # PDF dates are written in UTC; a time without zone is taken as UTC, never as this machine's zone
    created = datetime.fromisoformat(ctx.meta.created)
    created = (created if created.tzinfo else created.replace(tzinfo=UTC)).astimezone(UTC)
    return {"title": ctx.meta.title, "author": ctx.meta.author, "subject": ctx.meta.subject,
            "keywords": list(ctx.meta.keywords),
            "created": {"year": created.year, "month": created.month, "day": created.day, "hour": created.hour,
                        "minute": created.minute, "second": created.second}}


def _texts(ctx: ReportContext) -> dict[str, str]:
    """Every fixed text of the template, from the catalogue in the report's language."""
    lang, k = ctx.lang, ctx.k
    return {
        "toc": t("report.toc", lang), "page": t("report.page", lang), "page_of": t("report.page_of", lang),
        "kicker": t("report.kicker", lang), "privacy_note": t("report.privacy_note", lang, k=k),
        "summary": t("report.summary.title", lang), "verdicts": t("report.summary.verdicts", lang),
        "levels": t("report.summary.levels", lang), "top": t("report.summary.top", lang),
        "col_number": t("report.summary.col.number", lang), "col_where": t("report.summary.col.where", lang),
        "col_statement": t("report.summary.col.statement", lang), "col_score": t("report.summary.col.score", lang),
        "col_best": t("report.summary.col.best", lang), "details": t("report.summary.details", lang),
        "score_note": t("report.summary.score_note", lang), "no_top": t("report.summary.no_findings", lang),
        "priorities": t("report.summary.priorities", lang),
        "priorities_intro": t("report.summary.priorities_intro", lang),
        "heatmap": t("report.process.heatmap", lang), "heatmap_intro": t("report.process.heatmap_intro", lang),
        "deadlines": t("report.process.deadlines", lang),
        "deadlines_intro": t("report.process.deadlines_intro", lang),
        "throughput": t("report.process.throughput", lang), "findings": t("report.process.findings", lang),
        "findings_intro": t("report.process.findings_intro", lang),
        "no_findings": t("report.process.no_findings", lang), "accepted": t("report.card.accepted", lang),
        "justification": t("report.card.justification", lang),
        "conformance": t("report.process.conformance", lang),
        "appendix": t("report.appendix.title", lang), "data": t("report.appendix.data", lang),
        "data_intro": t("report.appendix.data_intro", lang), "models": t("report.appendix.models", lang),
        "conversion": t("report.models.conversion", lang), "method": t("report.appendix.method", lang),
        "repro": t("report.appendix.repro", lang), "repro_intro": t("report.appendix.repro_intro", lang),
        "colophon": t("report.colophon", lang, version=__version__,
                      created=numbers.date(datetime.fromisoformat(ctx.meta.created), lang)),
        "annex": t("report.annex.title", lang), "annex_intro": t("report.annex.intro", lang, k=k),
    }


def _table(tab: Table, suppressed_note: str) -> dict[str, Any]:
    def row(label: str, cells: tuple) -> dict[str, Any]:
        return {"label": label, "cells": [{"text": c.text, "num": c.numeric, "suppressed": c.suppressed,
                                           "style": c.css.split()} for c in cells]}

    return {"id": tab.id, "kind": tab.css, "caption": tab.caption, "head": list(tab.head),
            "rows": [row(label, cells) for label, cells in tab.rows],
            "foot": [row(label, cells) for label, cells in tab.foot],
            "notes": [*tab.notes, *([suppressed_note] if tab.has_suppressed else [])]}


class _Figures:
    """Writes each picture once as an SVG file and describes it for the template."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def add(self, fig: Figure | None) -> dict[str, Any] | None:
        if fig is None:
            return None
        self.count += 1
        name = f"fig-{self.count:03d}.svg"
        svg = fig.embeddable_svg
        (self.folder / name).write_bytes(svg)
        return {"file": name, "alt": fig.alt, "caption": fig.caption, "notes": list(fig.notes),
                "legend_title": fig.legend_title, "legend": [list(item) for item in fig.legend],
                "landscape": fig.size != "wide" and landscape(svg)}

    def sheet(self, fig: Figure, heading: str = "", intro: str = "") -> dict[str, Any]:
        """A picture on a page of its own: heading (the picture's title unless given), the title as a
        subtitle when a heading is given, an optional introduction."""
        return {"heading": heading or fig.title,
                "subtitle": fig.title if heading and fig.title and fig.title != heading else "",
                "intro": intro, "figure": self.add(fig)}


def landscape(svg: bytes) -> bool:
    """Whether the picture is drawn larger on an A4 landscape page than on a portrait one (by
    :data:`LANDSCAPE_GAIN`); pictures without a size stay portrait."""
    match = _SIZE.search(svg[:4000])
    if not match:
        return False
    width, height = float(match.group(1)), float(match.group(3))
    if width <= 0 or height <= 0:
        return False
    portrait = min(PORTRAIT[0] / width, PORTRAIT[1] / height)
    across = min(LANDSCAPE[0] / width, LANDSCAPE[1] / height)
    return across > portrait * LANDSCAPE_GAIN
