"""What a comparison could say: per process and period which offices were compared, which not and why, and
the outcome as a whole — findings, no findings, or nothing (or not everything) could be compared.

"No findings" is an all-clear only where offices were compared. An office that fails the comparability gate
(:mod:`pmtool.compare.gate`) is not compared, and neither is an office without a second comparable office to
compare it with (``no_peer``). A process where fewer than two offices are comparable is **not comparable** as a
whole; the CLI says so with the reason per office, the report's first page says so, and the exit code differs
from the one for "no findings" (``pmtool.cli.errors``).

>>> outcome(pl.DataFrame({"process": ["P1"], "period": ["2025"], "office": ["A"], "compared": [False],
...     "reason": ["no_peer"]}), findings=0).status
'not_comparable'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from pmtool.compare.bundle import Bundle
from pmtool.compare.gate import GateSettings, comparability
from pmtool.i18n import language, t

#: The comparability table: one row per process, period and office.
SCHEMA = {"process": pl.String, "period": pl.String, "office": pl.String, "office_name": pl.String,
          "compared": pl.Boolean, "reason": pl.String}
NO_PEER = "no_peer"


def comparability_table(bundles: Sequence[Bundle], gate: GateSettings,
                        office_names: Mapping[str, str] | None = None) -> pl.DataFrame:
    """Per process, period and office: ``compared`` (passed the gate and has at least one comparable peer)
    and the ``reason`` when not (the gate's, e.g. ``coverage:0.812``, or ``no_peer``)."""
    names = dict(office_names or {})
    if not bundles:
        return pl.DataFrame(schema=SCHEMA)
    gated = comparability(bundles, gate)
    peers = gated.group_by("process", "period").agg(pl.col("comparable_office").sum().alias("n"))
    frame = gated.join(peers, on=["process", "period"], how="left").with_columns(
        (pl.col("comparable_office") & (pl.col("n") >= 2)).alias("compared"),
        pl.when(pl.col("comparable_office") & (pl.col("n") < 2)).then(pl.lit(NO_PEER))
        .otherwise(pl.col("not_comparable_reason")).alias("reason"),
        pl.col("office").replace_strict(names, default=pl.col("office"), return_dtype=pl.String).alias("office_name"),
    )
    return frame.select(list(SCHEMA)).sort("process", "period", "office")


@dataclass(frozen=True)
class ProcessOutcome:
    """One process and period: the offices compared and those not compared with their reason."""

    process: str
    period: str
    compared: tuple[str, ...]
    not_compared: tuple[tuple[str, str, str], ...]  # (office, display name, reason)
    findings: int

    @property
    def status(self) -> str:
        """``not_comparable`` (fewer than two offices compared), ``findings`` or ``clean``."""
        if len(self.compared) < 2:
            return "not_comparable"
        return "findings" if self.findings else "clean"


@dataclass(frozen=True)
class Outcome:
    processes: tuple[ProcessOutcome, ...]

    @property
    def status(self) -> str:
        """``not_comparable`` when some process could not be compared at all, else ``findings`` when there
        are open findings, else ``partial`` when some office was not compared, else ``clean``."""
        statuses = {p.status for p in self.processes}
        if not self.processes or "not_comparable" in statuses:
            return "not_comparable"
        if "findings" in statuses:
            return "findings"
        return "partial" if any(p.not_compared for p in self.processes) else "clean"

    @property
    def any_not_compared(self) -> bool:
        return not self.processes or any(p.not_compared or p.status == "not_comparable" for p in self.processes)


def outcome(comparability: pl.DataFrame, findings: pl.DataFrame | int) -> Outcome:
    """The outcome of a comparison from its comparability table and its open (not accepted) findings (a
    frame with ``process`` and ``period``, or a count for a single process)."""
    out = []
    for (process, period), group in sorted(comparability.group_by("process", "period", maintain_order=True),
                                           key=lambda kv: kv[0]):
        if isinstance(findings, int):
            n = findings
        else:
            n = findings.filter((pl.col("process") == process) & (pl.col("period") == period)).height \
                if findings.height else 0
        rows = group.sort("office").to_dicts()
        out.append(ProcessOutcome(process, period, tuple(r["office"] for r in rows if r["compared"]),
                                  tuple((r["office"], r["office_name"] or r["office"], r["reason"] or "")
                                        for r in rows if not r["compared"]), n))
    return Outcome(tuple(out))


#: Gate reasons whose value failed a lower bound (shown rounded down) — the others failed an upper bound.
_LOWER_BOUNDS = {"coverage", "period_overlap"}


def reason_text(reason: str | None, lang: str | None = None) -> str:
    """A gate reason code (``coverage:0.812``) in words ("nicht vergleichbar: Mapping-Abdeckung 81,2 %"). The
    share is shown with one decimal, rounded away from the threshold, so 99.96 % coverage never reads 100 %."""
    if not reason:
        return t("report.gate.ok", lang)
    kind, _, value = reason.partition(":")
    lang = lang or language()
    try:
        tenths = float(value) * 1000
        shown = (math.floor(tenths) if kind in _LOWER_BOUNDS else math.ceil(tenths)) / 10
        text = f"{shown:.1f}"
        shown_text = text.replace(".", ",") + "\u202f%" if lang == "de" else text + "%"
    except ValueError:
        shown_text = value
    return t(f"report.gate.{kind}", lang, value=shown_text)
