"""``pmtool ingest``: import office exports into canonical, pseudonymised logs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pmtool.cli.console import local_day, make_console
from pmtool.cli.errors import user_errors
from pmtool.cli.ingest_db import ingest_databases
from pmtool.cli.options import VocabularyOption
from pmtool.cli.progress import ReadBars
from pmtool.errors import InputError, Location
from pmtool.formatting import format_number, format_share
from pmtool.i18n import t, tn
from pmtool.ingest.database.address import is_database_url
from pmtool.ingest.jobs import collect_jobs
from pmtool.ingest.output import ingest_writers, write_atomically
from pmtool.ingest.pipeline import IngestResult, IngestSummary, require_office
from pmtool.ingest.pipeline import ingest as run_ingest
from pmtool.ingest.profile import MappingProfile, load_profile
from pmtool.ingest.pseudonymise import load_key, require_key
from pmtool.ingest.registry import ReadOptions
from pmtool.vocabulary import extended

console = make_console()


def ingest(
    exports: Annotated[list[str], typer.Argument(help="Export file(s), or a folder of exports each with "
                                                 "<name>.profile.toml beside it, or a case database "
                                                 "postgresql://host:port/database (read-only; user and password "
                                                 "from PGUSER/PGPASSWORD or ~/.pgpass).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for <name>.parquet, "
                                      "<name>.quarantine.csv and <name>.summary.json.")],
    profile: Annotated[Path | None, typer.Option("--profile", "-p", help="Mapping profile (TOML) for a single "
                                                 "export; default: <name>.profile.toml beside it, if present. "
                                                 "Optional for XES, OCEL and canonical Parquet. For a "
                                                 "database: an extraction profile (TOML) or the name of a "
                                                 "shipped one; default: sormas.")] = None,
    schema: Annotated[list[str] | None, typer.Option("--schema", help="Database schema to extract (repeat for "
                                                     "several, one log each); default: the profile's, else "
                                                     "public.")] = None,
    office: Annotated[str | None, typer.Option(help="Office id (letters, digits, - and _, e.g. GA-07 or "
                                               "Leipzig-Land); overrides the profile's.")] = None,
    format: Annotated[str | None, typer.Option("--format", help="Force the reader (csv, excel, xes, "
                                               "ocel-json, ocel-xml, ocel-sqlite, parquet).")] = None,
    delimiter: Annotated[str | None, typer.Option(help="CSV delimiter; default: detected.")] = None,
    encoding: Annotated[str | None, typer.Option(help="CSV encoding (utf-8, cp1252, latin-1); "
                                                 "default: detected.")] = None,
    sheet: Annotated[str | None, typer.Option(help="Excel sheet name; default: the first sheet.")] = None,
    object_type: Annotated[str | None, typer.Option(help="OCEL 2.0: object type whose objects become "
                                                    "cases (e.g. Fall).")] = None,
    key_file: Annotated[Path | None, typer.Option(help="Pseudonymisation key file (else "
                                                  "PMTOOL_PSEUDONYM_KEY_FILE or PMTOOL_PSEUDONYM_KEY).")] = None,
    allow_identifiable: Annotated[bool, typer.Option(help="Store case ids and names in clear when no key is "
                                                     "given. Only for data that is not personal.")] = False,
    max_invalid_share: Annotated[float, typer.Option(min=0.0, max=1.0, help="Above this share of rows failing "
                                                     "on one required column, stop with an error instead of "
                                                     "quarantining.")] = 0.5,
    vocabulary: VocabularyOption = None,
) -> None:
    """Import office exports (CSV, Excel, XES, OCEL 2.0, Parquet) or a case database (PostgreSQL) into
    canonical, pseudonymised event logs.

    Rows that cannot be imported go to <name>.quarantine.csv with their reason; the summary reconciles
    rows read = rows loaded + rows quarantined. Nothing is written when an export cannot be read. A database
    is read in one read-only transaction with the extraction profile (docs/database.md); its log is named
    <database>_<schema>.
    """
    with user_errors(), extended(vocabulary or []):
        key = require_key(load_key(key_file), allow_identifiable)
        urls = [e for e in exports if is_database_url(e)]
        if urls:
            if len(urls) != len(exports):
                raise InputError("database.mixed_sources", Location(exports[0]))
            results, writers = ingest_databases(urls, profile=profile, schemas=schema or [], office=office, key=key,
                                                allow_identifiable=allow_identifiable,
                                                max_invalid_share=max_invalid_share, out=out, console=console)
            write_atomically(writers)
            _render(results, out)
            return
        if schema:
            raise InputError("database.schema_without_database", Location("--schema"))
        jobs = collect_jobs([Path(e) for e in exports], profile)
        options = ReadOptions(delimiter=delimiter, encoding=encoding, sheet=sheet, object_type=object_type)
        results = []
        writers = {}
        on_purpose: dict[str, tuple[str, ...]] = {}
        profiles = [load_profile(job.profile) if job.profile else MappingProfile() for job in jobs]
        for job, prof in zip(jobs, profiles, strict=True):  # every export's office is known before any is read
            require_office(job.export, prof, office=office, format=format)
        with ReadBars(console, enabled=console.is_terminal):  # a bar per export, only on a terminal
            for job, prof in zip(jobs, profiles, strict=True):
                result = run_ingest(job.export, prof, office=office, key=key, allow_identifiable=allow_identifiable,
                                    format=format, read_options=options, max_invalid_share=max_invalid_share)
                _, files = ingest_writers(result, out / Path(job.name).parent, Path(job.name).name)
                writers.update(files)
                results.append((job.name, result))
                on_purpose[job.name] = prof.drop
        write_atomically(writers)
    _render(results, out, on_purpose)


#: Columns named one by one in the line on columns not imported (the rest counted).
_DROPPED_LISTED = 8


def _render(results: list[tuple[str, IngestResult]], out: Path,
            on_purpose: dict[str, tuple[str, ...]] | None = None) -> None:
    """The import table and a line per export on what needs a look; ``on_purpose``: the columns each
    export's profile drops (not named again)."""
    table = Table(title=t("cli.ingest.title"), title_justify="left")
    for head in ("name", "office", "read", "loaded", "quarantined", "coverage", "cases", "period"):
        table.add_column(t(f"cli.ingest.col.{head}"), justify="right" if head in
                         ("read", "loaded", "quarantined", "coverage", "cases") else "left")
    for name, res in results:
        s = res.summary
        period = f"{local_day(s.period_start, s.timezone)} – {local_day(s.period_end, s.timezone)}"
        table.add_row(name, s.office, *map(format_number, (s.rows_read, s.rows_loaded, s.rows_quarantined)),
                      format_share(s.coverage, decimals=1), format_number(s.cases), period)
    console.print(table)
    for name, res in results:
        s = res.summary
        if s.quarantine_by_reason:
            reasons = ", ".join(f"{t('reason.' + r)} {format_number(c)}" for r, c in s.quarantine_by_reason.items())
            console.print(f"{name}: {t('cli.ingest.quarantine')}: {reasons}")
        if s.unmapped_labels:
            top = list(s.unmapped_labels.items())[:5]
            labels = ", ".join(f"„{label}“ {format_number(count)}" for label, count in top)
            more = t("cli.ingest.more", n=len(s.unmapped_labels) - 5) if len(s.unmapped_labels) > 5 else ""
            console.print(f"{name}: {t('cli.ingest.unmapped')}: {labels}{more}")
        if s.unmapped_roles:
            top = list(s.unmapped_roles.items())[:5]
            values = ", ".join(f"„{value}“ {format_number(count)}" for value, count in top)
            more = t("cli.ingest.more", n=len(s.unmapped_roles) - 5) if len(s.unmapped_roles) > 5 else ""
            console.print(f"{name}: {t('cli.ingest.unmapped_roles')}: {values}{more}")
        dropped = [c for c in s.dropped_columns if c not in (on_purpose or {}).get(name, ())]
        if dropped:
            listed = ", ".join(dropped[:_DROPPED_LISTED])
            more = t("cli.ingest.more", n=len(dropped) - _DROPPED_LISTED) if len(dropped) > _DROPPED_LISTED else ""
            console.print(tn("cli.ingest.dropped", len(dropped), name=name, columns=listed + more))
        if s.office_disagreements:
            console.print(office_disagreement(name, s), style="yellow")
        if not s.pseudonymised:
            console.print(f"{name}: {t('cli.ingest.identifiable')}", style="bold red")
    console.print(tn("cli.ingest.written", len(results), out=str(out)))


def office_disagreement(name: str, summary: IngestSummary) -> str:
    """One line: the office an export was imported under and the sources that named another one."""
    others = ", ".join(f"{t(f'office.source.{src}')} „{value}“" for src, value in summary.office_disagreements.items())
    return t("cli.ingest.office_disagrees", name=name, office=summary.office,
             source=t(f"office.source.{summary.office_source}"), others=others)
