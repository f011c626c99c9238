"""The working-day calendar of a Saxon health office, for deadlines such as § 11 IfSG.

A working day ("Arbeitstag") is Monday to Friday unless it is a statutory holiday in Saxony (§ 1 SächsSFG)
or a closing day the office chose. Fronleichnam is a holiday only in some communes of Landkreis Bautzen, so
it is off unless ``corpus_christi=True``. :meth:`WorkingCalendar.federal` knows only the nationwide
holidays: it reproduces tools that count 31 October and Buß- und Bettag as working days.

Every date is the local date in Europe/Berlin (see :mod:`pmtool.calendar.local_dates`). The calendar
covers the years :data:`FIRST_YEAR` to :data:`LAST_YEAR`; scalar functions raise :class:`InputError`
outside them and the ``*_expr`` functions give null.

>>> cal = WorkingCalendar()
>>> cal.next_working_day(date(2025, 10, 30))   # Fri 31 Oct is Reformationstag
datetime.date(2025, 11, 3)
>>> WorkingCalendar.federal().next_working_day(date(2025, 10, 30))
datetime.date(2025, 10, 31)
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

import holidays as holidays_lib
import polars as pl

from pmtool.calendar.local_dates import BERLIN, TIMEZONE, DateInput, as_expr, local_date, local_date_expr
from pmtool.errors import ConfigError, InputError, Location
from pmtool.eventlog.schema import TIMESTAMP_DTYPE

#: First and last year the calendar covers (the ``holidays`` data for Germany starts in 1991).
FIRST_YEAR = 1991
LAST_YEAR = 2099
_FIRST = date(FIRST_YEAR, 1, 1)
_LAST = date(LAST_YEAR, 12, 31)
#: Monday to Friday, in the order polars expects.
WEEK_MASK = (True, True, True, True, True, False, False)
#: Holiday regions: Saxony, or the holidays that hold in every German state.
REGIONS = ("SN", "DE")
SETTINGS = ("name", "region", "corpus_christi", "closing_days_dec_24_31", "closing_days")
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days count as working days for one office (or one analysis).

    Fields: ``name`` labels the calendar in reports; ``region`` is ``"SN"`` (Saxon statutory holidays) or
    ``"DE"`` (nationwide holidays only); ``corpus_christi`` adds Fronleichnam (SN only);
    ``closing_days_dec_24_31`` closes the office on 24 and 31 December every year; ``closing_days`` lists
    further dates the office was closed. Raises :class:`ConfigError` for an unknown region, Fronleichnam
    with ``"DE"``, or a closing day that is not a date within the covered years.

    >>> cal = WorkingCalendar(name="GA Bautzen", corpus_christi=True)
    >>> cal.is_working_day(date(2025, 6, 19))
    False
    """

    name: str = ""
    region: str = "SN"
    corpus_christi: bool = False
    closing_days_dec_24_31: bool = False
    closing_days: tuple[date, ...] = ()

    def __post_init__(self) -> None:
        if self.region not in REGIONS:
            raise ConfigError("calendar.unknown_region", region=self.region, known=", ".join(REGIONS))
        if self.corpus_christi and self.region != "SN":
            raise ConfigError("calendar.corpus_christi_federal")
        for day in self.closing_days:
            if isinstance(day, datetime) or not isinstance(day, date):
                raise ConfigError("calendar.bad_date", key="closing_days", value=str(day))
            if not _FIRST <= day <= _LAST:
                raise ConfigError(
                    "calendar.out_of_range", value=day.isoformat(), first=FIRST_YEAR, last=LAST_YEAR
                )
        # Sorted and unique, so equal calendars compare and hash equal (the lookup tables are cached by it).
        object.__setattr__(self, "closing_days", tuple(sorted(set(self.closing_days))))

    # -- construction -------------------------------------------------------------------------------

    @classmethod
    def federal(cls, name: str = "") -> WorkingCalendar:
        """A calendar with only the nationwide holidays: the wrong calendar for Saxony, kept for comparison.

        >>> WorkingCalendar.federal().is_working_day(date(2025, 11, 19))   # Buß- und Bettag
        True
        """
        return cls(name=name, region="DE")

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], *, source: str | None = None) -> WorkingCalendar:
        """A calendar from a settings table (e.g. ``[calendar]`` of a TOML profile).

        Keys: ``name`` (text), ``region`` (``"SN"`` or ``"DE"``), ``corpus_christi`` and
        ``closing_days_dec_24_31`` (true/false), ``closing_days`` (list of dates or ``"YYYY-MM-DD"`` texts).
        Missing keys take the defaults. ``source`` names the file for error messages. Raises
        :class:`ConfigError` for an unknown key, a wrong type or a bad date.

        >>> cal = WorkingCalendar.from_settings({"corpus_christi": True, "closing_days": ["2025-12-24"]})
        >>> cal.closing_days
        (datetime.date(2025, 12, 24),)
        """
        where = Location(file=source)
        for key in settings:
            if key not in SETTINGS:
                raise ConfigError("calendar.unknown_setting", where, key=key, known=", ".join(SETTINGS))
        values: dict[str, Any] = {}
        for key in ("name", "region"):
            if key in settings:
                if not isinstance(settings[key], str):
                    raise ConfigError("calendar.bad_text", where, key=key, value=repr(settings[key]))
                values[key] = settings[key]
        for key in ("corpus_christi", "closing_days_dec_24_31"):
            if key in settings:
                if not isinstance(settings[key], bool):
                    raise ConfigError("calendar.bad_bool", where, key=key, value=repr(settings[key]))
                values[key] = settings[key]
        if "closing_days" in settings:
            raw = settings["closing_days"]
            if isinstance(raw, str | bytes) or not isinstance(raw, list | tuple):
                raise ConfigError("calendar.bad_list", where, key="closing_days", value=repr(raw))
            values["closing_days"] = tuple(_parse_date(item, where) for item in raw)
        try:
            return cls(**values)
        except ConfigError as error:
            raise ConfigError(error.key, where, **error.params) from None

    def to_settings(self) -> dict[str, Any]:
        """The settings that rebuild this calendar with :meth:`from_settings` (for the record of a run)."""
        return {
            "name": self.name,
            "region": self.region,
            "corpus_christi": self.corpus_christi,
            "closing_days_dec_24_31": self.closing_days_dec_24_31,
            "closing_days": [day.isoformat() for day in self.closing_days],
        }

    def describe(self, lang: str | None = None) -> str:
        """One line for reports: which rules this calendar applies, in German or English."""
        from pmtool.i18n import t

        parts = [t(f"calendar.describe_{self.region.lower()}", lang)]
        if self.corpus_christi:
            parts.append(t("calendar.describe_corpus_christi", lang))
        if self.closing_days_dec_24_31:
            parts.append(t("calendar.describe_dec_24_31", lang))
        if self.closing_days:
            parts.append(t("calendar.describe_closing_days", lang, n=len(self.closing_days)))
        text = "; ".join(parts)
        return f"{self.name}: {text}" if self.name else text

    def non_working_days(self, year: int, lang: str | None = None) -> dict[date, str]:
        """Statutory holidays and closing days of ``year`` (weekends aside), with their names, by date.

        >>> sorted(WorkingCalendar().non_working_days(2025))[-3:]
        [datetime.date(2025, 11, 19), datetime.date(2025, 12, 25), datetime.date(2025, 12, 26)]
        """
        from pmtool.i18n import language, t

        _check_year(year)
        names = _statutory_holidays(self.region, self.corpus_christi, lang or language())
        days = {day: name for day, name in names.items() if day.year == year}
        closing = t("calendar.closing_day", lang)
        for day in _closing_days(self):
            if day.year == year:
                days.setdefault(day, closing)
        return dict(sorted(days.items()))

    # -- scalar ------------------------------------------------------------------------------------

    def is_working_day(self, day: date | datetime) -> bool:
        """Whether the local date of ``day`` is a working day (Mon–Fri, no holiday, no closing day).

        >>> WorkingCalendar().is_working_day(date(2025, 10, 31))
        False
        """
        local = _in_range(local_date(day))
        return local.weekday() < 5 and local not in _tables(self).closed

    def next_working_day(self, day: date | datetime) -> date:
        """The first working day strictly after the local date of ``day``.

        >>> WorkingCalendar().next_working_day(date(2025, 11, 18))
        datetime.date(2025, 11, 20)
        """
        current = _in_range(local_date(day)) + _ONE_DAY
        while not self.is_working_day(current):
            current += _ONE_DAY
        return current

    def add_working_days(self, day: date | datetime, n: int) -> date:
        """The working day by which something is due ``n`` working days after ``day``.

        For n ≥ 1 it is the n-th working day strictly after ``day``, the earliest ``w`` with
        ``working_days_between(day, w) == n``; so a Saturday plus one working day is the Monday, not the
        Tuesday. For n = 0 it is ``day`` itself if that is a working day, else the next working day (for a
        closed ``day``, n = 0 and n = 1 give the same date). Raises ``ValueError`` for negative ``n``.

        >>> WorkingCalendar().add_working_days(date(2025, 10, 30), 2)   # GA due Mon, LUA due Tue
        datetime.date(2025, 11, 4)
        """
        if n < 0:
            raise ValueError(f"n must be 0 or more, got {n}")
        current = local_date(day)
        if n == 0:
            return current if self.is_working_day(current) else self.next_working_day(current)
        for _ in range(n):
            current = self.next_working_day(current)
        return current

    def working_days_between(self, start: date | datetime, end: date | datetime) -> int:
        """The number of working days strictly after ``start`` up to and including ``end``.

        Negative when ``end`` is before ``start``:
        ``working_days_between(b, a) == -working_days_between(a, b)``.

        >>> WorkingCalendar().working_days_between(date(2025, 10, 30), date(2025, 11, 4))
        2
        """
        first = _in_range(local_date(start))
        last = _in_range(local_date(end))
        if last < first:
            return -self.working_days_between(last, first)
        closed = _tables(self).closed_weekdays
        weekdays = _weekdays_before(last + _ONE_DAY) - _weekdays_before(first + _ONE_DAY)
        return weekdays - (bisect_right(closed, last) - bisect_right(closed, first))

    def deadline_next_working_day(self, ready: date | datetime) -> datetime:
        """The end of the following working day after ``ready``, tz-aware in Europe/Berlin.

        This is the § 11 Abs. 1 IfSG deadline "spätestens am folgenden Arbeitstag". A transmission is in
        time when its timestamp is ``<=`` the result. That is not ``working_days_between(ready, sent) <= 1``:
        ready on Thursday and sent on Saturday is one working day, but late (due Friday).

        >>> WorkingCalendar().deadline_next_working_day(date(2025, 10, 30)).isoformat()
        '2025-11-03T23:59:59.999999+01:00'
        """
        return datetime.combine(self.next_working_day(ready), time.max, tzinfo=BERLIN)

    # -- vectorised (polars) -----------------------------------------------------------------------

    def is_working_day_expr(self, day: DateInput) -> pl.Expr:
        """Boolean expression: is the local date of each value a working day (null outside the years)."""
        local = _guard(local_date_expr(day))
        return local.dt.is_business_day(week_mask=WEEK_MASK, holidays=_tables(self).series)

    def working_days_between_expr(self, start: DateInput, end: DateInput) -> pl.Expr:
        """Int32 expression: :meth:`working_days_between` per row, on local dates.

        ``start`` and ``end`` are column names, expressions or Series of dates or tz-aware datetimes.

        >>> frame = pl.DataFrame({"a": [date(2025, 10, 30)], "b": [date(2025, 11, 4)]})
        >>> frame.select(WorkingCalendar().working_days_between_expr("a", "b")).item()
        2
        """
        # As a difference of ranks (working days since the calendar's start), both orders come out right
        # and each column is converted once; polars' own count of a reversed span runs over other ends.
        return self._rank(end) - self._rank(start)

    def _rank(self, day: DateInput) -> pl.Expr:
        """Working days from the start of the covered years up to and including the local date."""
        following = _guard(local_date_expr(day)).dt.offset_by("1d")
        return pl.business_day_count(_FIRST, following, week_mask=WEEK_MASK, holidays=_tables(self).series)

    def add_working_days_expr(self, day: DateInput, n: int | str | pl.Expr) -> pl.Expr:
        """Date expression: :meth:`add_working_days` per row (null for negative ``n`` or outside the years).

        ``n`` is an int, a column name or an integer expression. An int below 0 raises ``ValueError``.

        >>> frame = pl.DataFrame({"ready": [date(2025, 10, 30), date(2025, 11, 1)]})
        >>> frame.select(WorkingCalendar().add_working_days_expr("ready", 1)).to_series().to_list()
        [datetime.date(2025, 11, 3), datetime.date(2025, 11, 3)]
        """
        if isinstance(n, int) and n < 0:
            raise ValueError(f"n must be 0 or more, got {n}")
        count = pl.lit(n) if isinstance(n, int) else as_expr(n)
        count = pl.when(count >= 0).then(count)  # negative → null
        # n = 0: roll forward to a working day. n >= 1: the n-th working day after ``day`` is the first
        # working day from the next day on, plus n - 1. The date column is used once, so it is converted once.
        base = _guard(local_date_expr(day)) + pl.duration(days=(count > 0).cast(pl.Int64))
        steps = (count - 1).clip(lower_bound=0)
        due = base.dt.add_business_days(
            steps, week_mask=WEEK_MASK, holidays=_tables(self).series, roll="forward"
        )
        return _guard(due)

    def deadline_next_working_day_expr(self, ready: DateInput) -> pl.Expr:
        """Datetime expression: :meth:`deadline_next_working_day` per row, in the canonical timestamp type.

        The instant is the end of the due day in Europe/Berlin, typed like the event log's timestamps
        (µs, UTC), so ``pl.col("timestamp") <= deadline`` compares directly. For display, convert with
        ``.dt.convert_time_zone("Europe/Berlin")``.

        >>> frame = pl.DataFrame({"ready": [date(2025, 11, 18)]})
        >>> due = frame.select(WorkingCalendar().deadline_next_working_day_expr("ready")).item()
        >>> due.isoformat(), due.astimezone(BERLIN).isoformat()
        ('2025-11-20T22:59:59.999999+00:00', '2025-11-20T23:59:59.999999+01:00')
        """
        due = self.add_working_days_expr(ready, 1)
        end_of_day = due.cast(pl.Datetime("us")) + pl.duration(days=1) - pl.duration(microseconds=1)
        # 23:59:59.999999 never falls into a DST gap or fold (the switches happen at 02:00/03:00).
        local = end_of_day.dt.replace_time_zone(TIMEZONE)
        return local.dt.convert_time_zone(TIMESTAMP_DTYPE.time_zone or "UTC").cast(TIMESTAMP_DTYPE)


