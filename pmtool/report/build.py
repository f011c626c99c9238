"""``build_report``: the gap report for the steering committee from one :class:`~pmtool.analysis.Analysis`.

>>> files = build_report(analysis, Path("reports/analysis"))  # doctest: +SKIP
>>> files.html.name, files.pdf.name  # doctest: +SKIP
('bericht.html', 'bericht.pdf')

Report formats are entries of :data:`FORMATS` (name → writer from the report's view model); the view model
(:class:`~pmtool.report.context.ReportContext`) is built once and every format lays out the same values, so
the PDF shows the numbers the HTML shows. Each format writes two files: the report and its annex beside it
(``bericht-anhang.html`` / ``.pdf``: every map whole, the checksums of the inputs), which the report names
and links. Files are written atomically: when a format fails, nothing of this run is left behind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pmtool.errors import ConfigError, Location
from pmtool.i18n import LANGUAGES, t
from pmtool.ingest.output import write_atomically

if TYPE_CHECKING:
    from pmtool.analysis import Analysis
    from pmtool.report.context import ReportContext


def _html_bytes(ctx: ReportContext) -> tuple[bytes, bytes]:
    from pmtool.report.html import render_annex_html, render_html

    return render_html(ctx).encode("utf-8"), render_annex_html(ctx).encode("utf-8")


def _pdf_bytes(ctx: ReportContext) -> tuple[bytes, bytes]:
    from pmtool.report.pdf import render_annex_pdf, render_pdf

    return render_pdf(ctx), render_annex_pdf(ctx)


#: Report format → (file suffix, writer from the report's view model to the bytes of report and annex).
FORMATS: dict[str, tuple[str, Callable[[ReportContext], tuple[bytes, bytes]]]] = {
    "html": (".html", _html_bytes),
    "pdf": (".pdf", _pdf_bytes),
}


@dataclass(frozen=True)
class ReportFiles:
    """The files written, by format (``html``, ``pdf``): the report and its annex; and the language."""

    lang: str
    files: dict[str, Path] = field(default_factory=dict)
    annex: dict[str, Path] = field(default_factory=dict)

    @property
    def html(self) -> Path | None:
        return self.files.get("html")

    @property
    def pdf(self) -> Path | None:
        return self.files.get("pdf")

    def _repr_html_(self) -> str:
        from pmtool.display import html_of  # how Jupyter shows it (pmtool.display)

        return html_of(self)


def build_report(analysis: Analysis, out_dir: Path, *, lang: str | None = None,
                 formats: Sequence[str] = ("html", "pdf"), design: Any = None) -> ReportFiles:
    """Render the report of ``analysis`` into ``out_dir`` (``bericht.*`` in German, ``report.*`` in English).

    ``lang``: de or en (default: the project's language). ``formats``: any of :data:`FORMATS`. ``design``
    (a :class:`~pmtool.design.design.SollDesign`) adds the chapter "Soll-Entwurf" before the appendix.
    Raises :class:`ConfigError` for an unknown language or format, :class:`RenderError` when a figure or
    the PDF cannot be made.
    """
    from pmtool.report.context import build_context
    from pmtool.report.xdomea import report_tables

    lang = lang or analysis.project.language
    if lang not in LANGUAGES:
        raise ConfigError("report.bad_language", Location(), value=lang, known=", ".join(LANGUAGES))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ConfigError("report.bad_format", Location(), value=", ".join(unknown) or "—", known=", ".join(FORMATS))
    ctx = build_context(analysis, lang, design)
    stem = t("report.file_stem", lang)
    writers: dict[Path, Callable[[Path], object]] = {}
    files: dict[str, Path] = {}
    annex: dict[str, Path] = {}
    for name in dict.fromkeys(formats):
        suffix, render = FORMATS[name]
        main, extra = render(ctx)
        files[name], annex[name] = out_dir / f"{stem}{suffix}", out_dir / ctx.annex_files[name]
        writers[files[name]] = lambda p, data=main: p.write_bytes(data)
        writers[annex[name]] = lambda p, data=extra: p.write_bytes(data)
    for table, data in report_tables(ctx).items():  # the report's tables as printed, for the e-file
        writers[out_dir / f"{stem}-{t('report.tables.folder', lang)}" / table] = lambda p, d=data: p.write_bytes(d)
    write_atomically(writers)
    return ReportFiles(lang, files, annex)
