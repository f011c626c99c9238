"""Aggregate bundles: what one office shares with the central team — counts and sums, no case rows.

A bundle holds, per process and period, for every comparison item the number of eligible cases, the number
affected, and sums for the impact (hours late, throughput hours of affected and unaffected cases); a
throughput histogram on fixed bins; the fitness sum; the numbers of finished and of fitting cases; and the
data-quality figures the comparability gate needs.

**One item universe.** The items are every deviation code (SKIP, ORDER, INSERT, REPEAT) at every activity of
the Soll model, every rule of the rule pack, never-closed cases, and every further deviation the office's
own log shows (an activity the Soll does not know). Zero is a count: an item nobody in the office shows is a
row with 0 affected, so a bundle made from one office's log alone equals the one made from all logs at once.
An inserted unknown activity only some offices show is missing from the other offices' bundles; ``compare``
adds it there as 0 of the office's finished cases, which is exact (a bundle lists every deviation its log
shows).

**Exact counts.** A bundle carries exact counts, small ones included: it travels from the office to the
central team and is not a publication. Small numbers are protected where something is published (the
comparison tables and the report, see :mod:`pmtool.compare.disclosure`), so that they count in every pool
and test at their true value. ``suppress_below`` is recorded as the office's publication threshold; the
comparison uses the largest threshold any office asked for.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from pmtool import __version__
from pmtool.conform.conformance import ConformanceResult, SpooledConformance, scan_tables
from pmtool.errors import InputError, Location
from pmtool.eventlog import schema
from pmtool.eventlog.log import EventLog
from pmtool.models.reference import ReferenceModel

FORMAT = "pmtool-bundle/2"
#: The zone of the months that give an office's period in a bundle (``quality.period_start/period_end``).
PERIOD_ZONE = "Europe/Berlin"
#: Deviation codes of the alignment; each one is an item at every Soll activity.
DEVIATION_CODES = ("SKIP", "ORDER", "INSERT", "REPEAT")
#: Throughput histogram bin edges in hours: log-spaced from 1 hour to ~3 years, same for every office.
BIN_EDGES: tuple[float, ...] = tuple([0.0] + [round(2 ** (i / 2), 3) for i in range(0, 30)] + [math.inf])
ITEM_COLUMNS = {
    "item": pl.String, "item_type": pl.String, "code": pl.String, "activity": pl.String, "rule_id": pl.String,
    "eligible": pl.Int64, "affected": pl.Int64, "late_hours_sum": pl.Float64,
    "throughput_affected_sum": pl.Float64, "throughput_unaffected_sum": pl.Float64,
    "duration_median_hours": pl.Float64,
}


@dataclass(frozen=True)
class Bundle:
    office: str
    process: str
    period: str
    quality: dict[str, Any]
    items: pl.DataFrame
    throughput_bins: tuple[int, ...]
    fitness_sum: float
    cases: int
    meta: dict[str, Any] = field(default_factory=dict)
    edges: tuple[tuple[str, str, int], ...] = ()  # directly-follows pairs with the number of cases having them
    finished: int = 0  # cases not running: the eligible cases of every deviation item
    fitting: int = 0  # cases with fitness 1.0
    throughput_median_hours: float | None = None  # exact median throughput time of the completed cases

    def to_json(self) -> str:
        data = {
            "format": FORMAT, "office": self.office, "process": self.process, "period": self.period,
            "cases": self.cases, "fitness_sum": round(self.fitness_sum, 9), "quality": self.quality,
            "throughput_bins": list(self.throughput_bins), "bin_edges_hours": [str(e) for e in BIN_EDGES],
            "meta": self.meta, "items": self.items.sort("item").to_dicts(),
            "edges": [list(e) for e in self.edges], "finished_cases": self.finished, "fitting_cases": self.fitting,
            "throughput_median_hours": self.throughput_median_hours,
        }
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str = "<bundle>") -> Bundle:
        """The bundle in ``text``; raises :class:`InputError` when it is not a bundle of this format or its
        numbers contradict each other (:func:`check_bundle`): a bundle comes from elsewhere and is checked
        as a whole before any of it is used."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError("format")
            _check_types(data)
            items = pl.DataFrame(data["items"], schema=ITEM_COLUMNS, strict=True) if data["items"] else \
                pl.DataFrame(schema=ITEM_COLUMNS)
            bundle = cls(data["office"], data["process"], data["period"], data["quality"], items,
                         tuple(data["throughput_bins"]), float(data["fitness_sum"]), int(data["cases"]),
                         data["meta"], tuple((a, b, int(n)) for a, b, n in data["edges"]),
                         int(data["finished_cases"]), int(data["fitting_cases"]),
                         _optional_float(data["throughput_median_hours"]))
        except (ValueError, KeyError, TypeError, RecursionError, OverflowError, pl.exceptions.PolarsError):
            raise InputError("bundle.invalid", Location(where), format=FORMAT) from None
        check_bundle(bundle, where)
        return bundle

    def _repr_html_(self) -> str:
        from pmtool.display import html_of  # how Jupyter shows it (pmtool.display)

        return html_of(self)


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_types(data: dict[str, Any]) -> None:
    """Raise ``ValueError`` unless every field of a bundle's JSON has its type (a bool is no count)."""
    texts = ("office", "process", "period")
    counts = ("cases", "finished_cases", "fitting_cases")
    if not all(isinstance(data[k], str) and data[k] for k in texts) or not all(_count(data[k]) for k in counts):
        raise ValueError("fields")
    if not isinstance(data["quality"], dict) or not isinstance(data["meta"], dict) or not _number(data["fitness_sum"]):
        raise ValueError("fields")
    bins = data["throughput_bins"]
    if not isinstance(bins, list) or len(bins) != len(BIN_EDGES) - 1 or not all(_count(n) for n in bins):
        raise ValueError("bins")
    if data.get("bin_edges_hours") != [str(e) for e in BIN_EDGES]:
        raise ValueError("bin edges")
    edges = data["edges"]
    if not isinstance(edges, list) or not all(isinstance(e, list) and len(e) == 3 and isinstance(e[0], str)
                                              and isinstance(e[1], str) and _count(e[2]) for e in edges):
        raise ValueError("edges")
    items = data["items"]
    if not isinstance(items, list) or not all(isinstance(i, dict) and set(i) == set(ITEM_COLUMNS) for i in items):
        raise ValueError("items")
    for item in items:
        if not (_count(item["eligible"]) and _count(item["affected"]) and isinstance(item["item"], str)):
            raise ValueError("items")
    median = data["throughput_median_hours"]
    if median is not None and not _number(median):
        raise ValueError("median")
    threshold = data["meta"].get("suppress_below")
    if threshold is not None and not (_count(threshold) and threshold >= 1):
        raise ValueError("threshold")


