"""The label check: before conformance, do the Soll model and the logs speak of the same activities?

A Soll task whose label no office ever shows would be "skipped" in every case, and an office activity the
model does not know "inserted" — numbers that look like findings but only say that the names differ. So
before conformance, :func:`check_labels` lists

- **Soll tasks an office never shows** (per office; and those no office shows at all), and
- **office activities the model does not know**, with their events, cases and share per office,

each with the closest labels of the other side as suggestions. :meth:`LabelCheck.raise_if_fatal` stops the
check (one-line :class:`~pmtool.errors.ConfigError`, exit code 2) when a task occurs in no office at all or
the model does not know more than ``max_unknown_share`` of an office's events — unless the user accepts it
(``accept_missing``, ``max_unknown_share = 1``).

Before the check, :func:`apply_task_labels` gives events that carry a Soll task's drawn name (a profile may map
onto the Soll's own labels) the label the task stands for, so both sides are compared in one language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from pmtool.errors import ConfigError, Location
from pmtool.eventlog import schema
from pmtool.eventlog.log import EventLog
from pmtool.formatting import format_share
from pmtool.models.labels import closest as _closest
from pmtool.models.reference import ReferenceModel
from pmtool.vocabulary import vocabulary

#: Default: an office whose events the model does not know for more than this share stops the check.
MAX_UNKNOWN_SHARE = 0.2
_SHOWN = 3  # labels named in a one-line error before "…"
TABLE_SCHEMA = {"process": pl.String, "kind": pl.String, "label": pl.String, "task": pl.String,
                "office": pl.String, "events": pl.Int64, "cases": pl.Int64, "share": pl.Float64,
                "suggestion": pl.String, "accepted": pl.Boolean}


@dataclass(frozen=True)
class LabelSettings:
    """``accept_missing``: Soll tasks (as drawn or as tied) that may occur in no office;
    ``max_unknown_share``: the largest share of an office's events the model may not know (1.0: any)."""

    accept_missing: tuple[str, ...] = ()
    max_unknown_share: float = MAX_UNKNOWN_SHARE

    def accepts_all(self, reference: ReferenceModel) -> bool:
        """Whether a check of ``reference`` with these settings can never stop (every task accepted as
        missing, any share unknown)."""
        return self.max_unknown_share >= 1.0 and set(reference.activities) <= set(self.accept_missing)

    def check(self) -> None:
        if not 0.0 <= self.max_unknown_share <= 1.0:
            raise ConfigError("labels.bad_share", Location(), value=self.max_unknown_share)


@dataclass(frozen=True)
class LabelCheck:
    """The label check of one process. ``table`` has one row per finding (see :data:`TABLE_SCHEMA`):
    ``kind`` "task_unseen" (a Soll task, ``office`` "*" when no office shows it), "unknown_activity" or
    "unknown_role" (per office, with the share of the office's events), with a ``suggestion`` from the other
    side."""

    process: str
    model: str
    table: pl.DataFrame
    missing: tuple[str, ...]  # Soll tasks no office shows, not accepted (as drawn)
    unknown: dict[str, float]  # offices above the unknown share → their share
    settings: LabelSettings

    @property
    def fatal(self) -> bool:
        return bool(self.missing or self.unknown)

    def raise_if_fatal(self) -> None:
        """Raise the one-line :class:`ConfigError` naming the labels and the fix when the check fails."""
        if not self.fatal:
            return
        rows = self.table
        if self.missing:
            tasks = rows.filter((pl.col("kind") == "task_unseen") & (pl.col("office") == "*")
                                & ~pl.col("accepted"))
            raise ConfigError("labels.missing_tasks", Location(self.model), process=self.process,
                              tasks=_quote([_task_text(r) for r in tasks.iter_rows(named=True)]),
                              suggestions=_quote(sorted({s for s in tasks["suggestion"].to_list() if s})) or "—")
        office, share = max(self.unknown.items(), key=lambda kv: (kv[1], kv[0]))
        top = rows.filter((pl.col("kind") == "unknown_activity") & (pl.col("office") == office)).head(_SHOWN)
        raise ConfigError("labels.unknown_share", Location(self.model), process=self.process, office=office,
                          share=format_share(share, decimals=0),
                          limit=format_share(self.settings.max_unknown_share, decimals=0),
                          labels=", ".join(f"„{r['label']}“ ({r['events']})" for r in top.iter_rows(named=True)),
                          suggestions=_quote(sorted({s for s in top["suggestion"].to_list() if s})) or "—")


