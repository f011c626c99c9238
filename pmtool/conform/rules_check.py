"""Check a log against a rule pack, vectorised in polars: deadlines in working days, order, mandatory,
absent and role rules — one result row per case, rule and clock.

Deadlines in working days use each office's :class:`~pmtool.calendar.WorkingCalendar` and the local
(Europe/Berlin) date of the clock start: "within N working days" means by the end of the N-th working day
after that date (N = 0: the same day when it is a working day, else the next one). Where the law leaves
the clock start open, the rule's ``alt_from`` activities give further clocks, each reported on its own.

A deadline is measured from the first clock-start activity to the first end activity after it. A finished
case in which the end activity never happened is not judged by the deadline (its absence is what the
mandatory rules and the alignment's SKIP report); a running case already past its due time is violated.

Cases that are still running follow an explicit policy (:class:`RuleCheckSettings.incomplete`):
``"pending"`` (default) judges only what is already overdue and reports the rest as pending;
``"violation"`` counts every missing activity as a violation; ``"exclude"`` leaves running cases out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from pmtool.calendar import TIMEZONE, WorkingCalendar
from pmtool.errors import ConfigError, Location
from pmtool.eventlog import schema
from pmtool.eventlog.log import EventLog
from pmtool.models.rules import Rule, RulePack

STATUSES = ("ok", "violated", "pending", "not_applicable", "excluded")
STATUS = pl.Enum(list(STATUSES))
CASE_STATUSES = ("complete", "running", "stale")
INCOMPLETE_POLICIES = ("pending", "violation", "exclude")
_KEY = [schema.OFFICE, schema.CASE_ID]
_TS = pl.Datetime("us", "UTC")
_CASE = "_case"  # a case's row in the status table: the rules join and group on it, not on two strings


@dataclass(frozen=True)
class RuleCheckSettings:
    """``as_of``: the point in time the check is made (default: the log's last event); a running case
    without a closing activity becomes ``stale`` after ``stale_after_days`` without events."""

    incomplete: str = "pending"
    as_of: datetime | None = None
    stale_after_days: int = 90

    def __post_init__(self) -> None:
        if self.incomplete not in INCOMPLETE_POLICIES:
            raise ConfigError("conform.bad_choice", Location(), name="incomplete", value=str(self.incomplete)[:80],
                              choices=", ".join(INCOMPLETE_POLICIES))


@dataclass(frozen=True)
class RuleResults:
    """``cases``: one row per office, case, rule and clock (see :data:`RESULT_COLUMNS`)."""

    cases: pl.DataFrame
    pack_id: str
    pack_version: str
    as_of: datetime

    def summary(self) -> pl.DataFrame:
        """Per office and rule (primary clock): applicable cases, violations, pending, rate."""
        return rule_summary(self.cases.lazy())


def rule_summary(cases: pl.LazyFrame) -> pl.DataFrame:
    """:meth:`RuleResults.summary` of a rule results table, read lazily (only the columns it needs)."""
    return (cases.select(schema.OFFICE, "rule_id", "kind", "primary", "status").filter(pl.col("primary"))
            .group_by(schema.OFFICE, "rule_id", "kind")
            .agg(
                (pl.col("status") == "ok").sum().alias("ok"),
                (pl.col("status") == "violated").sum().alias("violated"),
                (pl.col("status") == "pending").sum().alias("pending"),
                pl.col("status").is_in(["ok", "violated"]).sum().alias("judged"),
            )
            .with_columns((pl.col("violated") / pl.col("judged")).fill_nan(None).alias("rate"))
            .sort(schema.OFFICE, "rule_id", "kind")
            .collect(engine="streaming"))


RESULT_COLUMNS = {
    schema.OFFICE: pl.String, schema.CASE_ID: pl.String, "rule_id": pl.String, "kind": pl.String,
    "clock": pl.String, "primary": pl.Boolean, "status": STATUS, "case_status": pl.String,
    "start": _TS, "end": _TS, "due": _TS, "late_hours": pl.Float64, "detail": pl.String,
}


def case_status(log: EventLog, closing: frozenset[str], as_of: datetime, stale_after_days: int = 90) -> pl.DataFrame:
    """Per case: ``complete`` (a closing activity occurred), ``stale`` (no closing activity and no event for
    ``stale_after_days`` before ``as_of``) or ``running``; with the case's last timestamp."""
    stale_before = pl.lit(as_of).cast(_TS) - pl.duration(days=stale_after_days)
    return (log.frame.lazy().group_by(_KEY).agg(  # lazy: reads only its columns
        pl.col(schema.ACTIVITY).is_in(list(closing)).any().alias("closed"),
        pl.col(schema.TIMESTAMP).max().alias("last"),
    ).with_columns(
        pl.when(pl.col("closed")).then(pl.lit("complete"))
        .when(pl.col("last") < stale_before).then(pl.lit("stale"))
        .otherwise(pl.lit("running")).alias("case_status")
    ).select(*_KEY, "case_status", "last").sort(_KEY).collect())


def check_rules(
    log: EventLog,
    pack: RulePack,
    *,
    closing: frozenset[str],
    calendars: Mapping[str, WorkingCalendar] | None = None,
    settings: RuleCheckSettings | None = None,
    status: pl.DataFrame | None = None,
) -> RuleResults:
    """Evaluate every rule of ``pack`` on every case of ``log``.

    ``closing`` are the activities that end a case in the Soll model (a case without one is running or
    stale); ``calendars`` maps office → calendar (default: the Saxon calendar for every office); ``status``:
    :func:`case_status` of ``log`` with the same settings, when the caller has it already.
    """
    settings = settings or RuleCheckSettings()
    as_of = settings.as_of or log.frame[schema.TIMESTAMP].max()
    if as_of is None:
        return RuleResults(pl.DataFrame(schema=RESULT_COLUMNS), pack.id, pack.version, datetime.now())
    if status is None:
        status = case_status(log, closing, as_of, settings.stale_after_days)
    status = status.with_row_index(_CASE)
    events = log.frame.select(*_KEY, schema.ACTIVITY, schema.TIMESTAMP, schema.ROLE) \
        .join(status.select(*_KEY, _CASE), on=_KEY, how="left").drop(_KEY)
    # every rule is judged on each case alone: slices of cases give the rows of the whole in order (sorted by
    # the status row first), and only one slice's working tables are held at a time
    slices = [_check_slice(events.filter(pl.col(_CASE).is_between(lo, lo + _CASES_PER_SLICE - 1)),
                           status.slice(lo, _CASES_PER_SLICE), pack, calendars, settings, as_of)
              for lo in range(0, max(status.height, 1), _CASES_PER_SLICE)]
    return RuleResults(pl.concat(slices, how="vertical", rechunk=False), pack.id, pack.version, as_of)


#: Cases whose rules are judged together (a slice's working tables: a few hundred bytes per case and rule).
_CASES_PER_SLICE = 25_000


def _check_slice(events: pl.DataFrame, status: pl.DataFrame, pack: RulePack,
                 calendars: Mapping[str, WorkingCalendar] | None, settings: RuleCheckSettings,
                 as_of: datetime) -> pl.DataFrame:
    """The result rows of the cases of ``status`` (a slice of the status table with its row numbers) from
    their ``events``, sorted by case, rule and clock."""
    parts = []
    for rule in pack.rules:
        if rule.kind == "deadline":
            for clock, primary in [(rule.start, True), *((a, False) for a in rule.alt_starts)]:
                parts.append(_deadline(events, status, rule, clock, primary, calendars or {}, as_of))
        elif rule.kind == "order":
            parts.append(_order(events, status, rule))
        elif rule.kind == "mandatory":
            parts.append(_mandatory(events, status, rule))
        elif rule.kind == "absent":
            parts.append(_absent(events, status, rule))
        elif rule.kind == "role":
            parts.append(_role(events, status, rule))
    frame = pl.concat([p.select(*RESULT_COLUMNS, _CASE).cast(RESULT_COLUMNS) for p in parts], how="vertical")
    if settings.incomplete != "pending":
        running = pl.col("case_status") == "running"
        if settings.incomplete == "exclude":
            frame = frame.with_columns(pl.when(running).then(pl.lit("excluded")).otherwise(pl.col("status"))
                                       .cast(STATUS).alias("status"))
        else:
            frame = frame.with_columns(pl.when(running & (pl.col("status") == "pending")).then(pl.lit("violated"))
                                       .otherwise(pl.col("status")).cast(STATUS).alias("status"))
    # the status table is sorted by office and case: its row stands for both
    return frame.sort([_CASE, "rule_id", "clock"], maintain_order=True).drop(_CASE)


def _first(events: pl.DataFrame, activity: str, name: str) -> pl.DataFrame:
    return (events.filter(pl.col(schema.ACTIVITY) == activity).group_by(_CASE)
            .agg(pl.col(schema.TIMESTAMP).min().alias(name)))


def _base(status: pl.DataFrame, rule: Rule, clock: str = "", primary: bool = True) -> pl.DataFrame:
    return status.with_columns(pl.lit(rule.id).alias("rule_id"), pl.lit(rule.kind).alias("kind"),
                               pl.lit(clock).alias("clock"), pl.lit(primary).alias("primary"))


def _with_if_present(frame: pl.DataFrame, events: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    if not rule.if_present:
        return frame.with_columns(pl.lit(True).alias("applies"))
    cond = _first(events, rule.if_present, "cond")
    return frame.join(cond, on=_CASE, how="left").with_columns(pl.col("cond").is_not_null().alias("applies"))


def _empty_times(frame: pl.DataFrame) -> pl.DataFrame:
    missing = [pl.lit(None, _TS).alias(c) for c in ("start", "end", "due") if c not in frame.columns]
    if "late_hours" not in frame.columns:
        missing.append(pl.lit(None, pl.Float64).alias("late_hours"))
    if "detail" not in frame.columns:
        missing.append(pl.lit(None, pl.String).alias("detail"))
    return frame.with_columns(missing)


def _deadline(events: pl.DataFrame, status: pl.DataFrame, rule: Rule, clock: str, primary: bool,
              calendars: Mapping[str, WorkingCalendar], as_of: datetime) -> pl.DataFrame:
    assert rule.end is not None and rule.amount is not None
    frame = _with_if_present(_base(status, rule, clock, primary), events, rule)
    frame = frame.join(_first(events, clock, "start"), on=_CASE, how="left")
    ends = events.filter(pl.col(schema.ACTIVITY) == rule.end).select(_CASE, pl.col(schema.TIMESTAMP).alias("e"))
    after = (frame.select(_CASE, "start").join(ends, on=_CASE, how="inner")
             .filter(pl.col("e") >= pl.col("start")).group_by(_CASE).agg(pl.col("e").min().alias("end")))
    before = (frame.select(_CASE, "start").join(ends, on=_CASE, how="inner")
              .filter(pl.col("e") < pl.col("start")).group_by(_CASE).agg(pl.len().alias("ends_before")))
    frame = frame.join(after, on=_CASE, how="left").join(before, on=_CASE, how="left")
    frame = pl.concat([_due(part, rule, calendars.get(office) or WorkingCalendar())
                       for (office,), part in frame.group_by(schema.OFFICE, maintain_order=True)], how="vertical") \
        if frame.height else frame.with_columns(pl.lit(None, _TS).alias("due"))
    now = pl.lit(as_of).cast(_TS)
    late = pl.coalesce(pl.col("end"), now) - pl.col("due")
    status_expr = (
        pl.when(~pl.col("applies") | pl.col("start").is_null()).then(pl.lit("not_applicable"))
        .when(pl.col("end").is_null() & pl.col("ends_before").is_not_null()).then(pl.lit("not_applicable"))
        .when(pl.col("end").is_not_null() & (pl.col("end") < pl.col("due"))).then(pl.lit("ok"))
        .when(pl.col("end").is_not_null()).then(pl.lit("violated"))
        # a finished case without the end activity: its absence is a SKIP / mandatory-rule matter
        .when(pl.col("case_status") != "running").then(pl.lit("not_applicable"))
        .when(now >= pl.col("due")).then(pl.lit("violated"))
        .otherwise(pl.lit("pending"))
    )
    detail = (pl.when(pl.col("end").is_null() & pl.col("ends_before").is_not_null())
              .then(pl.lit("end_before_start"))
              .when(pl.col("start").is_not_null() & pl.col("end").is_null() & pl.col("applies"))
              .then(pl.lit("end_missing")).otherwise(pl.lit(None, pl.String)))
    return frame.with_columns(status_expr.alias("status"), detail.alias("detail")).with_columns(
        pl.when(pl.col("status") == "violated").then(late.dt.total_seconds() / 3600.0)
        .otherwise(None).alias("late_hours"))


def _due(frame: pl.DataFrame, rule: Rule, calendar: WorkingCalendar) -> pl.DataFrame:
    """The exclusive due instant (UTC) per row: the end of the due day, or start + duration."""
    amount = rule.amount or 0.0
    if rule.unit == "hours" or rule.due == "exact":
        delta = pl.duration(hours=amount) if rule.unit == "hours" else pl.duration(days=amount)
        return frame.with_columns((pl.col("start") + delta).alias("due"))
    # the due instant depends on the local day of the start only: worked out once per day, not per case
    days = frame.select(pl.col("start").dt.convert_time_zone(TIMEZONE).dt.date().alias("_day"))
    if rule.unit == "working_days":
        due_day = calendar.add_working_days_expr(pl.col("_day"), int(amount))
    else:
        due_day = pl.col("_day") + pl.duration(days=int(amount))
    midnight_after = (due_day + pl.duration(days=1)).cast(pl.Datetime("us"))
    per_day = days.unique().drop_nulls().with_columns(
        midnight_after.dt.replace_time_zone(TIMEZONE, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC").alias("due"))
    return frame.with_columns(days["_day"]).join(per_day, on="_day", how="left", maintain_order="left") \
        .drop("_day")


def _order(events: pl.DataFrame, status: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    assert rule.first and rule.then
    frame = _base(status, rule).join(_first(events, rule.first, "start"), on=_CASE, how="left") \
        .join(_first(events, rule.then, "end"), on=_CASE, how="left")
    st = (pl.when(pl.col("end").is_null() | pl.col("start").is_null()).then(pl.lit("not_applicable"))
          .when(pl.col("end") < pl.col("start")).then(pl.lit("violated")).otherwise(pl.lit("ok")))
    return _empty_times(frame.with_columns(st.alias("status")))


def _mandatory(events: pl.DataFrame, status: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    assert rule.activity
    frame = _with_if_present(_base(status, rule), events, rule).join(
        _first(events, rule.activity, "end"), on=_CASE, how="left")
    st = (pl.when(~pl.col("applies")).then(pl.lit("not_applicable"))
          .when(pl.col("end").is_not_null()).then(pl.lit("ok"))
          .when(pl.col("case_status") == "running").then(pl.lit("pending"))
          .otherwise(pl.lit("violated")))
    return _empty_times(frame.with_columns(st.alias("status")))


def _absent(events: pl.DataFrame, status: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    assert rule.activity
    frame = _base(status, rule).join(_first(events, rule.activity, "end"), on=_CASE, how="left")
    st = pl.when(pl.col("end").is_not_null()).then(pl.lit("violated")).otherwise(pl.lit("ok"))
    return _empty_times(frame.with_columns(st.alias("status")))


def _role(events: pl.DataFrame, status: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    assert rule.activity
    per_case = (events.filter(pl.col(schema.ACTIVITY) == rule.activity).group_by(_CASE).agg(
        pl.col(schema.ROLE).is_not_null().any().alias("known"),
        (pl.col(schema.ROLE).is_not_null() & ~pl.col(schema.ROLE).is_in(list(rule.roles))).any().alias("wrong"),
        pl.col(schema.TIMESTAMP).min().alias("end"),
        pl.col(schema.ROLE).filter(pl.col(schema.ROLE).is_not_null()
                                   & ~pl.col(schema.ROLE).is_in(list(rule.roles))).first().alias("detail"),
    ))
    frame = _base(status, rule).join(per_case, on=_CASE, how="left")
    st = (pl.when(pl.col("end").is_null() | ~pl.col("known").fill_null(False)).then(pl.lit("not_applicable"))
          .when(pl.col("wrong")).then(pl.lit("violated")).otherwise(pl.lit("ok")))
    return _empty_times(frame.with_columns(st.alias("status")))
