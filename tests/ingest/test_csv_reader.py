"""The CSV reader: delimiters, encodings, quoting, line numbers and the errors a user gets."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pmtool.errors import ConfigError, InputError
from pmtool.ingest import registry
from pmtool.ingest.readers import csv as csv_reader
from pmtool.ingest.registry import ROW, ReadOptions

UMLAUTS = "ä ö ü ß Ä Ö Ü €"


def write(tmp_path: Path, content: bytes | str, name: str = "export.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
    return path


def read(path: Path, **options: str | None):
    return registry.read(path, ReadOptions(**options))


def data(table) -> list[tuple]:
    return table.frame.drop(ROW).rows()


def lines(table) -> list[int]:
    return table.frame[ROW].to_list()


# --- delimiters -------------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_each_delimiter_is_detected(tmp_path, delimiter):
    text = delimiter.join(["case_id", "activity", "timestamp"]) + "\n"
    text += delimiter.join(["1", "Prüfung", "31.10.2025 14:05"]) + "\n"
    text += delimiter.join(["2", "Bescheid", "01.11.2025 09:00"]) + "\n"
    table = read(write(tmp_path, text))
    assert table.frame.columns == ["case_id", "activity", "timestamp", ROW]
    assert data(table) == [("1", "Prüfung", "31.10.2025 14:05"), ("2", "Bescheid", "01.11.2025 09:00")]
    assert table.details["delimiter"] == delimiter
    assert table.details["detected_delimiter"] == delimiter
    assert table.row_label == "line" and table.format == "csv"


def test_detection_respects_quotes_and_prefers_the_consistent_split(tmp_path):
    # Every record has a comma inside a quoted field; only ";" splits header and records alike.
    text = 'Fall;Name, Vorname;Datum\n1;"Müller, Hans";31.10.2025\n2;"Schäfer, Eva";01.11.2025\n'
    table = read(write(tmp_path, text))
    assert table.details["delimiter"] == ";"
    assert data(table) == [("1", "Müller, Hans", "31.10.2025"), ("2", "Schäfer, Eva", "01.11.2025")]


def test_delimiter_option_overrides_detection_and_detection_is_still_reported(tmp_path):
    table = read(write(tmp_path, "a;b;c\n1;2;3\n"), delimiter=",")
    assert table.frame.columns == ["a;b;c", ROW]
    assert data(table) == [("1;2;3",)]
    assert table.details["delimiter"] == ","
    assert table.details["detected_delimiter"] == ";"


def test_single_column_file_reports_no_detected_delimiter(tmp_path):
    table = read(write(tmp_path, "case_id\n1\n2\n"))
    assert data(table) == [("1",), ("2",)]
    assert table.details["detected_delimiter"] is None


@pytest.mark.parametrize("bad", ["", ";;", "\n"])
def test_invalid_delimiter_option_is_a_config_error(tmp_path, bad):
    with pytest.raises(ConfigError) as err:
        read(write(tmp_path, "a;b\n1;2\n"), delimiter=bad)
    assert err.value.key == "csv.bad_delimiter"


# --- encodings --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "text", "detected"),
    [
        ("utf-8", UMLAUTS, "utf-8"),
        ("utf-8-sig", UMLAUTS, "utf-8-sig"),
        ("cp1252", UMLAUTS + " „zitiert“ – Gruß“", "cp1252"),
        ("latin-1", "ä ö ü ß Ä Ö Ü", "cp1252"),  # identical to Windows-1252 for printable text
        ("utf-16", UMLAUTS, "utf-16"),
    ],
)
def test_umlauts_survive_every_encoding_detected(tmp_path, encoding, text, detected):
    content = f"Tätigkeit;Bemerkung\nPrüfung;{text}\nÜbermittlung;Größe\n"
    table = read(write(tmp_path, content, encoding=encoding))
    assert table.frame.columns == ["Tätigkeit", "Bemerkung", ROW]  # no BOM left in the first name
    assert data(table) == [("Prüfung", text), ("Übermittlung", "Größe")]
    assert table.details["encoding"] == detected
    assert table.details["encoding_detected"] is True


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1", "iso-8859-15", "utf-16"])
def test_encoding_option_is_used_as_given(tmp_path, encoding):
    text = "ä ö ü ß Ä Ö Ü" + (" €" if encoding != "latin-1" else "")
    table = read(write(tmp_path, f"a;b\n1;{text}\n", encoding=encoding), encoding=encoding)
    assert data(table) == [("1", text)]
    assert table.details["encoding_detected"] is False


def test_utf8_declared_but_bytes_are_not_utf8_names_the_line(tmp_path):
    content = "a;b\n1;ok\n2;Müller\n".encode("cp1252")
    with pytest.raises(InputError) as err:
        read(write(tmp_path, content), encoding="utf-8")
    assert err.value.key == "csv.invalid_bytes"
    assert err.value.location.row == 3
    message = err.value.render("en")
    assert "export.csv" in message and "line 3" in message and "0xFC" in message
    assert "Zeile 3" in err.value.render("de")


def test_mixed_encodings_are_refused_with_the_first_bad_line(tmp_path):
    content = "Fall;Tätigkeit\n1;Prüfung\n2;Ablage\n".encode() + "3;Rückruf\n4;Größe\n".encode("cp1252")
    with pytest.raises(InputError) as err:
        read(write(tmp_path, content))
    assert err.value.key == "csv.mixed_encoding"
    assert err.value.location.row == 4
    assert "line 4" in err.value.render("en") and "UTF-8" in err.value.render("en")


def test_mixed_encodings_with_the_one_byte_part_first(tmp_path):
    content = "Fall;Tätigkeit\n1;Ablage\n2;Größe\n".encode("cp1252") + "3;Rückruf\n".encode()
    with pytest.raises(InputError) as err:
        read(write(tmp_path, content))
    assert (err.value.key, err.value.location.row) == ("csv.mixed_encoding", 1)


def test_bom_followed_by_cp1252_bytes_is_mixed(tmp_path):
    content = b"\xef\xbb\xbf" + "a;b\n1;x\n2;ü\n".encode("cp1252")
    with pytest.raises(InputError) as err:
        read(write(tmp_path, content))
    assert (err.value.key, err.value.location.row) == ("csv.mixed_encoding", 3)


def test_cp1252_declared_for_a_utf8_file_is_refused_instead_of_garbling(tmp_path):
    with pytest.raises(InputError) as err:
        read(write(tmp_path, "a;b\n1;Müller\n"), encoding="cp1252")
    assert err.value.key == "csv.encoding_is_utf8"


def test_bytes_neither_utf8_nor_cp1252_are_refused_in_auto_mode(tmp_path):
    with pytest.raises(InputError) as err:
        read(write(tmp_path, b"a;b\n1;x\n2;\x81\n"))
    assert (err.value.key, err.value.location.row) == ("csv.unknown_encoding", 3)
    # ... and read when the user names the encoding.
    assert data(read(write(tmp_path, b"a;b\n1;\x81\n"), encoding="latin-1")) == [("1", "\x81")]


def test_unknown_encoding_name_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError) as err:
        read(write(tmp_path, "a;b\n1;2\n"), encoding="no-such-codec")
    assert err.value.key == "csv.unknown_codec"
    assert "no-such-codec" in err.value.render("en")


# --- quoting and line numbers -----------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_quoted_delimiters_and_line_breaks_keep_physical_line_numbers(tmp_path, newline):
    rows = [
        "id;text;n",
        '1;"a;b";x',
        '2;"erste Zeile' + newline + "zweite;Zeile" + newline + 'dritte";y',
        '3;"er sagte ""Grüß Gott""";z',
        "4;plain;w",
    ]
    table = read(write(tmp_path, newline.join(rows) + newline))
    assert data(table) == [
        ("1", "a;b", "x"),
        ("2", f"erste Zeile{newline}zweite;Zeile{newline}dritte", "y"),
        ("3", 'er sagte "Grüß Gott"', "z"),
        ("4", "plain", "w"),
    ]
    assert lines(table) == [2, 3, 6, 7]
    assert table.details["multiline_records"] is True


