"""The command-line reference (docs/cli.md), generated from the ``--help`` of every command so that it
cannot drift from the code. ``python docs/generate_cli_reference.py`` rewrites the file; a test checks it."""

from __future__ import annotations

from typing import Any

import typer

WIDTH = 100
HEADER = """# Command-line reference

Generated from `pmtool … --help` by `python docs/generate_cli_reference.py`; do not edit by hand (a test
checks that this file is current). Messages are German by default and English with `--lang en` or
`PMTOOL_LANG=en`; `--lang` and `--debug` may stand before or after the command (`pmtool inspect log.csv --lang
en`), except that `report --lang` sets the report's language. The help texts below are in English. Exit codes:
0 success, 1 findings above a threshold you set (`--fail-on-findings`, `--fail-under`), 2 the command could
not run (one line on stderr says what, where and what to do), 3 the analysis ran but offices could not be
compared (`pmtool run`, `compare`, `demo`; never the same as 0 "no findings"), 130 `pmtool run` or `pmtool
demo` stopped by Ctrl-C or `kill -INT` (its worker and helper processes stop with it; the results folder keeps
the last complete run's results). [codes.md](codes.md) has each command's codes.
"""


def commands() -> list[tuple[str, Any, Any]]:
    """Every command as (``pmtool sub …`` path, command, its context), depth first in registration order."""
    from pmtool.cli.app import app

    root = typer.main.get_command(app)
    found: list[tuple[str, Any, Any]] = []

    def walk(cmd: Any, ctx: Any, path: str) -> None:
        found.append((path, cmd, ctx))
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, sub.context_class(sub, info_name=name, parent=ctx), f"{path} {name}")

    walk(root, root.context_class(root, info_name="pmtool", terminal_width=WIDTH, max_content_width=WIDTH), "pmtool")
    return found


def cli_reference() -> str:
    """docs/cli.md: the help of ``pmtool`` and of every command, each in its own section."""
    parts = [HEADER]
    for path, cmd, ctx in commands():
        parts += [f"## `{path}`", "", "```text", cmd.get_help(ctx).rstrip(), "```", ""]
    return "\n".join(parts)
