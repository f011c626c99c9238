"""Public API, part 4: the whole analysis of a project, the results folder, the report, synthetic logs.

Defaults are those of ``pmtool run``, ``pmtool report`` and ``pmtool simulate``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pmtool.analysis import Analysis
    from pmtool.design.design import SollDesign
    from pmtool.ingest.pseudonymise import PseudonymKey
    from pmtool.project import Project
    from pmtool.report import ReportFiles
    from pmtool.results import RunResult
    from pmtool.simulate.simulator import SimulationResult

#: ``progress(step, detail)`` is told when each step of a run starts.
Progress = Callable[[str, str], None]


def analyse(project: Project, *, key: PseudonymKey | None = None, allow_identifiable: bool = False,
            discover_models: bool = True, cache_dir: str | Path | None = None,
            progress: Progress | None = None) -> Analysis:
    """The whole analysis of a project in memory: import every export, check it against its Soll model,
    discover the Ist models, aggregate per office and compare — what ``pmtool run`` computes, without
    writing the results folder.

    ``key`` pseudonymises the exports (default `load_key`; without a key this refuses unless
    ``allow_identifiable``). ``discover_models=False`` skips the Ist models, which the comparison does not
    need. ``cache_dir`` keeps every step's result under the SHA-256 of its inputs and reuses it next time.
    Raises `PmtoolError` subclasses for bad inputs, naming file, row and column.

    >>> import pmtool as pt
    >>> analysis = pt.analyse(pt.restrict(pt.demo_project(), processes=["P3a"]), key=pt.demo_key(),
    ...                       discover_models=False)
    >>> sorted(analysis.processes), analysis.findings.height > 0
    (['P3a'], True)
    """
    from pmtool.analysis import run_analysis
    from pmtool.api.inputs import load_key
    from pmtool.ingest.pseudonymise import require_key
    from pmtool.stage_cache import StageCache

    key = require_key(key if key is not None else load_key(), allow_identifiable)
    return run_analysis(project, key=key, allow_identifiable=allow_identifiable,
                        progress=progress or _quiet, discover_models=discover_models,
                        store=StageCache(Path(cache_dir)) if cache_dir is not None else None)


def run(project: Project, *, key: PseudonymKey | None = None, allow_identifiable: bool = False,
        out: str | Path | None = None, use_cache: bool = True, lang: str | None = None,
        progress: Progress | None = None) -> RunResult:
    """``pmtool run``: the whole analysis and its results folder (``out``, default the project's output):
    logs, tables, bundles, Ist models and figures, the report in the project's formats and ``manifest.json``.

    ``use_cache`` reuses unchanged steps (``<out>/.cache``); ``lang`` is the language of figures and report
    (default: `set_language`/``PMTOOL_LANG``, else the project's). Raises `PmtoolError` subclasses, and
    then nothing is written; a report that cannot be drawn leaves ``report_status`` ``"failed"``.

    >>> import pmtool as pt, dataclasses, tempfile
    >>> project = pt.restrict(pt.demo_project(), processes=["P3a"], offices=["GA-01", "GA-02", "GA-03"])
    >>> with tempfile.TemporaryDirectory() as out:
    ...     result = pt.run(dataclasses.replace(project, formats=()), key=pt.demo_key(), out=out)
    >>> result.report_status, "manifest.json" in result.files
    ('not_requested', True)
    """
    from pmtool.api.inputs import load_key
    from pmtool.i18n import chosen_language
    from pmtool.ingest.pseudonymise import require_key
    from pmtool.results import run_project

    key = require_key(key if key is not None else load_key(), allow_identifiable)
    return run_project(project, key=key, allow_identifiable=allow_identifiable,
                       output=Path(out) if out is not None else None, use_cache=use_cache,
                       lang=lang or chosen_language() or project.language, progress=progress or _quiet)


def write_report(analysis: Analysis, out: str | Path, *, lang: str | None = None,
                 formats: Sequence[str] = ("html", "pdf"), design: SollDesign | None = None) -> ReportFiles:
    """``pmtool report``: the gap report for the steering committee (``bericht.html``/``.pdf`` in German,
    ``report.*`` in English) in ``out``.

    ``lang`` defaults to `set_language`/``PMTOOL_LANG``, else the project's language; ``formats``: html
    (self-contained) and pdf (PDF/A-2a); ``design`` (from `design_soll`) adds the chapter "Soll-Entwurf":
    the cross-office matrix, the groups and the decision between the Soll candidates. Raises `ConfigError`
    for an unknown language or format and `RenderError` when Graphviz or the PDF engine is missing; then
    nothing is written.

    >>> import pmtool as pt, tempfile
    >>> analysis = pt.analyse(pt.restrict(pt.demo_project(), processes=["P3a"]), key=pt.demo_key())
    >>> with tempfile.TemporaryDirectory() as out:
    ...     files = pt.write_report(analysis, out, lang="en", formats=["html"])
    ...     files.html.name, files.html.stat().st_size > 10_000
    ('report.html', True)
    """
    from pmtool.i18n import chosen_language
    from pmtool.report import build_report

    return build_report(analysis, Path(out), lang=lang or chosen_language(), formats=tuple(formats), design=design)


def simulate_logs(out: str | Path, *, seed: int = 2025, offices: int = 13, scale: float = 1.0, year: int = 2025,
                  processes: Sequence[str] = ("P1", "P2", "P3a"), force: bool = False,
                  adoption: Mapping[str, int] | None = None) -> SimulationResult:
    """``pmtool simulate``: synthetic exports of up to 13 offices in their own dialects, with known deviations
    and their ground truth, into ``out`` (replaced only with ``force``). The same settings give
    byte-identical files. Unlike the command line (default ``data/sample_logs``), ``out`` has no default:
    a notebook should not overwrite the bundled sample data by accident. ``adoption`` maps office → month
    from which that office follows the Soll (``--adopt GA-03=6``): a before/after scenario for
    :func:`adoption`.

    >>> import pmtool as pt, tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     result = pt.simulate_logs(pathlib.Path(folder) / "logs", offices=2, scale=0.05, processes=["P3a"])
    >>> [s.file for s in result.logs]
    ['P3a/GA-01_P3a.csv', 'P3a/GA-02_P3a.csv']
    """
    from pmtool.simulate.simulator import Settings, simulate

    settings = Settings(seed=seed, offices=offices, scale=scale, year=year, processes=tuple(processes),
                        adoption=tuple((adoption or {}).items()))
    return simulate(Path(out), settings, force=force)


def _quiet(step: str, detail: str) -> None:
    return None
