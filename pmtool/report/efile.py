"""``pmtool efile``: pack what ``pmtool run`` wrote — the report as PDF/A, its annex, the report's tables and
the run's ``manifest.json`` — as one xdomea message (:mod:`pmtool.report.xdomea`) for the e-file.

The results folder is the project's output (or ``--results``); the report is in its ``report/`` folder as
``pmtool run`` writes it, or at its top as ``pmtool report`` writes it. The message's creation time is the
report's own creation date (the data's as-of point, read from the PDF's XMP metadata), so packing the same
results again gives the same bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pmtool.errors import ConfigError, InputError, Location
from pmtool.i18n import LANGUAGES, t
from pmtool.ingest.output import write_atomically
from pmtool.report.xdomea import MESSAGE, Document, EfileMeta, xdomea_message

_CREATED = re.compile(rb"<xmp:CreateDate>([^<]+)</xmp:CreateDate>")


@dataclass(frozen=True)
class EfileMessage:
    """The zip written (``path``), the message type and the documents it files, in order."""

    path: Path
    message: str
    documents: tuple[str, ...]

    def _repr_html_(self) -> str:
        from pmtool.display import html_of  # how Jupyter shows it (pmtool.display)

        return html_of(self)


def collect(results: Path, lang: str) -> list[Document]:
    """The documents of a results folder in filing order: report, annex, the report's tables, the manifest.
    Raises :class:`InputError` when the PDF report or the manifest is missing."""
    folder, stem = _report_folder(results, lang)
    report = folder / f"{stem}.pdf"
    manifest = results / "manifest.json"
    if not manifest.is_file():
        raise InputError("efile.missing_manifest", Location(str(results)), folder=str(results))
    docs = [Document(report.name, report.read_bytes(), "report", t("efile.title_report", lang))]
    annex = folder / f"{stem}-{t('report.annex.file_stem', _stem_language(stem, lang))}.pdf"
    if annex.is_file():
        docs.append(Document(annex.name, annex.read_bytes(), "annex", t("efile.title_annex", lang)))
    tables = folder / f"{stem}-{t('report.tables.folder', _stem_language(stem, lang))}"
    for table in sorted(tables.glob("*.csv")):
        docs.append(Document(table.name, table.read_bytes(), "table",
                             f"{t('efile.title_table', lang)}: {table.stem}"))
    docs.append(Document(manifest.name, manifest.read_bytes(), "manifest", t("efile.title_manifest", lang)))
    return docs


def _stem_language(stem: str, lang: str) -> str:
    """The language the report was written in (its file stem says it: bericht / report)."""
    return next((other for other in (lang, *LANGUAGES) if t("report.file_stem", other) == stem), lang)


def _report_folder(results: Path, lang: str) -> tuple[Path, str]:
    """Where the PDF report is and its stem: ``results/report/`` (pmtool run) or ``results/`` (pmtool report),
    in the project's language first."""
    stems = [t("report.file_stem", lang)] + [t("report.file_stem", other) for other in LANGUAGES if other != lang]
    for folder in (results / "report", results):
        for stem in stems:
            if (folder / f"{stem}.pdf").is_file():
                return folder, stem
    raise InputError("efile.missing_report", Location(str(results)), folder=str(results))


def created_at(pdf: bytes) -> datetime:
    """The report's creation date from its XMP metadata (the data's as-of point, in UTC)."""
    match = _CREATED.search(pdf)
    if match is None:
        raise InputError("efile.missing_report", Location(), folder="—")
    moment = datetime.fromisoformat(match.group(1).decode("ascii").replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def file_results(results: Path, meta: EfileMeta | None, *, lang: str, out: Path | None = None) -> EfileMessage:
    """Write the xdomea zip of ``results`` into ``out`` (default ``results/efile``) and return what it holds.

    Raises :class:`ConfigError` without ``[efile]`` metadata, :class:`InputError` when the report or the
    manifest is missing."""
    if meta is None:
        raise ConfigError("efile.no_section", Location())
    docs = collect(results, lang)
    titles = {d.kind: d.title for d in docs}
    name, data = xdomea_message(docs, meta, created=created_at(docs[0].data), titles=titles)
    target = (out or results / "efile") / name
    write_atomically({target: lambda p: p.write_bytes(data)})
    return EfileMessage(target, MESSAGE, tuple(d.name for d in docs))