def check_bundle(bundle: Bundle, where: str, *, threshold: int | None = None) -> None:
    """Raise :class:`InputError` (one line naming the file and the contradiction) when the numbers of
    ``bundle`` cannot all be true — more affected than eligible, more eligible than cases, more histogram
    entries than cases, shares outside 0–1, an item twice — or, with ``threshold`` (the comparison's
    publication threshold), when the office asked for a smaller one than the comparison applies. Positions
    are named, never labels (a label comes from the data)."""
    def refuse(what: str) -> None:
        raise InputError("bundle.inconsistent", Location(where), what=what)

    n = bundle.cases
    if bundle.finished > n or bundle.fitting > n:
        refuse(f"finished_cases {bundle.finished} / fitting_cases {bundle.fitting} > cases {n}")
    if not 0.0 <= bundle.fitness_sum <= n + 1e-6:
        refuse(f"fitness_sum {bundle.fitness_sum:g} outside 0–{n}")
    if sum(bundle.throughput_bins) > n:
        refuse(f"throughput_bins {sum(bundle.throughput_bins)} > cases {n}")
    items = bundle.items
    if items["item"].n_unique() != items.height:
        refuse("items: an item twice")
    for i, (eligible, affected, kind) in enumerate(items.select("eligible", "affected", "item_type").iter_rows()):
        if affected > eligible or eligible > n or (kind == "deviation" and eligible > bundle.finished):
            refuse(f"items[{i}]: affected {affected}, eligible {eligible}, cases {n}")
    for i, (_, _, count) in enumerate(bundle.edges):
        if not 1 <= count <= n:
            refuse(f"edges[{i}]: {count} cases of {n}")
    for name in ("coverage", "date_only_share", "running_share", "bounded_share"):
        value = bundle.quality.get(name)
        if value is not None and not (_number(value) and 0.0 <= value <= 1.0):
            refuse(f"quality.{name} outside 0–1")
    try:
        period_span(bundle.quality)
    except (TypeError, ValueError):
        refuse("quality.period_start/period_end: not a month (2025-01)")
    asked = bundle.meta.get("suppress_below")
    if threshold is not None and (asked is None or asked < threshold):
        raise InputError("bundle.threshold", Location(where), office=bundle.office, asked=asked or "–",
                         threshold=threshold)


