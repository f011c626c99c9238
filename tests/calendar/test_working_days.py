"""The Saxon working-day calendar: worked examples of the domain brief, settings, and scalar = vectorised."""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmtool.calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    NaiveTimestampsError,
    NotDatesError,
    WorkingCalendar,
    local_date,
    local_date_expr,
)
from pmtool.errors import ConfigError, InputError
from pmtool.i18n import set_language

BERLIN = ZoneInfo("Europe/Berlin")
SN = WorkingCalendar()
SN_BAUTZEN = WorkingCalendar(name="GA Bautzen (sorbische Gemeinden)", corpus_christi=True)
FEDERAL = WorkingCalendar.federal()
CLOSED = WorkingCalendar(closing_days_dec_24_31=True, closing_days=(date(2025, 5, 2), date(2026, 5, 15)))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def end_of_day(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=BERLIN)


# -- holidays: the table of the brief (section 6) -------------------------------------------------------

# year: Karfreitag, Ostermontag, Himmelfahrt, Pfingstmontag, Reformationstag, Buß- und Bettag, Fronleichnam
HOLIDAY_TABLE = {
    2024: ("03-29", "04-01", "05-09", "05-20", "10-31", "11-20", "05-30"),
    2025: ("04-18", "04-21", "05-29", "06-09", "10-31", "11-19", "06-19"),
    2026: ("04-03", "04-06", "05-14", "05-25", "10-31", "11-18", "06-04"),
    2027: ("03-26", "03-29", "05-06", "05-17", "10-31", "11-17", "05-27"),
}
FIXED = ("01-01", "05-01", "10-03", "12-25", "12-26")


def _dates(year: int, month_days: tuple[str, ...]) -> set[date]:
    return {date.fromisoformat(f"{year}-{md}") for md in month_days}


@pytest.mark.parametrize("year", sorted(HOLIDAY_TABLE))
def test_saxon_holidays_are_the_eleven_statutory_ones_without_corpus_christi(year: int) -> None:
    *movable, corpus_christi = HOLIDAY_TABLE[year]
    expected = _dates(year, tuple(movable)) | _dates(year, FIXED)
    assert set(SN.non_working_days(year)) == expected
    assert len(expected) == 11
    fronleichnam = date.fromisoformat(f"{year}-{corpus_christi}")
    assert fronleichnam.weekday() == 3  # always a Thursday, so it always costs a working day
    assert SN.is_working_day(fronleichnam)


@pytest.mark.parametrize("year", sorted(HOLIDAY_TABLE))
def test_corpus_christi_is_a_holiday_only_when_switched_on(year: int) -> None:
    fronleichnam = date.fromisoformat(f"{year}-{HOLIDAY_TABLE[year][-1]}")
    assert not SN_BAUTZEN.is_working_day(fronleichnam)
    assert SN_BAUTZEN.non_working_days(year, lang="de")[fronleichnam] == "Fronleichnam"
    assert set(SN_BAUTZEN.non_working_days(year)) == set(SN.non_working_days(year)) | {fronleichnam}


@pytest.mark.parametrize("year", sorted(HOLIDAY_TABLE))
def test_every_holiday_of_the_table_on_a_weekday_is_not_a_working_day(year: int) -> None:
    *movable, _ = HOLIDAY_TABLE[year]
    for day in _dates(year, tuple(movable)):
        assert SN.is_working_day(day) is False, day
    # Reformationstag falls on Sat 2026 and Sun 2027: closed anyway, and no working day is lost for it.
    assert SN.working_days_between(date(2026, 10, 29), date(2026, 11, 2)) == 2  # Fri 30 Oct, Mon 2 Nov


def test_holiday_names_come_in_german_and_english() -> None:
    assert SN.non_working_days(2025, lang="de")[date(2025, 11, 19)] == "Buß- und Bettag"
    assert SN.non_working_days(2025, lang="en")[date(2025, 10, 31)] == "Reformation Day"


def test_buss_und_bettag_is_the_wednesday_between_16_and_22_november() -> None:
    for year in range(1995, LAST_YEAR + 1):
        days = [d for d, name in SN.non_working_days(year, lang="de").items() if name == "Buß- und Bettag"]
        assert len(days) == 1 and days[0].weekday() == 2 and 16 <= days[0].day <= 22 and days[0].month == 11


