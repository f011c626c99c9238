"""Option values shared by several commands, parsed into library types (errors are ``ConfigError``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from pmtool.conform.output import TABLE_FORMATS
from pmtool.errors import ConfigError, Location


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


#: ``--vocabulary``: the vocabulary files of a project's own processes (see docs/vocabulary.md).
VocabularyOption = Annotated[list[Path] | None, typer.Option(
    "--vocabulary", help="Vocabulary file of a process of your own (activities, names, roles; format in "
                         "docs/vocabulary.md); repeat for several.")]