def read_bundle(path: Path) -> Bundle:
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InputError("bundle.unreadable", Location(str(path)), reason=exc.strerror or str(exc)) from None
    except UnicodeDecodeError:
        raise InputError("bundle.invalid", Location(str(path)), format=FORMAT) from None
    return Bundle.from_json(text, str(path))


@dataclass(frozen=True)
class AggregateSettings:
    suppress_below: int = 5  # the publication threshold the office asks for (recorded, see the module doc)
    period: str = "all"
    filters: tuple[str, ...] = ()  # filters the log was cut with (pmtool.eventlog.filters), recorded in meta


_ITEM_KEYS = ["item", "item_type", "code", "activity", "rule_id"]
_RULE_CODE = {"deadline": "DEADLINE", "role": "ROLE"}


def item_universe(reference: ReferenceModel) -> pl.DataFrame:
    """The items the Soll model and its rule pack define: every deviation code at every Soll activity, every
    rule, and never-closed cases (columns item, item_type, code, activity, rule_id; sorted by item)."""
    rows = [{"item": f"dev:{code}:{activity}", "item_type": "deviation", "code": code, "activity": activity,
             "rule_id": None} for code in DEVIATION_CODES for activity in sorted(reference.activities)]
    for rule in reference.rules.rules if reference.rules else ():
        rows.append({"item": f"rule:{rule.id}", "item_type": "rule", "code": _RULE_CODE.get(rule.kind, "RULE"),
                     "activity": None, "rule_id": rule.id})
    rows.append({"item": "case:NO_CLOSURE", "item_type": "case", "code": "NO_CLOSURE", "activity": None,
                 "rule_id": None})
    schema_ = {k: ITEM_COLUMNS[k] for k in _ITEM_KEYS}
    return pl.DataFrame(rows, schema=schema_).unique("item").sort("item")


def _deviation_kinds(result: ConformanceResult, reference: ReferenceModel | None) -> tuple[pl.DataFrame,
                                                                                             pl.DataFrame]:
    """The (office, case, item) deviations of the alignments, and every deviation item (item, code,
    activity): those shown, and with ``reference`` those of its universe."""
    key = [schema.OFFICE, schema.CASE_ID]
    dev = result.deviations.filter(pl.col("source") == "alignment")
    dev_items = dev.select(*key, "code", "activity").unique().with_columns(
        (pl.lit("dev:") + pl.col("code") + pl.lit(":") + pl.col("activity")).alias("item"))
    kinds = dev_items.select("item", "code", "activity")
    if reference is not None:
        kinds = pl.concat([kinds, item_universe(reference).filter(pl.col("item_type") == "deviation")
                           .select("item", "code", "activity")])
    return dev_items, kinds.unique().sort("item")


