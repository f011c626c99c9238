"""The report's view model: everything the templates show, as plain values, already worded, formatted and
checked for privacy.

:func:`build_context` is the only place that reads an :class:`~pmtool.analysis.Analysis`. What leaves it
holds no case ids, no staff pseudonyms and no per-person figures; every count below the project's
``privacy_threshold`` is "·" (with secondary suppression where totals are shown), and every picture is
drawn from privacy-filtered data. The templates only lay out what is here.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pmtool.i18n import t
from pmtool.report import numbers

if TYPE_CHECKING:
    from pmtool.analysis import Analysis
    from pmtool.report.adoption_view import AdoptionSection
    from pmtool.report.annex import Annex
    from pmtool.report.appendix import Appendix
    from pmtool.report.process_section import ProcessSection
    from pmtool.report.summary import Summary


_DOCTYPE = re.compile(rb"<!DOCTYPE[^>]*>\s*")


@dataclass(frozen=True)
class Figure:
    """A picture with its text alternative (``alt``, in the report language) and caption.

    ``print_svgs`` is what the PDFs print when the whole picture cannot be printed on A4 with text of 7 pt
    or more (:mod:`pmtool.report.print_layout`): its relevant part (an excerpt, a filtered map) or the
    whole in consecutive parts; ``print_note`` says what is left out and where the whole picture is (the
    HTML and the annex). Empty: the PDFs print ``svg`` itself."""

    id: str
    svg: bytes
    alt: str
    caption: str
    size: str = "wide"  # "sheet": a page of its own (A4, landscape where it gains width); "wide": in the text
    title: str = ""  # heading above a figure that has a page of its own
    legend: tuple[tuple[str, str], ...] = ()  # (colour, label) swatches, written as text beside the picture
    legend_title: str = ""
    notes: tuple[str, ...] = ()
    print_svgs: tuple[bytes, ...] = ()
    print_note: str = ""
    part_label: str = ""  # above each printed part when there are several: „Teil {i} von {n}“

    @property
    def printed(self) -> tuple[bytes, ...]:
        """The pictures the PDFs print (without their DOCTYPE line): ``print_svgs``, else ``svg``."""
        return tuple(_DOCTYPE.sub(b"", s) for s in self.print_svgs) or (self.embeddable_svg,)

    @property
    def embeddable_svg(self) -> bytes:
        """The picture without the DOCTYPE line Graphviz and matplotlib write: it names an external DTD, and
        an embedded picture must not even name a place on the net."""
        return _DOCTYPE.sub(b"", self.svg)

    @property
    def data_uri(self) -> str:
        """The picture as a data URI (without its DOCTYPE line)."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.embeddable_svg).decode("ascii")


@dataclass(frozen=True)
class Cell:
    text: str
    numeric: bool = True
    suppressed: bool = False
    css: str = ""


@dataclass(frozen=True)
class Table:
    """A table with column headers, one header cell per row, optional totals and footnotes."""

    id: str
    caption: str
    head: tuple[str, ...]
    rows: tuple[tuple[str, tuple[Cell, ...]], ...]
    foot: tuple[tuple[str, tuple[Cell, ...]], ...] = ()
    notes: tuple[str, ...] = ()
    css: str = ""

    @property
    def has_suppressed(self) -> bool:
        return any(c.suppressed for _, cells in (*self.rows, *self.foot) for c in cells)


@dataclass(frozen=True)
class ReportMeta:
    """Document metadata (HTML ``<meta>`` and the PDF's info and XMP)."""

    title: str
    author: str
    subject: str
    keywords: tuple[str, ...]
    created: str  # W3C date-time, from the data's as-of point, never the clock
    lang: str


@dataclass(frozen=True)
class ReportContext:
    lang: str
    meta: ReportMeta
    title: str
    subtitle: str
    facts: tuple[tuple[str, str], ...]
    k: int
    summary: Summary
    processes: tuple[ProcessSection, ...]
    appendix: Appendix
    annex: Annex
    annex_meta: ReportMeta
    annex_files: dict[str, str] = field(default_factory=dict)  # format → file name beside the report
    adoption: AdoptionSection | None = None  # "Anwendung des Soll-Prozesses"
    design: Any = None  # pmtool.design.report_section.DesignSection: the chapter "Soll-Entwurf", when given


