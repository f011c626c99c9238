"""``pmtool cases``: from a finding (or an office × item) to the cases behind it, under their pseudonyms."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from pmtool.analysis import run_analysis
from pmtool.cli.console import make_console
from pmtool.cli.errors import user_errors
from pmtool.cli.options import parse_table_formats
from pmtool.compare.cases import finding_cases
from pmtool.conform.output import SUFFIXES, table_writer, workbook_writer
from pmtool.errors import ConfigError, Location, PrivacyError
from pmtool.formatting import format_number
from pmtool.i18n import t
from pmtool.ingest.output import write_atomically
from pmtool.ingest.pseudonymise import ENV_KEY, PseudonymKey, load_key
from pmtool.project import load_project
from pmtool.results import DEMO_KEY, DEMO_OUT, DEMO_PROJECT
from pmtool.results_folder import claimed
from pmtool.stage_cache import StageCache

console = make_console()  # a table on a terminal, tab-separated lines when piped


def cases(
    finding: Annotated[str | None, typer.Argument(metavar="[FINDING]", help="A finding id (F-…, as in "
                                                  "findings.csv and the report's cards).")] = None,
    project: Annotated[Path, typer.Option("--project", "-p", help="The project file of the run.")] = Path(
        "pmtool.toml"),
    office: Annotated[str | None, typer.Option("--office", help="Instead of a finding: this office …")] = None,
    item: Annotated[str | None, typer.Option("--item", help="… and this item of the comparison (e.g. "
                                             "rule:P1-L-11-GA, dev:SKIP:Fall angelegt, case:NO_CLOSURE).")] = None,
    process: Annotated[str | None, typer.Option("--process", help="With --office/--item: the process "
                                                "(default: the first that has the item).")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Also write the table here (a folder).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="Table formats with --out: csv, parquet, json, "
                                     "csv-excel, xlsx.")] = "csv",
    key_file: Annotated[Path | None, typer.Option(help="Pseudonymisation key file (else "
                                                  "PMTOOL_PSEUDONYM_KEY_FILE or PMTOOL_PSEUDONYM_KEY).")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="The results of pmtool demo (reports/demo, the demo's "
                                       "project file and, unless a key is set, its demo key) instead of "
                                       "--project.")] = False,
) -> None:
    """List the cases behind one finding: pseudonym, variant, first and last event, status, and for a rule its
    clock start, due time, end and lateness. The rows are selected exactly as the comparison counted them, so
    their number equals the finding's affected cases. Reuses the run's cache (run pmtool run first)."""
    with user_errors():
        formats = parse_table_formats(fmt)
        if demo:  # where and how pmtool demo ran (its --out aside)
            if not DEMO_PROJECT.exists():
                raise ConfigError("cli.demo.missing", Location(str(DEMO_PROJECT)))
            config = replace(load_project(DEMO_PROJECT), output=DEMO_OUT)
        else:
            config = load_project(project)
        key = load_key(key_file)
        if key is None and demo:
            key = PseudonymKey(DEMO_KEY.encode())
            console.print(t("cli.demo.key_note", key=DEMO_KEY))
        if key is None:  # the run's cached stages are found by the key's id; without it nothing can be reused
            raise PrivacyError("cli.cases.key_missing", env=ENV_KEY)
        store = StageCache(claimed(config.output) / ".cache")
        analysis = run_analysis(config, key=key, discover_models=False, store=store)
        frame = finding_cases(analysis, finding_id=finding, office=office, item=item, process=process)
        if out is not None:
            stem = finding or f"{office}_{item}".replace(":", "-").replace("/", "-")
            writers = {out / f"cases_{stem}.{SUFFIXES[f]}": table_writer(frame, f) for f in formats if f in SUFFIXES}
            if "xlsx" in formats:
                writers[out / f"cases_{stem}.xlsx"] = workbook_writer({"cases": frame})
            write_atomically(writers)
    table = Table(title=t("cli.cases.title", n=frame.height), title_justify="left")
    columns = ("office", "case_id", "first", "last", "case_status", "due", "late_hours", "variant")
    for col in columns:
        table.add_column(col, justify="right" if col == "late_hours" else "left",
                         overflow="fold" if col == "variant" else "ellipsis")
    for row in frame.iter_rows(named=True):
        cells = []
        for col in columns:
            value = row[col]
            if value is None:
                cells.append(Text("—"))
            elif col in ("first", "last", "due"):
                cells.append(Text(f"{value:%d.%m.%Y %H:%M}"))
            elif col == "late_hours":
                cells.append(Text(format_number(value, decimals=1)))
            else:
                cells.append(Text(str(value)))
        table.add_row(*cells)
    console.print(table)
