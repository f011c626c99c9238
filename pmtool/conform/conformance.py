"""``conform``: a log against a Soll model — per-case fitness, per-office fitness/precision/F1, deviations
and rule results in one :class:`ConformanceResult`.

Alignments are computed once per distinct variant (and reused across offices and calls through an
:class:`~pmtool.conform.alignments.AlignmentCache`). Token-based replay is available as a fast, approximate
option (``method="token_replay"``, computed by pm4py); its fitness is labelled as such everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import polars as pl

from pmtool.calendar import WorkingCalendar
from pmtool.conform.alignments import Alignment, AlignmentCache, align_variants
from pmtool.conform.deviations import deviation_table
from pmtool.conform.labels import (
    LabelCheck,
    LabelCounts,
    LabelSettings,
    apply_task_labels,
    check_label_counts,
    check_labels,
)
from pmtool.conform.precision import precision
from pmtool.conform.rules_check import (
    INCOMPLETE_POLICIES,
    RuleCheckSettings,
    RuleResults,
    case_status,
    check_rules,
)
from pmtool.errors import ConfigError, Location
from pmtool.eventlog import schema
from pmtool.eventlog.lifecycle import activity_instances
from pmtool.eventlog.log import EventLog
from pmtool.models.reference import ReferenceModel
from pmtool.spool import Spool, SpooledFrame

METHODS = ("alignments", "token_replay")
#: Default bound of one alignment search (states expanded). Real models of a few dozen activities need a few
#: thousand; the bound only stops the rare variant that would run for minutes on a model with hundreds.
MAX_STATES = 200_000
_KEY = [schema.OFFICE, schema.CASE_ID]


@dataclass(frozen=True)
class ConformanceSettings:
    method: str = "alignments"
    incomplete: str = "pending"
    as_of: datetime | None = None
    stale_after_days: int = 90
    workers: int = 2
    precision: bool = True
    labels: LabelSettings = field(default_factory=LabelSettings)  # the label check before conformance
    max_states: int = MAX_STATES  # per variant: a search expanding more is stopped, its cases counted as bounded

    def __post_init__(self) -> None:
        for name, value, choices in (("method", self.method, METHODS),
                                     ("incomplete", self.incomplete, INCOMPLETE_POLICIES)):
            if value not in choices:
                raise ConfigError("conform.bad_choice", Location(), name=name, value=str(value)[:80],
                                  choices=", ".join(choices))


@dataclass(frozen=True)
class ConformanceResult:
    """``cases``: one row per case; ``summary``: one row per office; ``deviations``: the typed table."""

    process: str
    model: str
    model_sha256: str
    method: str
    cases: pl.DataFrame
    summary: pl.DataFrame
    deviations: pl.DataFrame
    rules: RuleResults | None
    alignments: dict[tuple[str, ...], Alignment] = field(default_factory=dict, repr=False)
    labels: LabelCheck | None = None

    def _repr_html_(self) -> str:
        from pmtool.display import html_of  # how Jupyter shows it (pmtool.display)

        return html_of(self)


def conform(log: EventLog, reference: ReferenceModel, *, calendars: Mapping[str, WorkingCalendar] | None = None,
            settings: ConformanceSettings | None = None, cache: AlignmentCache | None = None) -> ConformanceResult:
    """Check ``log`` against ``reference``. Activities the Soll does not know are log moves, so a case that
    did something outside the Soll never has fitness 1.0.

    First the label check (:mod:`pmtool.conform.labels`): events named like a renamed Soll task get the label
    it stands for, and a Soll task no office shows or an office whose events the model mostly does not know
    raises :class:`~pmtool.errors.ConfigError` (``settings.labels`` accepts either on purpose)."""
    settings = settings or ConformanceSettings()
    checked = _Checked.of(log, reference, settings)
    cache = cache if cache is not None else AlignmentCache()  # a variant of several slices is aligned once
    parts = [checked.slice_result(part, calendars, cache) for part in checked.parts()]
    cases = pl.concat([p.cases for p in parts], how="vertical", rechunk=True) if len(parts) > 1 else parts[0].cases
    rules = parts[0].rules
    if rules is not None and len(parts) > 1:
        rules = replace(rules, cases=pl.concat([p.rules.cases for p in parts if p.rules is not None],
                                               how="vertical", rechunk=False))
    deviations = (pl.concat([p.deviations for p in parts], how="vertical", rechunk=False) if len(parts) > 1
                  else parts[0].deviations)
    alignments = {v: a for p in parts for v, a in p.alignments.items()}
    summary = _summary(cases, [p.variants for p in parts], reference, settings)
    return ConformanceResult(checked.process, reference.source, reference.sha256, settings.method, cases,
                             summary, deviations, rules, alignments, checked.labels([p.counts for p in parts]))


def conform_spooled(log: EventLog, reference: ReferenceModel, stem: Path, *,
                    calendars: Mapping[str, WorkingCalendar] | None = None,
                    settings: ConformanceSettings | None = None,
                    cache: AlignmentCache | None = None) -> SpooledConformance:
    """:func:`conform` with its per-case tables written to the spool files ``<stem>-<slice>-<table>.parquet``
    a slice of cases at a time (:data:`~pmtool.eventlog.log.CASES_PER_SLICE`): memory holds one slice's
    tables, not the log's. A log is checked so in slices by :func:`conform` as well, which then joins them."""
    settings = settings or ConformanceSettings()
    checked = _Checked.of(log, reference, settings)
    cache = cache if cache is not None else AlignmentCache()
    tables: dict[str, list[SpooledFrame]] = {"cases": [], "deviations": [], "rules": []}
    counts, variants = [], []
    head: _SliceResult | None = None
    for number, part in enumerate(checked.parts()):
        result = checked.slice_result(part, calendars, cache)
        frames = {"cases": result.cases, "deviations": result.deviations,
                  "rules": result.rules.cases if result.rules is not None else None}
        for table, frame in frames.items():
            if frame is not None:
                tables[table].append(SpooledFrame.write(frame, stem.with_name(f"{stem.name}-{number:04d}-{table}"
                                                                                   ".parquet")))
        counts.append(result.counts)
        variants.append(result.variants)
        if head is None:  # the tables' columns, not the slice's rows
            head = replace(result, cases=result.cases.clear(), deviations=result.deviations.clear(),
                           rules=replace(result.rules, cases=result.rules.cases.clear())
                           if result.rules is not None else None, alignments={})
        del result, frames
    assert head is not None
    cases = SpooledFrame.joined(tables["cases"])
    summary = _summary(cases.scan().select(schema.OFFICE, "events", "fitness", "bounded", "case_status",
                                           "throughput_hours").collect().rechunk(), variants, reference, settings)
    rules = replace(head.rules, cases=head.rules.cases.clear()) if head.rules is not None else None
    return SpooledConformance(
        ConformanceResult(checked.process, reference.source, reference.sha256, settings.method, head.cases.clear(),
                          summary, head.deviations.clear(), rules, {}, checked.labels(counts)),
        cases, SpooledFrame.joined(tables["deviations"]),
        SpooledFrame.joined(tables["rules"]) if rules is not None else None)


