"""The design stage's files: its tables in the chosen formats and the report section as an HTML page."""

from __future__ import annotations

from html import escape
from pathlib import Path

from pmtool.conform.output import SUFFIXES, table_writer, workbook_writer
from pmtool.design.design import SollDesign
from pmtool.ingest.output import Writer


def section_page(result: SollDesign, lang: str) -> bytes:
    """The report section as a page of its own (UTF-8 HTML)."""
    from pmtool.design.html import design_html
    from pmtool.i18n import t

    title = escape(t("design.title", lang))
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body>{design_html(result, lang)}</body></html>\n").encode()


def design_writers(result: SollDesign, out: Path, formats: tuple[str, ...], lang: str) -> dict[Path, Writer]:
    """``<table>.<fmt>`` for every table and format, ``design.xlsx`` with every table, and the section."""
    from pmtool.i18n import t

    frames = result.frames()
    writers: dict[Path, Writer] = {}
    for name, frame in frames.items():
        for fmt in formats:
            if fmt in SUFFIXES:
                writers[out / f"{name}.{SUFFIXES[fmt]}"] = table_writer(frame, fmt)
    if "xlsx" in formats:
        writers[out / "design.xlsx"] = workbook_writer(frames)
    page = section_page(result, lang)
    writers[out / f"{t('design.file_stem', lang)}.html"] = lambda p: p.write_bytes(page)
    return writers
