"""The annex: a file of its own (``bericht-anhang.html`` and ``.pdf``) beside the report, with every map the
report only shows in part, and the checksums of every input.

Per process: the whole Soll and the whole Soll with the findings (in the PDF cut into consecutive parts,
each readable on A4: :func:`pmtool.report.map_parts.soll_parts`), and the Ist map of every office (in the
PDF narrowed to its most frequent activities where the whole does not fit; the HTML shows every map
whole). Then the input files with their SHA-256, the mapping profiles and the key fingerprint.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pmtool.compare.disclosure import Protection
from pmtool.i18n import t, tn
from pmtool.report.context import Figure, Table
from pmtool.report.map_parts import soll_parts
from pmtool.report.models import soll_figure
from pmtool.report.print_layout import fits
from pmtool.report.process_section import SollFigures, ist_dfgs, ist_map
from pmtool.report.summary import process_name

if TYPE_CHECKING:
    from pmtool.analysis import Analysis


@dataclass(frozen=True)
class AnnexProcess:
    pid: str
    name: str
    anchor: str
    soll: Figure
    overlay: Figure
    ist: tuple[Figure, ...]


@dataclass(frozen=True)
class Annex:
    processes: tuple[AnnexProcess, ...]
    inputs: Table


def file_name(lang: str, suffix: str) -> str:
    """``bericht-anhang.pdf`` (English: ``report-annex.pdf``): the annex beside the report."""
    return f"{t('report.file_stem', lang)}-{t('report.annex.file_stem', lang)}{suffix}"


def build_annex(analysis: Analysis, figures: dict[str, SollFigures], inputs: Table, lang: str, *,
                protection: Protection) -> Annex:
    """The annex of ``analysis``; ``figures`` are the Soll pictures the process sections drew, ``protection``
    the report's disclosure check (the Ist maps show what it lets through)."""
    k = analysis.project.privacy_threshold
    period = analysis.project.period
    office_names = analysis.project.office_names
    out = []
    for pid, pa in analysis.processes.items():
        name = process_name(analysis, pid, lang)
        drawn = figures[pid]
        soll = _in_parts(drawn.soll, drawn, lambda keep, d=drawn, p=pa: soll_figure(
            d.view, p.reference.net, title=d.soll.title, lang=lang, keep=keep), (), lang)
        overlay = _in_parts(drawn.overlay, drawn, drawn.draw_overlay, drawn.extras, lang)
        # Graphviz runs as a program of its own: threads draw several offices at once
        with ThreadPoolExecutor(max_workers=max(1, analysis.project.workers)) as pool:
            ist = tuple(pool.map(lambda item, p=pa, n=name: ist_map(p, item[0], item[1], n, k, lang,
                                                                    label=office_names.get(item[0], item[0])),
                                 ist_dfgs(pa, k, protection, period).items()))
        out.append(AnnexProcess(pid, name, f"annex-{pid.lower()}", soll, overlay, ist))
    return Annex(tuple(out), inputs)


def _in_parts(fig: Figure, drawn: SollFigures, draw, extras: tuple[str, ...],  # type: ignore[no-untyped-def]
              lang: str) -> Figure:
    """``fig`` whole (HTML) and, where it does not fit on A4, in consecutive readable parts (PDF)."""
    if fits(fig.svg):
        return replace(fig, print_svgs=(), print_note="")
    parts = soll_parts(drawn.view, draw, extras)
    return replace(fig, print_svgs=tuple(parts), print_note=tn("report.annex.parts", len(parts), lang),
                   part_label=t("report.annex.part", lang))