def as_of_point(analysis: Analysis) -> datetime:
    """The point in time the report describes: the project's ``as_of``, else the last event imported,
    else a fixed date (never the wall clock, so the same data give the same files)."""
    if analysis.as_of is not None:
        return analysis.as_of
    ends = [s.summary.period_end for s in analysis.ingests if s.summary.period_end]
    if ends:
        return max(datetime.fromisoformat(e) for e in ends)
    return datetime(2000, 1, 1, tzinfo=UTC)


def build_context(analysis: Analysis, lang: str, design: Any = None) -> ReportContext:
    """The view model of the report for ``analysis`` in ``lang`` (de or en); ``design`` (a
    :class:`~pmtool.design.design.SollDesign`) adds the chapter "Soll-Entwurf" before the appendix."""
    from pmtool.report.adoption_view import build_adoption_section
    from pmtool.report.annex import build_annex, file_name
    from pmtool.report.appendix import build_appendix
    from pmtool.report.process_section import build_process_section, soll_figures
    from pmtool.report.summary import build_summary
    from pmtool.report.suppression import SUPPRESSED, report_protection

    project = analysis.project
    k = project.privacy_threshold
    as_of = as_of_point(analysis)
    starts = [datetime.fromisoformat(s.summary.period_start) for s in analysis.ingests if s.summary.period_start]
    ends = [datetime.fromisoformat(s.summary.period_end) for s in analysis.ingests if s.summary.period_end]
    period = (f"{numbers.date(min(starts), lang)} – {numbers.date(max(ends), lang)}" if starts and ends else "—")
    offices = sorted({s.summary.office for s in analysis.ingests})
    cases = sum(int(p.conformance.summary["cases"].sum()) for p in analysis.processes.values())
    protection = report_protection(analysis)  # one disclosure check over everything published together
    summary = build_summary(analysis, lang, protection=protection)
    figures = {pid: soll_figures(analysis, pid, summary.groups.get(pid, []), lang) for pid in analysis.processes}
    sections = tuple(build_process_section(analysis, pid, lang, summary, figures[pid], protection=protection)
                     for pid in analysis.processes)
    appendix = build_appendix(analysis, lang, protection=protection)
    annex = build_annex(analysis, figures, appendix.inputs, lang, protection=protection)
    title = t("report.title", lang)
    meta = ReportMeta(
        title=f"{title} – {project.name}",
        author="pmtool",
        subject=t("report.meta.subject", lang, processes=", ".join(analysis.processes), offices=len(offices),
                  period=period),
        keywords=tuple(t("report.meta.keywords", lang).split(", ")) + tuple(analysis.processes),
        created=as_of.isoformat(timespec="seconds"),
        lang=lang,
    )
    facts = (  # the processes are named in Part A's assessment, one per line
        (t("report.fact.period", lang), period),
        (t("report.fact.as_of", lang), numbers.date(as_of, lang)),
        (t("report.fact.offices", lang), numbers.count(len(offices), lang)),
        (t("report.fact.processes", lang), numbers.count(len(sections), lang)),
        (t("report.fact.cases", lang), SUPPRESSED if any(
            ("cases", pid, project.period, None, "all") in protection.hidden for pid in analysis.processes)
         else numbers.count(cases, lang)),
    )
    annex_title = t("report.annex.title", lang)
    annex_meta = ReportMeta(title=f"{annex_title} – {project.name}", author=meta.author,
                            subject=t("report.annex.subject", lang, report=meta.title), keywords=meta.keywords,
                            created=meta.created, lang=lang)
    return ReportContext(lang=lang, meta=meta, title=title, subtitle=project.name, facts=facts, k=k,
                         summary=summary, processes=sections, appendix=appendix, annex=annex, annex_meta=annex_meta,
                         annex_files={fmt: file_name(lang, f".{fmt}") for fmt in ("html", "pdf")},
                         adoption=build_adoption_section(analysis, lang),
                         design=_design_section(design, lang))


def _design_section(design: Any, lang: str) -> Any:
    if design is None:
        return None
    from pmtool.design.report_section import design_section

    return design_section(design, lang)
