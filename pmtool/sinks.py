"""Text from the data, encoded for the place it goes to: spreadsheet cells, XML, the terminal, messages.

Activity names, office ids, roles and every other label come from exports nobody checked. Each output is a
sink with its own dangerous characters, and each writer passes data through the one function for its sink:

- **spreadsheet cells** (CSV, CSV for Excel, XLSX): a text that starts with ``=``, ``+``, ``-``, ``@``, a tab
  or a carriage return is a formula to Excel and LibreOffice; it gets a leading ``'`` (OWASP, "CSV
  injection"), so ``=HYPERLINK(…)`` stays a label (:func:`spreadsheet_text`, :func:`spreadsheet_frame`);
- **XML** (BPMN, PNML, XES, SVG): characters XML 1.0 cannot hold (NUL, most control characters) become
  U+FFFD instead of stopping the export (:func:`xml_text`);
- **the terminal**: control characters (escape sequences that clear the screen, set the window title or
  make hyperlinks) become U+FFFD and very long values are shortened (:func:`terminal_text`);
- **messages**: a value from the data is shown by its shape only — letters as ``x``/``X``, digits as ``9``
  — so an error says what a bad timestamp looks like without quoting a name or a case id
  (:func:`value_shape`).

DOT (Graphviz) has its own encoder in :mod:`pmtool.graphviz`.

>>> spreadsheet_text("=cmd|' /C calc'!A0")
"'=cmd|' /C calc'!A0"
>>> value_shape("Mustermann, Max1")
'Xxxxxxxxxx, Xxx9'
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path

import polars as pl

#: The first characters that make a spreadsheet cell a formula (OWASP: ``=``, ``+``, ``-``, ``@``, tab, CR).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_PATTERN = r"^[=+\-@\t\r]"
#: Characters XML 1.0 does not allow (C0 controls except tab, LF, CR; surrogates; U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# C0 controls except tab and line feed, DEL, C1 controls (ESC starts terminal escape sequences), and the
# Unicode bidirectional overrides that can make a line read differently from what it holds.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: Longest value printed whole on the terminal; longer ones are cut with their length said.
TERMINAL_LIMIT = 4000
#: Longest value shown (by its shape) in a message.
MESSAGE_LIMIT = 40


def spreadsheet_text(text: str) -> str:
    """``text`` as a spreadsheet cell that is never a formula: a leading ``'`` before a formula character.

    >>> spreadsheet_text("@SUM(1)"), spreadsheet_text("GA-01")
    ("'@SUM(1)", 'GA-01')
    """
    return "'" + text if text.startswith(FORMULA_START) else text


def spreadsheet_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every text cell passed through :func:`spreadsheet_text` (also the texts inside list
    columns); numbers, dates and booleans are left as they are, column names too unless they are formulas.

    >>> spreadsheet_frame(pl.DataFrame({"a": ["+1", "x"]}))["a"].to_list()
    ["'+1", 'x']
    """
    def guard(expr: pl.Expr) -> pl.Expr:
        return pl.when(expr.str.contains(_FORMULA_PATTERN)).then(pl.lit("'") + expr).otherwise(expr)

    changed = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            changed.append(guard(pl.col(name)).alias(name))
        elif isinstance(dtype, pl.List) and dtype.inner == pl.String:
            changed.append(pl.col(name).list.eval(guard(pl.element())).alias(name))
    out = frame.with_columns(changed) if changed else frame
    return out.rename({c: spreadsheet_text(c) for c in out.columns if c.startswith(FORMULA_START)})


def xml_text(text: str) -> str:
    """``text`` with every character XML 1.0 cannot hold replaced by U+FFFD (escaping ``<&"`` is the XML
    library's business).

    >>> xml_text("a\\x00b\\x1b")
    'a\\ufffdb\\ufffd'
    """
    return _NOT_XML.sub("\ufffd", text)


def literal(text: str) -> str:
    """``text`` with every control character (and bidi override) replaced by U+FFFD, so that it prints as
    data and cannot move the cursor, recolour the terminal or hide text.

    >>> literal("a\\x1b[31mb")
    'a\\ufffd[31mb'
    """
    return _CONTROL.sub("\ufffd", text)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, saying how long it was.

    >>> shorten("abcdefghij", 4)
    'abcd… (10 characters)'
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def terminal_text(text: str, limit: int = TERMINAL_LIMIT) -> str:
    """``text`` for the terminal: shortened (:data:`TERMINAL_LIMIT`), control characters replaced."""
    return literal(shorten(text, limit))


def value_shape(value: object, limit: int = MESSAGE_LIMIT) -> str:
    """The shape of a value from the data, for messages: letters as ``X``/``x``, digits as ``9``, other
    characters kept (so ``31.03.2025 14:05`` reads ``99.99.9999 99:99``), control characters as U+FFFD,
    cut after ``limit`` characters. A name or a case id is never quoted.

    >>> value_shape("2025-03-31 14:05")
    '9999-99-99 99:99'
    """
    text = str(value)
    cut = text[:limit]
    shape = "".join("9" if ch.isdigit() else ("X" if ch.isupper() else "x") if ch.isalpha() else ch for ch in cut)
    shape = literal(shape)
    return shape + "…" if len(text) > limit else shape


def spreadsheet_csv(frame: pl.DataFrame) -> bytes:
    """``frame`` as UTF-8 CSV that a spreadsheet opens without running anything: lists of texts joined by
    " → ", every text cell through :func:`spreadsheet_text`. The one CSV writer of every table pmtool
    writes (findings, comparison, deviations, edges, quarantine, …); German Excel's CSV is
    :func:`pmtool.excel.csv_for_excel`, which neutralises the same way.

    >>> spreadsheet_csv(pl.DataFrame({"label": ["=1+1"], "n": [-1]})).decode()
    "label,n\\n'=1+1,-1\\n"
    """
    buffer = io.BytesIO()  # polars writes UTF-8 bytes: no round trip through a str
    _spreadsheet_lists(frame).write_csv(buffer)
    return buffer.getvalue()


#: Rows a CSV is written in at a time: the guarded copy of a table is made one slice at a time (smaller
#: slices cost the CSV writer more: a table of 5 M rows took a quarter more CPU in slices of 100,000).
CSV_SLICE = 500_000


def write_spreadsheet_csv(frame: pl.DataFrame | Iterable[pl.DataFrame], path: Path) -> None:
    """:func:`spreadsheet_csv` of ``frame`` (or of the table whose rows are those of several parts, one after
    another) straight into ``path``, :data:`CSV_SLICE` rows at a time (a large table is never held as bytes,
    nor guarded as a whole copy; the file is the same)."""
    header = True
    with open(path, "wb") as out:
        for part in [frame] if isinstance(frame, pl.DataFrame) else frame:
            for start in range(0, part.height if not header else max(part.height, 1), CSV_SLICE):
                _spreadsheet_lists(part.slice(start, CSV_SLICE)).write_csv(out, include_header=header)
                header = False


def _spreadsheet_lists(frame: pl.DataFrame) -> pl.DataFrame:
    flat = spreadsheet_frame(frame)
    return flat.with_columns([pl.col(c).list.eval(pl.element().cast(pl.String)).list.join(" → ").alias(c)
                              for c, t in flat.schema.items() if isinstance(t, pl.List)])
