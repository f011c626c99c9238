"""``pmtool adoption``: is the binding Soll applied? Per process and office the conforming share before and
after the date the Soll became binding, with the interrupted-time-series estimate, and the offices that have
not adopted it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pmtool.analysis import run_analysis
from pmtool.api.inputs import restrict
from pmtool.cli.console import make_console
from pmtool.cli.errors import EXIT_CANNOT_RUN, user_errors
from pmtool.compare.adoption import CONFORMING, Adoption, adoption_of
from pmtool.i18n import chosen_language, t
from pmtool.ingest.pseudonymise import load_key, require_key
from pmtool.project import load_project
from pmtool.report import numbers
from pmtool.report.adoption_view import interval, points, verdict_text
from pmtool.vocabulary import extended

console = make_console()


def adoption(
    project: Annotated[Path, typer.Option("--project", "-p", help="Project file (pmtool.toml); the binding date "
                                          "is processes.<id>.valid_from, else the rule pack's valid_from.")],
    process: Annotated[list[str] | None, typer.Option("--process", help="Only this process (repeatable); "
                                                      "default: every process of the project.")] = None,
    key_file: Annotated[Path | None, typer.Option(help="Pseudonymisation key file (else PMTOOL_PSEUDONYM_KEY_FILE "
                                                  "or PMTOOL_PSEUDONYM_KEY).")] = None,
    allow_identifiable: Annotated[bool, typer.Option(help="Run without a key. Only for data that is not "
                                                     "personal.")] = False,
) -> None:
    """Adoption of the Soll over time: per office the share of conforming cases in the months before and after
    the Soll became binding, the level and trend change (segmented regression, 95 % interval), the month in
    which the series changes most, and the offices that have not adopted the Soll. Months with fewer cases
    than the privacy threshold are left out. The tables with every rule: pmtool run (tables/adoption_*).

    Exit codes: 0 an estimate for at least one process; 2 nothing can be estimated (no binding date, or not
    three months with enough cases on each side of it) or the run failed.
    """
    with user_errors():
        config = load_project(project)
        if process:
            config = restrict(config, processes=process)
        key = require_key(load_key(key_file), allow_identifiable)
        with extended(config.vocabulary_files), console.status(t("cli.adoption.analysing")):
            analysis = run_analysis(config, key=key, allow_identifiable=allow_identifiable, discover_models=False)
        results = [adoption_of(analysis, pid) for pid in analysis.processes]
    lang = chosen_language() or config.language
    for result in results:
        _render(result, analysis.project.office_names, lang)
    if not any(r.estimable for r in results):
        console.print(t("cli.adoption.none_estimable"))
        raise typer.Exit(EXIT_CANNOT_RUN)


def _render(result: Adoption, names: dict[str, str], lang: str) -> None:
    date = result.valid_from.isoformat() if result.valid_from else "—"
    table = Table(title=t("cli.adoption.title", process=result.process, date=date), title_justify="left")
    for col in ("office", "before", "after", "level", "interval", "change_month", "verdict"):
        table.add_column(t(f"report.adoption.col.{col}"), justify="left" if col in ("office", "verdict")
                         else "right")
    for r in result.estimates.filter(result.estimates["measure"] == CONFORMING).iter_rows(named=True):
        table.add_row(names.get(r["office"], r["office"]), numbers.rate(r["share_before"], lang),
                      numbers.rate(r["share_after"], lang), points(r["level"], lang),
                      interval(r["level_low"], r["level_high"], lang), r["change_month"] or "—",
                      verdict_text(r, lang))
    console.print(table)
    if result.valid_from is None:
        console.print(t("report.adoption.no_date"))
    elif not result.estimable:
        console.print(t("report.adoption.no_before"))
    elif result.not_adopted:
        console.print(t("report.adoption.not_adopted",
                        offices=", ".join(names.get(o, o) for o in result.not_adopted)))