@dataclass(frozen=True)
class _SliceResult:
    """The per-case tables of one slice of cases, with the alignments of its variants and (when the label
    check is made from the slices) its label counts."""

    cases: pl.DataFrame
    deviations: pl.DataFrame
    rules: RuleResults | None
    alignments: dict[tuple[str, ...], Alignment]
    counts: LabelCounts | None
    variants: pl.DataFrame  # see _variants


@dataclass(frozen=True)
class _Checked:
    """A log about to be checked a slice of cases at a time: its slices (prepared as :func:`conform` sees
    them when it is one slice), the moment it is judged at and, when known before the slices are checked,
    its label check."""

    reference: ReferenceModel
    settings: ConformanceSettings
    slices: list[EventLog]
    prepared: bool  # the slices are labelled already (a log of one slice)
    as_of: datetime | None
    check: LabelCheck | None  # None: made from the slices' counts (a check that can never stop)

    @classmethod
    def of(cls, log: EventLog, reference: ReferenceModel, settings: ConformanceSettings) -> _Checked:
        slices = log.case_slices()  # of CASES_PER_SLICE (pmtool.eventlog.log)
        if len(slices) == 1:
            part = _labelled(log, reference)
            check = check_labels(part, reference, settings.labels)
            check.raise_if_fatal()
            return cls(reference, settings, [part], True, settings.as_of or part.frame[schema.TIMESTAMP].max(), check)
        check = None
        as_of = settings.as_of
        if as_of is None or not settings.labels.accepts_all(reference):
            # the label check before the work (it may stop it), and the last moment of the log as checked
            counts, last = [], []
            for part in slices:
                labelled = _labelled(part, reference)
                counts.append(LabelCounts.of(labelled))
                last.append(labelled.frame[schema.TIMESTAMP].max())
            check = check_label_counts(LabelCounts.summed(counts), reference, settings.labels)
            check.raise_if_fatal()
            as_of = as_of or max((t for t in last if t is not None), default=None)
        return cls(reference, settings, slices, False, as_of, check)

    @property
    def process(self) -> str:
        return self.reference.process_id

    def parts(self) -> Iterator[EventLog]:
        """The slices, labelled (one at a time)."""
        for part in self.slices:
            yield part if self.prepared else _labelled(part, self.reference)

    def labels(self, counts: Sequence[LabelCounts | None]) -> LabelCheck:
        """The label check of the whole log (from the slices' ``counts`` when it was not made before)."""
        if self.check is not None:
            return self.check
        check = check_label_counts(LabelCounts.summed([c for c in counts if c is not None]), self.reference,
                                   self.settings.labels)
        check.raise_if_fatal()
        return check

    def slice_result(self, log: EventLog, calendars: Mapping[str, WorkingCalendar] | None,
                     cache: AlignmentCache | None) -> _SliceResult:
        """The per-case tables of the labelled slice ``log``."""
        reference, settings, as_of = self.reference, self.settings, self.as_of
        status = case_status(log, reference.closing, as_of, settings.stale_after_days)
        cases = (log.frame.lazy().group_by(_KEY, maintain_order=True).agg(  # lazy: reads only its columns
            pl.col(schema.ACTIVITY).alias("variant"),
            pl.col(schema.TIMESTAMP).alias("timestamps"),
            pl.len().alias("events"),
            pl.col(schema.TIMESTAMP).min().alias("first"),
            pl.col(schema.TIMESTAMP).max().alias("last"),
        ).collect().join(status.select(*_KEY, "case_status"), on=_KEY, how="left")
            .with_columns(((pl.col("last") - pl.col("first")).dt.total_seconds() / 3600.0).alias("throughput_hours")))
        variants = cases.group_by("variant").len().sort(["len", "variant"], descending=[True, False])
        distinct = [tuple(v) for v in variants["variant"].to_list()]
        alignments: dict[tuple[str, ...], Alignment] = {}
        if settings.method == "alignments":
            for v, a in zip(distinct, align_variants(reference.net, distinct, workers=settings.workers, cache=cache,
                                                     max_states=settings.max_states), strict=True):
                alignments[v] = a
            values = {"fitness": [alignments[v].fitness for v in distinct],
                      "log_moves": [_moves(alignments[v], "log_moves") for v in distinct],
                      "model_moves": [_moves(alignments[v], "model_moves") for v in distinct],
                      "deviating_moves": [alignments[v].deviations for v in distinct],
                      "bounded": [alignments[v].bounded for v in distinct]}
        else:
            from pmtool.eventlog import pm4py_bridge

            values = {"fitness": pm4py_bridge.token_replay_fitness(reference.net, distinct),
                      "log_moves": [None] * len(distinct), "model_moves": [None] * len(distinct),
                      "deviating_moves": [None] * len(distinct),
                      "bounded": [False] * len(distinct)}
        # the variants as counted, in the order of ``distinct`` (no list of texts built anew per variant)
        fit = variants.select("variant").with_columns(pl.Series(name, column, dtype=_FIT_SCHEMA[name])
                                                      for name, column in values.items())
        cases = cases.join(fit, on="variant", how="left").sort(_KEY)
        rules = None
        if reference.rules is not None:
            rules = check_rules(log, reference.rules, closing=reference.closing, calendars=calendars,
                                settings=RuleCheckSettings(incomplete=settings.incomplete, as_of=as_of,
                                                           stale_after_days=settings.stale_after_days),
                                status=status)
        aligned = {v: a for v, a in alignments.items() if not a.bounded}  # bounded cases have no deviations
        deviations = (deviation_table(cases, aligned, reference.net.labels, rules, process=self.process)
                      if alignments else deviation_table(cases.clear(), {}, reference.net.labels, rules,
                                                         process=self.process))
        return _SliceResult(cases.drop("timestamps"), deviations, rules, alignments,
                            LabelCounts.of(log) if self.check is None else None, _variants(cases))


