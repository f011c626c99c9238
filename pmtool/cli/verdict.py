"""The outcome of a comparison on the command line: the lines that say what could not be compared, and the
exit code (0 clean, 1 findings with ``--fail-on-findings``, 3 nothing compared in a process — or, with
``--fail-on-findings``, any office not compared; 2, could not run, comes from :mod:`pmtool.cli.errors`)."""

from __future__ import annotations

import polars as pl

from pmtool.cli.errors import EXIT_FINDINGS, EXIT_NOT_COMPARED, EXIT_OK
from pmtool.compare.outcome import Outcome, reason_text
from pmtool.formatting import format_number
from pmtool.i18n import language, t, tn


def outcome_lines(outcome: Outcome) -> list[str]:
    """One line per process that was not (or not fully) compared, naming each office and its reason."""
    lines = []
    for p in outcome.processes:
        offices = "; ".join(f"{name} ({reason_text(reason)})" for _, name, reason in p.not_compared)
        if p.status == "not_comparable":
            lines.append(t("cli.outcome.not_comparable", process=p.process, offices=offices or "—"))
        elif p.not_compared:
            lines.append(t("cli.outcome.partial", process=p.process, offices=offices))
    if not outcome.processes:
        lines.append(t("cli.outcome.nothing"))
    return lines


def summary_line(outcome: Outcome) -> str | None:
    """The all-clear, said only where offices were compared (``None`` when there are findings)."""
    status = outcome.status
    if status == "clean":
        return t("cli.outcome.clean")
    if status == "partial":
        return t("cli.outcome.clean_partial")
    if status == "not_comparable":
        return t("cli.outcome.no_verdict")
    return None


def priority_lines(priorities: pl.DataFrame, lang: str | None = None) -> list[str]:
    """Which process to standardise first (when at least two were compared) and which processes are not
    ranked because their offices could not be compared; nothing for a single process."""
    if priorities.height < 2 or "comparable" not in priorities.columns:
        return []
    lang = lang or language()

    def name(row: dict) -> str:
        shown = row.get("process_name") or ""
        return row["process"] if shown in ("", row["process"]) else f"{row['process']} {shown}"

    rows = priorities.sort("rank", nulls_last=True).to_dicts()
    ranked = [r for r in rows if r["rank"] is not None]
    unranked = [name(r) for r in rows if r["rank"] is None]
    lines = []
    if len(ranked) > 1:
        lines.append(t("cli.priorities.first", lang, process=name(ranked[0]),
                       priority=format_number(ranked[0]["priority"], lang, 2)))
    if unranked:
        lines.append(tn("cli.priorities.unranked", len(unranked), lang, processes=", ".join(unranked)))
    return lines


def exit_code(outcome: Outcome, *, fail_on_findings: bool) -> int:
    """3 when a process could not be compared at all (with ``fail_on_findings`` also when any office was not
    compared), else 1 for open findings with ``fail_on_findings``, else 0."""
    if outcome.status == "not_comparable" or (fail_on_findings and outcome.any_not_compared):
        return EXIT_NOT_COMPARED
    if fail_on_findings and outcome.status == "findings":
        return EXIT_FINDINGS
    return EXIT_OK
