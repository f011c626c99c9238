"""Working days of Saxon health offices: statutory holidays (SächsSFG), closing days, local dates.

Scalar methods answer one question at a time; the ``*_expr`` methods build polars expressions for whole
event logs. Both agree on every date (a property test checks it).

>>> from datetime import date
>>> cal = WorkingCalendar()
>>> cal.add_working_days(date(2025, 10, 30), 1), cal.add_working_days(date(2025, 10, 30), 2)
(datetime.date(2025, 11, 3), datetime.date(2025, 11, 4))
"""

from pmtool.calendar.local_dates import (
    TIMEZONE,
    DateInput,
    NaiveTimestampsError,
    NotDatesError,
    local_date,
    local_date_expr,
)
from pmtool.calendar.working_days import FIRST_YEAR, LAST_YEAR, REGIONS, SETTINGS, WorkingCalendar

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "REGIONS",
    "SETTINGS",
    "TIMEZONE",
    "DateInput",
    "NaiveTimestampsError",
    "NotDatesError",
    "WorkingCalendar",
    "local_date",
    "local_date_expr",
]