_FIT_SCHEMA = {"variant": pl.List(pl.String), "fitness": pl.Float64, "log_moves": pl.Int64, "model_moves": pl.Int64,
               "deviating_moves": pl.Int64, "bounded": pl.Boolean}


def _moves(alignment: Alignment, kind: str) -> int | None:
    """The alignment's log moves or visible model moves (silent steps are no deviation); ``None`` when the
    search hit its bound. pm4py's raw cost (10,000 per such move, 1 per silent step) stays internal."""
    return None if alignment.bounded else getattr(alignment, kind)


def _labelled(log: EventLog, reference: ReferenceModel) -> EventLog:
    """``log`` as the check sees it: a start and its complete are one step of the process, and events named
    like a renamed Soll task carry its label."""
    return apply_task_labels(activity_instances(log).log, reference)


def _variants(cases: pl.DataFrame) -> pl.DataFrame:
    """The variants of ``cases`` per office: how many cases follow each, and how many of them were aligned."""
    return cases.group_by(schema.OFFICE, "variant").agg(pl.len().alias("cases"),
                                                          (~pl.col("bounded")).sum().alias("aligned"))


def _summary(cases: pl.DataFrame, variants: Sequence[pl.DataFrame], reference: ReferenceModel,
             settings: ConformanceSettings) -> pl.DataFrame:
    """One row per office from its ``cases`` (their figures, not their variants) and the :func:`_variants`
    of the slices they were checked in."""
    summary = cases.group_by(schema.OFFICE).agg(
        pl.len().alias("cases"),
        pl.col("events").sum().alias("events"),
        pl.col("fitness").drop_nulls().alias("fitness"),  # over the aligned cases: bounded ones have none
        (pl.col("fitness") == 1.0).mean().alias("fitting_share"),
        pl.col("bounded").sum().alias("bounded"),
        (pl.col("case_status") == "running").sum().alias("running"),
        (pl.col("case_status") == "stale").sum().alias("stale"),
        # one definition everywhere: first to last event of the completed cases (closed as the Soll says)
        pl.col("throughput_hours").filter(pl.col("case_status") == "complete").median()
        .alias("throughput_median_hours"),
    ).sort(schema.OFFICE)
    merged = pl.concat(list(variants), how="vertical")
    if len(variants) > 1:
        merged = merged.group_by(schema.OFFICE, "variant").agg(pl.col("cases", "aligned").sum())
    distinct = merged.group_by(schema.OFFICE).agg(pl.len().cast(summary.schema["cases"]).alias("variants"))
    summary = summary.join(distinct, on=schema.OFFICE, how="left").select(
        schema.OFFICE, "cases", "events", "variants", *summary.columns[3:])
    # the mean correctly rounded (math.fsum): it does not depend on how the cases were read or sliced
    summary = summary.with_columns(pl.Series("fitness", [math.fsum(v) / len(v) if len(v) else None
                                                         for v in summary["fitness"].to_list()], dtype=pl.Float64))
    if settings.precision and settings.method == "alignments":
        values = []
        for office in summary[schema.OFFICE].to_list():
            counts = merged.filter((pl.col(schema.OFFICE) == office) & (pl.col("aligned") > 0))
            values.append(precision(reference.net, [(tuple(v), n) for v, n in
                                                    counts.select("variant", "aligned").iter_rows()]))
        summary = summary.with_columns(pl.Series("precision", values, dtype=pl.Float64))
    else:
        summary = summary.with_columns(pl.lit(None, pl.Float64).alias("precision"))
    f, p = pl.col("fitness"), pl.col("precision")
    return summary.with_columns(
        pl.when((f + p) > 0).then(2 * f * p / (f + p)).otherwise(None).alias("f1"),
        pl.lit(settings.method).alias("method"),
    )


