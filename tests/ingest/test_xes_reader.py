"""The XES reader: values, UTC timestamps across DST, line numbers, gzip, refused entities, real logs."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import polars as pl
import pytest

from pmtool.errors import InputError
from pmtool.ingest import registry
from pmtool.ingest.readers import xes
from pmtool.ingest.registry import ROW, ReadOptions

REAL_LOGS = Path(__file__).resolve().parents[2].parent / "shared" / "real_logs"
UTC = dt.UTC

HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'
LOG = """<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <global scope="event"><string key="concept:name" value="UNKNOWN"/></global>
  <classifier name="Activity" keys="concept:name"/>
  <string key="source" value="Fachanwendung"/>
  <trace>
    <string key="concept:name" value="Fall-Ü1"/>
    <string key="Kreis" value="Görlitz"/>
    <event>
      <string key="concept:name" value="Meldung eingegangen"/>
      <string key="org:resource" value="Frau Müller"/>
      <string key="org:role" value="Sachbearbeitung"/>
      <string key="lifecycle:transition" value="complete"/>
      <date key="time:timestamp" value="2025-03-30T01:59:59+01:00"/>
      <int key="Anzahl" value="3"/>
    </event>
    <event>
      <string key="concept:name" value="Ermittlung begonnen"/>
      <date key="time:timestamp" value="2025-03-30T03:00:00.250+02:00"/>
    </event>
  </trace>
  <trace>
    <string key="concept:name" value="Fall-Ä2"/>
    <event>
      <string key="concept:name" value="Meldung eingegangen"/>
      <date key="time:timestamp" value="2025-10-26T02:30:00+02:00"/>
    </event>
    <event>
      <string key="concept:name" value="Übermittlung an LUA"/>
      <date key="time:timestamp" value="2025-10-26T02:30:00+01:00"/>
    </event>
    <event>
      <string key="concept:name" value="Abschluss"/>
      <date key="time:timestamp" value="2025-10-27T09:00:00Z"/>
    </event>
    <event>
      <string key="concept:name" value="Archiviert"/>
      <date key="time:timestamp" value="2025-10-28T09:00:00"/>
    </event>
  </trace>
