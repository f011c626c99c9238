"""The files of a discovery, as bytes: figures, tables, models and a summary, the same bytes for the same
log and settings. Writing them (atomically) is the caller's business.

Per office (and process, see :attr:`Discovery.stem`): ``<stem>_dfg.svg``/``.png`` (figure),
``<stem>_dfg_edges.csv``/``.parquet`` (every edge, with ``shown`` = in the figure), ``<stem>_variants.csv``,
``<stem>_ist.bpmn``, ``<stem>_ist.pnml``, ``<stem>_ist_net.svg``/``.png`` and ``<stem>_discover.json``
(settings, counts, sources: how to reproduce the run).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path

import polars as pl

from pmtool import __version__, interrupts
from pmtool.discover.bpmn_export import bpmn_diagram, bpmn_xml
from pmtool.discover.dfg import bottlenecks
from pmtool.discover.discovery import Discovery
from pmtool.discover.pnml_export import pnml_xml
from pmtool.discover.render import render_dfg
from pmtool.discover.render_net import render_net
from pmtool.errors import Location, RenderError
from pmtool.formatting import format_number
from pmtool.graphviz import concurrently
from pmtool.i18n import language, t
from pmtool.sinks import spreadsheet_csv

Writer = Callable[[Path], None]
#: Name prefix of a figure Graphviz could not draw: the entry holds the reason instead of the figure.
NOT_DRAWN = ".not-drawn/"


def edge_table(d: Discovery) -> pl.DataFrame:
    """All edges of the DFG with ``shown`` (true when the figure draws them), in the graph's order."""
    shown = d.shown.edges.select("source", "target").with_columns(pl.lit(True).alias("shown"))
    return (d.dfg.edges.join(shown, on=["source", "target"], how="left", maintain_order="left")
            .with_columns(pl.col("shown").fill_null(False)))


def summary(d: Discovery) -> dict:
    """The facts of one discovery and how it was made (no timestamps, so reruns compare equal)."""
    prov = d.scope.log.provenance
    return {
        "office": d.scope.office,
        "process": d.scope.process,
        "process_name": d.scope.process_name,
        "cases": d.dfg.cases,
        "events": d.dfg.events,
        "period_start": d.dfg.period_start.isoformat() if d.dfg.period_start else None,
        "period_end": d.dfg.period_end.isoformat() if d.dfg.period_end else None,
        "activities": d.dfg.total_activities,
        "activities_shown": d.shown.activities.height,
        "edges": d.dfg.total_edges,
        "edges_shown": d.shown.edges.height,
        "variants": d.n_variants,
        "variants_listed": d.variants.height,
        "coverage_of_listed_variants": d.coverage,
        "ist_model": {"miner": d.ist.miner, "noise_threshold": d.ist.noise_threshold,
                      "tree": d.ist.tree.to_text(), "places": len(d.ist.net.places),
                      "transitions": len(d.ist.net.transitions),
                      "alignment_fitness": d.fitness,  # of the cases as the miner saw them
                      "mining": d.ist.mining.to_dict() if d.ist.mining else None,
                      "method": d.ist.mining.describe("en") if d.ist.mining else None},
        "settings": d.settings.to_dict(),
        "sources": [{"file": s.file, "sha256": s.sha256, "office": s.office} for s in prov.sources],
        "pseudonymised": prov.pseudonymised,
        "pmtool_version": __version__,
    }


def drawing_tasks(d: Discovery, lang: str | None = None) -> dict[str, Callable[[], bytes]]:
    """File name → making of each file of one discovery that Graphviz lays out: the figures (DFG and Ist net
    in every format asked for, the slow PNGs first) and the BPMN model (its diagram placed by ``dot``); for
    :func:`~pmtool.graphviz.concurrently` or :class:`~pmtool.graphviz.Drawings`."""
    lang = lang or language()
    method = _method(d, lang)
    subtitle = method or t("render.net_ist", lang, noise=format_number(
        d.ist.noise_threshold, lang, 2).rstrip("0").rstrip(",."))
    tasks: dict[str, Callable[[], bytes]] = {}
    for fmt in sorted(d.settings.formats, key=lambda fmt: fmt != "png"):
        tasks[f"{d.stem}_dfg.{fmt}"] = lambda fmt=fmt: render_dfg(d.shown, title=d.title, fmt=fmt, lang=lang,
                                                                  width_px=d.settings.png_width)
        tasks[f"{d.stem}_ist_net.{fmt}"] = lambda fmt=fmt: render_net(d.ist.net, title=d.title, subtitle=subtitle,
                                                                      fmt=fmt, lang=lang)
    ist_title = f"{d.title} · {method}" if method else d.title  # a filtered or fallback model says so
    tasks[f"{d.stem}_ist.bpmn"] = lambda: bpmn_xml(bpmn_diagram(d.ist.tree, ist_title))
    return tasks