def test_quoted_line_break_in_the_header_shifts_the_data_lines(tmp_path):
    table = read(write(tmp_path, 'id;"Bemer\nkung"\n1;a\n2;b'))
    assert table.frame.columns == ["id", "Bemer\nkung", ROW]
    assert lines(table) == [3, 4]


def test_plain_file_lines_start_at_two(tmp_path):
    table = read(write(tmp_path, "a;b\n" + "".join(f"{i};x\n" for i in range(5))))
    assert lines(table) == [2, 3, 4, 5, 6]
    assert table.details["multiline_records"] is False


def test_empty_cells_are_null_and_empty_lines_are_skipped(tmp_path):
    text = 'a;b;c\n1;;""\n\n2;x;\n;;\n3;"";y\n\n;;\n\n'
    table = read(write(tmp_path, text))
    assert data(table) == [("1", None, None), ("2", "x", None), ("3", None, "y")]
    assert lines(table) == [2, 4, 6]
    assert table.details["empty_rows_skipped"] == 5  # lines 3, 5, 7, 8, 9


def test_header_names_are_stripped_and_a_trailing_delimiter_column_dropped(tmp_path):
    table = read(write(tmp_path, "\ufeff case_id ; activity ;\n1;A;\n2;B;\n", encoding="utf-8"))
    assert table.frame.columns == ["case_id", "activity", ROW]
    assert data(table) == [("1", "A"), ("2", "B")]