</log>
"""

EXPECTED_UTC = [
    dt.datetime(2025, 3, 30, 0, 59, 59, tzinfo=UTC),
    dt.datetime(2025, 3, 30, 1, 0, 0, 250000, tzinfo=UTC),
    dt.datetime(2025, 10, 26, 0, 30, tzinfo=UTC),  # CEST, before the clocks go back
    dt.datetime(2025, 10, 26, 1, 30, tzinfo=UTC),  # the same wall time again, now CET
    dt.datetime(2025, 10, 27, 9, 0, tzinfo=UTC),
    dt.datetime(2025, 10, 28, 9, 0, tzinfo=UTC),  # no offset: taken as UTC
]


def write(tmp_path: Path, text: str, name: str = "log.xes") -> Path:
    path = tmp_path / name
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


def event_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1) if line.strip() == "<event>"]


def read(path: Path, **options: str | None):
    return registry.read(path, ReadOptions(**options))


def test_small_log_values_columns_and_lines(tmp_path):
    text = HEADER + LOG
    table = read(write(tmp_path, text))
    frame = table.frame
    assert table.format == "xes"
    assert table.row_label == "line"
    assert frame["case:concept:name"].to_list() == ["Fall-Ü1"] * 2 + ["Fall-Ä2"] * 4
    assert frame["case:Kreis"].to_list() == ["Görlitz"] * 2 + [None] * 4
    assert frame["concept:name"].to_list()[3] == "Übermittlung an LUA"
    assert frame["org:resource"].to_list()[0] == "Frau Müller"
    assert frame["Anzahl"].to_list()[:2] == [3, None]  # an <int> stays a number
    assert frame.schema["time:timestamp"] == pl.Datetime("us", "UTC")
    assert frame["time:timestamp"].to_list() == EXPECTED_UTC
    assert frame[ROW].to_list() == event_lines(text)
    assert "case:source" not in frame.columns  # log-level attributes are not case attributes
    assert table.default_columns == {
        "case_id": "case:concept:name",
        "activity": "concept:name",
        "timestamp": "time:timestamp",
        "resource": "org:resource",
        "role": "org:role",
        "lifecycle": "lifecycle:transition",
    }
    assert table.details["traces"] == 2
    assert table.details["events"] == 6
    assert table.details["timestamps_without_offset_as_utc"] == 1
    assert table.details["timestamps_unparsable"] == 0
    assert table.details["line_numbers_exact"] is True
    assert table.details["compressed"] is False


def test_gzip_gives_the_same_table(tmp_path):
    plain = read(write(tmp_path, HEADER + LOG))
    packed = read(write(tmp_path, HEADER + LOG, "log.xes.gz"))
    assert registry.detect_format(tmp_path / "log.xes.gz") == "xes"
    assert packed.frame.equals(plain.frame)
    assert packed.details["compressed"] is True


def test_truncated_gzip_is_an_input_error(tmp_path):
    data = gzip.compress((HEADER + LOG * 1).encode())
    path = tmp_path / "cut.xes.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="corrupt or truncated") as info:
        read(path)
    assert info.value.key == "xes.gzip_corrupt"
    assert "\n" not in str(info.value)


def test_malformed_xml_names_line_and_column(tmp_path):
    text = HEADER + "<log>\n<trace>\n  <event>\n    <string key='a' value='b'/>\n</trace>\n</log>\n"
    path = write(tmp_path, text, "kaputt.xes")
    with pytest.raises(InputError) as info:
        read(path)
    message = str(info.value)
    assert message.startswith(f"{path}, line 6: malformed XML: Opening and ending tag mismatch")
    assert "column" in message
    assert "\n" not in message


def test_xxe_is_refused_before_any_parser_sees_the_file(tmp_path, monkeypatch):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    text = (
        HEADER
        + f'<!DOCTYPE log [<!ENTITY e SYSTEM "{secret.as_uri()}">]>\n'
        + '<log><trace><event><string key="concept:name" value="&e;"/></event></trace></log>\n'
    )

    def no_parser(*args, **kwargs):
        raise AssertionError("the parser must not run on a file with entity declarations")

    monkeypatch.setattr(xes, "secure_iterparse", no_parser)
    path = write(tmp_path, text)
    with pytest.raises(InputError, match="entity declarations are not allowed") as info:
        read(path)
    assert str(info.value).startswith(f"{path}, line 2: ")
    assert "TOP-SECRET" not in str(info.value)


def test_billion_laughs_is_refused(tmp_path):
    entities = '<!ENTITY lol "lol">\n' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">\n'
        for i in range(1, 10)
    )
    text = HEADER + "<!DOCTYPE lolz [\n" + entities + "]>\n<log><trace><event>"
    text += '<string key="concept:name" value="&lol9;"/></event></trace></log>\n'
    with pytest.raises(InputError, match="entity declarations are not allowed") as info:
        read(write(tmp_path, text))
    assert "line 3" in str(info.value)  # the first <!ENTITY


def test_parser_guard_refuses_an_internal_subset_the_prolog_check_missed(tmp_path, monkeypatch):
    monkeypatch.setattr(xes, "_PROLOG_BYTES", 8)  # the text check sees too little to decide
    text = HEADER + '<!DOCTYPE log [<!ENTITY e "harmless here, but refused">]>\n' + LOG
    with pytest.raises(InputError, match="entity declarations are not allowed"):
        read(write(tmp_path, text))


def test_external_doctype_without_subset_is_read_and_not_fetched(tmp_path):
    text = HEADER + '<!DOCTYPE log SYSTEM "http://example.invalid/xes.dtd">\n' + LOG
    table = read(write(tmp_path, text))
    assert table.frame.height == 6


def test_log_without_events_is_a_registry_error(tmp_path):
    text = HEADER + '<log xmlns="http://www.xes-standard.org/">\n  <string key="a" value="b"/>\n</log>\n'
    with pytest.raises(InputError) as info:
        read(write(tmp_path, text))
    assert info.value.key == "read.no_rows"


def test_other_xml_root_is_not_xes(tmp_path):
    with pytest.raises(InputError, match="expected <log>"):
        read(write(tmp_path, HEADER + "<definitions><trace/></definitions>\n"))


def test_nested_attributes_are_skipped_and_counted(tmp_path):
    text = HEADER + (
        "<log><trace><string key='concept:name' value='c1'/>\n"
        "<event><string key='concept:name' value='A'/>\n"
        "  <date key='time:timestamp' value='2025-01-02T10:00:00+01:00'/>\n"
        "  <list key='items'><values><string key='x' value='1'/></values></list>\n"
        "  <string key='note' value='mit Meta'><string key='meta' value='ignored'/></string>\n"
        "</event></trace></log>\n"
    )
    table = read(write(tmp_path, text))
    assert table.details["nested_attributes_skipped"] == 1
    assert "items" not in table.frame.columns
    assert table.frame["note"].to_list() == ["mit Meta"]
    assert "meta" not in table.frame.columns


def test_event_attribute_named_like_a_case_attribute_is_kept_apart(tmp_path):
    text = HEADER + (
        "<log><trace><string key='concept:name' value='Fall 1'/><string key='Kreis' value='Bautzen'/>\n"
        "<event><string key='concept:name' value='A'/><string key='case:Kreis' value='Görlitz'/></event>\n"
        "</trace></log>\n"
    )
    frame = read(write(tmp_path, text)).frame
    assert frame["case:Kreis"].to_list() == ["Bautzen"]
    assert frame["event:case:Kreis"].to_list() == ["Görlitz"]


def test_unparsable_and_missing_timestamps_are_left_to_the_pipeline(tmp_path):
    text = HEADER + (
        "<log><trace><string key='concept:name' value='c1'/>\n"
        "<event><string key='concept:name' value='A'/><date key='time:timestamp' value='gestern'/></event>\n"
        "<event><string key='concept:name' value='B'/></event>\n"
        "<event><string key='concept:name' value='C'/>"
        "<date key='time:timestamp' value='2025-02-03T04:05:06+0100'/></event>\n"
        "</trace></log>\n"
    )
    table = read(write(tmp_path, text))
    assert table.frame["time:timestamp"].to_list() == [
        None,
        None,
        dt.datetime(2025, 2, 3, 3, 5, 6, tzinfo=UTC),
    ]
    assert table.details["timestamps_unparsable"] == 1
    assert table.details["timestamps_unparsable_lines"] == [3]
    assert table.details["events_without_timestamp"] == 2


def test_line_numbers_stay_exact_beyond_libxml2s_65535_limit(tmp_path):
    events = "".join(f"<event><string key='concept:name' value='a{i}'/></event>\n" for i in range(70_000))
    text = "<log><trace><string key='concept:name' value='c'/>\n" + events + "</trace></log>\n"
    table = read(write(tmp_path, text))
    assert table.details["line_numbers_exact"] is True
    assert table.frame[ROW].to_list() == list(range(2, 70_002))


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2025-03-30T01:30:00+01:00", dt.datetime(2025, 3, 30, 0, 30, tzinfo=UTC)),
        ("2025-03-30T03:30:00+02:00", dt.datetime(2025, 3, 30, 1, 30, tzinfo=UTC)),
        ("2025-10-26T02:00:00.5+02:00", dt.datetime(2025, 10, 26, 0, 0, 0, 500000, tzinfo=UTC)),
        ("2025-10-26T02:59:59+01:00", dt.datetime(2025, 10, 26, 1, 59, 59, tzinfo=UTC)),
        ("2011-10-11T13:45:40.276+02:00", dt.datetime(2011, 10, 11, 11, 45, 40, 276000, tzinfo=UTC)),
        ("2020-01-01T00:00:00Z", dt.datetime(2020, 1, 1, tzinfo=UTC)),
        ("2020-01-01 08:00:00+02", dt.datetime(2020, 1, 1, 6, tzinfo=UTC)),
        ("2020-01-01T08:00+0200", dt.datetime(2020, 1, 1, 6, tzinfo=UTC)),
        ("2020-01-01T00:00:00.123456789-05:00", dt.datetime(2020, 1, 1, 5, 0, 0, 123456, tzinfo=UTC)),
        ("01.01.2020", None),
    ],
)
def test_iso_timestamp_parsing(value, expected):
    parsed, _, unparsable = xes.parse_iso_timestamps(pl.Series([value]))
    assert parsed.to_list() == [expected]
    assert unparsable == (expected is None)


# --------------------------------------------------------------------------- real logs against pm4py


def real_log(name: str) -> Path:
    path = REAL_LOGS / name
    if not path.exists():
        pytest.skip(f"real log {name} not found in {REAL_LOGS} (tests read the shared logs, never a copy)")
    return path


def pm4py_counts(path: Path) -> tuple[int, int, int, dt.datetime, dt.datetime]:
    pm4py = pytest.importorskip("pm4py")
    df = pm4py.read_xes(str(path), show_progress_bar=False)
    ts = df["time:timestamp"]
    return (
        df["case:concept:name"].nunique(),
        len(df),
        df["concept:name"].nunique(),
        ts.min().to_pydatetime(),
        ts.max().to_pydatetime(),
    )


def our_counts(table: registry.RawTable) -> tuple[int, int, int, dt.datetime, dt.datetime]:
    frame = table.frame
    ts = frame["time:timestamp"]
    return (
        frame["case:concept:name"].n_unique(),
        frame.height,
        frame["concept:name"].n_unique(),
        ts.min(),
        ts.max(),
    )


def test_receipt_log_matches_pm4py():
    path = real_log("receipt.xes.gz")
    ours = our_counts(read(path))
    assert ours[:3] == (1434, 8577, 27)
    assert ours == pm4py_counts(path)


def first_traces(path: Path, n: int, target: Path) -> Path:
    """The real log ``path`` cut after its ``n``-th trace: its own header, its first traces, ``</log>``."""
    import gzip

    text = gzip.decompress(path.read_bytes()).decode("utf-8")
    at = -1
    for _ in range(n):
        at = text.index("</trace>", at + 1)
    target.write_text(text[: at + len("</trace>")] + "\n</log>\n", encoding="utf-8")
    return target


@pytest.mark.slow
def test_road_traffic_fines_matches_pm4py(tmp_path):
    path = real_log("road_traffic_fines.xes.gz")
    table = read(path)
    assert table.details["line_numbers_exact"] is True
    assert our_counts(table)[:3] == (150_370, 561_470, 11)
    # pm4py takes about two minutes for the whole file: it is compared on the file's first 15,000 traces
    cut = first_traces(path, 15_000, tmp_path / "first.xes")
    ours = our_counts(read(cut))
    assert ours[:2] == (15_000, 52_217)
    assert ours == pm4py_counts(cut)


def test_typed_attributes_keep_their_types(tmp_path):
    events = [
        '<int key="n" value="3"/><float key="amount" value="360.0"/><boolean key="paid" value="true"/>'
        '<date key="due" value="2025-01-02T00:30:00+01:00"/><string key="note" value="a"/>'
        '<int key="mixed" value="1"/><int key="broken" value="7"/>',
        '<int key="n" value="4"/><float key="amount" value="nan"/><boolean key="paid" value="0"/>'
        '<float key="note" value="nan"/><float key="mixed" value="2.5"/><int key="broken" value="x"/>',
    ]
    body = "".join(f'<event><string key="concept:name" value="A"/>'
                   f'<date key="time:timestamp" value="2025-01-0{i + 1}T08:00:00Z"/>{e}</event>'
                   for i, e in enumerate(events))
    table = read(write(tmp_path, HEADER + f'<log><trace><string key="concept:name" value="c"/>{body}</trace></log>'))
    frame = table.frame
    assert frame.schema["n"] == pl.Int64 and frame["n"].to_list() == [3, 4]
    assert frame.schema["amount"] == pl.Float64
    assert frame["amount"][0] == 360.0 and frame["amount"].is_nan()[1]
    assert frame["paid"].to_list() == [True, False]
    assert frame.schema["due"] == pl.Datetime("us", "UTC")
    assert frame["due"][0].isoformat() == "2025-01-01T23:30:00+00:00"
    assert frame["note"].to_list() == ["a", None]  # a float NaN beside text is no value, not the text "nan"
    assert frame.schema["mixed"] == pl.Float64 and frame["mixed"].to_list() == [1.0, 2.5]
    assert frame["broken"].to_list() == ["7", "x"]  # does not parse as a number: kept as text, said so
    assert table.details["typed_attributes_kept_as_text"] == "broken"
