"""Delimited text exports (CSV, TSV, "Text" from office software): every column as text, with line numbers.

The bytes are read once. The encoding is checked and, where needed, transcoded to UTF-8 in bulk; then
polars parses the bytes with no type inference (the pipeline parses timestamps itself). No Python loop
runs over the rows except to explain a file polars refused (which line is ragged or badly quoted).

Detection when the options leave it open:

- encoding: a UTF-8 byte-order mark, a UTF-16 byte-order mark, else valid UTF-8, else Windows-1252
  (a superset of Latin-1 for printable text). A file with UTF-8 umlauts *and* bytes that are not UTF-8
  mixes encodings and is refused, naming the first bad line.
- delimiter: the one of ``;`` ``,`` tab ``|`` that splits the header into most columns and the sampled
  records into as many fields as the header (quotes respected).

:data:`~pmtool.ingest.registry.ROW` is the physical line on which a record starts (header = line 1),
also after quoted fields that contain line breaks.

>>> import tempfile
>>> p = Path(tempfile.mkdtemp()) / "log.csv"
>>> _ = p.write_bytes("Fall;Tätigkeit\\n1;Prüfung\\n".encode("cp1252"))
>>> t = read(p, ReadOptions())
>>> t.frame.rows(), t.details["delimiter"], t.details["encoding"]
([('1', 'Prüfung', 2)], ';', 'cp1252')
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path
from typing import Any

import polars as pl

from pmtool.errors import ConfigError, InputError, Location, display_path, first_line
from pmtool.ingest.registry import ROW, RawTable, ReadOptions, register

#: Delimiters tried by detection; on a tie the earlier one wins (German exports mostly use ";").
DELIMITERS = (";", ",", "\t", "|")
_SNIFF_BYTES = 64 * 1024
_SNIFF_RECORDS = 50
#: Bytes of a large file parsed at a time (the text of a piece is let go once its rows are parsed).
_PIECE_BYTES = 64 << 20
#: Bytes checked for valid UTF-8 at a time.
_VALIDATE_BYTES = 64 << 20
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
#: What polars calls a second unnamed column (the first is "").
_UNNAMED = re.compile(r"^(_duplicated_\d+)?$")


@register("csv", (".csv", ".txt", ".tsv"))
def read(path: Path, options: ReadOptions) -> RawTable:
    """Read a delimited text file into a :class:`RawTable` of String columns plus ``ROW`` (line number).

    ``details`` holds ``delimiter`` (used), ``detected_delimiter`` (what detection finds, also when the
    options override it; ``None`` when no candidate splits the header; Excel's ``sep=;`` first line is
    honoured and skipped), ``encoding`` (codec used),
    ``encoding_detected`` (bool), ``quote_char``, ``multiline_records`` (a quoted field spans lines) and
    ``empty_rows_skipped``. Raises :class:`InputError` for binary files, broken or mixed encodings,
    ragged rows and quoting polars cannot parse, and :class:`ConfigError` for an unknown encoding name or
    a delimiter that is not one character.
    """
    where = display_path(path)
    quote = options.quote_char or None
    if options.delimiter is not None and (len(options.delimiter) != 1 or options.delimiter in "\r\n"
                                          or options.delimiter == quote):
        raise ConfigError("csv.bad_delimiter", Location(where), delimiter=repr(options.delimiter))
    data, encoding, skipped_lines, declared = _text_of(path, options, where)
    detected = declared or sniff_delimiter(data, quote)
    delimiter = options.delimiter or detected or ","
    if len(data) <= _PIECE_BYTES:
        parsed = _parse(data, delimiter, quote, where, skipped_lines)
        rows, multiline = _line_numbers(data, quote, parsed.height)
        del data
    else:  # a large file is parsed in pieces, each let go when parsed: the text and the table never both whole
        quoted = quote is not None and quote.encode() in data
        lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
        pieces = _pieces(data, quote)
        del data
        try:
            parsed = _parse_pieces(pieces, delimiter, quote)
        except pl.exceptions.PolarsError:  # the whole file's parse names the problem (or reads it after all)
            parsed = _parse(_text_of(path, options, where)[0], delimiter, quote, where, skipped_lines)
        if quoted and lines != parsed.height + 1:  # a record spans lines: their numbers need the text
            rows, multiline = _line_numbers(_text_of(path, options, where)[0], quote, parsed.height)
        else:
            rows, multiline = _line_numbers(b"", None, parsed.height)
    frame, skipped = tidy_columns(parsed.with_columns(rows + skipped_lines), parsed.columns)
    details: dict[str, Any] = {
        "delimiter": delimiter,
        "detected_delimiter": detected,
        "encoding": encoding,
        "encoding_detected": options.encoding is None,
        "quote_char": quote or "",
        "multiline_records": multiline,
        "empty_rows_skipped": skipped,
    }
    return RawTable(frame=frame, file=where, format="csv", row_label="line", details=details)


def _text_of(path: Path, options: ReadOptions, where: str) -> tuple[bytes, str, int, str | None]:
    """The records' text of ``path`` as UTF-8 (from the first line that is not empty or Excel's ``sep=``
    line), the codec it was in, how many lines came before it, and the delimiter a ``sep=`` line declares."""
    raw = path.read_bytes()
    data, encoding = _to_utf8(raw, options.encoding, where)
    del raw  # a large export is held once, not twice (with a byte-order mark, data is a copy)
    inside = data.find(_UTF8_BOM)
    if inside >= 0:  # two exports joined into one file: the second one's mark would start a phantom case id
        raise InputError("csv.bom_inside", Location(where, _line_at(data, inside)))
    if b"\n" not in data and b"\r" in data:  # classic Mac line ends (Excel for Mac "CSV (Macintosh)")
        data = data.replace(b"\r", b"\n")
    data, skipped_lines, declared = _preamble(data)
    return data, encoding, skipped_lines, declared


# --- encoding -----------------------------------------------------------------------------------------


def _to_utf8(raw: bytes, requested: str | None, where: str) -> tuple[bytes, str]:
    """``raw`` as UTF-8 bytes without a byte-order mark, and the name of the codec it was in."""
    if requested is not None:
        codec = _codec(requested, where)
        if codec.startswith(("utf-16", "utf-32")):
            return _transcode(raw, codec, where), codec
        _refuse_binary(raw, where)
        if codec in ("utf-8", "utf-8-sig"):
            bad = first_invalid_utf8(raw)  # checked before the copy without the mark (the mark is valid UTF-8)
            data = raw.removeprefix(_UTF8_BOM)
            if bad is not None:
                bad = first_invalid_utf8(data)
                assert bad is not None
                raise InputError("csv.invalid_bytes", Location(where, _line_at(data, bad)),
                                 encoding=requested, byte=f"0x{data[bad]:02X}")
            return data, codec
        if not raw.isascii() and first_invalid_utf8(raw) is None:
            # Valid UTF-8 with umlauts read as a one-byte code page would silently turn "ü" into "Ã¼".
            raise InputError("csv.encoding_is_utf8", Location(where), encoding=requested)
        return _transcode(raw, codec, where), codec
    if raw.startswith(_UTF16_BOMS):
        return _transcode(raw, "utf-16", where), "utf-16"
    _refuse_binary(raw, where)
    if raw.startswith(_UTF8_BOM):
        bad = first_invalid_utf8(raw)  # checked before the copy without the mark (the mark is valid UTF-8)
        data = raw[len(_UTF8_BOM):]
        if bad is not None:  # the mark says UTF-8, so other bytes mean a second encoding crept in
            bad = first_invalid_utf8(data)
            assert bad is not None
            raise InputError("csv.mixed_encoding", Location(where, _line_at(data, bad)),
                             byte=f"0x{data[bad]:02X}")
        return data, "utf-8-sig"
    bad = first_invalid_utf8(raw)
    if bad is None:
        return raw, "utf-8"
    if has_utf8_sequences(raw):
        raise InputError("csv.mixed_encoding", Location(where, _line_at(raw, bad)), byte=f"0x{raw[bad]:02X}")
    try:
        return raw.decode("cp1252").encode("utf-8"), "cp1252"
    except UnicodeDecodeError as exc:
        raise InputError("csv.unknown_encoding", Location(where, _line_at(raw, exc.start)),
                         byte=f"0x{raw[exc.start]:02X}") from None


def _codec(name: str, where: str) -> str:
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise ConfigError("csv.unknown_codec", Location(where), encoding=name) from None
    return {"iso8859-1": "latin-1"}.get(codec, codec)


def _transcode(raw: bytes, codec: str, where: str) -> bytes:
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].decode(codec, errors="replace").count("\n") + 1
        raise InputError("csv.invalid_bytes", Location(where, line), encoding=codec,
                         byte=f"0x{raw[exc.start]:02X}") from None
    return text.removeprefix("\ufeff").encode("utf-8")


def _refuse_binary(raw: bytes, where: str) -> None:
    if raw.startswith(b"PK\x03\x04"):
        raise InputError("csv.zip_archive", Location(where))
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise InputError("csv.binary", Location(where, _line_at(raw, nul)))


def first_invalid_utf8(data: bytes) -> int | None:
    """Offset of the first byte that is not valid UTF-8, or ``None`` (validation runs in polars, fast)."""
    if data.isascii():
        return None
    view = memoryview(data)
    try:  # in pieces cut before a character's first byte, so that no copy of a large file is held at once
        start = 0
        while start < len(data):
            end = min(start + _VALIDATE_BYTES, len(data))
            while start < end < len(data) and data[end] & 0xC0 == 0x80:  # a continuation byte
                end -= 1
            end = end if end > start else min(start + _VALIDATE_BYTES, len(data))
            pl.Series([view[start:end].tobytes()], dtype=pl.Binary).cast(pl.String)
            start = end
        return None
    except pl.exceptions.PolarsError:
        pass
    try:  # only on failure: Python's decoder tells where
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def has_utf8_sequences(data: bytes) -> bool:
    """Whether ``data`` holds byte pairs that are UTF-8 text and hardly ever Windows-1252 text.

    Two-byte sequences count unless their first byte is Ä, Ö, Ü or ß in Windows-1252 ("Gruß“" is
    legitimate 1252 that happens to be valid UTF-8); three-byte sequences count for U+2000–U+2FFF
    (€, dashes, quotes: "â€" in 1252) and a byte-order mark in mid-file (concatenated exports).
    """
    import numpy as np  # pandas' dependency; only needed for files that are not UTF-8

    a = np.frombuffer(data, dtype=np.uint8)
    hi = np.flatnonzero(a >= 0x80)
    if hi.size == 0:
        return False
    last = a.size - 1
    b0 = a[hi]
    b1 = np.where(hi + 1 <= last, a[np.minimum(hi + 1, last)], 0)
    b2 = np.where(hi + 2 <= last, a[np.minimum(hi + 2, last)], 0)
    cont1 = (b1 >= 0x80) & (b1 <= 0xBF)
    cont2 = (b2 >= 0x80) & (b2 <= 0xBF)
    two = (b0 >= 0xC2) & (b0 <= 0xDF) & ~np.isin(b0, (0xC4, 0xD6, 0xDC, 0xDF)) & cont1
    three = (b0 == 0xE2) & cont1 & cont2
    bom = (b0 == 0xEF) & (b1 == 0xBB) & (b2 == 0xBF)
    return bool((two | three | bom).any())


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


# --- structure ----------------------------------------------------------------------------------------


def _preamble(data: bytes) -> tuple[bytes, int, str | None]:
    """``data`` without leading empty lines and Excel's ``sep=;`` line, how many lines that was, the
    delimiter such a line declares. polars skips leading empty lines itself; counting them keeps ROW right.
    """
    stripped = data.lstrip(b"\r\n")
    skipped = data.count(b"\n", 0, len(data) - len(stripped))
    declared = None
    match = re.match(rb"sep=([^\r\n])\r?\n", stripped[:8])
    if match:
        declared = match.group(1).decode("utf-8", errors="replace")
        stripped, skipped = stripped[match.end():], skipped + 1
    return (stripped if skipped else data), skipped, declared


def sniff_delimiter(data: bytes, quote: str | None = '"') -> str | None:
    """The delimiter among :data:`DELIMITERS` that best splits the header and a sample of records.

    ``None`` when none of them splits the header into two or more columns.

    >>> sniff_delimiter(b'a;b;c\\n1;"x;y";3\\n')
    ';'
    """
    sample = data[:_SNIFF_BYTES]
    truncated = len(data) > len(sample)
    if truncated and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n") + 1]
    text = sample.decode("utf-8", errors="replace")
    best: tuple[float, int] | None = None
    choice = None
    for delimiter in DELIMITERS:
        try:
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quote or '"',
                                quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE)
            records = [r for _, r in zip(range(_SNIFF_RECORDS + 1), reader, strict=False)]
        except csv.Error:
            continue
        if truncated and 1 < len(records) <= _SNIFF_RECORDS:
            records = records[:-1]  # it ran to the end of the sample, so it may be cut off
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        body = [r for r in records[1:] if r]
        consistency = sum(len(r) == width for r in body) / len(body) if body else 1.0
        if best is None or (consistency, width) > best:
            best, choice = (consistency, width), delimiter
    return choice


def _parse(data: bytes, delimiter: str, quote: str | None, where: str, skipped_lines: int) -> pl.DataFrame:
    try:
        return pl.read_csv(data, separator=delimiter, quote_char=quote, has_header=True, infer_schema=False,
                           raise_if_empty=False, truncate_ragged_lines=False, encoding="utf8")
    except pl.exceptions.PolarsError as exc:
        problem = _diagnose(data, delimiter, quote, where, skipped_lines)
        if problem is not None:
            raise problem from None
        reason = first_line(exc)
        raise InputError("csv.unreadable", Location(where), reason=reason) from None


def _pieces(data: bytes, quote: str | None) -> list[bytes]:
    """``data`` cut into pieces of about :data:`_PIECE_BYTES`, each after a line break that ends a record (an
    even number of quote characters precedes it, as in :func:`_line_numbers`) and before a line that is not
    empty; every piece starts with the header record, so that each is read as the whole file would be."""
    mark = quote.encode() if quote else None
    cuts, quotes, counted, header = [0], 0, 0, None
    at = 0
    while at < len(data):
        end = data.find(b"\n", at)
        if end < 0:
            break
        if mark is not None:
            quotes, counted = quotes + data.count(mark, counted, end), end
            if quotes % 2:  # inside a quoted field: the record ends at a later line break
                at = end + 1
                continue
        if header is None:
            header, at = end + 1, max(end + 1, _PIECE_BYTES)
            continue
        if data[end + 1:end + 2] in (b"\n", b"\r"):  # a piece starting with an empty line is not read alike
            at = end + 1
            continue
        cuts.append(end + 1)
        at = end + 1 + _PIECE_BYTES
    cuts.append(len(data))
    spans = [(start, end) for start, end in zip(cuts, cuts[1:], strict=False) if end > start]
    return [data[start:end] if start == 0 else data[:header] + data[start:end] for start, end in spans]


def _parse_pieces(pieces: list[bytes], delimiter: str, quote: str | None) -> pl.DataFrame:
    """The records of ``pieces`` (from :func:`_pieces`) as :func:`_parse` reads them whole; each piece is
    taken out of the list as it is parsed. Raises the polars error of a piece that cannot be parsed."""
    pieces.reverse()
    frames = []
    while pieces:
        frames.append(pl.read_csv(pieces.pop(), separator=delimiter, quote_char=quote, has_header=True,
                                  infer_schema=False, raise_if_empty=False, truncate_ragged_lines=False,
                                  encoding="utf8"))
    # one chunk per column, joined a column at a time (a frame whose columns are cut differently would be
    # joined whole, all columns at once, by the next select)
    return pl.DataFrame([pl.concat([frame.drop_in_place(name) for frame in frames], rechunk=True)
                         for name in frames[0].columns])


def _diagnose(
    data: bytes, delimiter: str, quote: str | None, where: str, skipped_lines: int = 0
) -> InputError | None:
    """The first ragged or badly quoted record, found with Python's csv module (only after polars failed).

    A record whose raw text holds an odd number of quote characters is badly quoted for polars even where
    Python's reader accepts it (a stray ``"`` inside an unquoted field).
    """
    parts = data.decode("utf-8", errors="replace").split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    seen = {"line": skipped_lines, "quotes": 0}

    def lines():  # feeds the reader and counts what it consumed
        for part in parts:
            seen["line"] += 1
            if quote:
                seen["quotes"] += part.count(quote)
            yield part + "\n"

    reader = csv.reader(lines(), delimiter=delimiter, quotechar=quote or '"', strict=True,
                        quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE)
    width: int | None = None
    start = skipped_lines + 1
    try:
        for record in reader:
            if width is None:
                width = len(record)
            elif len(record) > width:
                return InputError("csv.ragged_row", Location(where, start), found=len(record), expected=width,
                                  delimiter=_show(delimiter))
            if seen["quotes"] % 2:
                return InputError("csv.bad_quote", Location(where, start), quote=quote)
            seen["quotes"] = 0
            start = seen["line"] + 1
    except csv.Error as exc:
        if not quote:
            return InputError("csv.unreadable", Location(where, start), reason=str(exc))
        return InputError("csv.bad_quote", Location(where, start), quote=quote)
    return None


def _line_numbers(data: bytes, quote: str | None, height: int) -> tuple[pl.Series, bool]:
    """The physical start line of each data record, and whether some record spans several lines."""
    simple = pl.int_range(2, height + 2, dtype=pl.Int64, eager=True).alias(ROW)
    if not quote or quote.encode() not in data:
        return simple, False
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if lines == height + 1:
        return simple, False
    # A line break ends a record when an even number of quote characters precedes it: escaped quotes
    # ("") come in pairs, so parity is all that counts (polars splits records the same way).
    import numpy as np

    a = np.frombuffer(data, dtype=np.uint8)
    breaks = np.flatnonzero(a == 10)
    quotes = np.flatnonzero(a == quote.encode()[0])
    ends = np.flatnonzero(np.searchsorted(quotes, breaks) % 2 == 0)
    if ends.size and breaks[ends[-1]] == a.size - 1:
        ends = ends[:-1]  # the final line break starts no record
    starts = ends + 2  # record after the n-th line break (0-based) starts on line n + 2
    if starts.size != height:  # cannot happen for a file polars parsed; keep a usable approximation
        return simple, True
    return pl.Series(ROW, starts, dtype=pl.Int64), True


def tidy_columns(frame: pl.DataFrame, header: list[str | None]) -> tuple[pl.DataFrame, int]:
    """Name and clean the data columns of ``frame`` (all but ROW, in order) after the raw ``header``.

    Shared by the text and sheet readers. Header names lose surrounding whitespace and byte-order marks
    (made unique again if that merges two); a column without a name is dropped when it holds nothing (a
    trailing delimiter on every line) and is named ``column_<position>`` otherwise. Empty strings become
    null; rows with no value at all are dropped. Returns the frame and the number of rows dropped.
    """
    columns = [c for c in frame.columns if c != ROW]
    names: list[str] = []
    keep: list[str] = []
    taken: set[str] = set()
    for position, (column, raw) in enumerate(zip(columns, header, strict=True), start=1):
        name = (raw or "").replace("\ufeff", "").strip()
        if _UNNAMED.match(name):
            if frame[column].drop_nulls().str.len_bytes().max() in (None, 0):
                continue
            name = f"column_{position}"
        unique, n = name, 0
        while unique in taken:
            unique, n = f"{name}_duplicated_{n}", n + 1
        taken.add(unique)
        keep.append(column)
        names.append(unique)
    # a column is rewritten only where it holds an empty string (polars reads an empty field as null
    # already), and rows are filtered only when one is empty: a large export is not copied for nothing
    types = frame.schema
    text = [c for c in keep if types[c] == pl.String]
    has_empty = (frame.select((pl.col(c) == "").any() for c in text).row(0) if text and frame.height
                 else [False] * len(text))
    rewrite = {c for c, empty in zip(text, has_empty, strict=True) if empty}
    rewrite |= {c for c in keep if types[c] != pl.String}
    frame = frame.select(
        *[(pl.col(c).replace("", None) if c in rewrite else pl.col(c)).alias(n)
          for c, n in zip(keep, names, strict=True)],
        *([pl.col(ROW)] if ROW in frame.columns else []),
    )
    if not names:
        return frame, 0
    empty_row = pl.all_horizontal(pl.col(n).is_null() for n in names)
    empty_rows = frame.select(empty_row.sum()).item()
    if not empty_rows:
        return frame, 0
    return frame.filter(~empty_row), empty_rows


def _show(delimiter: str) -> str:
    return {"\t": "Tab", " ": "' '"}.get(delimiter, f"'{delimiter}'")
