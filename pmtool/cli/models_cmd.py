"""``pmtool models``: the Soll models pmtool ships, listed or copied into a project."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from pmtool.cli.errors import user_errors
from pmtool.i18n import t
from pmtool.models.shipped import export_models, shipped_models

console = Console(highlight=False)


def list_models() -> None:
    """List the shipped Soll models (BPMN 2.0 with lanes) and rule packs."""
    for path in shipped_models():
        console.print(Text(path.name))


def export(
    folder: Annotated[Path, typer.Argument(help="Folder to copy the models into (created if missing).")] = Path(
        "models"),
) -> None:
    """Copy the shipped Soll models P1, P2, P3a and their rule packs into FOLDER, to use or adapt in a project.
    Existing files are never overwritten."""
    with user_errors():
        written = export_models(folder)
    console.print(Text(models_written(written, folder)))


def models_written(files: Sequence[Path], folder: Path) -> str:
    """„3 Soll-Modelle und 3 Regelwerke nach models kopiert.“"""
    packs = sum(1 for f in files if f.name.endswith(".rules.toml"))
    return t("cli.models.written", models=len(files) - packs, packs=packs, folder=str(folder))