def combine_results(parts: Sequence[ConformanceResult], labels: LabelCheck | None = None) -> ConformanceResult:
    """One result from the results of disjoint sets of offices checked against the same model with the same
    settings and ``as_of`` (each office's figures depend on its own cases only), in the order :func:`conform`
    gives; ``labels``: the label check of all offices together (a per-office check cannot see a Soll task
    that no office shows)."""
    if not parts:
        raise ValueError("combine_results needs at least one result")
    first = parts[0]
    if len(parts) == 1:
        return replace(first, labels=labels or first.labels)

    # parts of offices in ascending order, each sorted with its office first: joined, they are sorted already
    offices = [p.summary[schema.OFFICE] for p in parts]
    ascending = all(o.len() for o in offices) and all(
        a[-1] < b[0] for a, b in zip(offices, offices[1:], strict=False))

    def joined(frames: Sequence[pl.DataFrame], by: list[str], *, sorted_parts: bool = False) -> pl.DataFrame:
        frame = pl.concat(list(frames), how="diagonal_relaxed")
        # the parts stay where they are (no copy of the whole table); a table is written as one chunk, so its
        # Parquet bytes do not depend on its parts (pmtool.conform.output.table_writer)
        return frame if sorted_parts and ascending else frame.sort(by, maintain_order=True)

    rules = None
    if first.rules is not None:
        rules = replace(first.rules, cases=joined([p.rules.cases for p in parts if p.rules is not None],
                                                  [schema.OFFICE, schema.CASE_ID, "rule_id", "clock"],
                                                  sorted_parts=True))
    alignments = {v: a for p in parts for v, a in p.alignments.items()}
    return replace(first, cases=joined([p.cases for p in parts], list(_KEY), sorted_parts=True),
                   summary=joined([p.summary for p in parts], [schema.OFFICE], sorted_parts=True),
                   deviations=joined([p.deviations for p in parts],
                                     [schema.OFFICE, schema.CASE_ID, "code", "activity", "rule_id", "position"]),
                   rules=rules, alignments=alignments, labels=labels or first.labels)