def _cases(result: ConformanceResult) -> pl.DataFrame:
    bounded = pl.col("bounded") if "bounded" in result.cases.columns else pl.lit(False).alias("bounded")
    return result.cases.select(schema.OFFICE, schema.CASE_ID, "case_status", "throughput_hours", bounded)


def deviation_items(result: ConformanceResult, reference: ReferenceModel | None = None) -> pl.DataFrame:
    """Per office and deviation item what :func:`case_items`' rows would sum to — eligible (the finished cases
    whose alignment was not bounded), affected, the throughput sums of affected and unaffected cases — from
    the deviations and one row per finished case, never one row per case and item: memory grows with the
    cases plus the deviations, not with their product. The sums are exact (correctly rounded, so they do not
    depend on the order of the cases)."""
    key = [schema.OFFICE, schema.CASE_ID]
    dev_items, kinds = _deviation_kinds(result, reference)
    cases = _cases(result)
    finished = cases.filter((pl.col("case_status") != "running") & ~pl.col("bounded")).select(
        *key, "throughput_hours")
    hits = (dev_items.select(*key, "item").unique().join(finished, on=key, how="inner")
            .group_by(schema.OFFICE, "item").agg(pl.len().alias("affected"),
                                                  pl.col("throughput_hours").drop_nulls().alias("values")))
    affected = {(o, i): (n, v) for o, i, n, v in hits.iter_rows()}
    rows = []
    kind_rows = kinds.rows()
    for office, values in finished.group_by(schema.OFFICE).agg(
            pl.col("throughput_hours").drop_nulls()).sort(schema.OFFICE).iter_rows():
        eligible = finished.filter(pl.col(schema.OFFICE) == office).height
        for item, code, activity in kind_rows:
            n, hit = affected.get((office, item), (0, []))
            rows.append((office, item, "deviation", code, activity, None, eligible, n, 0.0, math.fsum(hit),
                         math.fsum([*values, *(-v for v in hit)]), None))
    names = [schema.OFFICE, *_ITEM_KEYS, "eligible", "affected", "late_hours_sum", "throughput_affected_sum",
             "throughput_unaffected_sum", "duration_median_hours"]
    return pl.DataFrame(rows, schema={schema.OFFICE: pl.String, **{k: ITEM_COLUMNS[k] for k in names[1:]}},
                        orient="row")


def case_items(result: ConformanceResult, reference: ReferenceModel | None = None, *,
               deviations: bool = True) -> pl.DataFrame:
    """One row per (office, case, item) for every case eligible for the item, with ``affected``.

    Items: ``dev:<CODE>:<activity>`` (alignment deviations; eligible: finished cases), ``rule:<id>`` (primary
    clock; eligible: cases the rule could judge), ``case:NO_CLOSURE`` (eligible: all cases). With
    ``reference``, the deviation items of its universe (:func:`item_universe`) are there even where no case
    shows them. ``deviations=False`` leaves the deviation items out (:func:`deviation_items` counts them).
    """
    return _case_items(result, reference, deviations=deviations).collect()


