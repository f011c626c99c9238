"""A short overview of a canonical log: size, period, variants, activities and data-quality flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from pmtool.eventlog import schema
from pmtool.eventlog.log import EventLog

VARIANT_SEPARATOR = " → "


@dataclass(frozen=True)
class QualityFlag:
    """A data-quality observation: ``code`` (stable, message key ``quality.<code>``), events or cases hit."""

    code: str
    count: int
    total: int

    @property
    def share(self) -> float:
        return self.count / self.total if self.total else 0.0


@dataclass(frozen=True)
class Overview:
    offices: tuple[str, ...]
    events: int
    cases: int
    activities: int
    variants: int
    period_start: datetime | None
    period_end: datetime | None
    top_variants: pl.DataFrame  # variant, cases, share, length
    activity_counts: pl.DataFrame  # activity, activity_code, events, cases
    flags: tuple[QualityFlag, ...]

    def _repr_html_(self) -> str:
        from pmtool.display import html_of  # how Jupyter shows it (pmtool.display)

        return html_of(self)


def variants(log: EventLog) -> pl.DataFrame:
    """One row per variant (activity sequence of a case): ``variant``, ``cases``, ``share``, ``length``;
    sorted by frequency, then text, so the order is deterministic."""
    # cases as runs of rows (canonical order), activities as numbers: the text is made once per variant
    names, per_case = log.sequences()
    codes = list(range(len(names)))
    total = per_case.height
    coded = per_case.group_by("codes").agg(pl.len().alias("cases")).with_columns(
        pl.col("codes").list.eval(pl.element().replace_strict(codes, names, return_dtype=pl.String))
        .list.join(VARIANT_SEPARATOR).alias("variant"), pl.col("codes").list.len().alias("length"))
    return (coded.group_by("variant").agg(pl.col("cases").sum(), pl.col("length").first())
            .with_columns((pl.col("cases") / total).alias("share"))
            .sort(["cases", "variant"], descending=[True, False])
            .select("variant", "cases", "share", "length"))


def overview(log: EventLog, top: int = 10) -> Overview:
    """Compute the overview; ``top`` limits the variant table."""
    f = log.frame
    var = variants(log)
    acts = (f.group_by(schema.ACTIVITY, schema.ACTIVITY_CODE)
            .agg(pl.len().alias("events"), pl.struct(schema.OFFICE, schema.CASE_ID).n_unique().alias("cases"))
            .sort(["events", schema.ACTIVITY], descending=[True, False]))
    return Overview(
        offices=tuple(log.offices),
        events=f.height,
        cases=log.n_cases,
        activities=f[schema.ACTIVITY].n_unique(),
        variants=var.height,
        period_start=f[schema.TIMESTAMP].min() if f.height else None,  # type: ignore[arg-type]
        period_end=f[schema.TIMESTAMP].max() if f.height else None,  # type: ignore[arg-type]
        top_variants=var.head(top),
        activity_counts=acts,
        flags=quality_flags(log),
    )


def quality_flags(log: EventLog, timezone: str = "Europe/Berlin") -> tuple[QualityFlag, ...]:
    """Data-quality flags that matter for later analysis; only flags that hit something are returned."""
    f = log.frame
    n = f.height
    case_key = [schema.OFFICE, schema.CASE_ID]
    local = pl.col(schema.TIMESTAMP).dt.convert_time_zone(timezone)
    counts = f.select(
        (pl.col(schema.PRECISION) == "date").sum().alias("date_only_timestamps"),
        pl.col(schema.ACTIVITY_CODE).is_null().sum().alias("unmapped_activities"),
        pl.col(schema.RESOURCE).is_null().sum().alias("missing_resource"),
        (pl.col(schema.TIMESTAMP) == pl.col(schema.TIMESTAMP).shift(1).over(case_key)).sum()
        .alias("same_timestamp_in_case"),
        (local.dt.weekday() >= 6).sum().alias("weekend_events"),
    ).row(0, named=True)
    per_case = f.group_by(case_key).len()
    flags = [QualityFlag(code, int(count), n) for code, count in counts.items()]
    flags.append(QualityFlag("single_event_cases", int((per_case["len"] == 1).sum()), per_case.height))
    return tuple(flag for flag in flags if flag.count)