# -- worked examples of § 11 IfSG --------------------------------------------------------------------


def test_ready_on_thursday_before_reformationstag() -> None:
    ready = date(2025, 10, 30)  # Thu; Fri 31 Oct is Reformationstag, then the weekend
    ga_due = SN.next_working_day(ready)
    assert ga_due == date(2025, 11, 3) and ga_due.weekday() == 0
    assert SN.add_working_days(ready, 1) == ga_due
    assert SN.next_working_day(ga_due) == date(2025, 11, 4)  # LUA forwards by Tue 4 Nov
    assert SN.add_working_days(ready, 2) == date(2025, 11, 4)
    assert SN.deadline_next_working_day(ready) == end_of_day(date(2025, 11, 3))


def test_ready_on_tuesday_before_buss_und_bettag() -> None:
    assert SN.next_working_day(date(2025, 11, 18)) == date(2025, 11, 20)
    assert SN.deadline_next_working_day(utc(2025, 11, 18, 9, 15)) == end_of_day(date(2025, 11, 20))


def test_deadline_is_the_end_of_the_due_day_in_berlin() -> None:
    due = SN.deadline_next_working_day(utc(2025, 10, 30, 10, 0))
    assert due.tzinfo is not None and due.utcoffset() == timedelta(hours=1)
    assert due.astimezone(UTC) == utc(2025, 11, 3, 22, 59, 59, 999999)
    assert utc(2025, 11, 3, 22, 59) <= due < utc(2025, 11, 3, 23, 0)


# -- the federal-calendar pitfall ------------------------------------------------------------------


def test_federal_calendar_counts_saxon_holidays_as_working_days() -> None:
    assert FEDERAL.is_working_day(date(2025, 10, 31))
    assert FEDERAL.is_working_day(date(2025, 11, 19))
    assert not FEDERAL.is_working_day(date(2025, 10, 3))
    assert FEDERAL.next_working_day(date(2025, 10, 30)) == date(2025, 10, 31)
    assert set(SN.non_working_days(2025)) - set(FEDERAL.non_working_days(2025)) == {
        date(2025, 10, 31),
        date(2025, 11, 19),
    }


def test_federal_calendar_marks_a_timely_saxon_transmission_late() -> None:
    ready, transmitted = utc(2025, 10, 30, 14, 0), utc(2025, 11, 3, 9, 30)
    assert transmitted <= SN.deadline_next_working_day(ready)
    assert transmitted > FEDERAL.deadline_next_working_day(ready)
    assert SN.working_days_between(ready, transmitted) == 1
    assert FEDERAL.working_days_between(ready, transmitted) == 2


def test_vectorised_on_time_check_against_utc_log_timestamps() -> None:
    log = pl.DataFrame(
        {
            "ready": [utc(2025, 10, 30, 14, 0), utc(2025, 11, 18, 8, 0), utc(2025, 11, 6, 9, 0)],
            "sent": [utc(2025, 11, 3, 9, 30), utc(2025, 11, 20, 23, 30), utc(2025, 11, 8, 10, 0)],
        },
        schema={"ready": pl.Datetime("us", "UTC"), "sent": pl.Datetime("us", "UTC")},
    )
    out = log.select(
        sn=pl.col("sent") <= SN.deadline_next_working_day_expr("ready"),
        federal=pl.col("sent") <= FEDERAL.deadline_next_working_day_expr("ready"),
        days=SN.working_days_between_expr("ready", "sent"),
    )
    # Row 2 is sent Fri 21 Nov 00:30 local (23:30 UTC on the due day): just after the end of the due day.
    assert out["sn"].to_list() == [True, False, False]
    assert out["federal"].to_list() == [False, False, False]
    # Row 3 (ready Thu, sent Sat) is late although only one working day lies in between: deadlines are
    # the end of the due day, not a count of working days.
    assert out["days"].to_list() == [1, 2, 1]


def test_federal_calendar_has_the_one_off_reformationstag_2017() -> None:
    assert not FEDERAL.is_working_day(date(2017, 10, 31))
    assert FEDERAL.is_working_day(date(2018, 10, 31))


