"""Rule checks on tiny logs written inline: deadlines in Saxon working days, order, mandatory, role, absent."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from pmtool.calendar import WorkingCalendar
from pmtool.conform.rules_check import RuleCheckSettings, check_rules
from pmtool.eventlog.log import EventLog
from pmtool.models.rules import rule_pack_from_dict

BERLIN = ZoneInfo("Europe/Berlin")
CHECK, SEND, IN, CLOSE = "Falldefinition bewertet", "Fall an Landesstelle übermittelt", "Meldung eingegangen", \
    "Fall abgeschlossen"
SIGN = "Bescheid gezeichnet"
CLOSING = frozenset({CLOSE})


def log_of(cases: dict[str, list[tuple[str, str] | tuple[str, str, str]]], office: str = "GA-01") -> EventLog:
    rows = []
    for case, events in cases.items():
        for ev in events:
            act, when = ev[0], ev[1]
            rows.append({"office": office, "case_id": case, "activity": act,
                         "timestamp": datetime.fromisoformat(when).replace(tzinfo=BERLIN),
                         "role": ev[2] if len(ev) > 2 else None})
    return EventLog.from_frame(pl.DataFrame(rows).with_columns(pl.col("timestamp").dt.convert_time_zone("UTC")))


PACK = rule_pack_from_dict({
    "pack": {"id": "t", "process": "P1", "version": "1", "title": "t"},
    "rules": [
        {"id": "D", "kind": "deadline", "title": "t", "from": "IS-09", "to": "IS-10", "alt_from": ["IS-01"],
         "within": {"working_days": 1}, "basis": "legal", "source": "§ 11 IfSG", "severity": "high"},
        {"id": "O", "kind": "order", "title": "t", "first": "IS-09", "then": "IS-10", "basis": "legal",
         "source": "§ 11 IfSG", "severity": "high"},
        {"id": "M", "kind": "mandatory", "title": "t", "activity": "IS-25", "basis": "service_level",
         "severity": "medium"},
        {"id": "R", "kind": "role", "title": "t", "activity": "IS-16", "roles": ["Amtsärztin/Amtsarzt"],
         "basis": "service_level", "severity": "high"},
        {"id": "A", "kind": "absent", "title": "t", "activity": "BL-90", "basis": "style", "severity": "low"},
    ]})


def status(results, case, rule, clock=None):
    frame = results.cases.filter((pl.col("case_id") == case) & (pl.col("rule_id") == rule))
    if clock is not None:
        frame = frame.filter(pl.col("clock") == clock)
    else:
        frame = frame.filter(pl.col("primary"))
    return frame["status"].item()


@pytest.mark.parametrize("ready, sent, expected", [
    ("2025-10-30 16:00", "2025-11-03 23:59", "ok"),        # Thu → Mon (Reformationstag Fri 31 Oct, weekend)
    ("2025-10-30 16:00", "2025-11-04 00:01", "violated"),
    ("2025-11-18 10:00", "2025-11-20 18:00", "ok"),        # Tue → Thu (Buß- und Bettag Wed 19 Nov)
    ("2025-11-18 10:00", "2025-11-21 08:00", "violated"),
    ("2025-03-28 23:30", "2025-03-31 23:30", "ok"),        # Fri night → Mon, across the March DST change
])
def test_deadline_in_saxon_working_days(ready, sent, expected):
    results = check_rules(log_of({"c": [(IN, ready), (CHECK, ready), (SEND, sent), (CLOSE, sent)]}), PACK,
                          closing=CLOSING)
    assert status(results, "c", "D") == expected


def test_federal_calendar_marks_saxon_holiday_cases_late():
    log = log_of({"c": [(CHECK, "2025-10-30 16:00"), (SEND, "2025-11-03 10:00"), (CLOSE, "2025-11-04 10:00")]})
    saxon = check_rules(log, PACK, closing=CLOSING)
    federal = check_rules(log, PACK, closing=CLOSING, calendars={"GA-01": WorkingCalendar.federal()})
    assert (status(saxon, "c", "D"), status(federal, "c", "D")) == ("ok", "violated")


def test_both_clock_starts_are_reported():
    log = log_of({"c": [(IN, "2025-06-02 09:00"), (CHECK, "2025-06-05 09:00"), (SEND, "2025-06-06 09:00"),
                        (CLOSE, "2025-06-10 09:00")]})
    results = check_rules(log, PACK, closing=CLOSING)
    assert status(results, "c", "D", clock=CHECK) == "ok"
    assert status(results, "c", "D", clock=IN) == "violated"
    late = results.cases.filter(pl.col("clock") == IN)["late_hours"].item()
    assert late == pytest.approx(57.0)  # due end of Tue 3 Jun (Wed 00:00); sent Fri 6 Jun 09:00: 2 days + 9 h


def test_running_cases_follow_the_policy():
    log = log_of({"open": [(CHECK, "2025-06-02 09:00")],
                  "late": [(CHECK, "2025-05-01 09:00")],
                  "done": [(IN, "2025-06-03 09:00"), (CLOSE, "2025-06-03 10:00")]})
    as_of = datetime(2025, 6, 2, 12, tzinfo=BERLIN)
    pending = check_rules(log, PACK, closing=CLOSING, settings=RuleCheckSettings(as_of=as_of))
    assert status(pending, "open", "D") == "pending"        # due end of Tue 3 Jun, not yet
    assert status(pending, "late", "D") == "violated"       # overdue and still open
    assert status(pending, "open", "M") == "pending"        # not closed yet, may still come
    assert status(pending, "done", "M") == "ok"
    strict = check_rules(log, PACK, closing=CLOSING, settings=RuleCheckSettings(as_of=as_of, incomplete="violation"))
    assert status(strict, "open", "D") == "violated"
    excluded = check_rules(log, PACK, closing=CLOSING, settings=RuleCheckSettings(as_of=as_of, incomplete="exclude"))
    assert status(excluded, "open", "D") == "excluded"
    stale = check_rules(log, PACK, closing=CLOSING,
                        settings=RuleCheckSettings(as_of=datetime(2025, 12, 1, tzinfo=BERLIN)))
    assert status(stale, "open", "M") == "violated"  # idle > 90 days: stale, closure missing


def test_order_role_absent():
    log = log_of({
        "swap": [(SEND, "2025-06-02 09:00"), (CHECK, "2025-06-02 10:00"), (CLOSE, "2025-06-03 10:00")],
        "fine": [(CHECK, "2025-06-02 09:00"), (SEND, "2025-06-02 10:00"), (CLOSE, "2025-06-03 10:00")],
        "nocheck": [(SEND, "2025-06-02 10:00"), (CLOSE, "2025-06-03 10:00")],
        "signer": [(SIGN, "2025-06-02 10:00", "Hygienekontrolleur/in"), (CLOSE, "2025-06-03 10:00")],
        "amtsarzt": [(SIGN, "2025-06-02 10:00", "Amtsärztin/Amtsarzt"), (CLOSE, "2025-06-03 10:00")],
        "noshow": [("Termin nicht wahrgenommen / umgebucht", "2025-06-02 10:00"), (CLOSE, "2025-06-03 10:00")],
    })
    r = check_rules(log, PACK, closing=CLOSING)
    assert [status(r, c, "O") for c in ("swap", "fine", "nocheck")] == ["violated", "ok", "not_applicable"]
    assert status(r, "swap", "D") == "not_applicable"  # transmitted before the clock started
    assert [status(r, c, "R") for c in ("signer", "amtsarzt", "fine")] == ["violated", "ok", "not_applicable"]
    assert [status(r, c, "A") for c in ("noshow", "fine")] == ["violated", "ok"]
    summary = r.summary()
    assert summary.filter(pl.col("rule_id") == "O")["violated"].item() == 1


def test_offices_use_their_own_calendar():
    a = log_of({"c": [(CHECK, "2025-06-18 10:00"), (SEND, "2025-06-20 09:00"), (CLOSE, "2025-06-21 09:00")]},
               office="GA-04").frame
    b = log_of({"c": [(CHECK, "2025-06-18 10:00"), (SEND, "2025-06-20 09:00"), (CLOSE, "2025-06-21 09:00")]},
               office="GA-05").frame
    log = EventLog.from_frame(pl.concat([a, b]))
    # Fronleichnam (Thu 19 Jun 2025) is a holiday only where the office's calendar says so
    r = check_rules(log, PACK, closing=CLOSING, calendars={"GA-04": WorkingCalendar(corpus_christi=True)})
    frame = r.cases.filter((pl.col("rule_id") == "D") & pl.col("primary")).sort("office")
    assert frame["status"].to_list() == ["ok", "violated"]


@pytest.mark.parametrize("process", ["P1", "P2"])
@pytest.mark.parametrize("incomplete", ["pending", "exclude"])
def test_cases_judged_in_slices_give_the_table_of_all_at_once(sample_logs_by_process, monkeypatch, process,
                                                               incomplete):
    """The rules are judged a slice of cases at a time; any slicing gives the same rows in the same order."""
    from conftest import MODEL_FILES, MODELS

    from pmtool.conform import rules_check
    from pmtool.models.reference import load_reference

    reference = load_reference(MODELS / MODEL_FILES[process])
    log = sample_logs_by_process[process]
    settings = RuleCheckSettings(incomplete=incomplete)
    calendars = {"GA-04": WorkingCalendar(corpus_christi=True)}

    def checked() -> pl.DataFrame:
        return check_rules(log, reference.rules, closing=reference.closing, calendars=calendars,
                           settings=settings).cases

    whole = checked()
    cases = whole["case_id"].n_unique()
    assert cases > 50
    for size in (cases // 6 - 1, cases // 2 + 3):  # slices of uneven sizes, the last one short
        monkeypatch.setattr(rules_check, "_CASES_PER_SLICE", size)
        assert checked().equals(whole)
