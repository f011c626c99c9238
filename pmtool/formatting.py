"""Numbers, durations and dates as a German (or English) reader expects them in a figure or a table.

>>> format_number(12345.6, "de", 1), format_number(12345.6, "en", 1)
('12.345,6', '12,345.6')
>>> format_hours(0.5, "de"), format_hours(5.25, "de"), format_hours(60, "de")
('30 Min.', '5,2 Std.', '2,5 Tage')
>>> format_share(0.0125, "de"), format_share(0.01, "de")
('1,2 %', '1 %')
"""

from __future__ import annotations

from datetime import datetime

from pmtool.i18n import language, t

LOCAL_TIMEZONE = "Europe/Berlin"


def format_number(value: float, lang: str | None = None, decimals: int = 0) -> str:
    """``value`` with thousands separators and ``decimals`` places (1.234,5 in German, 1,234.5 in English)."""
    text = f"{value:,.{decimals}f}"
    if (lang or language()) == "de":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def format_share(share: float, lang: str | None = None, decimals: int | None = None) -> str:
    """A share as a percentage with ``decimals`` places; by default one unless whole (German with a space
    before %: „1,2 %“, „5 %“)."""
    lang = lang or language()
    percent = 100 * share
    if decimals is None:
        decimals = 0 if abs(percent - round(percent)) < 1e-9 else 1
    number = format_number(percent, lang, decimals)
    return f"{number} %" if lang == "de" else f"{number}%"


def format_hours(hours: float, lang: str | None = None) -> str:
    """A waiting time in the unit a reader grasps: minutes below one hour, hours below two days, else days."""
    lang = lang or language()
    if hours * 60 < 0.5:
        return t("render.under_a_minute", lang)
    if hours < 1:
        return t("render.minutes", lang, n=format_number(round(hours * 60), lang))
    if hours < 48:
        return t("render.hours", lang, n=format_number(hours, lang, 1))
    return t("render.days", lang, n=format_number(hours / 24, lang, 1))


def format_cases(n: int, lang: str | None = None) -> str:
    """„1 Fall“, „312 Fälle“."""
    lang = lang or language()
    return t("render.case_one", lang) if n == 1 else t("render.cases_n", lang, n=format_number(n, lang))


def format_date(moment: datetime, lang: str | None = None, timezone: str = LOCAL_TIMEZONE) -> str:
    """The local date (in ``timezone``, by default Europe/Berlin) of a UTC timestamp: 03.03.2025 in German,
    2025-03-03 in English."""
    from zoneinfo import ZoneInfo

    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local:%d.%m.%Y}" if (lang or language()) == "de" else f"{local:%Y-%m-%d}"


def format_period(start: datetime | None, end: datetime | None, lang: str | None = None) -> str:
    if start is None or end is None:
        return "—"
    return f"{format_date(start, lang)} – {format_date(end, lang)}"
