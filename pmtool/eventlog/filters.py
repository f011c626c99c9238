"""Filters of an event log as one small composable model, with one text form for CLI, project file and library.

A filter is a frozen value with ``apply(frame) -> frame`` and ``describe(lang) -> str``; a :class:`LogFilter`
chains them in the order given. The text form (``--filter`` on the command line, ``filters = [...]`` in the
project file, :func:`parse_filter` in a notebook) is the same everywhere:

=================================================  ==================================================
``time:started:2025-01-01..2025-03-31``            cases that started in the frame (local dates, both
                                                   ends inclusive); also ``ended``, ``contained``,
                                                   ``intersecting``, ``trimmed`` (events outside cut)
``case:role=Amtsärztin/Amtsarzt``                  cases with at least one event with that value;
                                                   ``case:role!=…`` cases with none; several values
                                                   with ``|``
``event:role=…`` / ``event:role!=…``               only events with / without that value
``office:GA-01|GA-02``                             only these offices (``!=`` all others)
``variants:top=10`` / ``variants:coverage=0.8``    the most frequent variants (ties by variant text)
``duration:1d..30d``                               case duration in the range (``h``, ``d``, ``w``;
                                                   either end may be left open: ``..5d``)
``starts:A|B`` / ``ends:C``                        cases whose first / last activity is one of these
``follows:A>B`` / ``follows:A>>B``                 cases where B directly / eventually follows A;
                                                   ``!follows:…`` removes those cases
=================================================  ==================================================

Dates of a time frame are local calendar dates in Europe/Berlin (the offices' time), so "Q1 2025" means
1 January 00:00 to 31 March 24:00 German time, whatever the UTC offset.

>>> f = parse_filters(["office:GA-01", "time:started:2025-01-01..2025-03-31"])
>>> f.describe("en")
'office GA-01 · cases started 01.01.2025–31.03.2025'
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import polars as pl

from pmtool.errors import ConfigError, Location
from pmtool.eventlog import schema
from pmtool.i18n import t

if TYPE_CHECKING:
    from pmtool.eventlog.log import EventLog

LOCAL_ZONE = "Europe/Berlin"
TIME_MODES = ("started", "ended", "contained", "intersecting", "trimmed")
_CASE = [schema.OFFICE, schema.CASE_ID]
_UNITS = {"h": 1.0, "d": 24.0, "w": 168.0}


def _case_keep(frame: pl.DataFrame, cases: pl.DataFrame) -> pl.DataFrame:
    """Rows of ``frame`` whose (office, case) appear in ``cases``; order kept."""
    return frame.join(cases.select(_CASE).unique(), on=_CASE, how="semi", maintain_order="left")


def _values(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.split("|") if v.strip())


@dataclass(frozen=True)
class TimeFrame:
    """Cases (or events, for ``trimmed``) relative to a frame of local dates ``start``..``end`` (inclusive)."""

    mode: str
    start: date | None
    end: date | None

    def _bounds(self) -> tuple[datetime | None, datetime | None]:
        zone = ZoneInfo(LOCAL_ZONE)
        low = datetime.combine(self.start, datetime.min.time(), zone).astimezone(UTC) if self.start else None
        high = (datetime.combine(self.end + timedelta(days=1), datetime.min.time(), zone).astimezone(UTC)
                if self.end else None)
        return low, high

    def _inside(self, expr: pl.Expr) -> pl.Expr:
        low, high = self._bounds()
        cond = pl.lit(True)
        if low is not None:
            cond = cond & (expr >= low)
        if high is not None:
            cond = cond & (expr < high)
        return cond

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        ts = pl.col(schema.TIMESTAMP)
        if self.mode == "trimmed":
            return frame.filter(self._inside(ts))
        spans = frame.group_by(_CASE).agg(ts.min().alias("first"), ts.max().alias("last"))
        if self.mode == "started":
            keep = spans.filter(self._inside(pl.col("first")))
        elif self.mode == "ended":
            keep = spans.filter(self._inside(pl.col("last")))
        elif self.mode == "contained":
            keep = spans.filter(self._inside(pl.col("first")) & self._inside(pl.col("last")))
        else:  # intersecting: the case's span overlaps the frame
            low, high = self._bounds()
            cond = pl.lit(True)
            if low is not None:
                cond = cond & (pl.col("last") >= low)
            if high is not None:
                cond = cond & (pl.col("first") < high)
            keep = spans.filter(cond)
        return _case_keep(frame, keep)

    def describe(self, lang: str | None = None) -> str:
        start = self.start.strftime("%d.%m.%Y") if self.start else "…"
        end = self.end.strftime("%d.%m.%Y") if self.end else "…"
        return t(f"filter.time.{self.mode}", lang, start=start, end=end)


@dataclass(frozen=True)
class AttributeValues:
    """Keep (``keep``) or remove cases or events by the values of one column."""

    column: str
    values: tuple[str, ...]
    level: str  # case | event
    keep: bool = True

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        if self.column not in frame.columns:
            raise ConfigError("filter.no_column", Location(), column=self.column,
                              known=", ".join(frame.columns))
        values = pl.col(self.column).cast(pl.String)
        if self.column == schema.LIFECYCLE:  # logs spell transitions COMPLETE, complete, Complete …
            hit = values.str.to_lowercase().is_in([v.lower() for v in self.values]).fill_null(False)
        else:
            hit = values.is_in(list(self.values)).fill_null(False)
        if self.level == "event":
            return frame.filter(hit if self.keep else ~hit)
        cases = frame.group_by(_CASE).agg(hit.any().alias("hit"))
        return _case_keep(frame, cases.filter(pl.col("hit") if self.keep else ~pl.col("hit")))

    def describe(self, lang: str | None = None) -> str:
        key = f"filter.{'office' if self.column == schema.OFFICE else self.level}.{'keep' if self.keep else 'drop'}"
        return t(key, lang, column=self.column, values=" | ".join(self.values))


@dataclass(frozen=True)
class Variants:
    """The most frequent variants: the ``top`` k, or the fewest covering a ``coverage`` share of the cases."""

    top: int | None = None
    coverage: float | None = None

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        per_case = frame.group_by(_CASE, maintain_order=True).agg(
            pl.col(schema.ACTIVITY).str.join("\u2192").alias("variant"))
        counts = (per_case.group_by("variant").len().sort(["len", "variant"], descending=[True, False])
                  .with_columns((pl.col("len").cum_sum() / pl.col("len").sum()).alias("cum")))
        if self.top is not None:
            chosen = counts.head(self.top)
        else:
            # the fewest variants whose cumulated share reaches the coverage
            chosen = counts.filter((pl.col("cum") - pl.col("len") / pl.col("len").sum()) < (self.coverage or 1.0))
        return _case_keep(frame, per_case.filter(pl.col("variant").is_in(chosen["variant"].implode())))

    def describe(self, lang: str | None = None) -> str:
        if self.top is not None:
            return t("filter.variants.top", lang, n=self.top)
        return t("filter.variants.coverage", lang, share=f"{(self.coverage or 0) * 100:g} %")


@dataclass(frozen=True)
class Duration:
    """Cases whose duration (first to last event) lies between ``low`` and ``high`` hours (inclusive)."""

    low: float | None
    high: float | None

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        ts = pl.col(schema.TIMESTAMP)
        hours = frame.group_by(_CASE).agg(((ts.max() - ts.min()).dt.total_seconds() / 3600).alias("h"))
        cond = pl.lit(True)
        if self.low is not None:
            cond = cond & (pl.col("h") >= self.low)
        if self.high is not None:
            cond = cond & (pl.col("h") <= self.high)
        return _case_keep(frame, hours.filter(cond))

    def describe(self, lang: str | None = None) -> str:
        def text(hours: float | None) -> str:
            if hours is None:
                return "…"
            return f"{hours / 24:g} d" if hours % 24 == 0 else f"{hours:g} h"

        return t("filter.duration", lang, low=text(self.low), high=text(self.high))


@dataclass(frozen=True)
class Endpoints:
    """Cases whose first (``end="start"``) or last (``end="end"``) activity is one of ``activities``."""

    end: str
    activities: tuple[str, ...]

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        act = pl.col(schema.ACTIVITY)
        agg = act.first() if self.end == "start" else act.last()
        ends = frame.group_by(_CASE, maintain_order=True).agg(agg.alias("a"))
        return _case_keep(frame, ends.filter(pl.col("a").is_in(list(self.activities))))

    def describe(self, lang: str | None = None) -> str:
        return t(f"filter.{self.end}s", lang, values=" | ".join(self.activities))


@dataclass(frozen=True)
class Follows:
    """Cases in which ``second`` follows ``first`` directly (``directly``) or eventually; ``keep=False``
    removes those cases instead."""

    first: str
    second: str
    directly: bool
    keep: bool = True

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        act = pl.col(schema.ACTIVITY)
        if self.directly:
            pairs = frame.with_columns(act.shift(-1).over(_CASE).alias("next"))
            hit = pairs.filter((act == self.first) & (pl.col("next") == self.second)).select(_CASE).unique()
        else:
            indexed = frame.with_columns(pl.int_range(pl.len()).over(_CASE).alias("i"))
            first = indexed.filter(act == self.first).group_by(_CASE).agg(pl.col("i").min().alias("a"))
            last = indexed.filter(act == self.second).group_by(_CASE).agg(pl.col("i").max().alias("b"))
            hit = first.join(last, on=_CASE).filter(pl.col("a") < pl.col("b")).select(_CASE)
        if self.keep:
            return _case_keep(frame, hit)
        return frame.join(hit, on=_CASE, how="anti", maintain_order="left")

    def describe(self, lang: str | None = None) -> str:
        key = f"filter.follows.{'directly' if self.directly else 'eventually'}.{'keep' if self.keep else 'drop'}"
        return t(key, lang, first=self.first, second=self.second)


Step = TimeFrame | AttributeValues | Variants | Duration | Endpoints | Follows


def named_activities(steps: Sequence[Step]) -> tuple[str, ...]:
    """The activity labels ``steps`` name, which :func:`check_activities` looks for."""
    return tuple(label for step in steps for label in _named_activities(step))


def _named_activities(step: Step) -> tuple[str, ...]:
    """The activity labels a step names (empty for steps that name none)."""
    if isinstance(step, Endpoints):
        return step.activities
    if isinstance(step, Follows):
        return (step.first, step.second)
    if isinstance(step, AttributeValues) and step.column == schema.ACTIVITY:
        return step.values
    return ()


def check_activities(steps: Sequence[Step], frame: pl.DataFrame) -> None:
    """A :class:`ConfigError` for the first activity a step names that does not occur in ``frame`` (a
    misspelt label would otherwise match nothing, silently), with the closest labels of the log."""
    named = [label for step in steps for label in _named_activities(step)]
    if not named or schema.ACTIVITY not in frame.columns:
        return
    known = set(frame.get_column(schema.ACTIVITY).unique().drop_nulls().to_list())
    for label in named:
        if label not in known:
            by_case = {k.casefold(): k for k in sorted(known)}
            close = difflib.get_close_matches(label, sorted(known), n=3, cutoff=0.6)
            if label.casefold() in by_case and by_case[label.casefold()] not in close:
                close.insert(0, by_case[label.casefold()])
            # a short label ("T02") may be the start of the full one ("T02 Check confirmation of receipt")
            close += [k for k in sorted(known) if k.casefold().startswith(label.casefold()) and k not in close]
            close = close[:3]
            raise ConfigError("filter.unknown_activity", Location(), label=label,
                              close=", ".join(f"'{c}'" for c in close) or "—", n=len(known))


@dataclass(frozen=True)
class LogFilter:
    """Filters applied one after another; ``texts`` keeps the text form they were parsed from."""

    steps: tuple[Step, ...] = ()
    texts: tuple[str, ...] = field(default=(), compare=False)

    def __bool__(self) -> bool:
        return bool(self.steps)

    def apply(self, frame: pl.DataFrame, *, check: bool = True) -> pl.DataFrame:
        """``frame`` with every step applied (a canonical frame stays canonical: rows keep their order).
        An activity a step names that does not occur in ``frame`` is a :class:`ConfigError` (``check=False``:
        for a part of a log whose activities the caller checks as a whole)."""
        if check:
            check_activities(self.steps, frame)
        for step in self.steps:
            frame = step.apply(frame)
        return frame

    def describe(self, lang: str | None = None) -> str:
        """All steps in words, joined by " · " (empty when nothing is filtered)."""
        return " · ".join(step.describe(lang) for step in self.steps)

    def slug(self) -> str:
        """A short, file-name-safe fingerprint of the filter (empty when nothing is filtered)."""
        if not self.steps:
            return ""
        import hashlib

        return "filtered-" + hashlib.sha256("\n".join(self.texts).encode("utf-8")).hexdigest()[:8]


_TIME = re.compile(r"^(?P<mode>[a-z]+):(?P<start>[0-9-]*)\.\.(?P<end>[0-9-]*)$")
_ATTR = re.compile(r"^(?P<column>[^=!]+?)(?P<op>!?=)(?P<values>.+)$")
_DURATION = re.compile(r"^(?P<low>[0-9.]+[hdw])?\.\.(?P<high>[0-9.]+[hdw])?$")


def _bad(text: str, where: str) -> ConfigError:
    return ConfigError("filter.bad", Location(where or None), text=text)


def _date(text: str, whole: str, where: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _bad(whole, where) from None


def _hours(text: str | None) -> float | None:
    if not text:
        return None
    return float(text[:-1]) * _UNITS[text[-1]]


def parse_filter(text: str, *, where: str = "") -> Step:
    """One filter from its text form (see the module docstring); :class:`ConfigError` naming the text."""
    kind, _, rest = text.strip().partition(":")
    kind = kind.strip()
    try:
        if kind == "time":
            m = _TIME.match(rest.strip())
            if not m or m["mode"] not in TIME_MODES or not (m["start"] or m["end"]):
                raise _bad(text, where)
            return TimeFrame(m["mode"], _date(m["start"], text, where), _date(m["end"], text, where))
        if kind in ("case", "event", "office"):
            body = f"{schema.OFFICE}{rest.strip()}" if kind == "office" and rest.strip()[:1] in ("=", "!") \
                else (f"{schema.OFFICE}={rest.strip()}" if kind == "office" else rest.strip())
            m = _ATTR.match(body)
            if not m or not _values(m["values"]):
                raise _bad(text, where)
            return AttributeValues(m["column"].strip(), _values(m["values"]), "event" if kind == "event" else "case",
                                   keep=m["op"] == "=")
        if kind == "variants":
            name, _, value = rest.partition("=")
            if name.strip() == "top" and value.strip().isdigit() and int(value) > 0:
                return Variants(top=int(value))
            if name.strip() == "coverage" and 0 < float(value) <= 1:
                return Variants(coverage=float(value))
            raise _bad(text, where)
        if kind == "duration":
            m = _DURATION.match(rest.strip())
            if not m or not (m["low"] or m["high"]):
                raise _bad(text, where)
            return Duration(_hours(m["low"]), _hours(m["high"]))
        if kind in ("starts", "ends") and _values(rest):
            return Endpoints("start" if kind == "starts" else "end", _values(rest))
        if kind in ("follows", "!follows"):
            directly = ">>" not in rest
            first, _, second = rest.partition(">" if directly else ">>")
            if first.strip() and second.strip():
                return Follows(first.strip(), second.strip(), directly, keep=kind == "follows")
    except ValueError:
        raise _bad(text, where) from None
    raise _bad(text, where)


def parse_filters(texts: Sequence[str], *, where: str = "") -> LogFilter:
    """A :class:`LogFilter` from text forms, applied in the order given."""
    return LogFilter(tuple(parse_filter(x, where=where) for x in texts), tuple(texts))


def filter_event_log(log: EventLog, texts: Sequence[str], *, scope: str = "") -> EventLog:
    """``log`` with the filters ``texts`` applied (the log itself when there are none). A filter that leaves
    no event is an error naming ``scope`` (e.g. the process) and the filters, never an empty analysis."""
    chosen = parse_filters(texts)
    if not chosen:
        return log
    from pmtool.eventlog.log import EventLog

    kept = chosen.apply(log.frame)
    if kept.height == 0:
        raise ConfigError("filter.empty", Location(), scope=scope or "—", filters=chosen.describe())
    return EventLog.from_frame(kept, log.provenance, assume_sorted=True)
