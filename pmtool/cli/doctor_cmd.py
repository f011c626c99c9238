"""``pmtool doctor``: what is present on this machine, what is missing, where pmtool reads and writes."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pmtool.cli.errors import EXIT_CANNOT_RUN
from pmtool.doctor import diagnose
from pmtool.i18n import t

console = Console(highlight=False)


_WRITABLE = {"folders"}  # checks of folders: their status says whether pmtool can write there


def doctor() -> None:
    """Check that pmtool works on this machine: Python, the analysis packages, Graphviz (inside the
    pygraphviz wheel), the PDF engine and fonts (each tried for real), the sample data, the key, and the
    optional program one test uses (Chromium). Exit code 2 when a required part is missing."""
    diagnosis = diagnose()
    table = Table(title=t("doctor.title"), title_justify="left")
    for col in ("part", "status", "detail"):
        table.add_column(t(f"doctor.col.{col}"), overflow="fold")
    for check in diagnosis.checks:
        if check.name in _WRITABLE:  # a folder to write to is checked for that, present or not yet
            status = t("doctor.status.writable" if check.ok else "doctor.status.not_writable")
        elif check.ok:
            status = t("doctor.status.ok")
        else:
            status = t("doctor.status.missing" if check.required else "doctor.status.optional")
        table.add_row(Text(t(f"doctor.check.{check.name}")), Text(status), Text(check.detail))
    console.print(table)
    console.print(Text(t("doctor.ok" if diagnosis.ok else "doctor.not_ok")))
    if not diagnosis.ok:
        raise typer.Exit(EXIT_CANNOT_RUN)