# -- closing days -----------------------------------------------------------------------------------


def test_closing_days_24_and_31_december_are_off_only_when_chosen() -> None:
    for day in (date(2025, 12, 24), date(2025, 12, 31)):
        assert SN.is_working_day(day)
        assert not CLOSED.is_working_day(day)
    assert SN.next_working_day(date(2025, 12, 23)) == date(2025, 12, 24)
    assert CLOSED.next_working_day(date(2025, 12, 23)) == date(2025, 12, 29)
    assert CLOSED.next_working_day(date(2025, 12, 30)) == date(2026, 1, 2)
    assert SN.working_days_between(date(2025, 12, 23), date(2026, 1, 2)) == 5
    assert CLOSED.working_days_between(date(2025, 12, 23), date(2026, 1, 2)) == 3


def test_extra_closing_dates_are_off() -> None:
    assert SN.next_working_day(date(2025, 4, 30)) == date(2025, 5, 2)
    assert CLOSED.next_working_day(date(2025, 4, 30)) == date(2025, 5, 5)  # 1 May holiday, 2 May closed
    assert CLOSED.non_working_days(2025, lang="en")[date(2025, 5, 2)] == "closing day"


# -- conventions of the scalar functions ---------------------------------------------------------------


def test_add_zero_working_days_rolls_forward_only_from_a_closed_day() -> None:
    assert SN.add_working_days(date(2025, 11, 4), 0) == date(2025, 11, 4)
    assert SN.add_working_days(date(2025, 11, 1), 0) == date(2025, 11, 3)  # Sat → Mon
    assert SN.add_working_days(date(2025, 10, 31), 0) == date(2025, 11, 3)  # holiday → Mon


def test_add_working_days_from_a_closed_day_counts_from_the_day_itself() -> None:
    # Saturday plus one working day is Monday (the next working day), not Tuesday.
    assert SN.add_working_days(date(2025, 11, 1), 1) == date(2025, 11, 3)
    assert SN.add_working_days(date(2025, 11, 1), 2) == date(2025, 11, 4)
    with pytest.raises(ValueError):
        SN.add_working_days(date(2025, 11, 1), -1)


def test_working_days_between_excludes_start_includes_end_and_is_antisymmetric() -> None:
    thu, mon = date(2025, 10, 30), date(2025, 11, 3)
    assert SN.working_days_between(thu, thu) == 0
    assert SN.working_days_between(thu, mon) == 1
    assert SN.working_days_between(mon, thu) == -1
    assert SN.working_days_between(date(2025, 11, 1), date(2025, 11, 2)) == 0
    assert SN.working_days_between(date(2024, 12, 31), date(2025, 12, 31)) == 250


dates_2020_2030 = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@given(dates_2020_2030, st.integers(min_value=0, max_value=40))
def test_add_working_days_is_the_first_day_reaching_n(day: date, n: int) -> None:
    due = SN.add_working_days(day, n)
    assert SN.is_working_day(due) and due >= day
    if n == 0:
        assert due == (day if SN.is_working_day(day) else SN.next_working_day(day))
        return
    assert SN.working_days_between(day, due) == n
    previous_working = due - timedelta(days=1)
    while previous_working >= day and not SN.is_working_day(previous_working):
        previous_working -= timedelta(days=1)
    assert previous_working < day or SN.working_days_between(day, previous_working) == n - 1
    assert due == SN.next_working_day(SN.add_working_days(day, n - 1) if n > 1 else day)


@given(dates_2020_2030, st.integers(min_value=-60, max_value=60))
def test_working_days_between_equals_counting_day_by_day(start: date, offset: int) -> None:
    end = start + timedelta(days=offset)
    low, high = min(start, end), max(start, end)
    count = sum(CLOSED.is_working_day(low + timedelta(days=k)) for k in range(1, (high - low).days + 1))
    assert CLOSED.working_days_between(start, end) == (count if end >= start else -count)


# -- local dates and time zones ---------------------------------------------------------------------


