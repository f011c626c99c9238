"""Local calendar dates of timestamps: every working-day question is asked about the date in Europe/Berlin.

An event logged at 2025-10-30T23:30Z happened on Friday 31 October in Saxony, so it counts as 31 October,
not as the UTC date. Dates pass through unchanged; tz-aware timestamps are converted to Europe/Berlin first;
naive timestamps are refused, because their zone is unknown (canonical logs hold UTC).

>>> from datetime import datetime, timezone
>>> local_date(datetime(2025, 10, 30, 23, 30, tzinfo=timezone.utc))
datetime.date(2025, 10, 31)
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import polars as pl

from pmtool.errors import InputError, Location

#: The time zone of all Saxon offices; local dates and due times are taken here.
TIMEZONE = "Europe/Berlin"
BERLIN = ZoneInfo(TIMEZONE)

#: What the vectorised functions take: a column name, an expression or a Series of dates or timestamps.
DateInput = str | pl.Expr | pl.Series


def local_date(value: date | datetime) -> date:
    """The Europe/Berlin calendar date of ``value``.

    Takes a ``date`` (returned as is) or a tz-aware ``datetime``. Raises :class:`InputError` for a naive
    ``datetime`` (attach its zone first, e.g. ``ts.replace(tzinfo=timezone.utc)``).

    >>> local_date(date(2025, 11, 3))
    datetime.date(2025, 11, 3)
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InputError("calendar.naive_datetime", value=value.isoformat())
        return value.astimezone(BERLIN).date()
    if isinstance(value, date):
        return value
    raise InputError("calendar.bad_value", value=repr(value))


class _ColumnError(InputError):
    """An :class:`InputError` raised while polars evaluates an expression.

    polars re-raises such an exception by calling its class with the message text alone (plus the
    expression it was in), which a plain :class:`InputError` would take for a catalogue key. This class
    accepts that call too: the re-raised error keeps the class's ``key`` and the text, rendered once.
    """

    KEY: ClassVar[str]

    def __init__(self, key: str, location: Location | None = None, /, **params: Any) -> None:
        if key == self.KEY:
            self._text: str | None = None
            super().__init__(key, location, **params)
        else:  # re-created by polars from the finished message
            self._text = key.split("\n\n", 1)[0]
            Exception.__init__(self, key)
            self.key, self.location, self.params = self.KEY, Location(), {}

    def render(self, lang: str | None = None) -> str:
        return self._text if self._text is not None else super().render(lang)


class NaiveTimestampsError(_ColumnError):
    """A column of datetimes without a time zone was given where local dates are needed."""

    KEY = "calendar.naive_column"


class NotDatesError(_ColumnError):
    """A column that holds neither dates nor datetimes was given where local dates are needed."""

    KEY = "calendar.bad_dtype"


def _series_to_local_date(series: pl.Series) -> pl.Series:
    """Whole-column conversion behind :func:`local_date_expr` (runs once per batch, not per row)."""
    dtype = series.dtype
    if dtype == pl.Date:
        return series
    if dtype == pl.Null:
        return series.cast(pl.Date)
    where = Location(column=series.name or None)
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            raise NaiveTimestampsError(NaiveTimestampsError.KEY, where, dtype=str(dtype))
        return series.dt.convert_time_zone(TIMEZONE).dt.date()
    raise NotDatesError(NotDatesError.KEY, where, dtype=str(dtype))


def as_expr(value: DateInput) -> pl.Expr:
    """A column name, expression or Series as an expression."""
    if isinstance(value, str):
        return pl.col(value)
    if isinstance(value, pl.Series):
        return pl.lit(value)
    return value


def local_date_expr(value: DateInput) -> pl.Expr:
    """An expression for the Europe/Berlin date of a column of dates or tz-aware datetimes.

    ``value`` is a column name, an expression or a Series of type ``Date`` or ``Datetime`` with a time
    zone. Evaluating it raises :class:`NaiveTimestampsError` for naive datetimes and :class:`NotDatesError`
    for other types (both are :class:`InputError`). The dtype is only known when the expression runs, so
    the conversion is dispatched per batch (vectorised, not per row).

    >>> frame = pl.DataFrame({"ts": [datetime(2025, 10, 30, 23, 30)]}).with_columns(
    ...     pl.col("ts").dt.replace_time_zone("UTC"))
    >>> frame.select(local_date_expr("ts")).item()
    datetime.date(2025, 10, 31)
    """
    return as_expr(value).map_batches(_series_to_local_date, return_dtype=pl.Date, is_elementwise=True)
