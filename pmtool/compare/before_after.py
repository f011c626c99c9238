"""Before and after for one office (or a group of offices): its cases split by a date, or into two periods,
become two pseudo-offices that go through the same conformance, bundles, tests and statements as offices do.

*Split.* A case belongs to the side of its first event (local dates, Europe/Berlin, as the time filters):
around a date ``at``, cases started before it are "before" and cases started on or after it "after"; with
two periods, cases started in the first are "before", in the second "after", and others are left out. The
events of a case never straddle the sides.

*Comparison.* The two sides are compared exactly like two offices (Fisher tests, false-discovery control,
shrinkage, score, statements). One condition of the comparability gate cannot hold by design — the sides lie
in different periods — so **the period-overlap condition is switched off for this comparison only**; every
output says so (:data:`RELAXED`), and how many cases of each side are still running, where any are (their
deadlines are judged only where already overdue, as always).

*Maps.* Each side's directly-follows graph, and a difference map: every transition taken by at least the
privacy threshold's number of cases on a side, marked more or less frequent (share of cases, at least
:data:`SHARE_STEP`) and slower or faster (median wait, by at least the factor :data:`WAIT_FACTOR`).
Counts below the threshold are not published (empty in the table).

>>> from datetime import date
>>> Split(at=date(2025, 7, 1)).labels("en"), Split(at=date(2025, 7, 1)).labels("de")
(('before 2025-07-01', 'from 2025-07-01'), ('vor 01.07.2025', 'ab 01.07.2025'))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import polars as pl

from pmtool.analysis import ComparisonTables, compare_bundles
from pmtool.calendar import WorkingCalendar
from pmtool.compare.bundle import AggregateSettings, Bundle
from pmtool.compare.compare import CompareSettings
from pmtool.compare.gate import GateSettings
from pmtool.compare.inputs import aggregate_log
from pmtool.conform.conformance import ConformanceSettings
from pmtool.discover.dfg import DirectlyFollowsGraph, directly_follows
from pmtool.errors import ConfigError, InputError, Location
from pmtool.eventlog import schema
from pmtool.eventlog.filters import TimeFrame
from pmtool.eventlog.log import EventLog
from pmtool.formatting import format_number
from pmtool.i18n import language, t
from pmtool.models.reference import ReferenceModel

SIDES = ("before", "after")
#: The gate conditions this comparison switches off (named in every output).
RELAXED = ("min_period_overlap",)
#: A transition is "more/less frequent" when its share of cases changes by at least this much.
SHARE_STEP = 0.05
#: A transition is "slower/faster" when its median wait grows or shrinks by at least this factor.
WAIT_FACTOR = 1.25
_CASE = [schema.OFFICE, schema.CASE_ID]


@dataclass(frozen=True)
class Split:
    """Around a date (``at``) or into two periods (``first``, ``second``: local dates, both ends inclusive)."""

    at: date | None = None
    first: tuple[date | None, date | None] | None = None
    second: tuple[date | None, date | None] | None = None

    def check(self) -> None:
        if (self.at is None) == (self.first is None or self.second is None):
            raise ConfigError("before_after.split", Location())

    def labels(self, lang: str | None = None) -> tuple[str, str]:
        """How the two sides are called: „vor 01.07.2025“ / „ab 01.07.2025“ (English: "before 2025-07-01"),
        or the two periods."""
        if self.at is not None:
            day = _day(self.at, lang)
            return t("before_after.before", lang, day=day), t("before_after.after", lang, day=day)
        return _period(self.first, lang), _period(self.second, lang)

    def side(self, first_event: pl.Expr) -> pl.Expr:
        """``"before"``, ``"after"`` or null for a case whose first event is ``first_event``."""
        if self.at is not None:
            (cut, _) = TimeFrame("started", self.at, None)._bounds()
            return pl.when(first_event < cut).then(pl.lit("before")).otherwise(pl.lit("after"))
        one = TimeFrame("started", *self.first)._inside(first_event)  # type: ignore[misc]
        two = TimeFrame("started", *self.second)._inside(first_event)  # type: ignore[misc]
        return pl.when(one).then(pl.lit("before")).when(two).then(pl.lit("after")).otherwise(None)

    def describe(self) -> str:
        if self.at is not None:
            return f"at:{self.at.isoformat()}"
        return "periods:" + ",".join(_iso(p) for p in (self.first, self.second))  # type: ignore[arg-type]


def _iso(frame: tuple[date | None, date | None]) -> str:
    return "..".join(d.isoformat() if d else "" for d in frame)


def _day(day: date, lang: str | None) -> str:
    """A date as the other messages write it: 01.07.2025 in German, 2025-07-01 in English."""
    return f"{day:%d.%m.%Y}" if (lang or language()) == "de" else day.isoformat()


def _period(frame: tuple[date | None, date | None] | None, lang: str | None = None) -> str:
    low, high = frame or (None, None)
    return "–".join(_day(d, lang) if d else "…" for d in (low, high))


def parse_period(text: str) -> tuple[date | None, date | None]:
    """``2025-01-01..2025-06-30`` (either end may be open) as two dates; :class:`ConfigError` otherwise."""
    low, sep, high = text.strip().partition("..")
    try:
        if not sep or not (low or high):
            raise ValueError(text)
        return (date.fromisoformat(low) if low else None, date.fromisoformat(high) if high else None)
    except ValueError:
        raise ConfigError("before_after.bad_period", Location(), text=text) from None


@dataclass(frozen=True)
class BeforeAfter:
    """The comparison of one office (or group) with itself: ``tables`` as between offices (the two sides are
    the pseudo-offices ``ids``, named ``names``), each side's ``maps``, the ``difference`` per transition,
    and ``cases`` and ``running`` cases per side. ``relaxed`` names the gate conditions switched off for this
    comparison."""

    process: str
    offices: tuple[str, ...]
    split: Split
    ids: tuple[str, str]
    names: dict[str, str]
    cases: dict[str, int]
    bundles: tuple[Bundle, ...]
    tables: ComparisonTables
    maps: dict[str, DirectlyFollowsGraph]
    difference: pl.DataFrame
    relaxed: tuple[str, ...] = RELAXED
    running: dict[str, int] = field(default_factory=dict)

    def note(self, lang: str | None = None) -> str:
        """The loud label every output carries: which gate condition is off, and why; and how many cases of
        each side are still running, where any are."""
        note = t("before_after.relaxed", lang, names=" / ".join(self.names[i] for i in self.ids))
        if not any(self.running.get(i, 0) for i in self.ids):
            return note
        before, after = (self.running.get(i, 0) for i in self.ids)
        return " ".join((note, t("before_after.running", lang, before=self.names[self.ids[0]],
                                 after=self.names[self.ids[1]], n_before=format_number(before, lang),
                                 n_after=format_number(after, lang))))

    def _repr_html_(self) -> str:
        from pmtool.display import html_of  # how Jupyter shows it (pmtool.display)

        return html_of(self)


def pseudo_ids(offices: Sequence[str]) -> tuple[str, str]:
    """The pseudo-office ids of the two sides: ``GA-01_before`` / ``GA-01_after`` (a group joins its ids)."""
    group = "_".join(offices)
    return f"{group}_before", f"{group}_after"


def split_log(log: EventLog, offices: Sequence[str], split: Split) -> EventLog:
    """The cases of ``offices`` as the two pseudo-offices of :func:`pseudo_ids` (case ids of a group keep
    their office in front, so equal ids of two offices stay two cases)."""
    split.check()
    frame = log.frame.filter(pl.col(schema.OFFICE).is_in(list(offices)))
    missing = sorted(set(offices) - set(frame[schema.OFFICE].unique().to_list()))
    if missing:
        raise InputError("before_after.no_office", Location(), office=missing[0],
                         known=", ".join(sorted(set(log.frame[schema.OFFICE].unique().to_list()))))
    firsts = frame.group_by(_CASE).agg(pl.col(schema.TIMESTAMP).min().alias("_first"))
    sides = firsts.with_columns(split.side(pl.col("_first")).alias("_side")).drop_nulls("_side")
    ids = dict(zip(SIDES, pseudo_ids(offices), strict=True))
    tagged = frame.join(sides.select(*_CASE, "_side"), on=_CASE, how="inner", maintain_order="left")
    case_id = (pl.concat_str(pl.col(schema.OFFICE), pl.lit(":"), pl.col(schema.CASE_ID)) if len(offices) > 1
               else pl.col(schema.CASE_ID))
    out = tagged.with_columns(case_id.alias(schema.CASE_ID),
                              pl.col("_side").replace_strict(ids, return_dtype=pl.String).alias(schema.OFFICE)
                              ).drop("_side")
    return EventLog.from_frame(out, log.provenance)


def before_after(log: EventLog, reference: ReferenceModel, *, offices: Sequence[str], split: Split,
                 privacy_threshold: int = 5, as_of: datetime | None = None,
                 calendars: Mapping[str, WorkingCalendar] | None = None, fdr: float = 0.05,
                 gate: GateSettings | None = None, lang: str | None = None) -> BeforeAfter:
    """Compare the cases of ``offices`` before and after ``split`` (see the module docstring). Raises
    :class:`InputError` when an office is not in ``log`` or a side has fewer than ``privacy_threshold``
    cases (too few to publish anything about it)."""
    offices = tuple(dict.fromkeys(offices))
    if not offices:
        raise ConfigError("before_after.no_offices", Location())
    ids = pseudo_ids(offices)
    labels = split.labels(lang)
    group = ", ".join(offices)
    names = {i: f"{group} {label}" for i, label in zip(ids, labels, strict=True)}
    halves = split_log(log, offices, split)
    counts = halves.frame.group_by(schema.OFFICE).agg(pl.col(schema.CASE_ID).n_unique().alias("n"))
    cases = {i: int(next((n for o, n in counts.iter_rows() if o == i), 0)) for i in ids}
    for i in ids:
        if cases[i] < privacy_threshold:
            raise InputError("before_after.too_few", Location(), side=names[i], n=cases[i], k=privacy_threshold)
    calendar = (calendars or {}).get(offices[0])
    bundles = aggregate_log(halves, reference,
                            settings=AggregateSettings(suppress_below=privacy_threshold, period=split.describe()),
                            conformance=ConformanceSettings(as_of=as_of),
                            calendars={i: calendar for i in ids} if calendar else None)
    settings = CompareSettings(fdr=fdr, gate=replace(gate or GateSettings(), min_period_overlap=0.0),
                               privacy_threshold=privacy_threshold)
    tables = compare_bundles(bundles, {reference.process_id: reference}, settings=settings, min_cases=privacy_threshold,
                             office_names=names)
    maps = {i: directly_follows(EventLog.from_frame(halves.frame.filter(pl.col(schema.OFFICE) == i),
                                                    assume_sorted=True)) for i in ids}
    running = {b.office: round(float(b.quality.get("running_share") or 0.0) * b.cases) for b in bundles}
    return BeforeAfter(reference.process_id, offices, split, ids, names, cases, tuple(bundles), tables, maps,
                       difference(maps[ids[0]], maps[ids[1]], privacy_threshold),
                       running={i: running.get(i, 0) for i in ids})


DIFFERENCE_SCHEMA = {
    "source": pl.String, "target": pl.String, "cases_before": pl.Int64, "cases_after": pl.Int64,
    "share_before": pl.Float64, "share_after": pl.Float64, "share_change": pl.Float64,
    "median_hours_before": pl.Float64, "median_hours_after": pl.Float64, "wait_ratio": pl.Float64,
    "frequency": pl.String, "speed": pl.String,
}


def difference(before: DirectlyFollowsGraph, after: DirectlyFollowsGraph, k: int) -> pl.DataFrame:
    """Per transition taken by at least ``k`` cases on one side: cases and share of cases on each side
    (counts below ``k`` empty), the change of the share, the median waits and their ratio, and the verdicts
    ``frequency`` (more or less by :data:`SHARE_STEP` of the cases, same, new: never before, gone: never
    after) and ``speed`` (slower, faster, same, or empty when a side
    has fewer than ``k`` cases), sorted by the size of the change."""
    cols = ["source", "target", "cases", "case_share", "median_hours"]
    b = before.edges.select(cols).rename({c: f"{c}_b" for c in cols[2:]})
    a = after.edges.select(cols).rename({c: f"{c}_a" for c in cols[2:]})
    both = b.join(a, on=["source", "target"], how="full", coalesce=True).with_columns(
        pl.col("cases_b").fill_null(0), pl.col("cases_a").fill_null(0),
        pl.col("case_share_b").fill_null(0.0), pl.col("case_share_a").fill_null(0.0))
    both = both.filter((pl.col("cases_b") >= k) | (pl.col("cases_a") >= k))
    change = pl.col("case_share_a") - pl.col("case_share_b")
    timed = (pl.col("cases_b") >= k) & (pl.col("cases_a") >= k) & (pl.col("median_hours_b") > 0)
    ratio = pl.when(timed).then(pl.col("median_hours_a") / pl.col("median_hours_b")).otherwise(None)
    frequency = (pl.when(pl.col("cases_b") == 0).then(pl.lit("new"))
                 .when(pl.col("cases_a") == 0).then(pl.lit("gone"))
                 .when(change >= SHARE_STEP).then(pl.lit("more"))
                 .when(change <= -SHARE_STEP).then(pl.lit("less")).otherwise(pl.lit("same")))
    speed = (pl.when(pl.col("wait_ratio").is_null()).then(None)
             .when(pl.col("wait_ratio") >= WAIT_FACTOR).then(pl.lit("slower"))
             .when(pl.col("wait_ratio") <= 1 / WAIT_FACTOR).then(pl.lit("faster")).otherwise(pl.lit("same")))
    small = (lambda c: pl.when(pl.col(c) >= k).then(pl.col(c)).otherwise(None))  # noqa: E731
    out = (both.with_columns(change.alias("share_change"), ratio.alias("wait_ratio"))
           .with_columns(frequency.alias("frequency"), speed.alias("speed"),
                         pl.col("share_change").abs().alias("_size"))  # the order, not published
           .with_columns(small("cases_b"), small("cases_a"))
           .select(pl.col("source"), pl.col("target"), pl.col("cases_b").alias("cases_before"),
                   pl.col("cases_a").alias("cases_after"),
                   # a share of a side's cases below the threshold would give its count away
                   pl.when(pl.col("cases_b").is_not_null()).then(pl.col("case_share_b")).alias("share_before"),
                   pl.when(pl.col("cases_a").is_not_null()).then(pl.col("case_share_a")).alias("share_after"),
                   pl.when(pl.col("cases_b").is_not_null() & pl.col("cases_a").is_not_null())
                   .then(pl.col("share_change")).alias("share_change"),
                   pl.when(pl.col("cases_b").is_not_null()).then(pl.col("median_hours_b")).alias(
                       "median_hours_before"),
                   pl.when(pl.col("cases_a").is_not_null()).then(pl.col("median_hours_a")).alias(
                       "median_hours_after"),
                   "wait_ratio", "frequency", "speed", "_size")
           .sort(["_size", "source", "target"], descending=[True, False, False]).drop("_size"))
    return out.cast(DIFFERENCE_SCHEMA)  # type: ignore[arg-type]