def test_late_evening_utc_counts_by_its_berlin_date() -> None:
    ts = utc(2025, 10, 30, 23, 30)  # Fri 31 Oct 00:30 in Berlin: Reformationstag
    assert local_date(ts) == date(2025, 10, 31)
    assert SN.is_working_day(ts) is False
    assert SN.is_working_day(ts.date()) is True  # what a UTC-date calculation would (wrongly) say
    # Tue 4 Nov 00:30 local → Tue 4 Nov 11:00 local is the same day, not one working day later.
    assert SN.working_days_between(utc(2025, 11, 3, 23, 30), utc(2025, 11, 4, 10, 0)) == 0
    frame = pl.DataFrame(
        {"ts": [ts], "later": [utc(2025, 11, 4, 10, 0)], "start": [utc(2025, 11, 3, 23, 30)]}
    )
    out = frame.select(
        working=SN.is_working_day_expr("ts"),
        between=SN.working_days_between_expr("start", "later"),
        local=local_date_expr("ts"),
    ).row(0, named=True)
    assert out == {"working": False, "between": 0, "local": date(2025, 10, 31)}


@pytest.mark.parametrize(
    ("ts", "local", "working"),
    [
        (utc(2025, 3, 30, 21, 30), date(2025, 3, 30), False),  # Sun 23:30 CEST, after the spring switch
        (utc(2025, 3, 30, 22, 30), date(2025, 3, 31), True),  # Mon 00:30 CEST (UTC date is Sunday)
        (utc(2025, 3, 30, 1, 30), date(2025, 3, 30), False),  # 03:30 CEST, just after the gap
        (utc(2025, 10, 26, 0, 30), date(2025, 10, 26), False),  # 02:30 CEST, first pass of the fold
        (utc(2025, 10, 26, 1, 30), date(2025, 10, 26), False),  # 02:30 CET, second pass of the fold
        (utc(2025, 10, 26, 22, 30), date(2025, 10, 26), False),  # Sun 23:30 CET
        (utc(2025, 10, 26, 23, 30), date(2025, 10, 27), True),  # Mon 00:30 CET (UTC date is Sunday)
    ],
)
def test_dst_switch_days_use_the_berlin_date(ts: datetime, local: date, working: bool) -> None:
    assert local_date(ts) == local
    assert SN.is_working_day(ts) is working
    frame = pl.DataFrame({"ts": [ts]})
    assert frame.select(local_date_expr("ts")).item() == local
    assert frame.select(SN.is_working_day_expr("ts")).item() is working


@pytest.mark.parametrize(
    ("ready", "due", "offset_hours"),
    [
        (date(2025, 3, 28), date(2025, 3, 31), 2),  # Fri before the spring switch → Mon in CEST
        (date(2025, 10, 24), date(2025, 10, 27), 1),  # Fri before the autumn switch → Mon in CET
    ],
)
def test_deadline_across_a_dst_switch(ready: date, due: date, offset_hours: int) -> None:
    deadline = SN.deadline_next_working_day(ready)
    assert deadline == end_of_day(due)
    assert deadline.utcoffset() == timedelta(hours=offset_hours)
    frame = pl.DataFrame({"ready": [ready]})
    vectorised = frame.select(SN.deadline_next_working_day_expr("ready")).item()
    assert vectorised == deadline  # the same instant, typed like the log's UTC timestamps
    assert vectorised.utcoffset() == timedelta(0)
    assert vectorised.astimezone(BERLIN).utcoffset() == timedelta(hours=offset_hours)


@pytest.fixture
def german() -> Iterator[None]:
    set_language("de")
    yield
    set_language(None)


def test_naive_timestamps_are_refused(german: None) -> None:
    with pytest.raises(InputError) as scalar:
        SN.is_working_day(datetime(2025, 10, 30, 23, 30))
    assert scalar.value.key == "calendar.naive_datetime"
    frame = pl.DataFrame({"ts": [datetime(2025, 10, 30, 23, 30)]})
    with pytest.raises(NaiveTimestampsError) as vectorised:
        frame.select(SN.working_days_between_expr("ts", "ts"))
    assert isinstance(vectorised.value, InputError)
    assert vectorised.value.key == "calendar.naive_column"
    assert vectorised.value.render().startswith("Spalte „ts“: Zeitstempel ohne Zeitzone")


