"""Parse timestamp text from office exports into UTC, vectorised, with a reason for every failure.

Exports write local wall-clock time ("31.10.2025 14:05", "31.10.2025") or ISO 8601 with an offset
("2025-10-31T14:05:00+01:00", "…Z"). Local times are placed in the profile's zone (Europe/Berlin by
default), which is where daylight saving bites: in the March gap (02:00–03:00 does not exist) and the
October overlap (02:00–03:00 happens twice) a local time alone is not a point in time. The policy for
each is explicit in the profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

#: Formats tried when the profile names none, in this order. Offsets first: they are unambiguous.
DEFAULT_FORMATS: tuple[str, ...] = (
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M%z",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)
AMBIGUOUS_POLICIES = ("earliest", "latest", "quarantine")
NONEXISTENT_POLICIES = ("quarantine", "shift_forward")

REASON_UNPARSABLE = "unparsable_timestamp"
REASON_MISSING = "missing_timestamp"
REASON_DST_GAP = "dst_nonexistent_time"
REASON_DST_OVERLAP = "dst_ambiguous_time"
REASON_IMPLAUSIBLE = "implausible_timestamp"
#: Event times outside this range (UTC) are quarantined: a year 1 or 9999 in an export is a placeholder or a
#: typing error, and one of them would move the as-of date or make every case look never closed.
PLAUSIBLE_FROM = datetime(1900, 1, 1, tzinfo=UTC)
PLAUSIBLE_TO = datetime(2100, 1, 1, tzinfo=UTC)

_SAMPLE = 2000


@dataclass(frozen=True)
class ParsedTimestamps:
    """``utc``: tz-aware UTC (null where parsing failed); ``precision``: "datetime" or "date";
    ``reason``: null where parsing succeeded, else a quarantine reason code."""

    utc: pl.Series
    precision: pl.Series
    reason: pl.Series
    formats_used: tuple[str, ...]


def plausible(parsed: ParsedTimestamps) -> ParsedTimestamps:
    """``parsed`` with times outside [:data:`PLAUSIBLE_FROM`, :data:`PLAUSIBLE_TO`) nulled and given the
    reason :data:`REASON_IMPLAUSIBLE`."""
    utc = parsed.utc
    outside = utc.is_not_null() & ((utc < PLAUSIBLE_FROM) | (utc >= PLAUSIBLE_TO))
    if not outside.any():
        return parsed
    frame = pl.DataFrame({"utc": utc, "reason": parsed.reason, "outside": outside})
    frame = frame.select(pl.when(pl.col("outside")).then(None).otherwise(pl.col("utc")).alias("utc"),
                         pl.when(pl.col("outside")).then(pl.lit(REASON_IMPLAUSIBLE)).otherwise(pl.col("reason"))
                         .alias("reason"))
    return ParsedTimestamps(frame["utc"], parsed.precision, frame["reason"], parsed.formats_used)


def has_offset(fmt: str) -> bool:
    return "%z" in fmt or "%:z" in fmt


def is_date_only(fmt: str) -> bool:
    return not any(code in fmt for code in ("%H", "%I", "%M", "%S", "%T", "%R", "%c"))


def _first_parse(parsed: list[pl.Expr], dtype: pl.DataType) -> pl.Expr:
    if not parsed:
        return pl.lit(None, dtype)
    return parsed[0] if len(parsed) == 1 else pl.coalesce(parsed)


def _parse_in_turn(text: pl.Series, formats: list[str], dtype: pl.DataType, prefix: str
                   ) -> tuple[list[pl.Series], pl.Series]:
    """``text`` parsed with each of ``formats`` in turn, each only where no earlier one read the value (it is
    null for the later ones, and a null costs nothing to parse), and the values none of them read."""
    parsed = []
    for i, fmt in enumerate(formats):
        one = text.str.strptime(dtype, fmt, strict=False).alias(f"{prefix}{i}")
        parsed.append(one)
        text = pl.select(pl.when(one.is_null()).then(text)).to_series()
    return parsed, text


def _normalise(text: pl.Expr) -> pl.Expr:
    # "Z" is UTC in ISO 8601 but not understood by %z.
    return text.str.strip_chars().str.replace(r"[Zz]$", "+00:00")


def detect_formats(values: pl.Series, formats: tuple[str, ...] = DEFAULT_FORMATS) -> tuple[str, ...]:
    """The formats among ``formats`` that parse at least one value of a sample, in their given order."""
    sample = values.drop_nulls().head(_SAMPLE).to_frame("v").select(_normalise(pl.col("v")))["v"]
    found = []
    for fmt in formats:
        dtype = pl.Datetime("us", "UTC") if has_offset(fmt) else pl.Datetime("us")
        parsed = sample.str.strptime(dtype, fmt, strict=False, exact=True)
        if parsed.null_count() < sample.len():
            found.append(fmt)
    return tuple(found)


def parse(
    values: pl.Series,
    *,
    formats: tuple[str, ...] | None = None,
    timezone: str = "Europe/Berlin",
    ambiguous: str = "earliest",
    nonexistent: str = "quarantine",
) -> ParsedTimestamps:
    """Parse ``values`` (String) into UTC.

    ``formats`` are tried in order per value (strftime codes as polars/chrono read them); ``None`` detects
    them from a sample among :data:`DEFAULT_FORMATS`. A format without a time of day gives precision
    "date" and local midnight. ``ambiguous`` (October overlap): "earliest" (summer time), "latest" or
    "quarantine"; ``nonexistent`` (March gap): "quarantine" or "shift_forward" (by the gap, one hour).
    """
    if values.dtype != pl.String:
        values = values.cast(pl.String)
    used = formats if formats is not None else detect_formats(values)
    offset_formats = [f for f in used if has_offset(f)]
    naive_formats = [f for f in used if not has_offset(f)]
    text = pl.col("raw").str.strip_chars()
    if offset_formats:
        text = pl.when(text.str.ends_with("Z") | text.str.ends_with("z")).then(
            text.str.slice(0, text.str.len_chars() - 1) + pl.lit("+00:00")).otherwise(text)
    # white space at either end (what strip_chars removes: Unicode White_Space, as regex's \s) or a final Z:
    # without them the text is read as it is, not copied first
    changing = r"^\s|\s$|[Zz]\s*$" if offset_formats else r"^\s|\s$"
    if not values.str.contains(changing).any():
        text = pl.col("raw")
    frame = values.to_frame("raw").select(text.alias("text"))
    aware_parsed, unread = _parse_in_turn(frame["text"], offset_formats, pl.Datetime("us", "UTC"), "__aware")
    # a local time matters only where no offset format read the value
    naive_columns, _ = _parse_in_turn(unread, naive_formats, pl.Datetime("us"), "__naive")
    frame = frame.with_columns(*aware_parsed, *naive_columns)
    aware = _first_parse([pl.col(s.name) for s in aware_parsed], pl.Datetime("us", "UTC"))
    naive_parsed = [pl.col(s.name) for s in naive_columns]
    naive = _first_parse(naive_parsed, pl.Datetime("us"))
    date_only = pl.lit(False)
    for parsed, fmt in reversed(list(zip(naive_parsed, naive_formats, strict=True))):
        date_only = pl.when(parsed.is_not_null()).then(pl.lit(is_date_only(fmt))).otherwise(date_only)
    if not any(is_date_only(f) for f in naive_formats):
        date_only = pl.lit(False)
    amb = "null" if ambiguous == "quarantine" else ambiguous
    frame = frame.with_columns(aware.alias("aware"), naive.alias("naive"), date_only.alias("date_only"))
    frame = frame.with_columns(
        pl.col("naive").dt.replace_time_zone(timezone, ambiguous=amb, non_existent="null")
        .dt.convert_time_zone("UTC").alias("local"))
    # Only the few local times that failed to localise need to be told apart (gap or overlap).
    failed = pl.col("naive").is_not_null() & pl.col("local").is_null()
    in_gap = failed & pl.col("naive").dt.replace_time_zone(timezone, ambiguous="earliest",
                                                           non_existent="null").is_null()
    shifted = (pl.col("naive") + pl.duration(hours=1)).dt.replace_time_zone(
        timezone, ambiguous=amb, non_existent="null").dt.convert_time_zone("UTC")
    if frame.select(failed.any()).item():
        frame = frame.with_columns(in_gap.alias("gap"))
        if nonexistent == "shift_forward":
            frame = frame.with_columns(pl.when(pl.col("gap")).then(shifted).otherwise(pl.col("local"))
                                       .alias("local"))
    else:
        frame = frame.with_columns(pl.lit(False).alias("gap"))
    utc = pl.coalesce(pl.col("aware"), pl.col("local")) if offset_formats else pl.col("local")
    reason = (
        pl.when(pl.col("utc").is_not_null())
        .then(pl.lit(None, pl.String))
        .when(pl.col("text").is_null() | (pl.col("text") == ""))
        .then(pl.lit(REASON_MISSING))
        .when(pl.col("gap"))
        .then(pl.lit(REASON_DST_GAP))
        .when(pl.col("naive").is_not_null())
        .then(pl.lit(REASON_DST_OVERLAP))
        .otherwise(pl.lit(REASON_UNPARSABLE))
    )
    precision = pl.when(pl.col("date_only") & pl.col("aware").is_null()).then(pl.lit("date")) \
        .otherwise(pl.lit("datetime")).cast(pl.Enum(["datetime", "date"]))
    out = frame.with_columns(utc.dt.cast_time_unit("us").alias("utc")).select(
        "utc", precision.alias("precision"), reason.alias("reason"))
    return ParsedTimestamps(out["utc"], out["precision"], out["reason"], tuple(used))


#: Share of a source's timed events at local midnight above which those midnight events count as dates.
#: By chance a time of day is exactly 00:00:00 for 1 in 1,440 minute-stamped events (0.07 %); a share this far
#: above it means the export wrote a date where it knew no time (the time field is then filled with zeros).
#: Looked for at local midnight and at UTC midnight (a date written with offset +00:00), each on its own.
MIDNIGHT_DATE_SHARE = 0.05


def midnight_as_date(parsed: ParsedTimestamps, timezone: str = "Europe/Berlin",
                     threshold: float = MIDNIGHT_DATE_SHARE) -> ParsedTimestamps:
    """Mark events at exactly midnight (00:00:00.000000) as precision "date" when their share among the
    source's parsed events with a time of day exceeds ``threshold``; midnight is looked for in ``timezone``
    (local dates) and in UTC (dates written as ``…T00:00:00+00:00``), each on its own.

    A source that stores dates in a timestamp field (XES ``time:timestamp``, a typed database column) gives
    every such event 00:00:00; read as a time, it would place the event at the start of its day and make
    durations and orderings look exact where only the day is known. Below the threshold, midnight events
    are taken as timed (a night shift, a job at midnight)."""
    frame = pl.DataFrame({"utc": parsed.utc, "precision": parsed.precision})
    timed = pl.col("utc").is_not_null() & (pl.col("precision") == "datetime")
    marks = [timed & (pl.col("utc").dt.convert_time_zone(zone).dt.time() == pl.time(0, 0, 0))
             for zone in dict.fromkeys((timezone, "UTC"))]
    counts = frame.select(timed.sum(), *[m.sum().alias(str(i)) for i, m in enumerate(marks)]).row(0)
    chosen = [m for m, n in zip(marks, counts[1:], strict=True) if counts[0] and n / counts[0] > threshold]
    if not chosen:
        return parsed
    midnight = pl.any_horizontal(chosen)
    precision = frame.select(pl.when(midnight).then(pl.lit("date")).otherwise(pl.col("precision"))
                             .cast(parsed.precision.dtype).alias("precision"))["precision"]
    return ParsedTimestamps(parsed.utc, precision, parsed.reason, parsed.formats_used)