@dataclass(frozen=True, eq=False)
class SpooledConformance:
    """A :class:`ConformanceResult` whose per-case tables wait on disk (:class:`~pmtool.spool.SpooledFrame`):
    ``head`` is the result with those tables empty (their columns kept) and everything else in memory — the
    summary per office, the rule pack, the label check. A run keeps each process's result so: its memory
    grows with the offices, not with the cases. :meth:`load` gives the whole result in memory."""

    head: ConformanceResult
    cases: SpooledFrame
    deviations: SpooledFrame
    rules: SpooledFrame | None

    @classmethod
    def write(cls, result: ConformanceResult, stem: Path) -> SpooledConformance:
        """``result``'s per-case tables written to ``<stem>-cases.parquet`` and so on (spool files)."""
        def spooled(frame: pl.DataFrame, table: str) -> SpooledFrame:
            return SpooledFrame.write(frame, stem.with_name(f"{stem.name}-{table}.parquet"))

        rules = result.rules
        return cls(replace(result, cases=result.cases.clear(), deviations=result.deviations.clear(),
                           rules=replace(rules, cases=rules.cases.clear()) if rules is not None else None,
                           alignments={}),
                   spooled(result.cases, "cases"), spooled(result.deviations, "deviations"),
                   spooled(rules.cases, "rules") if rules is not None else None)

    @property
    def process(self) -> str:
        return self.head.process

    @property
    def summary(self) -> pl.DataFrame:
        return self.head.summary

    @property
    def labels(self) -> LabelCheck | None:
        return self.head.labels

    def load(self) -> ConformanceResult:
        """The whole result in memory (read anew on every call)."""
        rules = self.head.rules
        return replace(self.head, cases=self.cases.load(), deviations=self.deviations.load(),
                       rules=replace(rules, cases=self.rules.load()) if rules is not None and self.rules else rules)