def _case_items(result: ConformanceResult, reference: ReferenceModel | None, *, deviations: bool) -> pl.LazyFrame:
    """:func:`case_items` as a lazy frame: a caller that counts them never holds one row per case and item
    with every column."""
    cases = _cases(result).lazy()
    key = [schema.OFFICE, schema.CASE_ID]
    parts = []
    dev_items, kinds = _deviation_kinds(result, reference)
    if kinds.height and deviations:
        # a case whose alignment hit the search bound has no deviations to count: not eligible (see quality)
        finished = cases.filter((pl.col("case_status") != "running") & ~pl.col("bounded")).select(key)
        grid = finished.join(kinds.lazy(), how="cross")
        hit = dev_items.lazy().select(*key, "item").unique().with_columns(pl.lit(True).alias("affected"))
        parts.append(grid.join(hit, on=[*key, "item"], how="left").with_columns(
            pl.col("affected").fill_null(False), pl.lit("deviation").alias("item_type"),
            pl.lit(None, pl.String).alias("rule_id"), pl.lit(None, pl.Float64).alias("late_hours"),
            pl.lit(None, pl.Float64).alias("duration_hours")))
    rules = _rule_rows(scan_tables(result)[2])
    if rules is not None:
        parts.append(rules.with_columns(_rule_item()))
    parts.append(_closure_rows(cases))
    columns = [*key, "item", "item_type", "code", "activity", "rule_id", "affected", "late_hours", "duration_hours"]
    frame = pl.concat([p.select(columns) for p in parts], how="vertical")
    return frame.join(cases.select(*key, "throughput_hours"), on=key, how="left")


def _rule_rows(rules: pl.LazyFrame | None) -> pl.LazyFrame | None:
    """The rule results (``rules``, a result's rule table) :func:`case_items` counts (primary clock, cases
    the rule could judge), with the columns its rule rows are made of (``None`` without a rule pack)."""
    if rules is None:
        return None
    # the columns it needs (no copy of the others), then the rows
    return rules.select(
        schema.OFFICE, schema.CASE_ID, "rule_id", "kind", "primary", "status", "late_hours",
        ((pl.col("end") - pl.col("start")).dt.total_seconds() / 3600.0).alias("duration_hours")
    ).filter(pl.col("primary") & pl.col("status").is_in(["ok", "violated"])).select(
        schema.OFFICE, schema.CASE_ID, "rule_id", "kind", (pl.col("status") == "violated").alias("affected"),
        "late_hours", "duration_hours")


def _rule_item() -> list[pl.Expr]:
    """The item columns of a rule's rows, from its ``rule_id`` and ``kind``."""
    return [(pl.lit("rule:") + pl.col("rule_id")).alias("item"), pl.lit("rule").alias("item_type"),
            pl.when(pl.col("kind") == "deadline").then(pl.lit("DEADLINE"))
            .when(pl.col("kind") == "role").then(pl.lit("ROLE")).otherwise(pl.lit("RULE")).alias("code"),
            pl.lit(None, pl.String).alias("activity")]


def _closure_rows(cases: pl.LazyFrame) -> pl.LazyFrame:
    """The ``case:NO_CLOSURE`` rows of :func:`case_items`: every case, affected when stale (with the case's
    ``throughput_hours``)."""
    return cases.select(schema.OFFICE, schema.CASE_ID, pl.lit("case:NO_CLOSURE").alias("item"),
                        pl.lit("NO_CLOSURE").alias("code"), pl.lit(None, pl.String).alias("activity"),
                        (pl.col("case_status") == "stale").alias("affected"), pl.lit("case").alias("item_type"),
                        pl.lit(None, pl.String).alias("rule_id"), pl.lit(None, pl.Float64).alias("late_hours"),
                        pl.lit(None, pl.Float64).alias("duration_hours"), "throughput_hours")


_SUMS = {"late_hours_sum": ("late_hours", True), "throughput_affected_sum": ("throughput_hours", True),
         "throughput_unaffected_sum": ("throughput_hours", False)}


def _item_sums() -> list[pl.Expr]:
    """What a bundle holds of an item's case rows (``affected``, hours, the case's ``throughput_hours``): the
    sums as lists of their values, for :func:`_summed`."""
    return [*_item_lists()[:-1], pl.col("duration_hours").median().alias("duration_median_hours")]


def _item_lists() -> list[pl.Expr]:
    """:func:`_item_sums` with the durations as a list of their values (``duration_hours``): the item rows of
    slices of cases added up by :func:`_added`."""
    return [pl.len().alias("eligible"),
            pl.col("affected").sum().cast(pl.Int64).alias("affected"),
            *(pl.col(column).filter(pl.col("affected") if affected else ~pl.col("affected")).drop_nulls().alias(name)
              for name, (column, affected) in _SUMS.items()),
            pl.col("duration_hours").drop_nulls()]


