"""``pmtool conform``: check canonical logs against a Soll model and its rule pack."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from pmtool.cli.console import make_console
from pmtool.cli.errors import EXIT_FINDINGS, user_errors
from pmtool.cli.options import (
    FILTER_HELP,
    VocabularyOption,
    model_spec,
    named_reference,
    parse_as_of,
    parse_table_formats,
)
from pmtool.conform.conformance import (
    MAX_STATES,
    ConformanceResult,
    ConformanceSettings,
    SpooledConformance,
    scan_tables,
)
from pmtool.conform.conformance import conform as run_conform
from pmtool.conform.labels import MAX_UNKNOWN_SHARE, LabelCheck, LabelSettings
from pmtool.conform.output import conformance_writers
from pmtool.errors import InputError, Location
from pmtool.eventlog.filters import filter_event_log, parse_filters
from pmtool.eventlog.log import EventLog, read_parquet
from pmtool.formatting import format_number, format_share
from pmtool.i18n import t, tn
from pmtool.ingest.output import write_atomically
from pmtool.models.reference import load_reference
from pmtool.vocabulary import extended

console = make_console()


def conform(
    logs: Annotated[list[Path], typer.Argument(help="Canonical logs (.parquet from pmtool ingest) or folders of "
                                               "them; all offices are checked together.")],
    model: Annotated[str, typer.Option("--model", "-m", help="Soll model (.bpmn or .pnml), or PROCESS=path to "
                                       "name its process (default: the rule pack's or vocabulary's process, "
                                       "else the model file's name without suffix).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for the tables.")],
    rules: Annotated[Path | None, typer.Option(help="Rule pack (TOML); default: <model>.rules.toml beside the "
                                               "model, if present.")] = None,
    method: Annotated[str, typer.Option(help="alignments (optimal, exact) or token_replay (fast, "
                                        "approximate).")] = "alignments",
    incomplete: Annotated[str, typer.Option(help="Running cases: pending (judge only what is overdue), "
                                            "violation, or exclude.")] = "pending",
    as_of: Annotated[str | None, typer.Option(help="Point in time of the check (ISO date or date-time); "
                                              "default: the last event in the logs.")] = None,
    stale_after_days: Annotated[int, typer.Option(min=1, help="A case without a closing activity and without "
                                                  "events for this many days counts as never closed.")] = 90,
    workers: Annotated[int, typer.Option(min=1, help="Processes for the alignments.")] = 2,
    max_states: Annotated[int, typer.Option("--max-states", min=1000, help="Bound of one alignment search in "
                                            "states; a variant that needs more is counted and labelled as "
                                            "bounded, not scored.")] = MAX_STATES,
    format: Annotated[str, typer.Option("--format", help="Table formats, comma-separated: csv, parquet, "
                                        "json.")] = "csv",
    name: Annotated[str | None, typer.Option(help="Prefix of the output files; default: the process id.")] = None,
    fail_under: Annotated[float | None, typer.Option(min=0.0, max=1.0, help="Exit with code 1 when an office's "
                                                     "mean fitness is below this value.")] = None,
    figures: Annotated[str, typer.Option(help="Pictures of the Soll model with the deviations overlaid, "
                                         "comma-separated: svg, png; empty for none.")] = "svg",
    labels: Annotated[Path | None, typer.Option(help="Label map of the Soll model (TOML: [tasks] Soll task = "
                                                "vocabulary id or log label, [lanes] lane = role); default: "
                                                "<model>.labels.toml beside the model, if present.")] = None,
    accept_missing: Annotated[list[str] | None, typer.Option("--accept-missing", help="A Soll task that may "
                                                             "occur in no office (repeat for several); else the "
                                                             "label check stops.")] = None,
    max_unknown_share: Annotated[float, typer.Option(min=0.0, max=1.0, help="The label check stops when the "
                                                     "model does not know more than this share of an office's "
                                                     "events.")] = MAX_UNKNOWN_SHARE,
    filters: Annotated[list[str] | None, typer.Option("--filter", help=FILTER_HELP)] = None,
    vocabulary: VocabularyOption = None,
) -> None:
    """Check logs against a Soll model: fitness, precision and F1 per office, typed deviations per case, and
    the rule pack's deadlines (in Saxon working days), order, mandatory and role rules.

    First the label check: Soll tasks an office never shows and office activities the model does not know,
    with counts and close matches (table <process>_labels). When a Soll task occurs in no office, or the
    model does not know a large share of an office's events, it stops with exit code 2 and names the labels
    and the fix (a label map beside the model)."""
    with user_errors(), extended(vocabulary or []):
        formats = parse_table_formats(format)
        settings = ConformanceSettings(method=method, incomplete=incomplete, as_of=parse_as_of(as_of),
                                       stale_after_days=stale_after_days, workers=workers,
                                       labels=LabelSettings(tuple(accept_missing or ()), max_unknown_share),
                                       max_states=max_states)  # a wrong option fails before any reading
        pid, path = model_spec(model)
        model_path = Path(path)
        reference = named_reference(pid, load_reference(model_path, rules, labels), where=path)
        chosen = parse_filters(filters or ())
        log = filter_event_log(_combine(logs), chosen.texts, scope=reference.process)
        result = run_conform(log, reference, settings=settings)
        prefix = "_".join(x for x in (name or result.process, chosen.slug()) if x)  # never over a whole one
        writers = conformance_writers(result, out, prefix, formats)
        figure_formats = tuple(f.strip() for f in figures.split(",") if f.strip())
        if figure_formats:
            from pmtool.i18n import language
            from pmtool.report.conform_figures import overlay_figures

            pictures = overlay_figures(result, reference, model_path, figure_formats, language(),
                                       filters=chosen.describe())
            for fmt, data in pictures.items():
                writers[out / f"{prefix}_soll_overlay.{fmt}"] = lambda p, d=data: p.write_bytes(d)
        write_atomically(writers)
    if chosen:
        console.print(t("filter.applied", filters=chosen.describe()))
    _render(result, out)
    if fail_under is not None and (result.summary["fitness"] < fail_under).any():
        raise typer.Exit(EXIT_FINDINGS)


def _combine(paths: list[Path]) -> EventLog:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.parquet") if p.is_file()))
        else:
            files.append(path)
    if not files:
        raise InputError("cli.conform.no_logs", Location(", ".join(str(p) for p in paths)))
    frames = [read_parquet(f).frame for f in files]
    return EventLog.from_frame(pl.concat(frames, how="diagonal_relaxed"))


def _render(result: ConformanceResult, out: Path) -> None:
    table = Table(title=t("cli.conform.title", process=result.process, model=result.model), title_justify="left")
    bounded = "bounded" in result.summary.columns and int(result.summary["bounded"].sum()) > 0
    for col in ("office", "cases", "fitness", "fitting", "precision", "f1", "running", "stale",
                *(("bounded",) if bounded else ())):
        table.add_column(t(f"cli.conform.col.{col}"), justify="left" if col == "office" else "right")
    for row in result.summary.iter_rows(named=True):
        table.add_row(row["office"], format_number(row["cases"]), format_number(row["fitness"], decimals=3),
                      format_share(row["fitting_share"], decimals=1),
                      *("—" if row[c] is None else format_number(row[c], decimals=3) for c in ("precision", "f1")),
                      *map(format_number, (row["running"], row["stale"])),
                      *((format_number(row["bounded"]),) if bounded else ()))
    if result.method == "token_replay":
        table.caption = t("cli.conform.token_replay_note")
    console.print(table)
    top = (result.deviations.group_by("code").agg(pl.col("case_id").n_unique().alias("cases"))
           .sort(["cases", "code"], descending=[True, False]))
    counts = ", ".join(f"{c} {format_number(n)}" for c, n in top.iter_rows()) or t("cli.conform.no_deviations")
    console.print(t("cli.conform.deviations") + ": " + counts)
    for line in label_notes(result.labels) + bounded_notes(result):
        console.print(line, style="yellow")
    console.print(t("cli.conform.written", out=str(out)))


def bounded_notes(result: ConformanceResult | SpooledConformance) -> list[str]:
    """One line when some variants' alignments hit the search bound: how many cases, labelled, not scored."""
    cases = scan_tables(result)[0]
    if "bounded" not in cases.collect_schema().names():
        return []
    hit = cases.filter(pl.col("bounded")).select(pl.len().alias("cases"), pl.col("variant").n_unique()).collect()
    if not hit["cases"][0]:
        return []
    return [t("cli.conform.bounded", process=result.process, cases=hit["cases"][0], variants=hit["variant"][0])]


