"""``pmtool design``: from the differences to a uniform Soll — cross-office conformance, Soll candidates and
the decision table of a project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pmtool.cli.console import make_console
from pmtool.cli.errors import EXIT_FINDINGS, user_errors
from pmtool.cli.options import parse_table_formats
from pmtool.errors import ConfigError, Location
from pmtool.i18n import chosen_language, set_language, t

console = make_console()


def design(
    project: Annotated[Path, typer.Option("--project", "-p", help="Project file (see docs/project-file.md).")] = Path(
        "pmtool.toml"),
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder; default: design/ in the project's "
                                             "results folder.")] = None,
    candidate: Annotated[list[str] | None, typer.Option("--candidate", help="A candidate you edit, as "
                                                        "PROCESS=FILE.bpmn (repeat for several processes).")] = None,
    process: Annotated[str | None, typer.Option(help="Only this process (default: all of the project).")] = None,
    model_offices: Annotated[int, typer.Option(min=0, help="Model offices whose Ist model becomes a "
                                               "candidate.")] = 2,
    threshold: Annotated[float | None, typer.Option(min=0.0, max=1.0, help="Cut the office groups at this "
                                                    "distance (1 − mutual fitness); default: at the largest gap "
                                                    "of the dendrogram.")] = None,
    export: Annotated[list[str] | None, typer.Option("--export", help="Write a candidate as BPMN 2.0 with lanes "
                                                     "and layout: PROCESS (the recommended one) or "
                                                     "PROCESS=CANDIDATE (soll, consensus, ist:GA-04, edited); "
                                                     "repeat for several.")] = None,
    report: Annotated[bool, typer.Option("--report", help="Also write the whole report (the project's formats) "
                                         "with the chapter Soll-Entwurf into the output folder.")] = False,
    format: Annotated[str, typer.Option("--format", help="Table formats, comma-separated: csv, parquet, json, "
                                        "csv-excel, xlsx.")] = "csv",
    key_file: Annotated[Path | None, typer.Option(help="Pseudonymisation key file (else PMTOOL_PSEUDONYM_KEY_FILE "
                                                  "or PMTOOL_PSEUDONYM_KEY).")] = None,
    allow_identifiable: Annotated[bool, typer.Option(help="Store case ids and names in clear when no key is "
                                                     "given. Only for data that is not personal.")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Processes for the alignments.")] = 2,
) -> None:
    """Compare every office's log with every office's Ist model and the Soll (matrix and groups of offices
    that work alike), and decide between Soll candidates per process: the current Soll, a consensus model of
    the offices without critical findings, the model offices' Ist models and a candidate you edit. For each:
    conforming share and fitness per office, precision, size, and legal soundness — whether the model allows
    what the rule pack forbids, with the shortest offending run. Writes the tables and the report section
    (soll_entwurf.html; with --report also the whole report with the chapter Soll-Entwurf), and with
    --export a candidate as BPMN 2.0 with a lane per role and a layout; exit code 1 when a candidate you
    gave is refused as legally unsound (and exit code 2 when you ask to export one).

    The analysis reuses the stage cache of pmtool run (<output>/.cache)."""
    from pmtool.analysis import run_analysis
    from pmtool.design.design import design as run_design
    from pmtool.design.design import export_candidate
    from pmtool.design.output import design_writers
    from pmtool.ingest.output import write_atomically
    from pmtool.ingest.pseudonymise import load_key, require_key
    from pmtool.project import load_project
    from pmtool.stage_cache import StageCache

    with user_errors():
        config = load_project(project)
        lang = chosen_language() or config.language
        set_language(lang)
        key = require_key(load_key(key_file), allow_identifiable)
        formats = parse_table_formats(format)
        edited = _edited(candidate or [])
        analysis = run_analysis(config, key=key, allow_identifiable=allow_identifiable,
                                store=StageCache(config.output / ".cache"))
        result = run_design(analysis, edited=edited, process=process, model_offices_n=model_offices,
                            threshold=threshold, workers=workers)
        folder = out or config.output / "design"
        writers = design_writers(result, folder, formats, lang)
        for value in export or []:
            pid, _, cid = value.partition("=")
            chosen = cid.strip() or None
            data = export_candidate(result, pid.strip(), chosen, lang=lang)
            stem = (chosen or result.processes[pid.strip()].recommended or "").replace(":", "_")
            writers[folder / f"{pid.strip()}_{stem}.bpmn"] = lambda p, d=data: p.write_bytes(d)
        write_atomically(writers)
        if report:
            from pmtool.report import build_report

            build_report(analysis, folder, lang=lang, formats=config.formats, design=result)
    refused = _render(result, lang)
    console.print(t("cli.design.written", out=str(folder)))
    if refused:
        raise typer.Exit(EXIT_FINDINGS)


def _edited(values: list[str]) -> dict[str, Path]:
    edited: dict[str, Path] = {}
    for value in values:
        pid, sep, path = value.partition("=")
        if not sep or not pid.strip() or not path.strip():
            raise ConfigError("cli.design.bad_candidate", Location(value))
        edited[pid.strip()] = Path(path.strip())
    return edited


def _render(result, lang: str) -> bool:
    """The groups, the decision table per process and the reasoning; True when an edited candidate is refused."""
    from pmtool.design.html import HIDDEN, candidate_label, reasoning
    from pmtool.report import numbers

    refused = False
    for (pid,), groups in result.cross.groups.group_by("process", maintain_order=True):
        parts = groups.group_by("group", maintain_order=True).agg("office").sort("group")
        console.print(t("cli.design.groups", process=pid, cut=numbers.decimal(groups["cut"][0], lang, 3),
                        groups="; ".join(", ".join(o) for _, o in parts.iter_rows())))
    for pd_ in result.processes.values():
        table = Table(title=t("cli.design.title", process=pd_.process, name=pd_.name), title_justify="left")
        for col in ("candidate", "fitting", "fitness", "precision", "f1", "arcs", "sound", "decision"):
            table.add_column(t(f"design.col.{col}"), justify="left" if col in ("candidate", "decision") else "right")
        for e in pd_.evaluations:
            decision = ("recommended" if e.candidate.id == pd_.recommended else "refused" if not e.sound
                        else "possible")
            refused |= decision == "refused" and e.candidate.kind == "edited"

            def num(v: float | None, places: int = 3) -> str:
                return HIDDEN if v is None else numbers.decimal(v, lang, places)
            table.add_row(candidate_label(e.candidate.id, lang),
                          HIDDEN if e.fitting_share is None else numbers.rate(e.fitting_share, lang),
                          num(e.fitness), num(e.precision), num(e.f1), str(int(e.size["arcs"])),
                          t("design.yes" if e.sound else "design.no"), t(f"design.decision.{decision}"))
        console.print(table)
        for kind, line in reasoning(pd_, lang):
            console.print("  " + line, markup=False, style="bold red" if kind in ("refused", "none") else None)
    return refused
