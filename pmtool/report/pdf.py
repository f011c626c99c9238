"""The report as an archivable PDF: Typst lays out the report's view model as PDF/A-2a — tagged (headings,
tables with header rows, figures with their alternative text), bookmarks, fonts embedded — with title,
author, subject, keywords, language and a creation date taken from the data, never from the clock.

Typst comes as a Python wheel with everything inside: no system library, no system font. The fonts are the
DejaVu Sans files matplotlib ships (the same font the pictures are drawn with), so every machine gives the
same bytes for the same report. The view model goes to Typst as JSON and SVG files in a temporary folder
(:mod:`pmtool.report.pdf_model`), the only folder Typst may read; the template
(``templates/report.typ``) reads the data as strings, so no label can turn into markup.

>>> pdf = render_pdf(build_context(analysis, "de"))  # doctest: +SKIP
>>> pdf[:8]  # doctest: +SKIP
b'%PDF-1.7'
"""

from __future__ import annotations

import json
import shutil
import tempfile
from importlib import resources
from importlib.metadata import version
from pathlib import Path
from typing import Any

from pmtool.errors import Location, RenderError, first_line
from pmtool.report.context import ReportContext
from pmtool.report.pdf_model import pdf_document

#: PDF/A-2 level a (accessible, tagged), as the KLA/Bundesarchiv recommend.
PDF_STANDARD = "a-2a"
TYPST_SPEC = "typst>=0.14.3,<0.16"  # 0.14.3 is the first that names PDF/A-2a "a-2a"
#: The DejaVu files of matplotlib's mpl-data/fonts/ttf that the template uses.
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf",
              "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf")
_TEMPLATE = "report.typ"


def _typst() -> Any:
    try:
        import typst
    except ImportError as exc:
        raise RenderError("report.pdf_unavailable", Location(), reason=first_line(exc), spec=TYPST_SPEC) from None
    return typst


def font_files() -> list[Path]:
    """The report's fonts: matplotlib's DejaVu Sans (and Sans Mono for hashes)."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    files = [folder / name for name in FONT_FILES]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise RenderError("report.fonts_missing", Location(str(folder)), files=", ".join(missing))
    return files


def render_pdf(ctx: ReportContext) -> bytes:
    """The report ``ctx`` as PDF/A-2a bytes (see the module docstring).

    Raises :class:`RenderError` when Typst or the fonts are missing or Typst cannot lay out the document.
    """
    _typst()  # before any work
    font_files()
    template = resources.files("pmtool.report").joinpath("templates", _TEMPLATE).read_bytes()
    with tempfile.TemporaryDirectory(prefix="pmtool-pdf-") as tmp:
        folder = Path(tmp)
        document = pdf_document(ctx, folder)
        (folder / "report.json").write_text(json.dumps(document, ensure_ascii=False), "utf-8")
        return _compile(folder, template)


def engine_check() -> str:
    """Make a one-page PDF/A-2a with the report's fonts to prove the PDF engine works here; its name and
    version. Raises :class:`RenderError` when Typst or the fonts are missing or Typst cannot render."""
    source = ('#set document(title: "pmtool", date: datetime(year: 2000, month: 1, day: 1))\n'
              '#set text(lang: "de", font: "DejaVu Sans")\n= pmtool\nÄmter, Fälle, Prüfpunkte: *1.234*\n')
    with tempfile.TemporaryDirectory(prefix="pmtool-pdf-") as tmp:
        data = _compile(Path(tmp), source.encode("utf-8"))
    if not data.startswith(b"%PDF") or b"pdfaid:part" not in data:
        raise RenderError("report.pdf_failed", Location(), reason="no PDF/A-2a")
    return f"Typst {version('typst')}"


def _compile(folder: Path, source: bytes) -> bytes:
    """Compile ``source`` (Typst markup) inside ``folder``, which holds everything it may read, with the
    report's fonts only, as PDF/A-2a."""
    typst = _typst()
    fonts = folder / "fonts"  # Typst takes font folders, not files: only these fonts, nothing else
    fonts.mkdir()
    for f in font_files():
        shutil.copyfile(f, fonts / f.name)
    (folder / _TEMPLATE).write_bytes(source)
    try:
        data, warnings = typst.compile_with_warnings(
            str(folder / _TEMPLATE), root=str(folder), font_paths=[str(fonts)], ignore_system_fonts=True,
            pdf_standards=[PDF_STANDARD])
    except typst.TypstError as exc:
        raise RenderError("report.pdf_failed", Location(), reason=first_line(exc)) from None
    # a warning means something is not as designed (a font not found, a layout that did not converge):
    # never hand out a silently different PDF
    if warnings:
        raise RenderError("report.pdf_failed", Location(), reason=first_line(str(warnings[0])))
    return bytes(data)