def test_columns_that_are_not_dates_are_refused() -> None:
    with pytest.raises(NotDatesError) as error:
        pl.DataFrame({"n": [1, 2]}).select(SN.is_working_day_expr("n"))
    assert error.value.key == "calendar.bad_dtype"
    assert "Int64" in error.value.render()


def test_dates_outside_the_covered_years() -> None:
    for day in (date(FIRST_YEAR - 1, 6, 3), date(LAST_YEAR + 1, 1, 4)):
        with pytest.raises(InputError) as error:
            SN.is_working_day(day)
        assert error.value.key == "calendar.out_of_range"
    frame = pl.DataFrame({"d": [date(1990, 6, 1), date(2025, 10, 30), date(2099, 12, 31), None]})
    out = frame.select(
        working=SN.is_working_day_expr("d"),
        due=SN.add_working_days_expr("d", 1),
        count=SN.working_days_between_expr("d", pl.col("d").dt.offset_by("7d")),
    )
    assert out["working"].to_list() == [None, True, True, None]
    # 2099-12-31 plus a working day would leave the covered years: null, not a date without holidays.
    assert out["due"].to_list() == [None, date(2025, 11, 3), None, None]
    assert out["count"].to_list() == [None, 4, None, None]


# -- scalar and vectorised agree -----------------------------------------------------------------------


def _check_agreement(calendar: WorkingCalendar, rows: list[tuple[date, date, int]]) -> None:
    frame = pl.DataFrame(rows, schema={"a": pl.Date, "b": pl.Date, "n": pl.Int64}, orient="row")
    out = frame.select(
        between=calendar.working_days_between_expr("a", "b"),
        added=calendar.add_working_days_expr("a", "n"),
        added_3=calendar.add_working_days_expr("a", 3),
        working=calendar.is_working_day_expr("a"),
        deadline=calendar.deadline_next_working_day_expr("a"),
    )
    for (a, b, n), got in zip(rows, out.iter_rows(named=True), strict=True):
        assert got["between"] == calendar.working_days_between(a, b), (a, b)
        assert got["added"] == calendar.add_working_days(a, n), (a, n)
        assert got["added_3"] == calendar.add_working_days(a, 3), a
        assert got["working"] == calendar.is_working_day(a), a
        assert got["deadline"] == calendar.deadline_next_working_day(a), a


row_strategy = st.tuples(dates_2020_2030, dates_2020_2030, st.integers(min_value=0, max_value=30))


@settings(max_examples=60, deadline=None)
@given(st.lists(row_strategy, min_size=1, max_size=50))
def test_vectorised_equals_scalar_saxony(rows: list[tuple[date, date, int]]) -> None:
    _check_agreement(SN, rows)


@settings(max_examples=30, deadline=None)
@given(
    st.sampled_from([SN_BAUTZEN, FEDERAL, CLOSED]),
    st.lists(row_strategy, min_size=1, max_size=50),
)
def test_vectorised_equals_scalar_other_calendars(
    calendar: WorkingCalendar, rows: list[tuple[date, date, int]]
) -> None:
    _check_agreement(calendar, rows)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)),
            st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)),
        ),
        min_size=1,
        max_size=50,
    )
)
def test_vectorised_equals_scalar_on_utc_timestamps(pairs: list[tuple[datetime, datetime]]) -> None:
    rows = [(a.replace(tzinfo=UTC), b.replace(tzinfo=UTC)) for a, b in pairs]
    frame = pl.DataFrame(
        rows, schema={"a": pl.Datetime("us", "UTC"), "b": pl.Datetime("us", "UTC")}, orient="row"
    )
    out = frame.select(
        between=SN.working_days_between_expr("a", "b"),
        deadline=SN.deadline_next_working_day_expr("a"),
    )
    for (a, b), got in zip(rows, out.iter_rows(named=True), strict=True):
        assert got["between"] == SN.working_days_between(a, b)
        assert got["deadline"] == SN.deadline_next_working_day(a)


