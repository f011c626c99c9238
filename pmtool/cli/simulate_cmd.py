"""``pmtool simulate``: synthetic logs of the 13 pseudonymous offices with their ground truth."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pmtool.cli.console import make_console
from pmtool.cli.errors import user_errors
from pmtool.cli.simulate_db import simulate_database
from pmtool.errors import ConfigError
from pmtool.formatting import format_number
from pmtool.i18n import t
from pmtool.simulate.simulator import Settings, SimulationResult
from pmtool.simulate.simulator import simulate as run_simulation

console = make_console()


def simulate(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Output folder: <process>/<office>_<process>.<ext> "
            "with a mapping profile beside each export, ground_truth.json, "
            "ground_truth_cases.csv, README.md.",
        ),
    ] = Path("data/sample_logs"),
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed and options give byte-identical files.")
    ] = 2025,
    offices: Annotated[int, typer.Option(help="Number of offices, GA-01 … GA-NN (at most 13).")] = 13,
    scale: Annotated[
        float,
        typer.Option(
            help="Multiplies every volume (0.1 for tests, 100 for benchmarks with millions of events). An "
            "Excel export with more rows than one worksheet holds is written as the same system's CSV "
            "(README.md and ground_truth.json name it)."
        ),
    ] = 1.0,
    year: Annotated[
        int,
        typer.Option(
            help="Reporting year of the cases; the export is taken on 31 March of the following year."
        ),
    ] = 2025,
    processes: Annotated[
        str,
        typer.Option(
            help="Comma-separated processes: P1 (Meldefallbearbeitung), "
            "P2 (Ausbruchsmanagement), P3a (Belehrung § 43)."
        ),
    ] = "P1,P2,P3a",
    adopt: Annotated[str, typer.Option(
        "--adopt", help="Adoption scenario: comma-separated OFFICE=MONTH (e.g. GA-03=6); from that month of the "
        "year on, the office follows the Soll (its elevated deviations stop). Ground truth: adopts_soll_from.")] = "",
    force: Annotated[bool, typer.Option("--force", help="Replace a non-empty output folder (or, with "
                                        "--database, the schemas pmtool wrote before).")] = False,
    database: Annotated[str | None, typer.Option(
        "--database", help="Instead of files: write each office's P1 cases as a SORMAS-like case database with "
        "history tables into this PostgreSQL database (postgresql://host:port/database; one schema per "
        "office, ga_01 …; user and password from PGUSER/PGPASSWORD or ~/.pgpass).")] = None,
) -> None:
    """Generate realistic synthetic event logs with known deviations (all synthetic; no real office)."""
    with user_errors():
        settings = Settings(
            seed=seed,
            offices=offices,
            scale=scale,
            year=year,
            processes=tuple(p.strip() for p in processes.split(",") if p.strip()),
            adoption=_adoption(adopt),
        )
        if database is not None:
            simulate_database(database, settings, force=force, console=console)
            return
        start = time.perf_counter()
        with console.status("") as status:
            result = run_simulation(
                out,
                settings,
                force=force,
                progress=lambda o, p: status.update(t("cli.simulate.progress", office=o, process=p)),
            )
        seconds = time.perf_counter() - start
    _render(result, seconds)


def _adoption(text: str) -> tuple[tuple[str, int], ...]:
    """``GA-03=6,GA-05=9`` → ``(("GA-03", 6), ("GA-05", 9))``; a malformed item is a user error."""
    pairs = []
    for item in (i.strip() for i in text.split(",") if i.strip()):
        office, _, month = item.partition("=")
        if not month.strip().isdigit():
            raise ConfigError("simulate.bad_adoption", value=item, first="GA-01", last="GA-13")
        pairs.append((office.strip(), int(month)))
    return tuple(pairs)


def _render(result: SimulationResult, seconds: float) -> None:
    table = Table(title=t("cli.simulate.title"), title_justify="left")
    for head in ("office", "process", "dialect", "cases", "events", "affected", "elevated"):
        table.add_column(
            t(f"cli.simulate.col.{head}"),
            justify="right" if head in ("cases", "events", "affected") else "left",
        )
    for s in result.logs:
        table.add_row(
            s.office,
            s.process,
            s.dialect,
            format_number(s.cases),
            format_number(s.events),
            format_number(s.affected),
            ", ".join(s.elevated) or "–",
        )
    console.print(table)
    rate = result.events / seconds if seconds > 0 else 0.0
    console.print(
        t(
            "cli.simulate.written",
            n=len(result.logs),
            events=format_number(result.events),
            out=str(result.out),
            seconds=format_number(seconds, decimals=1),
            rate=format_number(rate),
            truth=str(result.out / "ground_truth.json"),
        ),
        soft_wrap=True,
    )
