"""``pmtool report``: the gap report for the steering committee (HTML and PDF/A) from a project file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pmtool.analysis import run_analysis
from pmtool.cli.console import make_console
from pmtool.cli.errors import user_errors
from pmtool.errors import ConfigError, Location
from pmtool.i18n import LANGUAGES, chosen_language, t
from pmtool.ingest.pseudonymise import load_key, require_key
from pmtool.project import load_project
from pmtool.report import FORMATS, build_report
from pmtool.vocabulary import extended

console = make_console()


def report(
    project: Annotated[Path, typer.Option("--project", "-p", help="Project file (pmtool.toml): offices, processes, "
                                          "Soll models, period, privacy threshold, language.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder; default: the project's "
                                             "output folder.")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Language of the report: de or en; default: "
                                             "pmtool --lang, PMTOOL_LANG, else the project's language.")] = None,
    format: Annotated[str | None, typer.Option("--format", help="Report formats, comma-separated: html "
                                               "(self-contained, opens offline), pdf (PDF/A-2a for the e-file); "
                                               "default: the project's formats.")] = None,
    key_file: Annotated[Path | None, typer.Option(help="Pseudonymisation key file (else PMTOOL_PSEUDONYM_KEY_FILE "
                                                  "or PMTOOL_PSEUDONYM_KEY).")] = None,
    allow_identifiable: Annotated[bool, typer.Option(help="Run without a key. Only for data that is not "
                                                     "personal; the report itself never shows case ids or "
                                                     "names.")] = False,
) -> None:
    """Write the gap report: Part A on two A4 pages decides (a verdict per process, offices × processes, the
    top findings with the model office and a recommendation, the process priorities with their weights);
    Part B per process (offices × checks, deadlines, throughput times with bottlenecks, the Soll with every
    finding at its place, the Ist maps, one card per finding); data and method. Beside it the annex
    (bericht-anhang.html/.pdf): every office's map and the checksums of the inputs. German by default.

    The HTML file embeds everything it shows (no external requests); the PDF is PDF/A-2a, tagged, A4 only,
    with the data's as-of date as creation date, so the same data give the same files.
    """
    with user_errors():
        language = lang or chosen_language()  # flag > pmtool --lang > PMTOOL_LANG > project file
        if language is not None and language not in LANGUAGES:
            raise ConfigError("report.bad_language", Location(), value=language, known=", ".join(LANGUAGES))
        config = load_project(project)
        formats = config.formats if format is None else tuple(f.strip() for f in format.split(",") if f.strip())
        if not formats or any(f not in FORMATS for f in formats):
            raise ConfigError("cli.report.bad_format", Location(), value=format, known=", ".join(FORMATS))
        key = require_key(load_key(key_file), allow_identifiable)
        with (extended(config.vocabulary_files),
              console.status(t("cli.report.analysing", step="", detail=""), spinner="line") as status):
            analysis = run_analysis(config, key=key, allow_identifiable=allow_identifiable,
                                    progress=lambda step, detail: status.update(
                                        t("cli.report.analysing", step=step, detail=detail)))
            status.update(t("cli.report.rendering"))
            files = build_report(analysis, out or config.output, lang=language, formats=formats)
    console.print(t("cli.report.written", files=", ".join(str(p) for p in (*files.files.values(),
                                                                           *files.annex.values()))))
