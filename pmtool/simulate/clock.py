"""Minute arithmetic on the Saxon working calendar, the time base of the simulator.

A simulated time is an ``int``: minutes of local wall-clock time (Europe/Berlin) since 1 January of the year
before the simulated year. Working days come from :class:`pmtool.calendar.WorkingCalendar` (Saxon statutory
holidays), office hours are 07:00–16:00. Everything here is scalar and table-driven (Python lists), because
the timing engine calls it millions of times.

>>> c = Clock(2025)
>>> c.label(c.office_add(c.at(date(2025, 10, 30), 15, 0), 120))   # Fri 31 Oct is Reformationstag
'2025-11-03 08:00'
>>> c.label(c.due_end(c.at(date(2025, 10, 30), 9, 0), 1))
'2025-11-03 23:59'
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pmtool.calendar import WorkingCalendar

DAY = 1440
OFFICE_START = 7 * 60
OFFICE_END = 16 * 60
OFFICE_LEN = OFFICE_END - OFFICE_START
#: Local 02:00–03:00 on the two changeover Sundays: the March gap and the October overlap.
DST_WINDOW = (120, 180)


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1) if month < 12 else date(year, 12, 31)
    return day - timedelta(days=(day.weekday() - 6) % 7)


class Clock:
    """Working-day and office-hour lookups for ``year`` (plus the year before and three after)."""

    def __init__(self, year: int, calendar: WorkingCalendar | None = None) -> None:
        self.year = year
        self.calendar = calendar or WorkingCalendar()
        epoch = date(year - 1, 1, 1)
        days = (date(year + 4, 1, 1) - epoch).days
        working, rank, wdays = [], [], []
        count = 0
        for i in range(days):
            ok = self.calendar.is_working_day(epoch + timedelta(days=i))
            working.append(ok)
            if ok:
                count += 1
                wdays.append(i)
            rank.append(count)  # working days up to and including day i
        gap = {(_last_sunday(y, 3) - epoch).days for y in range(year - 1, year + 4)}
        fold = {(_last_sunday(y, 10) - epoch).days for y in range(year - 1, year + 4)}
        self.epoch = epoch
        self.working: list[bool] = working
        self.rank: list[int] = rank
        self.wdays: list[int] = wdays
        self.gap_days = frozenset(gap)
        self.dst_days = frozenset(gap | fold)

    # -- conversion -------------------------------------------------------------------------------

    def day_of(self, when: date) -> int:
        return (when - self.epoch).days

    def at(self, when: date, hour: int, minute: int = 0) -> int:
        return self.day_of(when) * DAY + hour * 60 + minute

    def date(self, t: int) -> date:
        return self.epoch + timedelta(days=t // DAY)

    def datetime(self, t: int) -> datetime:
        return datetime.combine(self.epoch, datetime.min.time()) + timedelta(minutes=t)

    def label(self, t: int) -> str:
        return self.datetime(t).strftime("%Y-%m-%d %H:%M")

    # -- working days -----------------------------------------------------------------------------

    def is_working(self, day: int) -> bool:
        return self.working[day]

    def add_wd(self, day: int, n: int) -> int:
        """The day ``n`` working days after ``day`` (n = 0: ``day`` if working, else the next working day)."""
        if n == 0 and self.working[day]:
            return day
        return self.wdays[self.rank[day] + max(n, 1) - 1]

    def due_end(self, t: int, n: int) -> int:
        """Last minute of the day by which something is due ``n`` working days after the date of ``t``."""
        return (self.add_wd(t // DAY, n) + 1) * DAY - 1

    def due_end_calendar(self, t: int, n: int) -> int:
        return (t // DAY + n + 1) * DAY - 1

    # -- office hours -----------------------------------------------------------------------------

    def in_office(self, t: int) -> bool:
        day, m = divmod(t, DAY)
        return self.working[day] and OFFICE_START <= m < OFFICE_END

    def office_index(self, t: int) -> int:
        """Office minutes elapsed since the epoch at ``t`` (time outside office hours does not count)."""
        day, m = divmod(t, DAY)
        if self.working[day]:
            return (self.rank[day] - 1) * OFFICE_LEN + min(max(m - OFFICE_START, 0), OFFICE_LEN)
        return self.rank[day] * OFFICE_LEN

    def from_office_index(self, idx: int) -> int:
        k, m = divmod(idx, OFFICE_LEN)
        return self.wdays[k] * DAY + OFFICE_START + m

    def office_add(self, t: int, minutes: int) -> int:
        """``t`` plus ``minutes`` of office time; always lands inside office hours of a working day."""
        return self.from_office_index(self.office_index(t) + minutes)

    def office_window(self, day: int) -> tuple[int, int]:
        """First and last office minute of a working ``day``."""
        return day * DAY + OFFICE_START, day * DAY + OFFICE_END - 1

    def next_office_day(self, t: int) -> int:
        """The first working day strictly after the date of ``t``."""
        return self.add_wd(t // DAY, 1)

    # -- daylight saving --------------------------------------------------------------------------

    def avoid_dst(self, t: int) -> int:
        """Move a local time out of 02:00–03:00 on the changeover Sundays (no gap, no double time)."""
        day, m = divmod(t, DAY)
        if day in self.dst_days and DST_WINDOW[0] <= m < DST_WINDOW[1]:
            return t + 60
        return t

    def in_dst_window(self, t: int) -> bool:
        day, m = divmod(t, DAY)
        return day in self.dst_days and DST_WINDOW[0] <= m < DST_WINDOW[1]

    def gap_day(self, year: int) -> int:
        """Day index of the March changeover Sunday of ``year``."""
        return self.day_of(_last_sunday(year, 3))