def test_unnamed_column_with_values_is_kept_under_its_position(tmp_path):
    table = read(write(tmp_path, "a;;c\n1;2;3\n"))
    assert table.frame.columns == ["a", "column_2", "c", ROW]


def test_leading_empty_lines_and_excel_sep_line_count_towards_line_numbers(tmp_path):
    table = read(write(tmp_path, "\n\r\nsep=|\r\na|b\r\n1|x,y;z\r\n2|w\r\n"))
    assert data(table) == [("1", "x,y;z"), ("2", "w")]
    assert lines(table) == [5, 6]
    assert table.details["detected_delimiter"] == "|"
    with pytest.raises(InputError) as err:
        read(write(tmp_path, "\nsep=;\na;b\n1;2\n3;4;5\n"))
    assert (err.value.key, err.value.location.row) == ("csv.ragged_row", 5)


def test_classic_mac_line_ends_are_read(tmp_path):
    table = read(write(tmp_path, b"a;b\r1;2\r3;4\r"))
    assert data(table) == [("1", "2"), ("3", "4")]
    assert lines(table) == [2, 3]


def test_quote_char_none_reads_quotes_as_text(tmp_path):
    table = read(write(tmp_path, 'a;b\n1;5" Diskette\n'), quote_char=None)
    assert data(table) == [("1", '5" Diskette')]


# --- structural errors ------------------------------------------------------------------------------


def test_ragged_row_names_its_line(tmp_path):
    text = 'Fall;Tätigkeit;Zeit\n1;"zwei\nZeilen";t\n2;Prüfung;t;zu viel\n'
    with pytest.raises(InputError) as err:
        read(write(tmp_path, text))
    assert err.value.key == "csv.ragged_row"
    assert err.value.location.row == 4
    assert err.value.params == {"found": 4, "expected": 3, "delimiter": "';'"}
    assert "line 4" in err.value.render("en")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('a;b\n1;x\n2;5" Diskette\n3;y\n', 3),  # stray quote in an unquoted field
        ('a;b\n1;x\n2;"nie geschlossen\n3;y\n', 3),
        ('a;b\n1;"zu"früh\n', 2),
    ],
)
def test_bad_quoting_names_the_record(tmp_path, text, line):
    with pytest.raises(InputError) as err:
        read(write(tmp_path, text))
    assert (err.value.key, err.value.location.row) == ("csv.bad_quote", line)


def test_nul_bytes_are_a_binary_file(tmp_path):
    with pytest.raises(InputError) as err:
        read(write(tmp_path, b"a;b\n1;2\n3;\x00\x01\x02\n"))
    assert (err.value.key, err.value.location.row) == ("csv.binary", 3)


