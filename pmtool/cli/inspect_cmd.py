"""``pmtool inspect``: a short overview of a log (no identifiers are shown)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table
from rich.text import Text

from pmtool.cli.console import local_day, make_console
from pmtool.cli.errors import user_errors
from pmtool.cli.options import FILTER_HELP, VocabularyOption
from pmtool.cli.progress import ReadBars
from pmtool.errors import LogSchemaError
from pmtool.eventlog.filters import parse_filters
from pmtool.eventlog.log import EventLog, read_parquet
from pmtool.eventlog.overview import Overview, overview
from pmtool.formatting import format_number, format_share
from pmtool.i18n import t, tn
from pmtool.ingest.jobs import PROFILE_SUFFIX, export_stem, profile_beside
from pmtool.ingest.pipeline import ingest, ingest_table, require_office
from pmtool.ingest.preview import ExportColumns, column_values, export_columns, needs_profile
from pmtool.ingest.profile import MappingProfile, load_profile
from pmtool.ingest.pseudonymise import load_key
from pmtool.ingest.registry import RawTable, ReadOptions, read
from pmtool.stage_cache import sha256_file
from pmtool.vocabulary import extended

console = make_console()


def inspect(
    log: Annotated[Path, typer.Argument(help="A canonical log (.parquet from pmtool ingest), or any export "
                                        "pmtool can read (XES, OCEL, or CSV/Excel with --profile).")],
    profile: Annotated[Path | None, typer.Option("--profile", "-p", help="Mapping profile for an export; default: "
                                                 "<name>.profile.toml beside it, if present.")] = None,
    object_type: Annotated[str | None, typer.Option(help="OCEL 2.0: object type to flatten on.")] = None,
    office: Annotated[str | None, typer.Option(help="Office id for an export (letters, digits, - and _); "
                                               "overrides the profile's. Default: the profile's, the log's "
                                               "own, or an office code in the file name (GA-07_P1.csv).")] = None,
    top: Annotated[int, typer.Option(min=1, help="How many variants and activities (with --values: values) to "
                                     "list.")] = 10,
    values: Annotated[str | None, typer.Option("--values", help="Show the values of this column of the export "
                                               "with their number of rows (the labels to map, the roles, how "
                                               "dates are written); before a profile exists.")] = None,
    filters: Annotated[list[str] | None, typer.Option("--filter", help=FILTER_HELP)] = None,
    vocabulary: VocabularyOption = None,
) -> None:
    """Print an overview of a log: cases, events, activities, period, variants and data-quality flags.

    Periods are shown as local dates in the export's time zone (the profile's, default Europe/Berlin)."""
    with user_errors(), extended(vocabulary or []):
        chosen = parse_filters(filters or ())
        profile = profile or profile_beside(log)
        with ReadBars(console, enabled=console.is_terminal):  # a bar while an export is read, on a terminal
            raw = (read(log, ReadOptions(object_type=object_type)) if values is not None or not (profile or
                   _canonical(log)) else None)
            columns_only = raw is not None and (values is not None or needs_profile(raw))
            if not columns_only:
                event_log, office_named = _load(log, profile, object_type, office, raw)
        if columns_only:  # no profile yet: the columns
            shown = (values, column_values(raw, values)) if values is not None else None
            _render_columns(export_columns(raw), shown, log, top)
            return
        if chosen:
            event_log = EventLog.from_frame(chosen.apply(event_log.frame), event_log.provenance,
                                            assume_sorted=True)
        ov = overview(event_log, top=top)
    if chosen:
        console.print(Text(f"Filter: {chosen.describe()}"))
    _render(ov, log, top, event_log.provenance.settings.get("timezone") or "Europe/Berlin", office_named)


def _canonical(path: Path) -> bool:
    """Whether ``path`` is a canonical log (a Parquet file from pmtool ingest)."""
    if path.suffix.lower() != ".parquet" or not path.is_file():
        return False
    try:
        read_parquet(path)
    except LogSchemaError:
        return False  # a generic Parquet export, not a canonical log: import it like any export
    return True


def _load(path: Path, profile: Path | None, object_type: str | None, office: str | None,
          raw: RawTable | None) -> tuple[EventLog, bool]:
    """The log of ``path`` (imported from ``raw`` when it was read already: a large XES is not read twice),
    and whether anything named its office (flag, profile, data or file name)."""
    if profile is None and _canonical(path):
        return read_parquet(path), True
    prof = load_profile(profile) if profile else MappingProfile()
    # Nothing is stored and no identifier is shown, so an in-memory import needs no key, and an export
    # without an office is shown under its file name rather than refused.
    if raw is not None and profile is None:
        named = require_office(path, prof, office=office, fallback=path.name)
        result = ingest_table(raw, prof, name=path.name, sha256=lambda: sha256_file(path), named=named,
                              key=load_key(), office_fallback=path.name)
    else:
        result = ingest(path, prof, office=office, key=load_key(), allow_identifiable=True,
                        read_options=ReadOptions(object_type=object_type), office_fallback=path.name)
    return result.log, result.summary.office_source != "fallback"


def _render_columns(cols: ExportColumns, shown: tuple[str, pl.DataFrame] | None, path: Path, top: int) -> None:
    """Before a profile exists: the export's columns, or (``shown``) one column's values with their rows."""
    if shown is not None:
        column, frame = shown
        table = Table(title=t("cli.inspect.values_title", column=column, n=frame.height), title_justify="left")
        table.add_column(t("cli.inspect.value"), overflow="fold")
        table.add_column(t("cli.inspect.rows"), justify="right")
        for value, rows in frame.head(top).iter_rows():
            table.add_row(Text(value if value not in (None, "") else t("cli.inspect.empty")), format_number(rows))
        if frame.height > top:
            more = frame.height - top
            table.caption = tn("cli.inspect.more_values", more, n=format_number(more))
        console.print(table)
        return
    table = Table(title=t("cli.inspect.columns_title", file=path.name, format=cols.format,
                          rows=format_number(cols.rows)),
                  title_justify="left")
    table.add_column(t("cli.inspect.column"))
    table.add_column(t("cli.inspect.filled"), justify="right")
    table.add_column(t("cli.inspect.distinct"), justify="right")
    for name, filled, distinct in cols.columns.iter_rows():
        table.add_row(Text(name), format_number(filled), format_number(distinct))
    console.print(table)
    read_with = ", ".join(f"{k} {v!r}" for k, v in sorted(cols.details.items()) if k in ("delimiter", "encoding",
                                                                                       "sheet"))
    if read_with:
        console.print(Text(t("cli.inspect.read_as", details=read_with)))
    console.print(Text(t("cli.inspect.columns_next", file=str(path),
                         profile=export_stem(path) + PROFILE_SUFFIX)))


def _render(ov: Overview, path: Path, top: int, timezone: str, office_named: bool = True) -> None:
    head = Table(title=t("cli.inspect.title", file=path.name), title_justify="left", show_header=False)
    head.add_column(justify="left")
    head.add_column(justify="right")
    period = (f"{local_day(ov.period_start, timezone)} – {local_day(ov.period_end, timezone)}"
              if ov.period_start and ov.period_end else "—")
    offices = ", ".join(ov.offices) if office_named else t("cli.inspect.no_office")
    for label, value in (("offices", offices), ("cases", format_number(ov.cases)),
                         ("events", format_number(ov.events)), ("activities", format_number(ov.activities)),
                         ("variants", format_number(ov.variants)), ("period", period)):
        head.add_row(t(f"cli.inspect.{label}"), value)
    console.print(head)

    var = Table(title=t("cli.inspect.top_variants", n=top), title_justify="left")
    var.add_column("#", justify="right")
    var.add_column(t("cli.inspect.cases"), justify="right")
    var.add_column(t("cli.inspect.share"), justify="right")
    var.add_column(t("cli.inspect.length"), justify="right")
    var.add_column(t("cli.inspect.variant"), overflow="fold")
    for i, row in enumerate(ov.top_variants.iter_rows(named=True), 1):
        var.add_row(str(i), format_number(row["cases"]), format_share(row["share"], decimals=1), str(row["length"]),
                    row["variant"])
    console.print(var)

    acts = Table(title=t("cli.inspect.activities"), title_justify="left")
    acts.add_column(t("cli.inspect.activity"))
    acts.add_column(t("cli.inspect.code"))
    acts.add_column(t("cli.inspect.events"), justify="right")
    acts.add_column(t("cli.inspect.cases"), justify="right")
    for row in ov.activity_counts.head(top).iter_rows(named=True):
        acts.add_row(row["activity"], row["activity_code"] or "—", *map(format_number, (row["events"], row["cases"])))
    if ov.activity_counts.height > top:
        more = ov.activity_counts.height - top
        acts.caption = tn("cli.inspect.more_activities", more, n=format_number(more))
    console.print(acts)

    flags = Table(title=t("cli.inspect.quality"), title_justify="left")
    flags.add_column(t("cli.inspect.flag"))
    flags.add_column(t("cli.inspect.count"), justify="right")
    flags.add_column(t("cli.inspect.share"), justify="right")
    for flag in ov.flags:
        flags.add_row(t(f"quality.{flag.code}"), format_number(flag.count), format_share(flag.share, decimals=1))
    if not ov.flags:
        flags.add_row(t("cli.inspect.no_flags"), "", "")
    console.print(flags)
