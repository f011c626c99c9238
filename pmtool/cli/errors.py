"""The one boundary where library errors become one-line messages and exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from pmtool.cli.console import PlainConsole
from pmtool.errors import PmtoolError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_CANNOT_RUN = 2
EXIT_NOT_COMPARED = 3  # the analysis ran, but offices could not be compared (see pmtool.cli.verdict)
EXIT_INTERRUPTED = 130  # stopped by Ctrl-C (SIGINT), as shells report it

stderr = PlainConsole(stderr=True, soft_wrap=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a :class:`PmtoolError` into one line on stderr and exit code 2 (no traceback)."""
    try:
        yield
    except PmtoolError as exc:
        stderr.print(f"pmtool: {exc.render()}", markup=False)
        raise typer.Exit(EXIT_CANNOT_RUN) from None