def _task_text(row: dict) -> str:
    return row["task"] if row["task"] == row["label"] else f"{row['task']}“ → „{row['label']}"


def _quote(items: Sequence[str]) -> str:
    shown = [f"„{i}“" for i in items[:_SHOWN]]
    return ", ".join(shown) + (" …" if len(items) > _SHOWN else "")


def apply_task_labels(log: EventLog, reference: ReferenceModel) -> EventLog:
    """``log`` with every event named like a renamed Soll task (as drawn) carrying the label the task stands
    for — and its vocabulary id when that is a canonical name. Other events are unchanged."""
    renamed = {task: label for task, label in reference.renamed.items() if task not in reference.activities}
    if not renamed:
        return log
    frame = log.frame
    hit = pl.col(schema.ACTIVITY).is_in(list(renamed))
    if not frame.select(hit.any()).item():
        return log
    vocab = vocabulary()
    codes = {task: (vocab.resolve(label).id if vocab.resolve(label) else None) for task, label in renamed.items()}
    frame = frame.with_columns(
        pl.when(hit).then(pl.col(schema.ACTIVITY).replace_strict(codes, default=None, return_dtype=pl.String))
        .otherwise(pl.col(schema.ACTIVITY_CODE)).alias(schema.ACTIVITY_CODE),
        pl.when(hit).then(pl.col(schema.ACTIVITY).replace_strict(renamed, default=None, return_dtype=pl.String))
        .otherwise(pl.col(schema.ACTIVITY)).alias(schema.ACTIVITY),
    )
    return EventLog.from_frame(frame, log.provenance, assume_sorted=True)


def label_coverage(log: EventLog, reference: ReferenceModel) -> dict[str, float]:
    """Per office, the share of events mapped onto the vocabulary or named like a task of the Soll — the
    events the offices' comparison speaks the same language about (the gate's ``coverage``)."""
    known = list(reference.activities)
    frame = log.frame.lazy().group_by(schema.OFFICE).agg(
        (pl.col(schema.ACTIVITY_CODE).is_not_null() | pl.col(schema.ACTIVITY).is_in(known)).mean().alias("c")
    ).collect()
    return {office: round(float(share), 6) for office, share in frame.sort(schema.OFFICE).iter_rows()}


@dataclass(frozen=True)
class LabelCounts:
    """What the label check needs of a log: events and cases per office and activity, and per office and
    role; events per office. Counts of disjoint sets of offices combine by :meth:`combine`."""

    activities: pl.DataFrame  # office, activity, events, cases
    roles: pl.DataFrame  # office, role, events, cases (roles given)
    totals: pl.DataFrame  # office, len

    @classmethod
    def of(cls, log: EventLog) -> LabelCounts:
        lazy = log.frame.lazy()  # each count reads only its columns (no filtered copy of the whole log)
        counts = [pl.len().alias("events"), pl.col(schema.CASE_ID).n_unique().alias("cases")]
        return cls(*pl.collect_all([
            lazy.group_by(schema.OFFICE, schema.ACTIVITY).agg(*counts),
            lazy.filter(pl.col(schema.ROLE).is_not_null()).group_by(schema.OFFICE, schema.ROLE).agg(*counts),
            lazy.group_by(schema.OFFICE).len()]))

    @classmethod
    def summed(cls, parts: Sequence[LabelCounts]) -> LabelCounts:
        """The counts of all ``parts`` together, each counted over other cases (an office may be in several
        parts, as when a log is checked a slice of cases at a time: its events and cases add up)."""
        if len(parts) == 1:
            return parts[0]

        def added(name: str, by: list[str]) -> pl.DataFrame:
            frame = pl.concat([getattr(p, name) for p in parts])
            return frame.group_by(by, maintain_order=True).agg(
                pl.col(c).sum().cast(frame.schema[c]) for c in frame.columns if c not in by)

        return cls(added("activities", [schema.OFFICE, schema.ACTIVITY]), added("roles", [schema.OFFICE, schema.ROLE]),
                   added("totals", [schema.OFFICE]))

    @classmethod
    def combine(cls, parts: list[LabelCounts]) -> LabelCounts:
        """The counts of all ``parts`` together (each office in one part only)."""
        return cls(*(pl.concat([getattr(p, name) for p in parts]) for name in ("activities", "roles", "totals")))


