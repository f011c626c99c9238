"""``pmtool simulate --database``: the simulated offices' case databases, and the table of what was written."""

from __future__ import annotations

import time

from rich.console import Console
from rich.table import Table

from pmtool.formatting import format_number
from pmtool.i18n import t
from pmtool.simulate.database import PROCESS, DatabaseResult, populate_database
from pmtool.simulate.simulator import Settings


def simulate_database(url: str, settings: Settings, *, force: bool, console: Console) -> DatabaseResult:
    """Populate the database at ``url`` and print one row per office (schema, cases, events, row versions)."""
    start = time.perf_counter()
    with console.status("") as status:
        result = populate_database(url, settings, force=force,
                                   progress=lambda office: status.update(t("cli.simulate_db.progress", office=office)))
    seconds = time.perf_counter() - start
    table = Table(title=t("cli.simulate_db.title"), title_justify="left")
    for key, justify in (("cli.simulate.col.office", "left"), ("cli.simulate_db.col_schema", "left"),
                         ("cli.simulate.col.cases", "right"), ("cli.simulate.col.events", "right"),
                         ("cli.simulate_db.col_versions", "right")):
        table.add_column(t(key), justify=justify)
    for s in result.schemas:
        table.add_row(s.office, s.schema, *map(format_number, (s.cases, s.events, sum(s.versions.values()))))
    console.print(table)
    skipped = [p for p in settings.processes if p != PROCESS]
    if skipped:
        console.print(t("cli.simulate_db.only_p1", skipped=", ".join(skipped)))
    console.print(t("cli.simulate_db.written", n=len(result.schemas), events=format_number(result.events),
                    database=result.database, seconds=format_number(seconds, decimals=1)), soft_wrap=True)
    return result