def label_notes(check: LabelCheck | None, shown: int = 5) -> list[str]:
    """The label check in words: activities the model does not know and Soll tasks some offices (or, when
    accepted, all offices) never show, most events first, with the closest label of the other side."""
    if check is None or check.table.height == 0:
        return []
    rows = check.table
    lines = []
    unknown = (rows.filter(pl.col("kind") == "unknown_activity")
               .group_by("label").agg(pl.col("events").sum(), pl.col("suggestion").first())
               .sort(["events", "label"], descending=[True, False]))
    if unknown.height:
        items = [f"„{r['label']}“ {format_number(r['events'])}"
                 + (f" (≈ „{r['suggestion']}“)" if r["suggestion"] else "")
                 for r in unknown.head(shown).iter_rows(named=True)]
        more = t("cli.ingest.more", n=unknown.height - shown) if unknown.height > shown else ""
        lines.append(tn("cli.labels.unknown", unknown.height, process=check.process, labels=", ".join(items) + more))
    roles = (rows.filter(pl.col("kind") == "unknown_role").group_by("label").agg(pl.col("events").sum())
             .sort(["events", "label"], descending=[True, False]))
    if roles.height:
        lines.append(tn("cli.labels.roles", roles.height, process=check.process, roles=", ".join(
            f"„{r}“ {format_number(n)}" for r, n in roles.head(shown).iter_rows())))
    unseen = rows.filter(pl.col("kind") == "task_unseen")
    for label, group in sorted(unseen.group_by("label", maintain_order=True), key=lambda kv: kv[0][0]):
        offices = group["office"].to_list()
        task = group["task"][0]
        name = task if task == label[0] else f"{task} → {label[0]}"
        lines.append(t("cli.labels.nowhere" if offices == ["*"] else "cli.labels.unseen", process=check.process,
                       task=name, offices=", ".join(offices)))
    return lines