def check_labels(log: EventLog, reference: ReferenceModel, settings: LabelSettings | None = None) -> LabelCheck:
    """Compare the labels of ``log`` (all offices, after :func:`apply_task_labels`) with ``reference``."""
    return check_label_counts(LabelCounts.of(log), reference, settings)


def check_label_counts(counted: LabelCounts, reference: ReferenceModel,
                       settings: LabelSettings | None = None) -> LabelCheck:
    """:func:`check_labels` from the log's :class:`LabelCounts`."""
    settings = settings or LabelSettings()
    settings.check()
    process = reference.process_id
    counts = counted.activities
    offices = sorted(counted.totals[schema.OFFICE].to_list())
    totals = dict(counted.totals.iter_rows())
    seen = set(counts[schema.ACTIVITY].to_list())
    tasks = reference.activities
    drawn = {label: [t for t, lbl in reference.task_labels.items() if lbl == label] or [label] for label in tasks}
    accepted = set(settings.accept_missing)
    rows = []
    missing = []
    for label in sorted(tasks):
        shown_in = set(counts.filter(pl.col(schema.ACTIVITY) == label)[schema.OFFICE].to_list())
        names = drawn[label]
        ok = bool(accepted & {label, *names})
        suggestion = _closest(label, sorted(seen - tasks)) or _closest(names[0], sorted(seen - tasks))
        if not shown_in:
            rows.append(_row(process, "task_unseen", label, names[0], "*", 0, 0, 0.0, suggestion, ok))
            if not ok:
                missing.append(names[0])
            continue
        for office in offices:
            if office not in shown_in:
                rows.append(_row(process, "task_unseen", label, names[0], office, 0, 0, 0.0, suggestion, ok))
    unknown_rows = (counts.filter(~pl.col(schema.ACTIVITY).is_in(list(tasks)))
                    .sort([schema.OFFICE, "events", schema.ACTIVITY], descending=[False, True, False]))
    unknown_share: dict[str, float] = {}
    suggestions: dict[str, str | None] = {}
    for office, activity, events, cases in unknown_rows.iter_rows():
        if activity not in suggestions:
            suggestions[activity] = _closest(activity, sorted(tasks)) or _closest_vocabulary(activity)
        share = events / totals[office]
        unknown_share[office] = unknown_share.get(office, 0.0) + share
        rows.append(_row(process, "unknown_activity", activity, None, office, events, cases, share,
                         suggestions[activity], False))
    rows += _unknown_roles(counted, reference, process)
    above = {o: round(s, 6) for o, s in unknown_share.items() if s > settings.max_unknown_share + 1e-12}
    table = pl.DataFrame(rows, schema=TABLE_SCHEMA) if rows else pl.DataFrame(schema=TABLE_SCHEMA)
    return LabelCheck(process, reference.source, table, tuple(missing), above, settings)


def _unknown_roles(counted: LabelCounts, reference: ReferenceModel, process: str) -> list[dict]:
    """Rows "unknown_role": role values of an office that are neither a role of the vocabulary nor a lane of
    the Soll (as the label map ties lanes to roles) — counted like unknown activities, never fatal (role
    rules judge only events whose role they know)."""
    known = set(vocabulary().roles()) | {r for rs in reference.roles.values() for r in rs} \
        | set(reference.labels.lanes) | set(reference.labels.lanes.values())
    roles = sorted(known)
    counts = (counted.roles.filter(~pl.col(schema.ROLE).is_in(roles))
              .sort([schema.OFFICE, "events", schema.ROLE], descending=[False, True, False]))
    totals = dict(counted.totals.iter_rows())
    return [_row(process, "unknown_role", role, None, office, events, cases, events / totals[office],
                 _closest(role, roles), False) for office, role, events, cases in counts.iter_rows()]


def _row(process: str, kind: str, label: str, task: str | None, office: str, events: int, cases: int,
         share: float, suggestion: str | None, accepted: bool) -> dict:
    return {"process": process, "kind": kind, "label": label, "task": task, "office": office, "events": events,
            "cases": cases, "share": round(share, 6), "suggestion": suggestion, "accepted": accepted}


def _closest_vocabulary(label: str) -> str | None:
    return _closest(label, sorted(vocabulary().names()))
