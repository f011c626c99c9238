"""Numbers in the report as a German (or English) reader expects them, and "·" for what must stay hidden.

>>> count(12345, "de"), count(3, "de", k=5), rate(0.0861, "de"), rate(0.481, "en")
('12.345', '·', '8,6\\u202f%', '48%')
>>> days(36.0, "de"), score(40.55944, "de")
('1,5 Tage', '40,6')
>>> share_of(178, 370, "de"), share_of(3, 276, "de", k=5)
('178 von 370 Fällen (48\u202f%)', 'weniger als 5 von 276 Fällen')
"""

from __future__ import annotations

import math
from datetime import datetime

from pmtool.compare.statements import percent
from pmtool.formatting import format_date, format_hours, format_number
from pmtool.i18n import t, tn
from pmtool.report.suppression import SUPPRESSED, is_small


def count(value: int | None, lang: str, k: int | None = None) -> str:
    """A count with thousands separators; "·" when ``k`` is given and the count is below it."""
    if value is None or (k is not None and is_small(value, k)):
        return SUPPRESSED
    return format_number(value, lang)


def rate(value: float | None, lang: str, places: int | None = None) -> str:
    """A share as a percentage (one decimal below 10 %, or ``places`` decimals), "—" when there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return percent(value, lang, places)


def decimal(value: float | None, lang: str, places: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return format_number(value, lang, places)


def score(value: float | None, lang: str) -> str:
    return decimal(value, lang, 1)


def hours(value: float | None, lang: str) -> str:
    """A duration in minutes, hours or days, whichever a reader grasps."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return format_hours(value, lang)


#: From this many days on a duration is given in whole days (a tenth of a day says nothing there), and from
#: a million days on (sums of waiting over many cases) in millions of days.
WHOLE_DAYS = 100
MILLION_DAYS = 1_000_000


def days(value_hours: float | None, lang: str) -> str:
    """A duration always in days (the report's one unit for every duration: throughput times, waiting, time
    over a deadline, impact): one decimal below 100 days, whole days from 100 days, millions of days with
    one decimal from a million; under 0.05 days "unter 0,1 Tagen".

    >>> days(2.5 * 24, "en"), days(2422.1 * 24, "en"), days(30_157_116 * 24, "en")
    ('2.5 days', '2,422 days', '30.2 million days')
    """
    if value_hours is None or (isinstance(value_hours, float) and math.isnan(value_hours)):
        return "—"
    if 0 < abs(value_hours) < 0.05 * 24:
        return t("report.unit.under_tenth_day", lang, n=format_number(0.1, lang, 1))
    value = value_hours / 24.0
    if abs(round(value, 1)) >= MILLION_DAYS:
        return t("report.unit.million_days", lang, n=format_number(value / MILLION_DAYS, lang, 1))
    if abs(round(value, 1)) >= WHOLE_DAYS:
        return t("render.days", lang, n=format_number(round(value), lang))
    return t("render.days", lang, n=format_number(value, lang, 1))


def share_of(affected: int | None, eligible: int | None, lang: str, *, k: int | None = None,
             noun: str = "cases") -> str:
    """„178 von 370 Fällen (48 %)“: a rate always with its numerator and denominator (``noun``: ``cases``,
    ``checks`` or ``plain``). A numerator below the privacy threshold ``k`` is not shown: „weniger als 5 von
    276 Fällen“, and no rate, which would give it away; a numerator the disclosure check hid (``None``):
    „· von 276 Fällen“; a hidden denominator: "·"."""
    if eligible is None:
        return SUPPRESSED
    if affected is None:
        return tn(f"report.n.of_{noun}_hidden", eligible, lang, n=count(eligible, lang))
    if k is not None and is_small(affected, k):
        return tn(f"report.n.of_{noun}_small", eligible, lang, n=count(eligible, lang), k=count(k, lang))
    share = affected / eligible if eligible else None
    return tn(f"report.n.of_{noun}", eligible, lang, affected=count(affected, lang), n=count(eligible, lang),
              rate=rate(share, lang))


def p_value(value: float | None, lang: str) -> str:
    """q- and p-values: two significant digits, "< 0,001" below a thousandth."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if value < 0.001:
        return "< " + format_number(0.001, lang, 3)
    return format_number(value, lang, 3)


def date(moment: datetime | None, lang: str) -> str:
    return format_date(moment, lang) if moment is not None else "—"