# -- lookup tables, built once per calendar -----------------------------------------------------------


@dataclass(frozen=True)
class _Tables:
    closed: frozenset[date]  # every holiday and closing day, weekends included
    closed_weekdays: tuple[date, ...]  # sorted, Mon–Fri only: the ones that cost a working day
    series: pl.Series  # closed_weekdays as a Date series, the ``holidays=`` of polars


@cache
def _tables(calendar: WorkingCalendar) -> _Tables:
    closed = set(_statutory_holidays(calendar.region, calendar.corpus_christi, "de"))
    closed.update(_closing_days(calendar))
    weekdays = tuple(sorted(day for day in closed if day.weekday() < 5))
    return _Tables(frozenset(closed), weekdays, pl.Series("holidays", weekdays, dtype=pl.Date))


@cache
def _statutory_holidays(region: str, corpus_christi: bool, lang: str) -> dict[date, str]:
    """The statutory holidays of all covered years, from the ``holidays`` package."""
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    language = "de" if lang == "de" else "en_US"
    subdiv = None if region == "DE" else region
    days = dict(holidays_lib.country_holidays("DE", subdiv=subdiv, years=years, language=language))
    if corpus_christi:
        # ``holidays`` files Fronleichnam for SN under the "catholic" category, off by default.
        catholic = holidays_lib.country_holidays(
            "DE", subdiv=subdiv, years=years, categories=("catholic",), language=language
        )
        days.update(catholic)
    return days


