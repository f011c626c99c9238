"""``pmtool discover``: the Ist process per office from canonical logs, as figures, tables and models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pmtool.cli.console import make_console
from pmtool.cli.errors import user_errors
from pmtool.cli.options import FILTER_HELP, VocabularyOption
from pmtool.discover.discovery import DiscoverSettings, Discovery
from pmtool.discover.discovery import discover as run_discover
from pmtool.discover.export import discovery_writers
from pmtool.discover.scope import combine
from pmtool.eventlog.log import read_parquet
from pmtool.formatting import format_number, format_share
from pmtool.i18n import t
from pmtool.ingest.output import write_atomically
from pmtool.vocabulary import extended

console = make_console()


def discover(
    logs: Annotated[list[Path], typer.Argument(metavar="LOG", help="Canonical log(s) (.parquet written by "
                                               "pmtool ingest); events of one office from several logs are "
                                               "discovered together.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for <office>_dfg.svg/.png, "
                                      "<office>_dfg_edges.csv/.parquet, <office>_variants.csv, "
                                      "<office>_bottlenecks.csv (transitions by waiting time), "
                                      "<office>_activities.csv (logs with start and complete events: "
                                      "service and waiting time per activity), <office>_ist.bpmn/.pnml, "
                                      "<office>_ist_net.svg and <office>_discover.json.")],
    process: Annotated[str | None, typer.Option("--process", help="Only this process of the vocabulary "
                                                "(P1, P2, P3a, P3b). Default: every process; an office with "
                                                "several gets files <office>_<process>_….")] = None,
    noise: Annotated[float, typer.Option("--noise", min=0.0, max=1.0, help="Noise threshold of the inductive "
                                         "miner: 0 keeps all behaviour, higher values give simpler "
                                         "models.")] = 0.2,
    formats: Annotated[str, typer.Option("--format", help="Figure formats, comma-separated: svg, "
                                         "png.")] = "svg,png",
    top_variants: Annotated[int, typer.Option("--top-variants", min=0, help="Rows of the variant table "
                                              "(0: all variants).")] = 10,
    min_edge_share: Annotated[float, typer.Option("--min-edge-share", min=0.0, max=1.0, help="The figure "
                                                  "hides transitions taken by a smaller share of cases (the "
                                                  "edge table keeps them); 0.05 keeps a P1 figure "
                                                  "readable.")] = 0.05,
    min_activity_share: Annotated[float, typer.Option("--min-activity-share", min=0.0, max=1.0, help="The "
                                                      "figure hides activities occurring in a smaller share "
                                                      "of cases.")] = 0.01,
    top_activities: Annotated[int | None, typer.Option("--top-activities", min=0, help="The figure shows "
                                                       "at most this many activities (most frequent "
                                                       "first); 0: all.")] = 60,
    filters: Annotated[list[str] | None, typer.Option("--filter", help=FILTER_HELP)] = None,
    png_width: Annotated[int | None, typer.Option("--png-width", min=200, max=20000, help="Width of the PNG "
                                                  "maps in pixels, e.g. 1600 for a slide (default: 150 dpi, "
                                                  "at most 6000 pixels on the longer side).")] = None,
    miner: Annotated[str, typer.Option("--miner", help="inductive (IMf on the log) or inductive_dfg (IMd on the "
                                       "directly-follows graph: grows with activities, not cases).")] = "inductive",
    mine_top_activities: Annotated[int | None, typer.Option("--mine-top-activities", min=0, help="The miner "
                                                            "sees only this many activities (those in most "
                                                            "cases); the share of events kept is named in "
                                                            "every output. 0 or empty: all.")] = 100,
    mine_min_activity_share: Annotated[float, typer.Option("--mine-min-activity-share", min=0.0, max=1.0,
                                                           help="The miner does not see activities occurring "
                                                           "in a smaller share of cases.")] = 0.0,
    mine_variant_coverage: Annotated[float, typer.Option("--mine-variant-coverage", min=0.0, max=1.0,
                                                         help="The miner sees only the most frequent variants "
                                                         "that together cover this share of cases.")] = 1.0,
    time_budget: Annotated[float, typer.Option("--time-budget", min=0.001, help="Seconds the miner may take; "
                                               "after that the model comes from the inductive miner on the "
                                               "directly-follows graph, labelled as fallback.")] = 30.0,
    vocabulary: VocabularyOption = None,
) -> None:
    """Discover the Ist process per office: directly-follows graph with waiting times, variant table and
    an Ist model (inductive miner) as BPMN and PNML.

    The figures show German activity names, cases as line width and the median waiting time as colour;
    rare transitions are hidden and counted in the caption. All files of a run appear together or not
    at all; the same input and options give the same files.

    On logs with hundreds of activities the miner sees only the most frequent ones (--mine-top-activities)
    and gets a time budget (--time-budget) with a labelled fallback, so discovery always finishes; the
    method and the share kept are named in the table, the model files and the summary.
    """
    with user_errors(), extended(vocabulary or []):
        settings = DiscoverSettings(
            process=process, noise_threshold=noise, top_variants=top_variants, min_edge_share=min_edge_share,
            min_activity_share=min_activity_share, top_activities=top_activities or None,
            formats=tuple(f.strip().lower() for f in formats.split(",") if f.strip()),
            filters=tuple(filters or ()), png_width=png_width, miner=miner,
            mine_max_activities=mine_top_activities or None, mine_min_activity_share=mine_min_activity_share,
            mine_variant_coverage=mine_variant_coverage, time_budget=time_budget,
        )
        settings.check()
        log = combine([read_parquet(path) for path in logs])
        results = run_discover(log, settings)
        writers = discovery_writers(results, out)
        write_atomically(writers)
    _render(results, settings, out, len(writers))


def _render(results: tuple[Discovery, ...], settings: DiscoverSettings, out: Path, n_files: int) -> None:
    table = Table(title=t("cli.discover.title"), title_justify="left")
    heads = ("office", "process", "cases", "variants", "coverage", "activities", "edges", "fitness", "method")
    for head in heads:
        if head == "coverage":
            label = (t("cli.discover.col.coverage", n=settings.top_variants) if settings.top_variants
                     else t("cli.discover.col.coverage_all"))
        else:
            label = t(f"cli.discover.col.{head}")
        table.add_column(label, justify="left" if head in ("office", "process", "method") else "right")
    for d in results:
        table.add_row(
            d.scope.office,
            d.scope.process or "—",
            format_number(d.dfg.cases),
            format_number(d.n_variants),
            format_share(d.coverage, decimals=1),
            f"{d.shown.activities.height}/{d.dfg.total_activities}",
            f"{d.shown.edges.height}/{d.dfg.total_edges}",
            "—" if d.fitness is None else format_number(d.fitness, decimals=3),
            d.ist.mining.describe() if d.ist.mining else d.ist.miner,
        )
    table.caption = t("cli.discover.caption")
    console.print(table)
    console.print(t("cli.discover.written", n=n_files, out=str(out)))
