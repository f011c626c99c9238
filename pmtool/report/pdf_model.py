"""The report's view model as data for the PDF templates: plain JSON values and the pictures as SVG files.

:func:`pdf_document` (the report) and :func:`annex_document` (its annex) turn a
:class:`~pmtool.report.context.ReportContext` — the same view model the HTML is rendered from — into a dict
of strings, numbers, booleans and lists, and write every picture as an SVG file into a folder. The Typst
templates (``templates/report.typ``, ``templates/annex.typ``) read the dict with ``json(...)``: every label,
office name and number reaches the PDF as a Typst *string*, so nothing from the data is ever read as Typst
markup, whatever characters it holds.

Every picture carries its place on paper (:mod:`pmtool.report.print_layout`): the width in points and
whether its page is landscape, so its smallest text prints at 7 pt or more; a picture too large for that
is printed as its relevant part or in parts (``Figure.print_svgs``).

>>> doc = pdf_document(ctx, Path(tmp))  # doctest: +SKIP
>>> part = doc["processes"][0]["overlay"]["figure"]["parts"][0]  # doctest: +SKIP
>>> part["width"], (Path(tmp) / part["file"]).exists()  # doctest: +SKIP
(493.2, True)
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pmtool import __version__
from pmtool.i18n import t
from pmtool.report import numbers
from pmtool.report.context import Figure, ReportContext, ReportMeta, Table
from pmtool.report.palette import RATE_COLOURS, RATE_TEXT
from pmtool.report.print_layout import place

if TYPE_CHECKING:
    from pmtool.report.process_section import ProcessSection


def pdf_document(ctx: ReportContext, folder: Path) -> dict[str, Any]:
    """The report ``ctx`` as JSON-ready data for ``templates/report.typ``; the pictures are written to
    ``folder`` as ``fig-001.svg`` … (names in document order, so the same report gives the same files)."""
    figures = Figures(folder, ctx.lang)
    lang = ctx.lang
    table = _tables(ctx)
    s = ctx.summary
    return {
        "lang": lang,
        "meta": meta(ctx.meta),
        "text": _texts(ctx),
        "heat": [[bg, fg] for bg, fg in zip(RATE_COLOURS, RATE_TEXT, strict=True)],
        "cover": {"title": ctx.title, "subtitle": ctx.subtitle, "facts": [list(f) for f in ctx.facts]},
        "annex_file": ctx.annex_files.get("pdf", ""),
        "summary": {
            "lead": s.lead,
            "verdicts": [{"anchor": v.anchor, "name": v.name, "level": v.level, "level_text": v.level_text,
                          "reason": v.reason, "text": v.text} for v in s.verdicts],
            "matrix": table(s.matrix),
            "top": [{"number": f.number, "office": f.office, "process_name": f.process_name, "item": f.item,
                     "numbers": f.numbers, "model": f.model, "advice": f.advice, "score": f.score, "bar": f.bar,
                     "basis": f.basis, "also": f.also, "anchor": f.anchor, "link": f.link} for f in s.top],
            "top_caption": s.top_caption,
            "no_findings": s.no_findings,
            "accepted_note": (t("report.summary.accepted_note", lang, n=s.accepted_count)
                              if s.accepted_count else ""),
            "priority_table": table(s.priorities.table),
            "priority_weights": s.priorities.weights,
            "priority_reasons": [list(r) for r in s.priorities.reasons],
        },
        "processes": [_process(p, figures, table, lang) for p in ctx.processes],
        "adoption": None if ctx.adoption is None else {
            "anchor": ctx.adoption.anchor, "title": t("report.adoption.title", lang), "intro": ctx.adoption.intro,
            "processes": [{"name": a.name, "anchor": a.anchor, "text": a.text, "figure": figures.flow(a.figure),
                       "offices": table(a.offices), "not_adopted": a.not_adopted, "rules": table(a.rules)}
                      for a in ctx.adoption.parts],
        },
        "design": None if ctx.design is None else {
            "title": ctx.design.title, "intro": ctx.design.intro, "cross_title": ctx.design.cross_title,
            "cross_intro": ctx.design.cross_intro, "anchor": ctx.design.anchor,
            "matrices": [{"table": table(tab), "groups": groups} for tab, groups in ctx.design.matrices],
            "processes": [{"heading": p.heading, "decision": table(p.decision), "offices": table(p.offices),
                           "reasons": [line for _, line in p.reasons]} for p in ctx.design.processes],
        },
        "appendix": {
            "imports": table(ctx.appendix.imports),
            "comparability": table(ctx.appendix.comparability),
            "comparability_text": ctx.appendix.comparability_text,
            "models": [{"name": m.name, "facts": [list(f) for f in m.facts], "rules": table(m.rules),
                        "conversion": list(m.conversion)} for m in ctx.appendix.models],
            "method": [{"heading": h, "paragraphs": list(ps)} for h, ps in ctx.appendix.method],
            "weights": table(ctx.appendix.weights),
            "priority_figure": figures.flow(s.priorities.figure),
            "versions": table(ctx.appendix.versions),
            "settings": table(ctx.appendix.settings),
        },
    }


def _process(p: ProcessSection, figures: Figures, table: Any, lang: str) -> dict[str, Any]:
    """One process section of the report (its pictures written in document order)."""
    out = {
        "name": p.name, "anchor": p.anchor,
        "verdict": {"level": p.verdict.level, "level_text": p.verdict.level_text, "reason": p.verdict.reason,
                    "text": p.verdict.text},
        "facts": [list(f) for f in p.facts],
        "heatmap": table(p.heatmap),
        "heatmap_note": p.heatmap_note,
        "heat_legend": _heat_legend(lang),
        "deadline": figures.flow(p.deadline),
        "throughput": figures.flow(p.throughput),
        "durations": figures.flow(p.durations),
        "bottlenecks": table(p.bottlenecks),
        "overlay": figures.sheet(p.overlay, t("report.process.overlay", lang)),
        "overlay_table": table(p.overlay_table),
        "cards": [{"anchor": c.anchor, "number": c.number, "finding_id": c.finding_id, "office": c.office,
                   "item": c.item, "statement": c.statement, "basis": c.basis,
                   "lines": [list(line) for line in c.lines], "accepted": c.accepted,
                   "justification": c.justification} for c in p.cards],
        "conformance": table(p.conformance),
        "soll": figures.sheet(p.soll, t("report.process.soll", lang)) if p.soll else None,
    }
    # a Soll the overlay's note already called too large for print is not called so a second time
    out["soll_note"] = p.soll_note if out["overlay"]["figure"]["parts"] else ""
    out["ist"] = [figures.sheet(f, "", p.ist_note if i == 0 else "") for i, f in enumerate(p.ist)]
    return out


def annex_document(ctx: ReportContext, folder: Path) -> dict[str, Any]:
    """The annex of ``ctx`` as JSON-ready data for ``templates/annex.typ`` (pictures into ``folder``)."""
    figures = Figures(folder, ctx.lang)
    lang = ctx.lang
    table = _tables(ctx)
    return {
        "lang": lang,
        "meta": meta(ctx.annex_meta),
        "text": _texts(ctx),
        "report_file": f"{t('report.file_stem', lang)}.pdf",
        "processes": [{
            "name": p.name, "anchor": p.anchor,
            "soll": figures.sheet(p.soll, t("report.process.soll", lang)),
            "overlay": figures.sheet(p.overlay, t("report.process.overlay", lang)),
            "ist": [figures.sheet(f) for f in p.ist],
        } for p in ctx.annex.processes],
        "inputs": table(ctx.annex.inputs),
    }


def meta(m: ReportMeta) -> dict[str, Any]:
    # PDF dates are written in UTC; a time without zone is taken as UTC, never as this machine's zone
    created = datetime.fromisoformat(m.created)
    created = (created if created.tzinfo else created.replace(tzinfo=UTC)).astimezone(UTC)
    return {"title": m.title, "author": m.author, "subject": m.subject, "keywords": list(m.keywords),
            "created": {"year": created.year, "month": created.month, "day": created.day, "hour": created.hour,
                        "minute": created.minute, "second": created.second}}


def _tables(ctx: ReportContext):  # type: ignore[no-untyped-def]
    suppressed_note = t("report.suppressed_note", ctx.lang, k=ctx.k)

    def table(tab: Table | None) -> dict[str, Any] | None:
        return None if tab is None else _table(tab, suppressed_note)
    return table


def _heat_legend(lang: str) -> list[list[str]]:
    from pmtool.report.process_tables import heat_legend

    return [list(item) for item in heat_legend(lang)]


def _texts(ctx: ReportContext) -> dict[str, str]:
    """Every fixed text of the templates, from the catalogue in the report's language."""
    lang, k = ctx.lang, ctx.k
    keys = {
        "toc": "report.toc", "page": "report.page", "page_of": "report.page_of", "kicker": "report.kicker",
        "part_a": "report.part_a", "part_b": "report.part_b", "summary": "report.summary.title",
        "verdicts": "report.summary.verdicts", "levels": "report.summary.levels", "matrix": "report.matrix.title",
        "top": "report.summary.top", "score_note": "report.summary.score_note", "col_score": "report.summary.col.score",
        "no_top": "report.summary.no_findings", "priorities": "report.summary.priorities",
        "priorities_intro": "report.summary.priorities_intro", "heatmap": "report.process.heatmap",
        "heatmap_intro": "report.process.heatmap_intro", "heat_key": "report.heat.key",
        "deadlines": "report.process.deadlines", "deadlines_intro": "report.process.deadlines_intro",
        "throughput": "report.process.throughput", "throughput_intro": "report.process.throughput_intro",
        "durations": "report.process.durations", "bottlenecks": "report.process.bottlenecks",
        "findings": "report.process.findings", "findings_intro": "report.process.findings_intro",
        "no_findings": "report.process.no_findings", "accepted": "report.card.accepted",
        "justification": "report.card.justification", "conformance": "report.process.conformance",
        "appendix": "report.appendix.title", "data": "report.appendix.data",
        "data_intro": "report.appendix.data_intro", "models": "report.appendix.models",
        "conversion": "report.models.conversion", "method": "report.appendix.method",
        "repro": "report.appendix.repro", "annex": "report.annex.title", "part": "report.annex.part",
        "checksums": "report.annex.checksums", "annex_back": "report.annex.back",
    }
    out = {name: t(key, lang) for name, key in keys.items()}
    out.update({
        "privacy_note": t("report.privacy_note", lang, k=k),
        "repro_intro": t("report.appendix.repro_intro", lang, annex=ctx.annex_files.get("pdf", "")),
        "annex_link": t("report.annex.link", lang, file=ctx.annex_files.get("pdf", "")),
        "annex_intro": t("report.annex.intro", lang, k=k, report=f"{t('report.file_stem', lang)}.pdf"),
        "colophon": t("report.colophon", lang, version=__version__,
                      created=numbers.date(datetime.fromisoformat(ctx.meta.created), lang)),
    })
    return out