def _closing_days(calendar: WorkingCalendar) -> list[date]:
    days = list(calendar.closing_days)
    if calendar.closing_days_dec_24_31:
        for year in range(FIRST_YEAR, LAST_YEAR + 1):
            days += [date(year, 12, 24), date(year, 12, 31)]
    return days


def _weekdays_before(day: date) -> int:
    """Mondays to Fridays from 1 Jan 0001 (a Monday) up to, not including, ``day``."""
    elapsed = day.toordinal() - 1
    weeks, rest = divmod(elapsed, 7)
    return weeks * 5 + min(rest, 5)


def _parse_date(value: Any, where: Location) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError("calendar.bad_date", where, key="closing_days", value=str(value))


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError("calendar.out_of_range", value=str(year), first=FIRST_YEAR, last=LAST_YEAR)


def _in_range(day: date) -> date:
    if not _FIRST <= day <= _LAST:
        raise InputError("calendar.out_of_range", value=day.isoformat(), first=FIRST_YEAR, last=LAST_YEAR)
    return day


def _null_outside_range(series: pl.Series) -> pl.Series:
    return pl.select(pl.when(series.is_between(_FIRST, _LAST)).then(series)).to_series().alias(series.name)


def _guard(day: pl.Expr) -> pl.Expr:
    """Null for dates outside the covered years, where the holiday list would be silently empty.

    A batch function rather than ``when/then``: that would evaluate ``day`` (and its time-zone conversion)
    twice, as polars does not merge repeated Python functions.
    """
    return day.map_batches(_null_outside_range, return_dtype=pl.Date, is_elementwise=True)
