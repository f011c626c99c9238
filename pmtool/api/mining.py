"""Public API, part 2: discover the Ist process, load the Soll, check logs against it, aggregate bundles, and
draw the process map of an office and the Soll with its deviations.

Defaults are those of ``pmtool discover``, ``pmtool conform`` and ``pmtool aggregate``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pmtool.analysis import Analysis
    from pmtool.api.types import Discoveries
    from pmtool.calendar import WorkingCalendar
    from pmtool.compare.bundle import Bundle
    from pmtool.conform.conformance import ConformanceResult
    from pmtool.discover.discovery import Discovery
    from pmtool.display.pictures import Picture
    from pmtool.eventlog.log import EventLog
    from pmtool.models.reference import ReferenceModel


def discover_process(log: EventLog, *, process: str | None = None, noise_threshold: float = 0.2,
                     top_variants: int = 10, min_edge_share: float = 0.05, min_activity_share: float = 0.01,
                     top_activities: int | None = None, miner: str = "inductive",
                     fitness: bool = True, filters: Sequence[str] = ()) -> Discoveries:
    """What each office actually does: per office and process the directly-follows graph, the variants and
    the Ist model (inductive miner), as ``pmtool discover`` finds them.

    ``process`` keeps one process of the vocabulary (``P1``…; default: every process found).
    ``noise_threshold`` (0–1) simplifies the Ist model; ``min_edge_share``, ``min_activity_share`` and
    ``top_activities`` choose what the map hides; ``fitness`` replays the cases on the Ist model.
    ``filters`` (text forms as for `filter_log`) are applied first and named in the map's title.
    Raises `InputError` when nothing of the process is in the log, `ConfigError` for settings out of range.

    >>> import pmtool as pt
    >>> project = pt.demo_project()
    >>> log = pt.read_export(project.exports[0], key=pt.demo_key()).log
    >>> found = pt.discover_process(log, process="P1")
    >>> [(d.scope.office, d.scope.process) for d in found], 0 < found[0].fitness <= 1
    ([('GA-01', 'P1')], True)
    """
    from pmtool.api.types import Discoveries
    from pmtool.discover.discovery import DiscoverSettings, discover

    settings = DiscoverSettings(process=process, noise_threshold=noise_threshold, top_variants=top_variants,
                                min_edge_share=min_edge_share, min_activity_share=min_activity_share,
                                top_activities=top_activities, miner=miner, fitness=fitness,
                                filters=tuple(filters))
    return Discoveries(discover(log, settings))


def process_map(source: EventLog | Discovery | Analysis, *, office: str | None = None, process: str | None = None,
                min_edge_share: float = 0.05, min_activity_share: float = 0.01, top_activities: int | None = None,
                privacy_threshold: int | None = None, lang: str | None = None) -> Picture:
    """The process map (Ist, directly-follows graph) of one office — or of all offices of ``source`` when
    ``office`` is ``None`` — in one call: boxes with case counts, arrows with cases and median waiting times.

    ``source`` is a log, a `Discovery` or an `Analysis` (then ``process`` is needed when it has several).
    Like the report, the map leaves out every activity and transition of fewer than ``privacy_threshold``
    cases (default: the analysis's project, else 5); ``min_edge_share`` and friends hide rare ones on top.
    Raises `PrivacyError` when the office has fewer cases than the threshold.

    >>> import pmtool as pt
    >>> log = pt.read_export(pt.demo_project().exports[0], key=pt.demo_key()).log
    >>> picture = pt.process_map(log, office="GA-01", process="P1")
    >>> picture.title, b"</svg>" in picture.svg
    ('GA-01 · Meldefallbearbeitung (P1)', True)
    """
    from pmtool.analysis import Analysis
    from pmtool.api.inputs import filter_log
    from pmtool.discover.dfg import directly_follows
    from pmtool.discover.discovery import Discovery
    from pmtool.discover.render import dfg_title
    from pmtool.display import DEFAULT_K
    from pmtool.display.pictures import map_picture
    from pmtool.i18n import language
    from pmtool.vocabulary import vocabulary

    k = privacy_threshold or DEFAULT_K
    if isinstance(source, Discovery):
        dfg, title = source.dfg, source.title
    else:
        configured = None
        if isinstance(source, Analysis):
            k = privacy_threshold or source.project.privacy_threshold
            process = _one_process(source, process)
            configured = source.project.processes[process].name
            part = filter_log(source.processes[process].log, offices=[office] if office else None)
        else:
            part = filter_log(source, offices=[office] if office else None, process=process)
        known = vocabulary().processes
        name = configured or (known[process].name if process in known else None)
        dfg, title = directly_follows(part), dfg_title([office] if office else part.offices, process, name)
    shown = dfg.filter(min_edge_share=min_edge_share, min_activity_share=min_activity_share,
                       top_activities=top_activities)
    return map_picture(shown, title=title, k=k, lang=lang or language())


def load_model(source: str | Path | Discovery, *, rules: str | Path | None = None) -> ReferenceModel:
    """A Soll model (``.bpmn`` or ``.pnml``) with its rule pack (default ``<model>.rules.toml`` beside it), or
    the Ist model of a `Discovery` as a model to check logs against.

    Raises `ModelError` for a model pmtool cannot use and `ConfigError` for a broken rule pack, naming file
    and rule.

    >>> import pmtool as pt
    >>> model = pt.load_model(pt.demo_project().processes["P3a"].model)
    >>> model.process, model.rules.id
    ('P3a', 'P3a-soll')
    """
    from pmtool.discover.discovery import Discovery
    from pmtool.models.reference import load_reference

    if isinstance(source, Discovery):
        return _ist_model(source)
    return load_reference(Path(source), Path(rules) if rules is not None else None)


def soll_map(source: ReferenceModel | Analysis, *, process: str | None = None,
             conformance: ConformanceResult | None = None, privacy_threshold: int | None = None,
             lang: str | None = None) -> Picture:
    """The Soll process as a flow chart (from its BPMN file), in one call with the deviations overlaid:
    each activity shaded by the share of cases in which it is skipped, out of order, inserted or repeated,
    naming the offices that stand out.

    ``source`` is a Soll model — plain, or overlaid with the deviations of ``conformance`` (a result of
    `check_conformance`) — or an `Analysis`, whose comparison gives the overlay of ``process`` as in the
    report. No share that fewer than ``privacy_threshold`` cases (default 5, or the project's) make up is
    shown.

    >>> import pmtool as pt
    >>> project = pt.demo_project()
    >>> model = pt.load_model(project.processes["P1"].model)
    >>> log = pt.read_export(project.exports[0], key=pt.demo_key()).log
    >>> overlaid = pt.soll_map(model, conformance=pt.check_conformance(log, model))
    >>> b"</svg>" in overlaid.svg, len(overlaid.legend)
    (True, 6)
    """
    from pmtool.analysis import Analysis
    from pmtool.display import DEFAULT_K
    from pmtool.display.pictures import soll_picture
    from pmtool.i18n import language, t
    from pmtool.report.conform_figures import conformance_overlay

    lang = lang or language()
    if isinstance(source, Analysis):
        import polars as pl

        from pmtool.report.process_tables import overlay_data
        from pmtool.report.summary import process_name

        process = _one_process(source, process)
        table = source.comparison.table
        part = table.filter(pl.col("process") == process) if table.height else table
        return soll_picture(source.processes[process].reference, lang=lang, overlay=overlay_data(part),
                            title=t("report.overlay.title", lang, name=process_name(source, process, lang)))
    if conformance is None:
        return soll_picture(source, lang=lang)
    k = privacy_threshold or DEFAULT_K
    return soll_picture(source, lang=lang, overlay=conformance_overlay(conformance, min_cases=k))


def check_conformance(log: EventLog, model: ReferenceModel, *, method: str = "alignments",
                      incomplete: str = "pending", as_of: date | datetime | str | None = None,
                      stale_after_days: int = 90, workers: int = 2,
                      calendars: Mapping[str, WorkingCalendar] | None = None) -> ConformanceResult:
    """Check a log against a Soll model, as ``pmtool conform``: fitness, precision and F1 per office, typed
    deviations per case and the rule pack's deadlines (Saxon working days), order, mandatory and role rules.

    ``method``: ``alignments`` (exact) or ``token_replay`` (fast, approximate, labelled as such).
    ``incomplete``: how running cases count (``pending``, ``violation``, ``exclude``). ``as_of``: the
    moment of the check (default: the last event). ``calendars``: working-day calendar per office (default:
    Saxony's). Raises `ModelError` when the model cannot be aligned against.

    >>> import pmtool as pt
    >>> project = pt.demo_project()
    >>> log = pt.read_export(project.exports[0], key=pt.demo_key()).log
    >>> result = pt.check_conformance(log, pt.load_model(project.processes["P1"].model))
    >>> result.summary["office"].to_list(), 0 < result.summary["fitness"][0] <= 1
    (['GA-01'], True)
    """
    from pmtool.api.inputs import moment
    from pmtool.conform.conformance import ConformanceSettings, conform

    settings = ConformanceSettings(method=method, incomplete=incomplete,
                                   as_of=moment(as_of) if as_of is not None else None,
                                   stale_after_days=stale_after_days, workers=workers)
    return conform(log, model, calendars=calendars, settings=settings)


def aggregate(log: EventLog, model: ReferenceModel, *, period: str = "all", suppress_below: int = 5,
              as_of: date | datetime | str | None = None, stale_after_days: int = 90, incomplete: str = "pending",
              workers: int = 2) -> tuple[Bundle, ...]:
    """What each office of ``log`` would share, as ``pmtool aggregate``: one bundle per office with, per
    deviation and rule, the eligible and affected cases and impact sums — counts below ``suppress_below``
    removed. ``period`` only labels the bundle (the log is not filtered).

    >>> import pmtool as pt
    >>> project = pt.demo_project()
    >>> log = pt.read_export(project.exports[0], key=pt.demo_key()).log
    >>> bundles = pt.aggregate(log, pt.load_model(project.processes["P1"].model), period="2025")
    >>> [(b.office, b.process, b.period) for b in bundles]
    [('GA-01', 'P1', '2025')]
    """
    from pmtool.api.inputs import moment
    from pmtool.compare.bundle import AggregateSettings
    from pmtool.compare.inputs import aggregate_log
    from pmtool.conform.conformance import ConformanceSettings

    settings = ConformanceSettings(incomplete=incomplete, as_of=moment(as_of) if as_of is not None else None,
                                   stale_after_days=stale_after_days, workers=workers)
    return tuple(aggregate_log(log, model, settings=AggregateSettings(suppress_below=suppress_below, period=period),
                               conformance=settings))


def map_explorer(source: EventLog | Analysis, *, noise_threshold: float = 0.2, min_edge_share: float = 0.05,
                 privacy_threshold: int | None = None) -> Any:
    """An interactive process map for the notebook: choose office, process and period, and the noise
    threshold of the Ist model; the map and the Ist model are drawn again on every change.

    Returns an ``ipywidgets`` box (needs ``pip install 'pmtool[notebooks]'``; `ConfigError` says so when
    missing) whose controls are ``office``, ``process``, ``period`` and ``noise``; ``pictures`` holds what
    it shows. Privacy as in `process_map`.

    >>> import pmtool as pt
    >>> log = pt.read_export(pt.demo_project().exports[0], key=pt.demo_key()).log
    >>> explorer = pt.map_explorer(log)
    >>> explorer.office.value, explorer.process.value, len(explorer.pictures)
    ('GA-01', 'P1', 2)
    """
    try:
        from pmtool.display.explorer import MapExplorer
    except ImportError as exc:
        from pmtool.errors import ConfigError, Location

        raise ConfigError("api.needs_widgets", Location(), reason=str(exc)) from None
    return MapExplorer(source, noise_threshold=noise_threshold, min_edge_share=min_edge_share,
                       privacy_threshold=privacy_threshold)


def _one_process(analysis: Analysis, process: str | None) -> str:
    from pmtool.errors import ConfigError, Location

    known = list(analysis.processes)
    if process is None and len(known) == 1:
        return known[0]
    if process not in known:
        raise ConfigError("api.unknown_choice", Location(), key="process", value=process or "—",
                          known=", ".join(known))
    return process


def _ist_model(found: Discovery) -> ReferenceModel:
    """The Ist model of a discovery as a model to check against (no rules, no roles)."""
    import hashlib

    from pmtool.discover.pnml_export import pnml_xml
    from pmtool.models.bpmn import ConversionReport
    from pmtool.models.petri import closing_labels
    from pmtool.models.reference import ReferenceModel

    net = found.ist.net
    return ReferenceModel(found.title, found.scope.process, net, {}, None, ConversionReport(),
                          f"{found.stem}_ist.pnml", hashlib.sha256(pnml_xml(net)).hexdigest(), {},
                          closing_labels(net))