def scan_tables(result: ConformanceResult | SpooledConformance
                ) -> tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame | None]:
    """The per-case tables of a result in memory or on disk as lazy frames: cases, deviations, and the rule
    results (``None`` without a rule pack)."""
    if isinstance(result, SpooledConformance):
        return result.cases.scan(), result.deviations.scan(), result.rules.scan() if result.rules else None
    return (result.cases.lazy(), result.deviations.lazy(),
            result.rules.cases.lazy() if result.rules is not None else None)


def combine_spooled(parts: Sequence[SpooledConformance], labels: LabelCheck | None = None,
                    spool: Spool | None = None) -> SpooledConformance:
    """:func:`combine_results` of results on disk: parts of offices in ascending order (each sorted with its
    office first) are joined file after file, without reading them."""
    if not parts:
        raise ValueError("combine_spooled needs at least one result")
    offices = [p.summary[schema.OFFICE] for p in parts]
    if not (all(o.len() for o in offices) and all(a[-1] < b[0] for a, b in zip(offices, offices[1:], strict=False))):
        raise ValueError("combine_spooled needs the offices' results in ascending order of office")
    head = combine_results([p.head for p in parts], labels)
    rules = [p.rules for p in parts if p.rules is not None]
    return SpooledConformance(head, SpooledFrame.joined([p.cases for p in parts], spool),
                              SpooledFrame.joined([p.deviations for p in parts], spool),
                              SpooledFrame.joined(rules, spool) if head.rules is not None else None)


def process_labels(log: EventLog, reference: ReferenceModel, settings: LabelSettings | None = None) -> LabelCheck:
    """The label check of all offices of ``log`` together, as :func:`conform` makes it (raises when fatal)."""
    return process_labels_of(label_counts(log, reference), reference, settings)


def label_counts(log: EventLog, reference: ReferenceModel) -> LabelCounts:
    """What the label check of :func:`process_labels` needs of ``log``, as :func:`conform` sees it (counts of
    disjoint sets of offices combine: :meth:`LabelCounts.combine`)."""
    return LabelCounts.of(apply_task_labels(activity_instances(log).log, reference))


def process_labels_of(counts: LabelCounts, reference: ReferenceModel,
                      settings: LabelSettings | None = None) -> LabelCheck:
    """:func:`process_labels` from the offices' :func:`label_counts` (raises when fatal)."""
    check = check_label_counts(counts, reference, settings)
    check.raise_if_fatal()
    return check


def per_office_settings(settings: ConformanceSettings, reference: ReferenceModel,
                        as_of: datetime) -> ConformanceSettings:
    """``settings`` for checking one office alone: the process's ``as_of``, and a label check that never stops
    (the check of all offices together, :func:`process_labels`, has already run)."""
    return replace(settings, as_of=as_of,
                   labels=LabelSettings(tuple(sorted(reference.activities)), 1.0))