def discovery_files(d: Discovery, lang: str | None = None,
                    laid_out: Mapping[str, Future[bytes | RenderError]] | None = None) -> dict[str, bytes]:
    """File name → content for one discovery. Raises ``RenderError`` when Graphviz is missing; a figure
    Graphviz cannot draw (or not in time) is listed as ``NOT_DRAWN + name`` with the reason as content (see
    :func:`drawn`), so the other figures and offices are not lost. ``laid_out``: the files of
    :func:`drawing_tasks` already queued (:class:`~pmtool.graphviz.Drawings`); without them, they are made
    here."""
    stem = d.stem
    drawings = concurrently(drawing_tasks(d, lang)) if laid_out is None else _Waiting(laid_out)
    files: dict[str, bytes] = {}
    for fmt in d.settings.formats:
        _draw(files, f"{stem}_dfg.{fmt}", drawings)
    edges = edge_table(d)
    files[f"{stem}_dfg_edges.csv"] = spreadsheet_csv(edges)
    buffer = io.BytesIO()
    edges.write_parquet(buffer, statistics=False)
    files[f"{stem}_dfg_edges.parquet"] = buffer.getvalue()
    files[f"{stem}_variants.csv"] = spreadsheet_csv(d.variants)
    files[f"{stem}_bottlenecks.csv"] = spreadsheet_csv(bottlenecks(d.dfg))
    if d.service is not None:
        files[f"{stem}_activities.csv"] = spreadsheet_csv(d.service)
    bpmn = drawings[f"{stem}_ist.bpmn"]
    if isinstance(bpmn, RenderError):  # the model is not a figure: without its layout there is no result
        raise bpmn
    files[f"{stem}_ist.bpmn"] = bpmn
    files[f"{stem}_ist.pnml"] = pnml_xml(d.ist.net)
    for fmt in d.settings.formats:
        _draw(files, f"{stem}_ist_net.{fmt}", drawings)
    files[f"{stem}_discover.json"] = (json.dumps(summary(d), ensure_ascii=False, indent=2, sort_keys=True)
                                      + "\n").encode("utf-8")
    return files


def _method(d: Discovery, lang: str) -> str:
    """How the Ist model was made, when a filter or fallback made it differently ("" for the plain miner)."""
    return d.ist.mining.describe(lang) if d.ist.mining else ""


class _Waiting(dict):
    """Queued files by name; looking one up waits until it is made."""

    def __getitem__(self, name: str) -> bytes | RenderError:
        return interrupts.result(super().__getitem__(name))  # a Ctrl-C is seen while waiting


def _draw(files: dict[str, bytes], name: str, pictures: Mapping[str, bytes | RenderError]) -> None:
    picture = pictures[name]
    if not isinstance(picture, RenderError):
        files[name] = picture
    elif picture.key == "render.no_graphviz":
        raise picture
    else:
        files[NOT_DRAWN + name] = picture.render().encode("utf-8")


def drawn(files: dict[str, bytes]) -> tuple[dict[str, bytes], dict[str, str]]:
    """``files`` split into the files to write and the figures not drawn (name → reason)."""
    failed = {name.removeprefix(NOT_DRAWN): data.decode("utf-8") for name, data in files.items()
              if name.startswith(NOT_DRAWN)}
    return {name: data for name, data in files.items() if not name.startswith(NOT_DRAWN)}, failed


def discovery_writers(results: tuple[Discovery, ...], out_dir: Path,
                      lang: str | None = None) -> dict[Path, Writer]:
    """Target path → writer for every file of ``results``, for :func:`pmtool.ingest.output.write_atomically`.
    Everything is rendered here, before any file is touched."""
    writers: dict[Path, Writer] = {}
    for d in results:
        files, failed = drawn(discovery_files(d, lang))
        if failed:  # a command of its own has no other offices to save: the first reason is the error
            name, reason = next(iter(failed.items()))
            raise RenderError("render.not_drawn", Location(name), reason=reason)
        for name, data in files.items():
            writers[out_dir / name] = lambda path, data=data: path.write_bytes(data)  # type: ignore[misc]
    return writers
