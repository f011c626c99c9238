"""The outcome of a comparison on the command line: the lines that say what could not be compared, and the
exit code (0 clean, 1 findings with ``--fail-on-findings``, 3 nothing compared in a process — or, with
``--fail-on-findings``, any office not compared; 2, could not run, comes from :mod:`pmtool.cli.errors`)."""

from __future__ import annotations

from pmtool.cli.errors import EXIT_FINDINGS, EXIT_NOT_COMPARED, EXIT_OK
from pmtool.compare.outcome import Outcome, reason_text
from pmtool.i18n import t


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


def exit_code(outcome: Outcome, *, fail_on_findings: bool) -> int:
    """3 when a process could not be compared at all (with ``fail_on_findings`` also when any office was not
    compared), else 1 for open findings with ``fail_on_findings``, else 0."""
    if outcome.status == "not_comparable" or (fail_on_findings and outcome.any_not_compared):
        return EXIT_NOT_COMPARED
    if fail_on_findings and outcome.status == "findings":
        return EXIT_FINDINGS
    return EXIT_OK