def test_zip_archive_renamed_to_csv(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(InputError) as err:
        read(write(tmp_path, buffer.getvalue()))
    assert err.value.key == "csv.zip_archive"
    assert ".xlsx" in err.value.render("en")


def test_header_only_file_is_left_to_the_registry(tmp_path):
    path = write(tmp_path, "a;b;c\n")
    assert csv_reader.read(path, ReadOptions()).frame.height == 0
    with pytest.raises(InputError) as err:
        read(path)
    assert err.value.key == "read.no_rows"


@pytest.mark.parametrize("suffix", [".csv", ".txt", ".tsv", ".CSV"])
def test_suffixes_are_registered(suffix):
    assert registry.detect_format(Path("export" + suffix)) == "csv"


def test_every_error_key_has_both_languages():
    from pmtool.i18n import catalogue

    keys = [k for k in catalogue() if k.startswith("csv.")]
    assert len(keys) >= 10
    for key in keys:
        assert catalogue()[key]["de"] and catalogue()[key]["en"]


# --- property: whatever Python's csv module writes, we read back ------------------------------------

# A lone "\r" is left out: Python's writer does not quote it, so its own output would be ambiguous.
CELL = st.lists(st.sampled_from([*"aZ09 äöüßÄÖÜ€\"';,\t|\n", "\r\n"]), max_size=12).map("".join)
NAME = st.text(alphabet="abcXYZ09äöüß ", min_size=1, max_size=8).map(str.strip).filter(bool)


@st.composite
def tables(draw):
    names = draw(st.lists(NAME, min_size=2, max_size=5, unique=True))
    rows = draw(st.lists(st.lists(CELL, min_size=len(names), max_size=len(names)), min_size=1, max_size=12))
    return names, rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    table=tables(),
    delimiter=st.sampled_from(csv_reader.DELIMITERS),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    newline=st.sampled_from(["\n", "\r\n"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]),
    tell_delimiter=st.booleans(),
    tell_encoding=st.booleans(),
)
def test_round_trip_of_python_csv_output(tmp_path, table, delimiter, quoting, newline, encoding,
                                         tell_delimiter, tell_encoding):
    names, rows = table
    if encoding == "latin-1":
        rows = [[cell.replace("€", "E") for cell in row] for row in rows]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator=newline)
    writer.writerow(names)
    writer.writerows(rows)
    content = buffer.getvalue().encode(encoding)
    if not tell_encoding and encoding in ("cp1252", "latin-1"):
        # A one-byte file whose non-ASCII bytes happen to form valid UTF-8 is genuinely ambiguous.
        assume(content.isascii() or csv_reader.first_invalid_utf8(content) is not None)
    path = tmp_path / "roundtrip.csv"
    path.write_bytes(content)

    got = csv_reader.read(path, ReadOptions(delimiter=delimiter if tell_delimiter else None,
                                            encoding=encoding if tell_encoding else None))

    expected, expected_lines, line = [], [], 2
    for row in rows:
        if any(row):
            expected.append(tuple(cell or None for cell in row))
            expected_lines.append(line)
        line += 1 + sum(cell.count("\n") for cell in row)
    assert got.frame.columns == [*names, ROW]
    assert got.frame.drop(ROW).rows() == expected
    assert got.frame[ROW].to_list() == expected_lines
    assert got.details["delimiter"] == delimiter
    assert all(dtype == pl.String for dtype in got.frame.drop(ROW).dtypes)


# --- large files, parsed in pieces ----------------------------------------------------------------------


def _records(rng) -> str:
    """Rows with what a cut between pieces must respect: quoted fields over several lines, quotes inside
    quotes, empty lines, empty strings, short rows, CRLF and LF line ends, umlauts."""
    out = ['Fall;"Tät;igkeit";Zeit\r\n']
    for i in range(rng.randint(40, 120)):
        kind = rng.randint(0, 7)
        end = rng.choice(["\n", "\r\n"])
        if kind == 0:
            out.append(f'{i};"zwei\nZeilen ""zitiert""";t{i}{end}')
        elif kind == 1:
            out.append(end)
        elif kind == 2:
            out.append(f'{i};"";{end}')
        elif kind == 3:
            out.append(f"{i};Prüfung{end}")
        elif kind == 4:
            out.append(f'"{i}";"a;b";" t "{end}')
        else:
            out.append(f"{i};Schritt {i};2025-01-0{i % 9 + 1}{end}")
    return "".join(out)


@pytest.mark.parametrize("seed", range(12))
def test_a_file_parsed_in_pieces_reads_as_in_one(tmp_path, monkeypatch, seed):
    import random

    text = _records(random.Random(seed))
    path = write(tmp_path, text)
    whole = read(path)
    monkeypatch.setattr(csv_reader, "_PIECE_BYTES", random.Random(seed).randint(1, 64))
    cut = csv_reader._pieces(path.read_bytes(), '"')
    assert len(cut) > 5
    assert all(piece.startswith('Fall;"Tät;igkeit";Zeit\r\n'.encode()) for piece in cut)

    def whole_file(*args):
        raise AssertionError("the pieces were read, not the whole file")

    monkeypatch.setattr(csv_reader, "_parse", whole_file)
    pieces = read(path)
    assert pieces.frame.equals(whole.frame)
    assert pieces.frame.columns == whole.frame.columns
    assert pieces.details == whole.details


def test_a_file_parsed_in_pieces_names_the_same_problem(tmp_path, monkeypatch):
    text = "a;b\n" + "".join(f"{i};x\n" for i in range(50)) + '1;"zwei\nZeilen"\n' + "2;x;zu viel\n"
    path = write(tmp_path, text)
    with pytest.raises(InputError) as whole:
        read(path)
    monkeypatch.setattr(csv_reader, "_PIECE_BYTES", 16)
    with pytest.raises(InputError) as pieces:
        read(path)
    assert (pieces.value.key, pieces.value.location.row) == (whole.value.key, whole.value.location.row) \
        == ("csv.ragged_row", 54)