def _table(tab: Table, suppressed_note: str) -> dict[str, Any]:
    def row(label: str, cells: tuple) -> dict[str, Any]:
        return {"label": label, "cells": [{"text": c.text, "num": c.numeric, "suppressed": c.suppressed,
                                           "style": c.css.split()} for c in cells]}

    return {"id": tab.id, "kind": tab.css, "caption": tab.caption, "head": list(tab.head),
            "rows": [row(label, cells) for label, cells in tab.rows],
            "foot": [row(label, cells) for label, cells in tab.foot],
            "notes": [*tab.notes, *([suppressed_note] if tab.has_suppressed else [])]}


class Figures:
    """Writes each printed picture once as an SVG file and describes it, with its place on paper, for the
    templates. ``placed`` keeps every picture written (file, placement) for checks of the print.

    A picture with a page of its own that is printed whole (no ``print_svgs``) but cannot be printed with
    readable text is not printed at all: its description has no parts, and its ``print_note`` (or a general
    one) says where it is shown — never a map shrunk below 7 pt."""

    def __init__(self, folder: Path, lang: str = "de") -> None:
        self.folder = folder
        self.lang = lang
        self.count = 0
        self.placed: list[tuple[str, Any]] = []

    def _parts(self, fig: Figure, kind: str) -> list[dict[str, Any]]:
        svgs = fig.printed
        if kind == "sheet" and not fig.print_svgs and not place(svgs[0], kind).readable:
            return []
        parts = []
        for svg in svgs:
            self.count += 1
            name = f"fig-{self.count:03d}.svg"
            (self.folder / name).write_bytes(svg)
            where = place(svg, kind)
            self.placed.append((name, where))
            parts.append({"file": name, "width": where.width, "landscape": where.landscape})
        return parts

    def _describe(self, fig: Figure, kind: str) -> dict[str, Any]:
        parts = self._parts(fig, kind)
        note = fig.print_note if parts or fig.print_note else t("report.print.not_printed", self.lang)
        return {"parts": parts, "alt": fig.alt, "caption": fig.caption, "notes": list(fig.notes),
                "legend_title": fig.legend_title, "legend": [list(item) for item in fig.legend],
                "print_note": note, "part_label": fig.part_label}

    def flow(self, fig: Figure | None) -> dict[str, Any] | None:
        """A picture in the text flow (text width)."""
        return None if fig is None else self._describe(fig, "flow")

    def sheet(self, fig: Figure, heading: str = "", intro: str = "") -> dict[str, Any]:
        """A picture on a page of its own (one page per printed part): heading (the picture's title unless
        given), the title as a subtitle when a heading is given, an optional introduction."""
        return {"heading": heading or fig.title,
                "subtitle": fig.title if heading and fig.title and fig.title != heading else "",
                "intro": intro, "figure": self._describe(fig, "sheet")}
