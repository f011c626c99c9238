"""Typed deviations: one table, stable codes, derived from alignments, rule results and case status.

Every deviation kind has a stable code, a docstring with a tiny example and golden cases in
``tests/conform/golden/<CODE>.toml`` run by one parametrized test.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import polars as pl

from pmtool.conform.alignments import Alignment
from pmtool.conform.rules_check import RuleResults
from pmtool.eventlog import schema

#: The columns of the deviation table, in order.
COLUMNS: dict[str, pl.DataType] = {
    schema.OFFICE: pl.String(), "process": pl.String(), schema.CASE_ID: pl.String(), "code": pl.String(),
    "activity": pl.String(), "rule_id": pl.String(), "source": pl.String(), "position": pl.Int64(),
    "timestamp": pl.Datetime("us", "UTC"), "time_lost_hours": pl.Float64(), "detail": pl.String(),
}


@dataclass(frozen=True)
class DeviationKind:
    code: str
    source: str  # alignment | rule | case
    doc: str


KINDS: dict[str, DeviationKind] = {}


def _kind(code: str, source: str) -> Callable[[Callable], Callable]:
    def register(func: Callable) -> Callable:
        KINDS[code] = DeviationKind(code, source, (func.__doc__ or "").strip())
        return func
    return register


@_kind("SKIP", "alignment")
def _skip() -> None:
    """Skipped Soll activity: the Soll requires an activity the case never did (a visible model move whose
    activity does not appear elsewhere in the case as a log move).

    Soll A → B → C, case A → C: SKIP B.
    """


@_kind("INSERT", "alignment")
def _insert() -> None:
    """Inserted activity: the case did something the Soll does not have at all, or not here (a log move whose
    activity is neither repeated work nor paired with a model move of the same activity).

    Soll A → B, case A → X → B: INSERT X (detail ``unknown_to_soll`` when the Soll has no X at all).
    """


@_kind("ORDER", "alignment")
def _order() -> None:
    """Wrong order: the activity happened, but at a place the Soll does not allow — the alignment has a log move
    and a model move of the same activity.

    Soll A → B → C, case A → C → B: ORDER for the activity that had to move (here B or C, one of them).
    """


@_kind("REPEAT", "alignment")
def _repeat() -> None:
    """Repetition / rework: the activity was done more often than the Soll allows (a log move of an activity the
    case also did in step with the Soll). ``time_lost_hours``: time since the previous occurrence.

    Soll A → B → C, case A → B → B → C: REPEAT B.
    """


@_kind("DEADLINE", "rule")
def _deadline() -> None:
    """Deadline violation of a rule in the rule pack (primary clock start), with the hours over the deadline.

    Rule IS-09 → IS-10 within 1 working day; checked Thu 30 Oct 2025, transmitted Tue 4 Nov: DEADLINE.
    """


@_kind("ROLE", "rule")
def _role() -> None:
    """Role violation: an activity done by a role the rule pack does not allow.

    Rule: IS-16 by Amtsärztin/Amtsarzt; signed by Hygienekontrolleur/in: ROLE.
    """


@_kind("RULE", "rule")
def _rule() -> None:
    """Other rule violations (order, mandatory, absent rules), named by ``rule_id``.

    Rule "never IS-10 before IS-09"; case transmits before the check: RULE P1-L-11-ORDER.
    """


@_kind("NO_CLOSURE", "case")
def _no_closure() -> None:
    """Missing closure: the case never reached a closing activity of the Soll and has been idle longer than the
    staleness limit (default 90 days).
    """


@_kind("INCOMPLETE", "case")
def _incomplete() -> None:
    """Incomplete case: still running (no closing activity, recent events). Reported, not counted as deviation
    elsewhere: its missing tail activities are not SKIPs.
    """


def alignment_deviations(alignment: Alignment, labels: frozenset[str]) -> list[tuple[str, str, int | None, str | None]]:
    """(code, activity, log position or None, detail) for each deviating move of one alignment.

    ``labels`` are the Soll's activities (to tell unknown activities apart).
    """
    log_moved = [m[0] for m in alignment.moves if m[0] is not None and m[1] is None]
    model_moved = [m[2] for m in alignment.moves if m[0] is None and m[2] is not None]
    paired = set(log_moved) & set(model_moved)
    synced = {m[0] for m in alignment.moves if m[0] is not None and m[1] is not None}
    out: list[tuple[str, str, int | None, str | None]] = []
    position = -1
    for log_label, tid, model_label in alignment.moves:
        if log_label is not None:
            position += 1
        if log_label is not None and tid is None:
            if log_label in paired:
                out.append(("ORDER", log_label, position, None))
            elif log_label in synced:
                out.append(("REPEAT", log_label, position, None))
            else:
                out.append(("INSERT", log_label, position, None if log_label in labels else "unknown_to_soll"))
        elif log_label is None and model_label is not None and model_label not in paired:
            out.append(("SKIP", model_label, None, None))
    return out


def deviation_table(
    cases: pl.DataFrame,
    alignments: Mapping[tuple[str, ...], Alignment],
    labels: frozenset[str],
    rules: RuleResults | None,
    *,
    process: str,
) -> pl.DataFrame:
    """The deviation table for a log.

    ``cases`` has one row per case: office, case_id, ``variant`` (list of activities), ``timestamps`` (list),
    ``case_status``. Running cases get INCOMPLETE and no SKIPs for activities after their last event. A case
    whose variant has no alignment in ``alignments`` (its search hit the bound) gets no alignment deviations.

    The deviations are worked out once per variant and then given to its cases in one join (a log has far
    fewer variants than cases); rows come per case in the order of ``cases``, each case's deviations in
    the order of its alignment's moves, its INCOMPLETE or NO_CLOSURE row last.
    """
    frame = cases.select(schema.OFFICE, schema.CASE_ID, "variant", "timestamps", "case_status") \
        .with_row_index("_case")
    per_variant = _variant_deviations(alignments, labels)
    moved = (frame.join(per_variant, on="variant", how="inner")
             .filter(~(pl.col("tail") & (pl.col("case_status") == "running")))) if per_variant.height \
        else None
    stamps = pl.col("timestamps")
    hours = (stamps.list.get(pl.col("ia"), null_on_oob=True) - stamps.list.get(pl.col("ib"), null_on_oob=True)) \
        .dt.total_microseconds() / 1_000_000 / 3600.0
    parts = [] if moved is None else [moved.select(
        "_case", "_j", schema.OFFICE, schema.CASE_ID, "code", "activity", pl.lit("alignment").alias("source"),
        "position", stamps.list.get(pl.col("position"), null_on_oob=True).alias("timestamp"),
        hours.alias("time_lost_hours"), "detail")]
    ended = frame.filter(pl.col("case_status").is_in(["running", "stale"]))
    parts.append(ended.select(
        "_case", pl.lit(_LAST, pl.Int64).alias("_j"), schema.OFFICE, schema.CASE_ID,
        pl.when(pl.col("case_status") == "running").then(pl.lit("INCOMPLETE")).otherwise(pl.lit("NO_CLOSURE"))
        .alias("code"), pl.lit(None, pl.String).alias("activity"), pl.lit("case").alias("source"),
        pl.lit(None, pl.Int64).alias("position"), stamps.list.last().alias("timestamp"),
        pl.lit(None, pl.Float64).alias("time_lost_hours"), pl.col("case_status").alias("detail")))
    found = (pl.concat([p.cast({"_case": pl.UInt32, "_j": pl.Int64, "position": pl.Int64,
                                "timestamp": COLUMNS["timestamp"]}) for p in parts], how="vertical")
             .sort("_case", "_j")
             .with_columns(pl.lit(process).alias("process"), pl.lit(None, pl.String).alias("rule_id"))
             .select(list(COLUMNS)).cast(COLUMNS))
    if rules is not None:
        found = pl.concat([found, _rule_rows(rules, process)], how="vertical")
    return found.sort([schema.OFFICE, schema.CASE_ID, "code", "activity", "rule_id", "position"],
                      nulls_last=True, maintain_order=True)


_LAST = 1 << 40  # the case's own row comes after its alignment's deviations


def _variant_deviations(alignments: Mapping[tuple[str, ...], Alignment], labels: frozenset[str]) -> pl.DataFrame:
    """One row per deviation of each aligned variant: its index ``_j`` among the variant's deviations, code,
    activity, position, detail, ``tail`` (a SKIP a running case has not reached yet) and, for a REPEAT, the
    positions ``ia`` and ``ib`` whose times differ by the time it lost."""
    columns: dict[str, list] = {k: [] for k in ("variant", "_j", "code", "activity", "position", "detail",
                                                "tail", "ia", "ib")}
    for variant, alignment in alignments.items():
        tail_skips = _trailing_model_moves(alignment)
        for j, (code, activity, position, detail) in enumerate(alignment_deviations(alignment, labels)):
            ia = ib = None
            if code == "REPEAT" and position is not None:
                others = [i for i, a in enumerate(variant) if a == activity and i != position]
                earlier = [i for i in others if i < position]
                if earlier:
                    ia, ib = position, earlier[-1]
                elif others:  # the alignment chose the first occurrence as the extra one
                    ia, ib = others[0], position
            for name, value in (("variant", list(variant)), ("_j", j), ("code", code), ("activity", activity),
                                ("position", position), ("detail", detail),
                                ("tail", code == "SKIP" and activity in tail_skips), ("ia", ia), ("ib", ib)):
                columns[name].append(value)
    return pl.DataFrame(columns, schema={"variant": pl.List(pl.String), "_j": pl.Int64, "code": pl.String,
                                         "activity": pl.String, "position": pl.Int64, "detail": pl.String,
                                         "tail": pl.Boolean, "ia": pl.Int64, "ib": pl.Int64})


def _trailing_model_moves(alignment: Alignment) -> set[str]:
    """Activities of the model moves after the last log-side move: the part a running case has not reached."""
    tail: set[str] = set()
    for log_label, _, model_label in reversed(alignment.moves):
        if log_label is not None:
            break
        if model_label is not None:
            tail.add(model_label)
    return tail


def _rule_rows(rules: RuleResults, process: str) -> pl.DataFrame:
    violated = rules.cases.filter(pl.col("primary") & (pl.col("status") == "violated"))
    code = (pl.when(pl.col("kind") == "deadline").then(pl.lit("DEADLINE"))
            .when(pl.col("kind") == "role").then(pl.lit("ROLE")).otherwise(pl.lit("RULE")))
    return violated.select(
        pl.col(schema.OFFICE), pl.lit(process).alias("process"), pl.col(schema.CASE_ID), code.alias("code"),
        pl.lit(None, pl.String).alias("activity"), pl.col("rule_id"), pl.lit("rule").alias("source"),
        pl.lit(None, pl.Int64).alias("position"), pl.coalesce(pl.col("end"), pl.col("start")).alias("timestamp"),
        pl.col("late_hours").alias("time_lost_hours"), pl.col("detail"),
    ).cast(COLUMNS)