def _added(frames: list[pl.DataFrame], by: list[str]) -> pl.DataFrame:
    """The :func:`_item_lists` rows of slices of cases as those of all their cases (:func:`_item_sums`)."""
    merged = pl.concat(frames, how="vertical")
    if len(frames) > 1:
        merged = merged.group_by(by, maintain_order=True).agg(
            pl.col("eligible").sum().cast(pl.Int64), pl.col("affected").sum().cast(pl.Int64),
            *(pl.col(name).explode().drop_nulls() for name in (*_SUMS, "duration_hours")))
    return merged.with_columns(pl.col("duration_hours").list.median().alias("duration_median_hours")).drop(
        "duration_hours")


def _summed(frame: pl.DataFrame) -> pl.DataFrame:
    """The value lists of :func:`_item_sums` as their sums, correctly rounded (``math.fsum``), as in
    :func:`deviation_items`: they do not depend on the order in which the counting meets the cases (the
    lazy joins before it do not keep one)."""
    return frame.with_columns(pl.Series(name, [math.fsum(v) for v in frame[name].to_list()], dtype=pl.Float64)
                              for name in _SUMS)


def aggregate(log: EventLog, result: ConformanceResult | SpooledConformance, reference: ReferenceModel,
              settings: AggregateSettings | None = None, coverage: dict[str, float] | None = None) -> list[Bundle]:
    """One bundle per office of ``result`` (conformance of ``log`` against ``reference``, in memory or with
    its per-case tables on disk), each with the item universe of ``reference`` plus the deviations its own
    log shows, and exact counts.

    Every figure of a bundle depends on its office's cases only, so aggregating each office's log alone
    gives the same bundles as aggregating all logs at once (for the same ``as_of``)."""
    settings = settings or AggregateSettings()
    result, rule_tables = _read(result)
    # what case_items(result, reference, deviations=False) sums to; the rule rows are counted per rule and the
    # item columns made per group (one row per case and rule holds no texts)
    key = [schema.OFFICE, schema.CASE_ID]
    cases = _cases(result).lazy()
    throughput = cases.select(*key, "throughput_hours")
    counted = [_closure_rows(cases).group_by(schema.OFFICE, *_ITEM_KEYS).agg(_item_sums())]
    counted = pl.collect_all(counted)
    if rule_tables is not None:  # a slice of cases at a time (rule results are many: one row per case and rule)
        throughput_table = throughput.collect()
        by = [schema.OFFICE, "rule_id", "kind"]
        per_slice = [_rule_rows(t).join(throughput_table.lazy(), on=key, how="left")  # type: ignore[union-attr]
                     .group_by(by).agg(_item_lists()).collect() for t in rule_tables]
        counted.append(_added(per_slice, by).with_columns(_rule_item()).drop("kind"))
    per_item = pl.concat([*(_summed(c).select(schema.OFFICE, *_ITEM_KEYS, "eligible", "affected",
                                              "late_hours_sum", "throughput_affected_sum",
                                              "throughput_unaffected_sum", "duration_median_hours")
                            for c in counted),
                          deviation_items(result, reference)], how="vertical_relaxed")
    universe = item_universe(reference)
    offices = result.summary.select(schema.OFFICE)
    # rules no case of an office could be judged by are rows of 0 of 0; deviations only some office's
    # own log shows stay out of the others' bundles (compare adds them as 0 of their finished cases)
    missing = offices.join(universe, how="cross").join(per_item, on=[schema.OFFICE, "item"], how="anti")
    per_item = (pl.concat([per_item, missing.with_columns(pl.lit(0, pl.Int64).alias("eligible"),
                                                          pl.lit(0, pl.Int64).alias("affected"))],
                          how="diagonal_relaxed")
                .filter(pl.col("item").is_in(universe["item"].implode()) | (pl.col("affected") > 0)))
    quality = _quality(log, result)
    edges = _edges(log)
    bundles = []
    for office in result.summary[schema.OFFICE].to_list():
        cases = result.cases.filter(pl.col(schema.OFFICE) == office)
        # throughput time: first to last event of the completed cases (one definition in every table)
        completed = cases.filter(pl.col("case_status") == "complete")["throughput_hours"].drop_nulls()
        hist = _histogram(completed)
        q = dict(quality.get(office, {}))
        if coverage and office in coverage:
            q["coverage"] = coverage[office]
        meta = {"pmtool_version": __version__, "model": reference.source, "model_sha256": reference.fingerprint,
                "rules": reference.rules.id if reference.rules else None,
                "rules_version": reference.rules.version if reference.rules else None,
                "method": result.method, "suppress_below": settings.suppress_below}
        if settings.filters:  # a bundle of part of an office's cases says which part
            meta["filters"] = list(settings.filters)
        frame = per_item.filter(pl.col(schema.OFFICE) == office).drop(schema.OFFICE)
        # bounded cases have no fitness: the sum counts them at the mean of the aligned ones, so that
        # fitness_sum / cases stays the mean fitness of what was aligned (their share is in quality)
        aligned = cases.filter(~pl.col("bounded")) if "bounded" in cases.columns else cases
        fitness_sum = (float(aligned["fitness"].fill_null(0).sum()) * cases.height / aligned.height
                       if aligned.height else 0.0)
        bundles.append(Bundle(office, result.process, settings.period, q,
                              frame.select(list(ITEM_COLUMNS)).cast(ITEM_COLUMNS).sort("item"), hist,
                              fitness_sum, cases.height, meta, edges.get(office, ()),
                              int(((cases["case_status"] != "running") & ~_bounded(cases)).sum()),
                              int((cases["fitness"] == 1.0).sum()),
                              float(completed.median()) if completed.len() else None))
    return bundles


