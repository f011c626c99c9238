"""The ingest pipeline from the user's side: a CSV export and a profile in, a reconciled result out."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pmtool.errors import ConfigError, InputError, PrivacyError
from pmtool.eventlog import schema
from pmtool.ingest.pipeline import REASONS, ingest
from pmtool.ingest.profile import profile_from_dict
from pmtool.ingest.pseudonymise import pseudonym

HEADER = "Aktenzeichen;Tätigkeit;Zeitpunkt;Bearbeiter;Erreger\n"
PROFILE = {
    "office": "GA-07",
    "source_system": "OctoWare TN",
    "columns": {"case_id": "Aktenzeichen", "activity": "Tätigkeit", "timestamp": "Zeitpunkt",
                "resource": "Bearbeiter", "keep": ["Erreger"]},
    "activities": {"map": {"Meldung erfasst": "IS-01", "Fall neu": "IS-05", "Übermittlung": "IS-10"}},
}


def write(tmp_path: Path, body: str, name: str = "GA-07_export.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes((HEADER + body).encode(encoding))
    return path


def test_loads_maps_and_pseudonymises(tmp_path, key):
    path = write(tmp_path, "A1;Meldung erfasst;31.10.2025 14:05;Müller;Noro\n"
                           "A1;Fall neu;31.10.2025 14:07;Müller;Noro\n"
                           "A1;Übermittlung;03.11.2025;Schmidt;Noro\n")
    result = ingest(path, profile_from_dict(PROFILE), key=key)
    frame = result.log.frame
    assert frame.columns[: len(schema.CANONICAL)] == list(schema.CANONICAL)
    assert frame[schema.ACTIVITY].to_list() == ["Meldung eingegangen", "Fall angelegt",
                                                "Fall an Landesstelle übermittelt"]
    assert frame[schema.ACTIVITY_CODE].to_list() == ["IS-01", "IS-05", "IS-10"]
    assert set(frame[schema.CASE_ID]) == {pseudonym(key, "case", "A1")}
    assert frame[schema.RESOURCE].to_list()[0] == pseudonym(key, "resource", "Müller")
    assert "Müller" not in frame.write_csv()
    # 14:05 CET is 13:05 UTC; the date-only row is local midnight with precision "date"
    assert frame[schema.TIMESTAMP][0].isoformat() == "2025-10-31T13:05:00+00:00"
    assert frame[schema.PRECISION].to_list() == ["datetime", "datetime", "date"]
    assert frame[schema.TIMESTAMP][2].isoformat() == "2025-11-02T23:00:00+00:00"
    assert frame[schema.SOURCE_SYSTEM].unique().to_list() == ["OctoWare TN"]
    assert frame["Erreger"].to_list() == ["Noro"] * 3
    assert frame[schema.SOURCE_ROW].to_list() == [2, 3, 4]
    s = result.summary
    assert (s.rows_read, s.rows_loaded, s.rows_quarantined) == (3, 3, 0)
    assert s.coverage == 1.0 and s.reconciles and s.pseudonymised and s.key_id == key.key_id


def test_every_bad_row_is_quarantined_with_its_reason(tmp_path, key):
    path = write(tmp_path, (
        "A1;Meldung erfasst;31.10.2025 14:05;Müller;Noro\n"       # 2 ok
        "A1;Meldung erfasst;31.10.2025 14:05;Müller;Noro\n"       # 3 duplicate of 2
        ";Fall neu;31.10.2025 14:07;Müller;Noro\n"                # 4 no case id
        "A2;;31.10.2025 14:07;Müller;Noro\n"                      # 5 no activity
        "A2;Fall neu;31.02.2025 10:00;Müller;Noro\n"              # 6 no such date
        "A2;Fall neu;30.03.2025 02:30;Müller;Noro\n"              # 7 DST gap
        "A2;Fall neu;;Müller;Noro\n"                              # 8 no timestamp
        "A3;Sonstiges;01.04.2025 10:00;;Noro\n"                   # 9 unmapped label, kept
        "A3;Fall neu;01.04.2025 11:00;Weiß;Noro\n"                # 10 ok
        "A4;Meldung erfasst;02.04.2025 11:00;Weiß;Noro\n"         # 11 ok
    ))
    result = ingest(path, profile_from_dict(PROFILE), key=key)
    q = result.quarantine
    assert dict(zip(q["source_row"], q["reason"], strict=True)) == {
        3: "duplicate_event", 4: "missing_case_id", 5: "missing_activity", 6: "unparsable_timestamp",
        7: "dst_nonexistent_time", 8: "missing_timestamp"}
    s = result.summary
    assert s.rows_read == 10 == s.rows_loaded + s.rows_quarantined
    assert s.quarantine_by_reason == {"missing_case_id": 1, "missing_activity": 1, "missing_timestamp": 1,
                                      "unparsable_timestamp": 1, "dst_nonexistent_time": 1, "duplicate_event": 1}
    assert set(s.quarantine_by_reason) <= set(REASONS)
    assert s.unmapped_labels == {"Sonstiges": 1}
    assert s.coverage == pytest.approx(3 / 4)
    # the quarantine never holds a raw identifier, but keeps the value that failed
    text = q.write_csv()
    assert "Müller" not in text and ";A2;" not in text and "A2," not in text
    assert q.filter(pl.col("source_row") == 6)["value"].item() == "31.02.2025 10:00"
    assert q.filter(pl.col("source_row") == 6)["column"].item() == "Zeitpunkt"


def test_full_map_required_quarantines_unknown_labels(tmp_path, key):
    path = write(tmp_path, "A1;Meldung erfasst;31.10.2025 14:05;M;x\nA1;Kaffee;31.10.2025 14:06;M;x\n")
    prof = profile_from_dict({**PROFILE, "activities": {**PROFILE["activities"], "require_full_map": True}})
    result = ingest(path, prof, key=key)
    assert result.quarantine["reason"].to_list() == ["unmapped_activity"]
    assert result.summary.unmapped_labels == {"Kaffee": 1}
    assert result.summary.coverage == 1.0


def test_ignored_labels_are_counted_not_lost(tmp_path, key):
    path = write(tmp_path, "A1;Meldung erfasst;31.10.2025 14:05;M;x\nA1;Autosave;31.10.2025 14:06;M;x\n")
    prof = profile_from_dict({**PROFILE, "activities": {**PROFILE["activities"], "ignore": ["Autosave"]}})
    result = ingest(path, prof, key=key)
    assert result.summary.quarantine_by_reason == {"excluded_by_profile": 1}
    assert result.summary.unmapped_labels == {}


def test_dst_overlap_policy(tmp_path, key):
    path = write(tmp_path, "A1;Meldung erfasst;26.10.2025 02:30;M;x\n")
    earliest = ingest(path, profile_from_dict(PROFILE), key=key).log.frame[schema.TIMESTAMP].item()
    latest_prof = profile_from_dict({**PROFILE, "timestamps": {"ambiguous": "latest"}})
    latest = ingest(path, latest_prof, key=key).log.frame[schema.TIMESTAMP].item()
    assert earliest.isoformat() == "2025-10-26T00:30:00+00:00"  # still summer time (CEST)
    assert latest.isoformat() == "2025-10-26T01:30:00+00:00"    # already winter time (CET)
    q_prof = profile_from_dict({**PROFILE, "timestamps": {"ambiguous": "quarantine"}})
    assert ingest(path, q_prof, key=key, max_invalid_share=1.0).quarantine["reason"].to_list() == [
        "dst_ambiguous_time"]


def test_split_date_and_time_columns(tmp_path, key):
    path = tmp_path / "GA-03.csv"
    path.write_text("Fall;Schritt;Datum;Uhrzeit\nX;Fall neu;31.10.2025;14:05\nX;Übermittlung;03.11.2025;\n")
    prof = profile_from_dict({"columns": {"case_id": "Fall", "activity": "Schritt",
                                          "timestamp": ["Datum", "Uhrzeit"]},
                              "activities": {"map": {"Fall neu": "IS-05", "Übermittlung": "IS-10"}}})
    log = ingest(path, prof, key=key).log
    assert log.frame[schema.PRECISION].to_list() == ["datetime", "date"]
    assert log.frame[schema.OFFICE].unique().to_list() == ["GA-03"]  # from the file name


def test_wrong_date_format_is_an_error_not_a_quarantine(tmp_path, key):
    path = write(tmp_path, "A1;Meldung erfasst;10/31/2025 2:05 PM;M;x\nA1;Fall neu;10/31/2025 2:07 PM;M;x\n")
    with pytest.raises(InputError) as err:
        ingest(path, profile_from_dict(PROFILE), key=key)
    msg = err.value.render("en")
    assert msg.startswith(f"{path}, line 2, column 'Zeitpunkt': 2 of 2 timestamps cannot be read")
    assert "99/99/9999 9:99 XX" in msg and "10/31" not in msg  # the shape of the value, not the value
    assert "[timestamps] formats" in msg


def test_missing_column_names_what_was_found(tmp_path, key):
    path = tmp_path / "GA-07.csv"
    path.write_text("Aktenzeichen;Tätigkeit;Datum\nA;B;01.01.2025\n")
    with pytest.raises(InputError) as err:
        ingest(path, profile_from_dict(PROFILE), key=key)
    msg = err.value.render("en")
    assert "column 'Zeitpunkt'" in msg and "'Datum'" in msg and "timestamp" in msg
    assert "delimiter" in msg and "line 1" in msg  # delimited text: the header line, maybe the delimiter


def test_a_misspelt_xes_attribute_is_named_with_its_closest_match_and_no_delimiter_advice(tmp_path, key):
    """An XES log has attributes, not a header line with a delimiter; the attribute meant is named first,
    even when the log has more attributes than the message lists."""
    extra = "".join(f'<string key="attr:{i:02d}" value="x"/>' for i in range(14))  # listed before concept:name
    path = tmp_path / "GA-07.xes"
    path.write_text('<log><trace><string key="concept:name" value="A1"/><event>' + extra
                    + '<string key="concept:name" value="Step"/><date key="time:timestamp" '
                    'value="2025-01-02T09:00:00+01:00"/></event></trace></log>', encoding="utf-8")
    profile = profile_from_dict({"columns": {"activity": "concept:nam"}})
    with pytest.raises(InputError) as err:
        ingest(path, profile, office="GA-07", key=key)
    msg = err.value.render("en")
    assert "Did you mean 'concept:name'?" in msg and msg.index("'concept:name'") < msg.index("'attr:00'")
    assert "delimiter" not in msg and "line 1" not in msg


def test_without_key_refuses_unless_allowed(tmp_path):
    path = write(tmp_path, "A1;Meldung erfasst;31.10.2025 14:05;Müller;x\n")
    with pytest.raises(PrivacyError):
        ingest(path, profile_from_dict(PROFILE))
    result = ingest(path, profile_from_dict(PROFILE), allow_identifiable=True)
    assert result.log.frame[schema.CASE_ID].to_list() == ["A1"]
    assert not result.summary.pseudonymised


def test_csv_needs_a_profile(tmp_path, key):
    path = write(tmp_path, "A1;Meldung erfasst;31.10.2025 14:05;M;x\n")
    with pytest.raises(ConfigError, match="needs a mapping profile"):
        ingest(path, key=key)


def test_csv_without_profile_in_a_project_says_where_the_profile_goes(tmp_path, key):
    from pmtool.analysis import _ingest
    from pmtool.project import ExportSource

    path = write(tmp_path, "A1;Meldung erfasst;31.10.2025 14:05;M;x\n")
    with pytest.raises(ConfigError, match="needs a mapping profile") as caught:
        _ingest(ExportSource("GA-01", "P1", path, None), key, False)
    text = caught.value.render("en")
    assert 'profile = "<name>.profile.toml"' in text and "--profile" not in text  # run has no --profile


def test_same_key_same_pseudonyms_across_offices(tmp_path, key):
    a = write(tmp_path, "A1;Meldung erfasst;31.10.2025 14:05;Müller;x\n", name="GA-01.csv")
    b = write(tmp_path, "A1;Meldung erfasst;31.10.2025 14:05;Müller;x\n", name="GA-02.csv")
    prof = {k: v for k, v in PROFILE.items() if k != "office"}
    la = ingest(a, profile_from_dict(prof), key=key).log.frame
    lb = ingest(b, profile_from_dict(prof), key=key).log.frame
    assert la[schema.CASE_ID].item() == lb[schema.CASE_ID].item()
    assert (la[schema.OFFICE].item(), lb[schema.OFFICE].item()) == ("GA-01", "GA-02")


def test_deterministic(tmp_path, key):
    path = write(tmp_path, "".join(f"A{i % 7};Fall neu;0{1 + i % 9}.10.2025 1{i % 10}:00;M{i % 3};x\n"
                                   for i in range(200)))
    first = ingest(path, profile_from_dict(PROFILE), key=key)
    second = ingest(path, profile_from_dict(PROFILE), key=key)
    assert schema.validate(first.log.frame, check_order=True) == []  # canonical order, sorted by pseudonym
    assert first.log.frame[schema.CASE_ID].n_unique() == 7
    assert first.log.frame.equals(second.log.frame)
    assert first.quarantine.equals(second.quarantine)
    assert first.summary == second.summary


def test_a_duplicate_is_equal_in_every_column(tmp_path, key):
    path = write(tmp_path, "A1;Meldung erfasst;31.10.2025 14:05;Müller;Noro\n"
                           "A1;Meldung erfasst;31.10.2025 14:05;Müller;Noro\n"      # copy of row 2: dropped
                           "A1;Meldung erfasst;31.10.2025 14:05;Müller;Salmonellen\n")  # differs in one column
    result = ingest(path, profile_from_dict(PROFILE), key=key)
    assert result.log.frame["Erreger"].to_list() == ["Noro", "Salmonellen"]
    assert result.quarantine["source_row"].to_list() == [3]
    assert result.log.provenance.settings["duplicate_key"] == "all columns"
    narrow = profile_from_dict({**PROFILE, "duplicates": {"key": ["case_id", "activity", "Zeitpunkt"]}})
    assert ingest(path, narrow, key=key).quarantine["source_row"].to_list() == [3, 4]
    unknown = profile_from_dict({**PROFILE, "duplicates": {"key": ["case_id", "Betrag"]}})
    with pytest.raises(ConfigError, match="'Betrag'"):
        ingest(path, unknown, key=key)


def test_same_day_payments_that_differ_in_amount_are_events(tmp_path):
    events = "".join(
        f'<event><string key="concept:name" value="Payment"/><date key="time:timestamp" '
        f'value="2006-07-24T00:00:00+00:00"/><float key="paymentamount" value="{amount}"/></event>\n'
        for amount in ("360.0", "490.0", "870.0", "870.0"))
    path = tmp_path / "fines.xes"
    path.write_text(f'<log><trace><string key="concept:name" value="A1"/>{events}</trace></log>', encoding="utf-8")
    result = ingest(path, profile_from_dict({"columns": {"keep": ["paymentamount"]}}), office="IT-1",
                    allow_identifiable=True)
    assert result.log.frame["paymentamount"].to_list() == [360.0, 490.0, 870.0]
    left_out = ingest(path, office="IT-1", allow_identifiable=True)  # not kept: still decides what is a copy
    assert "paymentamount" not in left_out.log.frame.columns and left_out.log.frame.height == 3
    assert result.summary.quarantine_by_reason == {"duplicate_event": 1}


@pytest.mark.slow
def test_road_traffic_fines_keeps_every_payment_and_its_types():
    from conftest import real_log

    from pmtool.eventlog.overview import variants

    keep = profile_from_dict({"columns": {"keep": ["amount", "article", "dismissal"]}})
    result = ingest(real_log("road_traffic_fines.xes.gz"), keep, office="IT-1", allow_identifiable=True)
    assert result.summary.rows_quarantined == 0
    assert variants(result.log).height == 231  # what pm4py finds in this log (pm4py.get_variants)
    frame = result.log.frame
    assert frame.schema["amount"] == pl.Float64 and frame.schema["article"] == pl.Float64
    assert frame.schema["dismissal"] == pl.String and "nan" not in frame["dismissal"].drop_nulls().to_list()


def _xes(tmp_path: Path, stamps: list[str]) -> Path:
    events = "".join(f'<event><string key="concept:name" value="Step {i}"/><date key="time:timestamp" '
                     f'value="{stamp}"/></event>\n' for i, stamp in enumerate(stamps))
    path = tmp_path / "dates.xes"
    path.write_text(f'<log><trace><string key="concept:name" value="A1"/>{events}</trace></log>', encoding="utf-8")
    return path


def test_a_source_full_of_local_midnights_gives_dates(tmp_path):
    from pmtool.eventlog.overview import quality_flags
    from pmtool.ingest.timestamps import MIDNIGHT_DATE_SHARE

    # 3 of 20 events (15 %) at local midnight (+01:00 = Europe/Berlin winter time): far above chance
    stamps = [f"2025-01-{d:02d}T09:{d:02d}:00+01:00" for d in range(1, 18)]
    stamps += ["2025-01-20T00:00:00+01:00", "2025-01-21T00:00:00+01:00", "2025-01-22T23:00:00+00:00"]
    result = ingest(_xes(tmp_path, stamps), office="GA-07", allow_identifiable=True)
    frame = result.log.frame
    assert MIDNIGHT_DATE_SHARE < 3 / 20
    assert frame.filter(pl.col(schema.PRECISION) == "date")[schema.ACTIVITY].to_list() == [
        "Step 17", "Step 18", "Step 19"]
    assert result.summary.date_only_events == 3
    flags = {flag.code: flag.count for flag in quality_flags(result.log)}
    assert flags["date_only_timestamps"] == 3


def test_a_rare_midnight_stays_a_time(tmp_path):
    # 1 of 30 (3.3 %): a night event, not a date; 00:00 UTC is 01:00 local and no midnight at all
    stamps = [f"2025-01-{d:02d}T09:00:00+01:00" for d in range(1, 29)]
    stamps += ["2025-01-29T00:00:00+01:00", "2025-01-30T00:00:00+00:00"]
    result = ingest(_xes(tmp_path, stamps), office="GA-07", allow_identifiable=True)
    assert result.log.frame[schema.PRECISION].unique().to_list() == ["datetime"]
    assert result.summary.date_only_events == 0


def test_dates_written_as_utc_midnight_are_dates(tmp_path):
    # an export that writes its days as midnight UTC (01:00 in Berlin): every event a date
    stamps = [f"2025-01-{d:02d}T00:00:00+00:00" for d in range(1, 11)] + ["2025-01-11T14:30:00+00:00"]
    result = ingest(_xes(tmp_path, stamps), office="GA-07", allow_identifiable=True)
    assert result.log.frame[schema.PRECISION].to_list() == ["date"] * 10 + ["datetime"]


@pytest.mark.parametrize("keyed", [True, False])
def test_an_export_read_in_pieces_gives_the_same_log_quarantine_and_summary(tmp_path, key, monkeypatch, keyed):
    from pmtool.ingest.readers import csv as csv_reader

    rows = []
    for i in range(60):  # copies, bad rows, white space, cases out of order, umlauts
        case = f" A{(i * 7) % 13} " if i % 5 == 0 else f"A{(i * 7) % 13}"
        activity = ["Meldung erfasst", "Fall neu", "Übermittlung", "Sonstiges", ""][i % 5]
        time = ["31.10.2025 14:05", "31.02.2025 10:00", "30.03.2025 02:30", "", f"0{i % 9 + 1}.04.2025"][i % 4]
        rows.append(f"{case};{activity};{time};{'Müller' if i % 3 else 'Weiß'};Noro\n")
        if i % 11 == 0:
            rows.append(rows[-1])
    path = write(tmp_path, "".join(rows))
    whole = ingest(path, profile_from_dict(PROFILE), key=key if keyed else None, allow_identifiable=not keyed)
    monkeypatch.setattr(csv_reader, "_PIECE_BYTES", 50)
    assert len(csv_reader._pieces(path.read_bytes(), '"')) > 10
    pieces = ingest(path, profile_from_dict(PROFILE), key=key if keyed else None, allow_identifiable=not keyed)
    assert pieces.log.frame.equals(whole.log.frame)
    assert pieces.quarantine.equals(whole.quarantine)
    assert pieces.summary == whole.summary
    assert whole.summary.rows_quarantined and whole.summary.quarantine_by_reason.get("duplicate_event")


@pytest.mark.parametrize("listed", ["keep", "pseudonymise"])
def test_a_kept_or_pseudonymised_column_the_file_lacks_is_an_error_not_left_out(tmp_path, key, listed):
    """A misspelt column in [columns] keep (or pseudonymise) would leave the column out without a word."""
    path = tmp_path / "GA-07.csv"
    path.write_text(HEADER + "A1;Meldung eingegangen;02.01.2025 09:00;Frau X;Noro\n", encoding="utf-8")
    profile = profile_from_dict({**PROFILE, "columns": {**PROFILE["columns"], listed: ["Erregr"]}})
    with pytest.raises(InputError) as err:
        ingest(path, profile, key=key)
    msg = err.value.render("en")
    assert f"'Erregr' listed in [columns] {listed} is missing" in msg and "Did you mean 'Erreger'?" in msg
    assert "GA-07.csv" in msg
    correct = profile_from_dict({**PROFILE, "columns": {**PROFILE["columns"], listed: ["Erreger"]}})
    assert "Erreger" in ingest(path, correct, key=key).log.frame.columns
