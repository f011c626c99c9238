"""``pmtool export``: a (filtered) canonical log as XES 2.0, CSV or OCEL 2.0 for colleagues and other tools."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from pmtool.cli.errors import user_errors
from pmtool.cli.options import FILTER_HELP
from pmtool.discover.scope import combine
from pmtool.errors import ConfigError, Location
from pmtool.eventlog.exchange import EXCHANGE_FORMATS, exchange_format
from pmtool.eventlog.filters import parse_filters
from pmtool.eventlog.log import EventLog, read_parquet
from pmtool.formatting import format_number
from pmtool.i18n import t
from pmtool.ingest.output import write_atomically

console = Console(highlight=False)


def export(
    logs: Annotated[list[Path], typer.Argument(metavar="LOG", help="Canonical log(s) (.parquet written by "
                                               "pmtool ingest or pmtool run).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Target file: .xes, .xes.gz (XES 2.0, IEEE 1849), "
                                      ".csv (UTF-8, ISO timestamps in UTC) or .jsonocel (OCEL 2.0 JSON: the "
                                      "cases and, for a log from a case database, the contacts, samples, tests "
                                      "and tasks each event changed).")],
    filters: Annotated[list[str] | None, typer.Option("--filter", help=FILTER_HELP)] = None,
) -> None:
    """Export canonical logs (optionally filtered) as XES 2.0, CSV or OCEL 2.0: pseudonyms only, never raw
    identifiers; typed attributes stay typed. The file is written atomically."""
    with user_errors():
        suffix = exchange_format(out.name)
        if suffix is None:
            raise ConfigError("cli.export.bad_suffix", Location(str(out)), known=", ".join(EXCHANGE_FORMATS))
        chosen = parse_filters(filters or ())
        log = combine([read_parquet(path) for path in logs])
        if chosen:
            log = EventLog.from_frame(chosen.apply(log.frame), log.provenance, assume_sorted=True)
        data = EXCHANGE_FORMATS[suffix](log)
        write_atomically({out: lambda p: p.write_bytes(data)})
    if chosen:
        console.print(Text(f"Filter: {chosen.describe()}"))
    console.print(Text(t("cli.export.written", cases=format_number(log.n_cases), events=format_number(log.n_events),
                         path=str(out))))
