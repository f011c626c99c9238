"""``pmtool init``: a commented starter project file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

import typer

from pmtool.cli.console import make_console
from pmtool.cli.errors import user_errors
from pmtool.cli.models_cmd import models_written
from pmtool.errors import ConfigError, Location
from pmtool.i18n import t
from pmtool.ingest.output import write_atomically
from pmtool.models.shipped import export_models
from pmtool.project import starter_project

console = make_console()
PROJECT_FILE = "pmtool.toml"


def init(
    folder: Annotated[Path, typer.Argument(help="Folder for pmtool.toml (created if missing).")] = Path("."),
) -> None:
    """Write a commented starter project file pmtool.toml: every key explained in German and English.
    An existing pmtool.toml is never overwritten."""
    target = folder / PROJECT_FILE
    with user_errors():
        if target.exists():
            raise ConfigError("cli.init.exists", Location(str(target)))
        text = starter_project()
        write_atomically({target: lambda p: p.write_text(text, encoding="utf-8")})
        # the starter names models/…: put the shipped Soll models there (files already there stay)
        models = export_models(folder / "models", only_missing=True)
        # … and exports/<process>/: the folders the exports go in
        starter = tomllib.loads(text)
        exports = folder / starter["sources"]["folder"]
        for pid in starter["processes"]:
            (exports / pid).mkdir(parents=True, exist_ok=True)
    console.print(t("cli.init.written", path=str(target)))
    if models:
        console.print(models_written(models, folder / "models"))
    console.print(t("cli.init.exports", folder=str(exports), processes=", ".join(starter["processes"])))