def _read(result: ConformanceResult | SpooledConformance) -> tuple[ConformanceResult, list[pl.LazyFrame] | None]:
    """What :func:`aggregate` reads of ``result``: the columns it needs of the cases and the deviations in
    memory, and the rule results as lazy frames, one per slice of cases (on disk for a spooled result)."""
    cases, deviations, _ = scan_tables(result)
    columns = [c for c in (schema.OFFICE, schema.CASE_ID, "case_status", "throughput_hours", "fitness", "bounded")
               if c in cases.collect_schema().names()]
    if isinstance(result, SpooledConformance):
        head = result.head
        rules = [pl.scan_parquet(f) for f in result.rules.files] if result.rules is not None else None
    else:
        head = result
        rules = [result.rules.cases.lazy()] if result.rules is not None else None
    return replace(head, cases=cases.select(columns).collect(), deviations=deviations.collect()), rules


def _edges(log: EventLog) -> dict[str, tuple[tuple[str, str, int], ...]]:
    """Directly-follows pairs per office with the number of cases that have them (counted a slice of cases at
    a time: slices hold other cases, so their counts add up)."""
    names = log.frame[schema.ACTIVITY].unique().sort().to_list()  # few: pairs are counted as numbers
    codes = list(range(len(names)))
    width = len(names) + 1
    code = pl.col(schema.ACTIVITY).replace_strict(names, codes, return_dtype=pl.Int64)
    same_case = ((pl.col(schema.CASE_ID) == pl.col(schema.CASE_ID).shift(-1))
                 & (pl.col(schema.OFFICE) == pl.col(schema.OFFICE).shift(-1)))
    counted = [part.frame.lazy()  # canonical order: each case's events are consecutive, in order
               .select(schema.OFFICE, pl.struct(schema.OFFICE, schema.CASE_ID).rle_id().alias("case"),
                       pl.when(same_case).then(code * width + code.shift(-1)).alias("pair"))
               .drop_nulls("pair").unique(["case", "pair"], keep="any").group_by(schema.OFFICE, "pair").len()
               .collect() for part in log.case_slices()]
    pairs = (pl.concat(counted).group_by(schema.OFFICE, "pair").agg(pl.col("len").sum())
             .select(schema.OFFICE, *((pl.col("pair") // width if end == "a" else pl.col("pair") % width)
                                      .replace_strict(codes, names, return_dtype=pl.String).alias(end)
                                      for end in ("a", "b")), "len")
             .sort([schema.OFFICE, "a", "b"]))
    out: dict[str, list[tuple[str, str, int]]] = {}
    for office, a, b, n in pairs.iter_rows():
        out.setdefault(office, []).append((a, b, int(n)))
    return {k: tuple(v) for k, v in out.items()}


def _histogram(values: pl.Series) -> tuple[int, ...]:
    """How many ``values`` fall into each bin [lo, hi) of :data:`BIN_EDGES` (values outside all bins: none)."""
    return tuple(int(((values >= lo) & (values < hi)).sum()) for lo, hi in zip(BIN_EDGES[:-1], BIN_EDGES[1:],
                                                                                strict=True))


def _quality(log: EventLog, result: ConformanceResult) -> dict[str, dict[str, Any]]:
    def month(column: str) -> pl.Expr:  # local months: no single event's time leaves the office
        return pl.col(column).dt.convert_time_zone(PERIOD_ZONE).dt.strftime("%Y-%m")

    frame = log.frame.lazy().group_by(schema.OFFICE).agg(
        pl.col(schema.ACTIVITY_CODE).is_not_null().mean().alias("coverage"),
        (pl.col(schema.PRECISION) == "date").mean().alias("date_only_share"),
        pl.col(schema.TIMESTAMP).min().alias("period_start"),  # a later event is never in an earlier month
        pl.col(schema.TIMESTAMP).max().alias("period_end"),
    ).with_columns(month("period_start"), month("period_end")).collect()
    running = result.cases.group_by(schema.OFFICE).agg(
        (pl.col("case_status") == "running").mean().alias("running"),
        (pl.col("bounded").mean() if "bounded" in result.cases.columns else pl.lit(0.0)).alias("bounded"))
    out: dict[str, dict[str, Any]] = {}
    for row in frame.join(running, on=schema.OFFICE, how="left").iter_rows(named=True):
        out[row[schema.OFFICE]] = {
            "coverage": round(float(row["coverage"]), 6),
            "date_only_share": round(float(row["date_only_share"]), 6),
            "running_share": round(float(row["running"] or 0.0), 6),
            "bounded_share": round(float(row["bounded"] or 0.0), 6),
            "period_start": row["period_start"], "period_end": row["period_end"],
        }
    return out


def period_span(quality: dict[str, Any]) -> tuple[datetime, datetime] | None:
    """The span of an office's events from its bundle's ``quality``: from the first instant of the month of
    the first event (``period_start``, ``"2025-01"``, local time in Saxony) to the first instant after the
    month of the last (``period_end``). Bundles of an earlier pmtool held exact times, which are read as
    they are. ``None`` when the bundle has no events."""
    start, end = quality.get("period_start"), quality.get("period_end")
    if not start or not end:
        return None
    return _moment(start, end=False), _moment(end, end=True)


def _moment(value: str, *, end: bool) -> datetime:
    if len(value) != len("2025-01"):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError(value)
        return moment
    year, month = (int(x) for x in value.split("-"))
    if end:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return datetime(year, month, 1, tzinfo=ZoneInfo(PERIOD_ZONE))


def _bounded(cases: pl.DataFrame) -> pl.Series:
    """Which cases' alignments hit the search bound (none for results made without the bound)."""
    if "bounded" in cases.columns:
        return cases["bounded"].fill_null(False)
    return pl.Series([False] * cases.height, dtype=pl.Boolean)
