"""Option values shared by several commands, parsed into library types (errors are ``ConfigError``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from pmtool.conform.output import TABLE_FORMATS
from pmtool.errors import ConfigError, Location
from pmtool.models.reference import ReferenceModel


def parse_as_of(value: str | None) -> datetime | None:
    """An ISO date or date-time; without a zone it is local time in Saxony (Europe/Berlin)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError("cli.conform.bad_as_of", Location(), value=value) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo("Europe/Berlin"))


def parse_table_formats(value: str) -> tuple[str, ...]:
    """Comma-separated table formats (csv, parquet, json)."""
    formats = tuple(f.strip() for f in value.split(",") if f.strip())
    if not formats or any(f not in TABLE_FORMATS for f in formats):
        raise ConfigError("cli.conform.bad_format", Location(), value=value, known=", ".join(TABLE_FORMATS))
    return formats


def model_spec(spec: str) -> tuple[str, str]:
    """``P1=path.bpmn`` as (``P1``, ``path.bpmn``); a path alone (also one with ``=`` in it) as (``""``, path)."""
    pid, sep, path = spec.partition("=")
    return (pid.strip(), path) if sep and not Path(spec).is_file() else ("", spec)


def named_reference(pid: str, reference: ReferenceModel, *, where: str) -> ReferenceModel:
    """``reference`` known by the process id the user gave (``pid``), else by its rule pack's or vocabulary's
    process, else by the model file's stem (:attr:`ReferenceModel.process_id`), as a project file's
    ``[processes.<id>]`` names it; a rule pack for another process is an error."""
    process = pid or reference.process_id
    if reference.rules is not None and reference.rules.process != process:
        raise ConfigError("cli.compare.process_mismatch", Location(where), process=process,
                          model_process=reference.rules.process)
    return replace(reference, process=process)


#: ``--vocabulary``: the vocabulary files of a project's own processes (see docs/vocabulary.md).
VocabularyOption = Annotated[list[Path] | None, typer.Option(
    "--vocabulary", help="Vocabulary file of a process of your own (activities, names, roles; format in "
                         "docs/vocabulary.md); repeat for several.")]


FILTER_HELP = ("Filter the log first (repeatable, applied in order): time:started:2025-01-01..2025-03-31 "
               "(also ended, contained, intersecting, trimmed; local dates, both ends inclusive), "
               "office:GA-01, case:role=Amtsarzt, event:role!=…, variants:top=10, variants:coverage=0.8, "
               "duration:1d..30d, starts:A, ends:B, follows:A>B, follows:A>>B, !follows:A>B. The filter is "
               "named in figure titles, file names and the run's summary (docs/filters.md).")
