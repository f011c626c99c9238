"""Parse timestamp text from office exports into UTC, vectorised, with a reason for every failure.

Exports write local wall-clock time ("31.10.2025 14:05", "31.10.2025") or ISO 8601 with an offset
("2025-10-31T14:05:00+01:00", "…Z"). Local times are placed in the profile's zone (Europe/Berlin by
default), which is where daylight saving bites: in the March gap (02:00–03:00 does not exist) and the
October overlap (02:00–03:00 happens twice) a local time alone is not a point in time. The policy for
each is explicit in the profile.
"""

from __future__ import annotations

from dataclasses import dataclass

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

_SAMPLE = 2000


@dataclass(frozen=True)
class ParsedTimestamps:
    """``utc``: tz-aware UTC (null where parsing failed); ``precision``: "datetime" or "date";
    ``reason``: null where parsing succeeded, else a quarantine reason code."""

    utc: pl.Series
    precision: pl.Series
    reason: pl.Series
    formats_used: tuple[str, ...]


def has_offset(fmt: str) -> bool:
    return "%z" in fmt or "%:z" in fmt


def is_date_only(fmt: str) -> bool:
    return not any(code in fmt for code in ("%H", "%I", "%M", "%S", "%T", "%R", "%c"))


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
    frame = values.to_frame("raw").with_columns(_normalise(pl.col("raw")).alias("text"))
    aware_exprs, naive_exprs, naive_date_flags = [], [], []
    for fmt in used:
        if has_offset(fmt):
            aware_exprs.append(pl.col("text").str.strptime(pl.Datetime("us", "UTC"), fmt, strict=False))
        else:
            parsed = pl.col("text").str.strptime(pl.Datetime("us"), fmt, strict=False)
            naive_exprs.append(parsed)
            naive_date_flags.append((parsed, is_date_only(fmt)))
    aware = pl.coalesce(aware_exprs) if aware_exprs else pl.lit(None, pl.Datetime("us", "UTC"))
    naive = pl.coalesce(naive_exprs) if naive_exprs else pl.lit(None, pl.Datetime("us"))
    date_only = pl.lit(False)
    for parsed, flag in reversed(naive_date_flags):
        date_only = pl.when(parsed.is_not_null()).then(pl.lit(flag)).otherwise(date_only)
    frame = frame.with_columns(aware.alias("aware"), naive.alias("naive"), date_only.alias("date_only"))

    amb = "null" if ambiguous == "quarantine" else ambiguous
    local = pl.col("naive").dt.replace_time_zone(timezone, ambiguous=amb, non_existent="null")
    strict_local = pl.col("naive").dt.replace_time_zone(timezone, ambiguous="null", non_existent="null")
    shifted = (pl.col("naive") + pl.duration(hours=1)).dt.replace_time_zone(
        timezone, ambiguous=amb, non_existent="null"
    )
    # A local time that fails with ambiguous="earliest" cannot be an overlap, so it is in the gap.
    in_gap = pl.col("naive").is_not_null() & pl.col("naive").dt.replace_time_zone(
        timezone, ambiguous="earliest", non_existent="null"
    ).is_null()
    localised = local if nonexistent == "quarantine" else pl.when(in_gap).then(shifted).otherwise(local)
    in_overlap = pl.col("naive").is_not_null() & strict_local.is_null() & ~in_gap

    frame = frame.with_columns(
        pl.coalesce(pl.col("aware"), localised.dt.convert_time_zone("UTC")).alias("utc"),
        in_gap.alias("gap"),
        in_overlap.alias("overlap"),
    )
    reason = (
        pl.when(pl.col("utc").is_not_null())
        .then(pl.lit(None, pl.String))
        .when(pl.col("text").is_null() | (pl.col("text") == ""))
        .then(pl.lit(REASON_MISSING))
        .when(pl.col("aware").is_null() & pl.col("gap"))
        .then(pl.lit(REASON_DST_GAP))
        .when(pl.col("aware").is_null() & pl.col("overlap"))
        .then(pl.lit(REASON_DST_OVERLAP))
        .otherwise(pl.lit(REASON_UNPARSABLE))
    )
    precision = (
        pl.when(pl.col("aware").is_null() & pl.col("date_only")).then(pl.lit("date")).otherwise(pl.lit("datetime"))
    )
    out = frame.select(
        pl.col("utc").dt.cast_time_unit("us"),
        precision.cast(pl.Enum(["datetime", "date"])).alias("precision"),
        reason.alias("reason"),
    )
    return ParsedTimestamps(out["utc"], out["precision"], out["reason"], tuple(used))
