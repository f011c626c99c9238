"""``pmtool aggregate``: an office's bundle (counts and sums, no case rows) from its canonical log(s)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from pmtool.cli.console import make_console
from pmtool.cli.errors import user_errors
from pmtool.cli.options import VocabularyOption, parse_as_of
from pmtool.compare.bundle import AggregateSettings, Bundle
from pmtool.compare.inputs import CompareInputs, bundles_from_inputs, collect_inputs
from pmtool.compare.output import bundle_name, bundle_writers
from pmtool.conform.conformance import ConformanceSettings
from pmtool.errors import InputError, Location
from pmtool.formatting import format_number
from pmtool.i18n import t
from pmtool.ingest.output import write_atomically
from pmtool.models.reference import load_reference
from pmtool.vocabulary import extended

console = make_console()


def aggregate(
    logs: Annotated[list[Path], typer.Argument(metavar="LOG", help="Canonical log(s) (.parquet from pmtool "
                                               "ingest) or folders of them; one bundle per office found.")],
    model: Annotated[Path, typer.Option("--model", "-m", help="Soll model (.bpmn or .pnml) of the process.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for "
                                      "<office>_<process>_<period>.bundle.json.")],
    rules: Annotated[Path | None, typer.Option(help="Rule pack (TOML); default: <model>.rules.toml beside the "
                                               "model, if present.")] = None,
    period: Annotated[str, typer.Option(help="Label of the period the log covers (e.g. 2025 or 2025-Q1); the "
                                        "log is not filtered.")] = "all",
    suppress_below: Annotated[int, typer.Option(min=1, help="Privacy threshold the office asks for: counts "
                                                "below it are hidden wherever the comparison publishes them. "
                                                "The bundle itself holds exact counts.")] = 5,
    as_of: Annotated[str | None, typer.Option(help="Point in time of the check (ISO date or date-time); "
                                              "default: the last event in the logs.")] = None,
    stale_after_days: Annotated[int, typer.Option(min=1, help="A case without a closing activity and without "
                                                  "events for this many days counts as never closed.")] = 90,
    incomplete: Annotated[str, typer.Option(help="Running cases: pending, violation, or exclude.")] = "pending",
    workers: Annotated[int, typer.Option(min=1, help="Processes for the alignments.")] = 2,
    vocabulary: VocabularyOption = None,
) -> None:
    """Aggregate an office's canonical log into a bundle to share with the central team: for every deviation
    the Soll model allows for, every rule and never-closed cases the eligible and affected cases (zero
    included) and impact sums, a throughput histogram, the fitness and the data-quality figures. Counts are
    exact: the bundle is confidential, not a publication; counts below --suppress-below are hidden wherever
    the comparison publishes. No case, no pseudonym, no timestamp of a single event leaves the office."""
    with user_errors(), extended(vocabulary or []):
        conformance = ConformanceSettings(incomplete=incomplete, as_of=parse_as_of(as_of),
                                          stale_after_days=stale_after_days, workers=workers)
        reference = load_reference(model, rules)
        found = collect_inputs(logs)
        if not found.logs:
            raise InputError("cli.conform.no_logs", Location(", ".join(str(p) for p in logs)))
        process = reference.process_id
        bundles = bundles_from_inputs(
            CompareInputs(found.logs, ()), {process: reference},
            settings=AggregateSettings(suppress_below=suppress_below, period=period),
            conformance=conformance)
        write_atomically(bundle_writers(bundles, out))
    _render(bundles, out)


def _render(bundles: list[Bundle], out: Path) -> None:
    table = Table(title=t("cli.aggregate.title"), title_justify="left")
    for col in ("file", "cases", "items", "small", "fitness"):
        table.add_column(t(f"cli.aggregate.col.{col}"), justify="left" if col == "file" else "right")
    for b in bundles:
        fitness = b.fitness_sum / b.cases if b.cases else 0.0
        small = b.items.filter(pl.col("affected").is_between(1, b.meta["suppress_below"] - 1)).height
        table.add_row(bundle_name(b), *map(format_number, (b.cases, b.items.height, small)),
                      format_number(fitness, decimals=3))
    table.caption = t("cli.aggregate.caption")
    console.print(table)
    console.print(t("cli.aggregate.written", n=len(bundles), out=str(out)))
