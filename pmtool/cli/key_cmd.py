"""``pmtool key new``: create a pseudonymisation key file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from pmtool.cli.errors import user_errors
from pmtool.errors import ConfigError, InputError, Location
from pmtool.i18n import t
from pmtool.ingest.pseudonymise import ENV_KEY_FILE, new_key_text


def new(
    path: Annotated[Path, typer.Argument(help="Where to write the key file (readable only by you). "
                                         "Keep it with the office; never share it with the analysis team.")],
) -> None:
    """Create a new random pseudonymisation key (256 bit) in a file that only you may read."""
    with user_errors():
        if os.path.lexists(path):  # also a link to nowhere: the key would land where it points
            raise ConfigError("key.exists", Location(str(path)))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(new_key_text() + "\n")
        except OSError as exc:
            raise InputError("key.write_failed", Location(str(path)), reason=exc.strerror or str(exc)) from None
        typer.echo(t("cli.key_written", path=str(path), env=ENV_KEY_FILE))
