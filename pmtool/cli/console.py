"""The CLI's console: data is printed literally, and piped output is complete and machine-readable.

Activity names, office ids and labels come from users' exports, so nothing printed is read as console
markup (``[bold]``), emoji codes (``:repeat:``) or terminal control sequences: :class:`PlainConsole`
turns markup, emoji and highlighting off and replaces control characters in every string it renders.

On a terminal, tables are drawn as boxes fitted to its width. When the output is not a terminal (a pipe,
a file, a test runner), a table is written as tab-separated lines instead — a ``# title`` line, the header,
one line per row, ``# caption`` — never cut at 80 columns, and messages are not wrapped.

>>> import io
>>> from rich.table import Table
>>> out = io.StringIO()
>>> console = PlainConsole(file=out)
>>> table = Table(title="Befunde")
>>> table.add_column("item")
>>> table.add_row("dev:REPEAT:Fall angelegt [bold]")
>>> console.print(table)
>>> print(out.getvalue(), end="")
# Befunde
item
dev:REPEAT:Fall angelegt [bold]
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pmtool.formatting import format_date
from pmtool.sinks import literal, terminal_text

__all__ = ["PlainConsole", "literal", "local_day", "local_moment", "make_console", "table_lines", "tsv_cell"]

_CELL_BREAKS = re.compile(r"[\t\r\n]+")


def tsv_cell(value: Any) -> str:
    """A table cell as one TSV field: literal text, tabs and line breaks as single spaces."""
    text = value.plain if isinstance(value, Text) else str(value)
    return _CELL_BREAKS.sub(" ", terminal_text(text)).strip()


class PlainConsole(Console):
    """A rich console that never interprets data: no markup, no emoji codes, no highlighting, control
    characters replaced; tables as TSV and unwrapped lines when the output is not a terminal."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("highlight", False)
        super().__init__(markup=False, emoji=False, **kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        kwargs.update(markup=False, emoji=False, highlight=False)
        return super().render_str(terminal_text(text), **kwargs)

    def print(self, *objects: Any, **kwargs: Any) -> None:
        if self.is_terminal:
            super().print(*objects, **kwargs)
            return
        kwargs.setdefault("soft_wrap", True)
        pending: list[Any] = []
        for obj in objects:
            if isinstance(obj, Table):
                if pending:
                    super().print(*pending, **kwargs)
                    pending = []
                # straight to the file: rich would expand the tabs into spaces
                self.file.write("".join(line + "\n" for line in table_lines(obj)))
                self.file.flush()
            else:
                pending.append(obj)
        if pending or not objects:
            super().print(*pending, **kwargs)


def table_lines(table: Table) -> list[str]:
    """A rich table as plain lines: ``# title``, the tab-separated header and rows, ``# caption``."""
    lines = []
    if table.title:
        lines.append("# " + tsv_cell(table.title))
    columns = table.columns
    if table.show_header:
        lines.append("\t".join(tsv_cell(c.header) for c in columns))
    cells = [list(c.cells) for c in columns]
    for i in range(table.row_count):
        lines.append("\t".join(tsv_cell(col[i]) if i < len(col) else "" for col in cells))
    if table.caption:
        lines.append("# " + tsv_cell(table.caption))
    return lines


def local_moment(value: str | datetime | None, timezone: str = "Europe/Berlin") -> datetime | None:
    """``value`` (ISO text or a datetime) in the office's ``timezone``; a time without a zone is taken as that
    local time. ``None`` for none."""
    if value is None or value == "":
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    zone = ZoneInfo(timezone)
    return moment.astimezone(zone) if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def local_day(value: str | datetime | None, timezone: str = "Europe/Berlin", lang: str | None = None) -> str:
    """The local calendar day of a UTC time in the office's ``timezone``, as the reader writes it (German
    ``02.01.2025``, English ``2025-01-02``: :func:`pmtool.formatting.format_date`); "" for none.

    An office whose first event is 2 January 2025, 00:30 in Saxony shows that day, not the UTC date.

    >>> local_day("2025-01-01T23:30:00+00:00", lang="de"), local_day("2025-01-01T23:30:00+00:00", lang="en")
    ('02.01.2025', '2025-01-02')
    """
    moment = local_moment(value, timezone)
    return "" if moment is None else format_date(moment, lang, timezone)


def make_console(*, stderr: bool = False) -> PlainConsole:
    """The console every command prints through (``stderr=True``: for error messages)."""
    return PlainConsole(stderr=stderr)