def test_vectorised_accepts_series_expressions_and_lazy_streaming() -> None:
    ready = pl.Series("ready", [date(2025, 10, 30), date(2025, 11, 18)])
    assert pl.select(SN.add_working_days_expr(ready, 1)).to_series().to_list() == [
        date(2025, 11, 3),
        date(2025, 11, 20),
    ]
    lazy = pl.LazyFrame({"ready": ready, "sent": [date(2025, 11, 4), date(2025, 11, 20)]})
    between = SN.working_days_between_expr(pl.col("ready"), pl.col("sent"))
    out = lazy.select(between).collect(engine="streaming")
    assert out.to_series().to_list() == [2, 1]


def test_negative_counts() -> None:
    frame = pl.DataFrame({"d": [date(2025, 10, 30)] * 3, "n": [-1, 0, 1]})
    assert frame.select(SN.add_working_days_expr("d", "n")).to_series().to_list() == [
        None,
        date(2025, 10, 30),
        date(2025, 11, 3),
    ]
    with pytest.raises(ValueError):
        SN.add_working_days_expr("d", -2)


# -- construction, settings, description ------------------------------------------------------------


def test_from_settings_reads_a_toml_table() -> None:
    table = tomllib.loads(
        """
        name = "GA Bautzen"
        corpus_christi = true
        closing_days_dec_24_31 = true
        closing_days = [2025-05-02, "2025-12-22", "2025-05-02"]
        """
    )
    calendar = WorkingCalendar.from_settings(table, source="bautzen.toml")
    assert calendar == WorkingCalendar(
        name="GA Bautzen",
        corpus_christi=True,
        closing_days_dec_24_31=True,
        closing_days=(date(2025, 12, 22), date(2025, 5, 2)),
    )
    assert calendar.closing_days == (date(2025, 5, 2), date(2025, 12, 22))
    assert WorkingCalendar.from_settings(calendar.to_settings()) == calendar
    assert WorkingCalendar.from_settings({}) == SN
    assert WorkingCalendar.from_settings({"region": "DE"}) == FEDERAL


@pytest.mark.parametrize(
    ("settings_table", "key"),
    [
        ({"fronleichnam": True}, "calendar.unknown_setting"),
        ({"closing_days": ["2025-13-01"]}, "calendar.bad_date"),
        ({"closing_days": ["24.12.2025"]}, "calendar.bad_date"),
        ({"closing_days": [datetime(2025, 12, 24, 8, 0)]}, "calendar.bad_date"),
        ({"closing_days": "2025-12-24"}, "calendar.bad_list"),
        ({"closing_days": ["1980-12-24"]}, "calendar.out_of_range"),
        ({"corpus_christi": "yes"}, "calendar.bad_bool"),
        ({"closing_days_dec_24_31": 1}, "calendar.bad_bool"),
        ({"name": 13}, "calendar.bad_text"),
        ({"region": "BY"}, "calendar.unknown_region"),
        ({"region": "DE", "corpus_christi": True}, "calendar.corpus_christi_federal"),
    ],
)
def test_from_settings_refuses_bad_settings(settings_table: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as error:
        WorkingCalendar.from_settings(settings_table, source="office.toml")
    assert error.value.key == key
    assert error.value.render("en").startswith("office.toml: ")


def test_unknown_setting_names_the_known_ones() -> None:
    with pytest.raises(ConfigError) as error:
        WorkingCalendar.from_settings({"fronleichnam": True})
    text = error.value.render("en")
    assert "fronleichnam" in text and "corpus_christi" in text


def test_calendar_is_frozen_and_hashable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        SN.corpus_christi = True  # type: ignore[misc]
    assert len({SN, WorkingCalendar(), FEDERAL}) == 2


def test_describe_names_the_rules_in_both_languages() -> None:
    assert SN.describe("de") == "Arbeitstage Mo–Fr ohne gesetzliche Feiertage in Sachsen (SächsSFG)"
    bautzen = WorkingCalendar(name="GA Bautzen", corpus_christi=True, closing_days=(date(2025, 5, 2),))
    text = bautzen.describe("en")
    assert text.startswith("GA Bautzen: ") and "Corpus Christi" in text and "closing days: 1" in text
    assert "Reformationstag" in FEDERAL.describe("de")


def test_stdlib_calendar_is_not_shadowed() -> None:
    import calendar

    assert calendar.monthrange(2025, 2) == (5, 28)
