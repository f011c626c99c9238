"""``pmtool ingest postgresql://…``: the database half of the ingest command (extraction with a progress bar).

One log per database and schema, named ``<database>_<schema>``; the outputs are those of a file import
(``.parquet``, ``.quarantine.csv``, ``.summary.json``), written atomically together with the others.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pmtool.errors import InputError, Location
from pmtool.formatting import format_number
from pmtool.i18n import t
from pmtool.ingest.database.address import parse_address
from pmtool.ingest.database.extract import DEFAULT_PROFILE, DEFAULT_SCHEMA, ingest_database
from pmtool.ingest.database.profile import ExtractionProfile, load_extraction_profile
from pmtool.ingest.output import Writer, ingest_writers
from pmtool.ingest.pipeline import IngestResult
from pmtool.ingest.pseudonymise import PseudonymKey


def ingest_databases(
    urls: list[str],
    *,
    profile: Path | None,
    schemas: list[str],
    office: str | None,
    key: PseudonymKey | None,
    allow_identifiable: bool,
    max_invalid_share: float,
    out: Path,
    console: Console,
) -> tuple[list[tuple[str, IngestResult]], dict[Path, Writer]]:
    """Extract every database × schema; return the results by output name and the writers of their files."""
    extraction = load_extraction_profile(profile if profile is not None else DEFAULT_PROFILE)
    console.print(t("cli.ingest_db.profile", profile=_profile_label(extraction)))
    duplicates = sorted({s for s in schemas if schemas.count(s) > 1})
    if duplicates:
        raise InputError("database.duplicate_schema", Location("--schema"), schema=duplicates[0])
    results: list[tuple[str, IngestResult]] = []
    writers: dict[Path, Writer] = {}
    for url in urls:
        address = parse_address(url)
        for schema in schemas or [extraction.schema or DEFAULT_SCHEMA]:
            name = f"{address.dbname or 'database'}_{schema}"
            with _Bar(console, name) as bar:
                result = ingest_database(url, extraction, schema=schema, office=office, key=key,
                                         allow_identifiable=allow_identifiable,
                                         max_invalid_share=max_invalid_share, progress=bar)
            silent = result.summary.reader.get("rules_without_events")
            if silent:
                console.print(t("cli.ingest_db.silent_rules", name=name, rules=silent))
            _, files = ingest_writers(result, out, name)
            writers.update(files)
            results.append((name, result))
    return results, writers


def _profile_label(profile: ExtractionProfile) -> str:
    return t("cli.ingest_db.shipped", name=profile.name) if profile.shipped else profile.name


class _Bar:
    """A progress bar over the profile's rules that counts the events fetched so far (terminal only)."""

    def __init__(self, console: Console, source: str) -> None:
        self.source = source
        self.bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=console, disable=not console.is_terminal, transient=True)
        self.task = self.bars.add_task(source, total=None)

    def __enter__(self) -> _Bar:
        self.bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bars.stop()

    def __call__(self, done: int, total: int, events: int) -> None:
        label = t("cli.ingest_db.progress", source=self.source, rule=min(done + 1, total), rules=total,
                  events=format_number(events))
        self.bars.update(self.task, completed=done, total=total, description=label)
