"""``pmtool efile``: the report, its tables and the manifest of a run as an xdomea message for the e-file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pmtool.cli.console import make_console
from pmtool.cli.errors import user_errors
from pmtool.i18n import chosen_language, t
from pmtool.project import load_project
from pmtool.report.efile import file_results

console = make_console()


def efile(
    project: Annotated[Path, typer.Option("--project", "-p", help="Project file (pmtool.toml) with an [efile] "
                                          "table: betreff, aktenzeichen, urheber (required); datum, behoerde, "
                                          "empfaenger, akte_id, kennung, vertraulichkeit.")],
    results: Annotated[Path | None, typer.Option("--results", help="Results folder of pmtool run; default: the "
                                                 "project's output folder.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for the zip; default: <results>/efile.")]
    = None,
) -> None:
    """Pack the results of pmtool run for the e-file: the report (PDF/A) and its annex, the report's tables
    (CSV, as printed, small counts hidden) and manifest.json, as one xdomea 3.0.0 message
    FVDaten.SGOAblegen.0605 (file records from a specialist application into the DMS): a zip with
    {ProzessID}_FVDaten.SGOAblegen.0605.xml and the primary documents. Betreff, Aktenzeichen, Urheber and
    Datum come from the project's [efile] table. How to import it into the DMS: docs/efile.md.
    """
    with user_errors():
        config = load_project(project)
        message = file_results(results or config.output, config.efile,
                               lang=chosen_language() or config.language, out=out)
    console.print(t("efile.written", message=message.message, path=str(message.path), n=len(message.documents)),
                  soft_wrap=True)
