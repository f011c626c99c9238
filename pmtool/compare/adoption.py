"""Adoption of a Soll process over time: per office and month the share of conforming cases and each rule's
compliance, before and after the date the Soll became binding, with an interrupted-time-series estimate
(:mod:`pmtool.compare.its`) and the offices that have not adopted it.

*Binding date.* A Soll version is binding from ``processes.<id>.valid_from`` in the project file, else from
``valid_from`` of its rule pack (``[pack]``); without either there is no before and after to compare.

*Months.* A case belongs to the month (Europe/Berlin) of its first event. The conforming share counts the
cases that have ended (complete, or never closed and stale) with fitness 1.0, as ``pmtool conform`` does; a
running case has no verdict yet. A rule's compliance is ``ok / (ok + violated)`` of its primary clock.
Months with fewer cases than the privacy threshold are neither published nor used in the estimate.

*Verdict* per office and measure: the level change at the binding month (segmented regression, its interval)
and the month at which the series changes most (Bonferroni-corrected over the months tried). ``improved``
or ``worsened`` when either holds (the month is the detected one when it agrees in direction, else the
binding month); ``no_change`` otherwise; ``not_estimable`` with fewer than three published months on a side.

>>> from datetime import date
>>> import polars as pl
>>> cases = pl.DataFrame({"office": ["GA-01"] * 12, "first": [f"2025-{m:02d}-15" for m in range(1, 13)]})
>>> month_of(cases.with_columns(pl.col("first").str.to_datetime().dt.replace_time_zone("UTC")))["month"][0]
'2025-01'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import polars as pl

from pmtool.calendar import TIMEZONE
from pmtool.compare.its import MIN_SIDE, change_month, segmented
from pmtool.conform.conformance import ConformanceResult, SpooledConformance, scan_tables
from pmtool.eventlog import schema

if TYPE_CHECKING:
    from pmtool.analysis import Analysis

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)
CONFORMING = "conforming"  # the measure "share of conforming cases"; every other measure is a rule id
VERDICTS = ("improved", "worsened", "no_change", "not_estimable")
SERIES_COLUMNS = {schema.OFFICE: pl.String, "measure": pl.String, "month": pl.String, "judged": pl.Int64,
                  "ok": pl.Int64, "share": pl.Float64, "side": pl.String, "fitted": pl.Float64}
ESTIMATE_COLUMNS = {
    schema.OFFICE: pl.String, "measure": pl.String, "months_before": pl.Int64, "months_after": pl.Int64,
    "judged_before": pl.Int64, "judged_after": pl.Int64, "share_before": pl.Float64, "share_after": pl.Float64,
    "level": pl.Float64, "level_low": pl.Float64, "level_high": pl.Float64, "level_p": pl.Float64,
    "slope": pl.Float64, "slope_low": pl.Float64, "slope_high": pl.Float64, "change_month": pl.String,
    "change_level": pl.Float64, "change_significant": pl.Boolean, "verdict": pl.String, "month": pl.String,
}


@dataclass(frozen=True)
class Adoption:
    """How one process's Soll was taken up. ``series``: office × measure × month (published months only);
    ``estimates``: office × measure with the segmented-regression estimate and the verdict;
    ``not_adopted``: offices whose conforming share did not improve (``no_change`` or ``worsened``)."""

    process: str
    valid_from: date | None
    valid_from_source: str  # "project", "rules" or "" (none)
    alpha: float
    threshold: int
    months: tuple[str, ...]
    series: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SERIES_COLUMNS))
    estimates: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=ESTIMATE_COLUMNS))

    @property
    def binding_month(self) -> str | None:
        return self.valid_from.strftime("%Y-%m") if self.valid_from else None

    @property
    def not_adopted(self) -> tuple[str, ...]:
        rows = self.estimates.filter((pl.col("measure") == CONFORMING)
                                     & pl.col("verdict").is_in(["no_change", "worsened"]))
        return tuple(sorted(rows[schema.OFFICE].to_list()))

    @property
    def estimable(self) -> bool:
        return bool((self.estimates["verdict"] != "not_estimable").any()) if self.estimates.height else False

    def frames(self) -> dict[str, pl.DataFrame]:
        """The output tables: ``adoption_series`` and ``adoption_estimates`` with the process as a column."""
        tag = pl.lit(self.process).alias("process")
        return {"adoption_series": self.series.select(tag, pl.all()),
                "adoption_estimates": self.estimates.select(tag, pl.all())}

    def _repr_html_(self) -> str:
        from pmtool.display import html_of  # how Jupyter shows it (pmtool.display)

        return html_of(self)


def month_of(cases: Frame) -> Frame:
    """``cases`` with ``month`` (``YYYY-MM`` of the column ``first`` in Europe/Berlin)."""
    return cases.with_columns(pl.col("first").dt.convert_time_zone(TIMEZONE).dt.strftime("%Y-%m").alias("month"))


def measures(conformance: ConformanceResult | SpooledConformance) -> pl.LazyFrame:
    """One row per office, case and measure with ``ok`` (bool): conforming (ended cases only) and each rule's
    primary clock where it was judged (lazily: only the columns used are read)."""
    scanned, _, rules = scan_tables(conformance)
    cases = month_of(scanned.select(schema.OFFICE, schema.CASE_ID, "first", "case_status", "fitness"))
    ended = cases.filter((pl.col("case_status") != "running") & pl.col("fitness").is_not_null())
    parts = [ended.select(schema.OFFICE, schema.CASE_ID, "month", pl.lit(CONFORMING).alias("measure"),
                          (pl.col("fitness") == 1.0).alias("ok"))]
    if rules is not None:
        judged = (rules.select(schema.OFFICE, schema.CASE_ID, "rule_id", "primary", "status")
                  .filter(pl.col("primary") & pl.col("status").is_in(["ok", "violated"]))
                  .select(schema.OFFICE, schema.CASE_ID, pl.col("rule_id").alias("measure"),
                          (pl.col("status") == "ok").alias("ok")))
        parts.append(judged.join(cases.select(schema.OFFICE, schema.CASE_ID, "month"), on=[schema.OFFICE,
                                 schema.CASE_ID]).select(schema.OFFICE, schema.CASE_ID, "month", "measure", "ok"))
    return pl.concat(parts)


def adoption(conformance: ConformanceResult | SpooledConformance, *, valid_from: date | None,
             valid_from_source: str = "", threshold: int = 5, alpha: float = 0.05) -> Adoption:
    """Monthly shares and the interrupted-time-series estimate per office and measure.

    ``valid_from``: the day the Soll became binding (``None``: every office is ``not_estimable``);
    ``threshold``: months with fewer judged cases are neither published nor used."""
    counts = (measures(conformance).group_by(schema.OFFICE, "measure", "month")
              .agg(pl.len().cast(pl.Int64).alias("judged"), pl.col("ok").sum().cast(pl.Int64).alias("ok"))
              .collect(engine="streaming"))
    months = tuple(sorted(counts["month"].unique().to_list()))
    binding = valid_from.strftime("%Y-%m") if valid_from else None
    series = (counts.filter(pl.col("judged") >= threshold)
              .with_columns((pl.col("ok") / pl.col("judged")).alias("share"),
                            pl.when(pl.lit(binding).is_null()).then(pl.lit(None, pl.String))
                            .when(pl.col("month") < pl.lit(binding)).then(pl.lit("before"))
                            .otherwise(pl.lit("after")).alias("side"))
              .sort(schema.OFFICE, "measure", "month"))
    rows, fitted = [], []
    for (office, measure), part in series.group_by(schema.OFFICE, "measure", maintain_order=True):
        row, values = _estimate(str(office), str(measure), part, months, binding, alpha)
        rows.append(row)
        fitted.extend(values or [None] * part.height)
    series = series.with_columns(pl.Series("fitted", fitted, dtype=pl.Float64)).select(
        list(SERIES_COLUMNS)).cast(SERIES_COLUMNS)
    estimates = pl.DataFrame(rows, schema=ESTIMATE_COLUMNS, orient="row") if rows else pl.DataFrame(
        schema=ESTIMATE_COLUMNS)
    order = pl.col("measure") != CONFORMING
    estimates = estimates.sort(order, "measure", schema.OFFICE)
    return Adoption(conformance.process, valid_from, valid_from_source if valid_from else "", alpha, threshold,
                    months, series, estimates)


def _estimate(office: str, measure: str, part: pl.DataFrame, months: tuple[str, ...], binding: str | None,
              alpha: float) -> tuple[tuple, tuple[float, ...]]:
    """One row of :data:`ESTIMATE_COLUMNS` and the fitted value per month of ``part`` (empty when there is
    no estimate). Months without a published share are left out of the fit (the time axis keeps its
    calendar spacing)."""
    before = part.filter(pl.col("side") == "before")
    after = part.filter(pl.col("side") == "after")

    def pooled(frame: pl.DataFrame) -> tuple[int, float | None]:
        n = int(frame["judged"].sum())
        return n, (int(frame["ok"].sum()) / n if n else None)

    (nb, sb), (na, sa) = pooled(before), pooled(after)
    head = (office, measure, before.height, after.height, nb, na, sb, sa)
    empty = (None,) * 10
    if binding is None or before.height < MIN_SIDE or after.height < MIN_SIDE:
        return (*head, *empty, "not_estimable", None), ()
    axis = _axis(months)
    t = np.array([axis[m] for m in part["month"]])
    y, w = part["share"].to_numpy(), part["judged"].to_numpy().astype(float)
    fit = segmented(y, w, months_since(months[0], binding), t=t, alpha=alpha)
    change = change_month(y, w, t=t, alpha=alpha)
    found = month_label(months[0], change.month) if change else None
    verdict, month = "no_change", None
    if fit.level_low > 0 or fit.level_high < 0:
        verdict = "improved" if fit.level > 0 else "worsened"
        month = binding
        if change is not None and change.significant and (change.fit.level > 0) == (fit.level > 0):
            month = found
    elif change is not None and change.significant:
        verdict = "improved" if change.fit.level > 0 else "worsened"
        month = found
    return (*head, fit.level, fit.level_low, fit.level_high, fit.level_p, fit.slope, fit.slope_low,
            fit.slope_high, found, change.fit.level if change else None, change.significant if change else None,
            verdict, month), fit.fitted


def months_since(first: str, month: str) -> int:
    """Calendar months from ``first`` to ``month`` (both ``YYYY-MM``)."""
    return (int(month[:4]) - int(first[:4])) * 12 + int(month[5:7]) - int(first[5:7])


def _axis(months: tuple[str, ...]) -> dict[str, int]:
    return {m: months_since(months[0], m) for m in months}


def month_label(first: str, offset: int) -> str:
    """The month ``offset`` calendar months after ``first``."""
    total = int(first[:4]) * 12 + int(first[5:7]) - 1 + offset
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def binding_date(analysis: Analysis, process: str) -> tuple[date | None, str]:
    """From when ``process``'s Soll is binding and where that is said: the project's
    ``processes.<id>.valid_from`` (``"project"``), else the rule pack's ``valid_from`` (``"rules"``)."""
    config = analysis.project.processes[process]
    if config.valid_from is not None:
        return config.valid_from, "project"
    pack = analysis.processes[process].reference.rules
    if pack is not None and pack.valid_from is not None:
        return pack.valid_from, "rules"
    return None, ""


def adoption_of(analysis: Analysis, process: str, *, alpha: float = 0.05) -> Adoption:
    """:func:`adoption` for one process of a whole analysis, with its binding date and the project's
    privacy threshold."""
    valid_from, source = binding_date(analysis, process)
    return adoption(analysis.processes[process].results, valid_from=valid_from, valid_from_source=source,
                    threshold=analysis.project.privacy_threshold, alpha=alpha)
