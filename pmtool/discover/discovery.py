"""The discovery stage in one call: per office and process the directly-follows graph, the variant table
and the Ist model, with the settings that produced them.

>>> results = discover(log, DiscoverSettings(noise_threshold=0.2))  # doctest: +SKIP
>>> [(d.scope.office, d.scope.process, d.dfg.cases) for d in results]  # doctest: +SKIP
[('GA-01', 'P1', 120)]
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import polars as pl

from pmtool.conform.alignments import variant_fitness
from pmtool.conform.conformance import MAX_STATES
from pmtool.conform.statespace import fingerprint
from pmtool.discover.dfg import DirectlyFollowsGraph, directly_follows
from pmtool.discover.inductive import IstModel, discover_ist
from pmtool.discover.mining import MiningSettings, mining_log
from pmtool.discover.render import dfg_title
from pmtool.discover.scope import Scope, scopes
from pmtool.discover.variants import coverage, variant_table
from pmtool.errors import ConfigError, Location, RenderError
from pmtool.eventlog.filters import filter_event_log, parse_filters
from pmtool.eventlog.lifecycle import activity_instances, service_times
from pmtool.eventlog.log import EventLog
from pmtool.graphviz import FORMATS
from pmtool.models.petri import PetriNet

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class DiscoverSettings:
    """Every knob of a discovery run; recorded in each run's summary.

    ``process``: only this process (``P1``…), else every process found. ``noise_threshold``: inductive
    miner. ``top_variants``: rows of the variant table (0: all). ``min_edge_share``,
    ``min_activity_share``, ``top_activities``: what the DFG figure hides (the edge table keeps all).
    ``formats``: figure formats. ``fitness``: align the part of the log the miner saw on the Ist model
    (mean case fitness, with ``workers`` processes; results do not depend on them).
    ``miner``, ``mine_max_activities``, ``mine_min_activity_share``, ``mine_variant_coverage`` and
    ``time_budget``: what the miner sees and how long it may take (:mod:`pmtool.discover.mining`)."""

    process: str | None = None
    noise_threshold: float = 0.2
    top_variants: int = 10
    min_edge_share: float = 0.05
    min_activity_share: float = 0.01
    top_activities: int | None = 60  # a figure with hundreds of boxes is neither readable nor quick to lay out
    formats: tuple[str, ...] = ("svg", "png")
    miner: str = "inductive"
    fitness: bool = True
    filters: tuple[str, ...] = ()  # text forms of pmtool.eventlog.filters, applied before anything else
    png_width: int | None = None  # pixels of the PNG maps (e.g. 1600 for a slide); default: 150 dpi, ≤ 6000 px
    mine_max_activities: int | None = 100
    mine_min_activity_share: float = 0.0
    mine_variant_coverage: float = 1.0
    time_budget: float = 30.0
    workers: int = 2

    @property
    def mining(self) -> MiningSettings:
        return MiningSettings(self.miner, self.noise_threshold, self.mine_max_activities,
                              self.mine_min_activity_share, self.mine_variant_coverage, self.time_budget)

    def check(self) -> None:
        """Raise :class:`ConfigError` (or :class:`RenderError` for a format) for values out of range."""
        for name in ("min_edge_share", "min_activity_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError("discover.bad_share", Location(column=name), value=value)
        if not 0.0 <= self.noise_threshold <= 1.0:
            raise ConfigError("discover.bad_noise", Location(), value=self.noise_threshold)
        parse_filters(self.filters)
        self.mining.check()
        for fmt in self.formats:
            if fmt not in FORMATS:
                raise RenderError("render.unknown_format", Location(), name=fmt, known=", ".join(FORMATS))

    def to_dict(self) -> dict:
        out = asdict(self)
        del out["workers"]  # results do not depend on it (and cache keys must not)
        out["formats"] = list(self.formats)
        out["filters"] = list(self.filters)
        return out


@dataclass(frozen=True)
class Discovery:
    """What was found for one office and process. ``dfg`` is complete, ``shown`` its readable view;
    ``variants`` holds the first ``top_variants`` rows (all shares refer to all cases)."""

    scope: Scope
    stem: str  # file name stem: the office, plus the process when the office's log holds several
    dfg: DirectlyFollowsGraph
    shown: DirectlyFollowsGraph
    variants: pl.DataFrame
    n_variants: int
    coverage: float  # share of cases following one of the listed variants
    ist: IstModel
    fitness: float | None
    settings: DiscoverSettings
    service: pl.DataFrame | None = None  # service and waiting time per activity (logs with start events)

    @property
    def title(self) -> str:
        return _titled(dfg_title([self.scope.office], self.scope.process, self.scope.process_name), self.settings)

    def _repr_html_(self) -> str:
        from pmtool.display import html_of  # how Jupyter shows it (pmtool.display)

        return html_of(self)


def _titled(title: str, settings: DiscoverSettings) -> str:
    """The figure title with the filters applied named after it, so a filtered map never passes for a whole
    one."""
    described = parse_filters(settings.filters).describe()
    return f"{title} · Filter: {described}" if described else title


def ist_fitness(log: EventLog, net: PetriNet, *, workers: int = 2) -> float | None:
    """The mean alignment fitness of the cases of ``log`` on ``net`` (pm4py's per-trace fitness, averaged
    over cases); cases whose alignment hits the search bound are left out (``None`` if all do). Alignments
    are exact and, on large Ist models, far faster than pm4py's token-based replay. The fitness of each
    variant is kept for the last few nets (offices often mine the same Ist model), never the moves."""
    names, per_case = log.sequences()
    variants = per_case.group_by("codes", maintain_order=True).len()  # in the order of their first cases
    keys = [tuple(names[i] for i in v) for v in variants["codes"].to_list()]
    scores = variant_fitness(net, keys, workers=workers, max_states=MAX_STATES, known=_known_fitness(net))
    pairs = [(f, n) for f, n in zip(scores, variants["len"].to_list(), strict=True) if f is not None]
    cases = sum(n for _, n in pairs)
    return round(sum(f * n for f, n in pairs) / cases, 9) if cases else None


#: variant fitness by net (structure, not name) for the last few Ist models, newest last
_FITNESS: dict[str, dict[tuple[str, ...], float | None]] = {}
_FITNESS_NETS = 4


def _known_fitness(net: PetriNet) -> dict[tuple[str, ...], float | None]:
    key = fingerprint(net)
    known = _FITNESS.pop(key, None)
    if known is None:
        known = {}
        while len(_FITNESS) >= _FITNESS_NETS:
            del _FITNESS[next(iter(_FITNESS))]
    _FITNESS[key] = known
    return known


def discover(log: EventLog, settings: DiscoverSettings | None = None, *,
             prefiltered: bool = False) -> tuple[Discovery, ...]:
    """Run the discovery stage on ``log``: one :class:`Discovery` per office and process, sorted.
    ``settings.filters`` are applied first, unless ``prefiltered`` says ``log`` is cut by them already (they
    are named in titles and file names either way).

    Raises :class:`InputError` when the log holds no cases of the chosen process, :class:`ConfigError`
    for settings out of range."""
    settings = settings or DiscoverSettings()
    settings.check()
    chosen = parse_filters(settings.filters)
    if chosen and not prefiltered:
        log = filter_event_log(log, chosen.texts, scope=settings.process or "")  # empty: the filter says so
    instances = activity_instances(log)  # start/complete pairs become one activity instance each
    log = instances.log
    parts = scopes(log, settings.process)
    per_office: dict[str, int] = {}
    for part in parts:
        per_office[part.office] = per_office.get(part.office, 0) + 1
    out = []
    for part in parts:
        full = directly_follows(part.log)
        shown = full.filter(min_edge_share=settings.min_edge_share,
                            min_activity_share=settings.min_activity_share,
                            top_activities=settings.top_activities)
        table = variant_table(part.log)
        top = table if settings.top_variants == 0 else table.head(settings.top_variants)
        ist = discover_ist(part.log, noise_threshold=settings.noise_threshold, miner=settings.miner,
                           name=_titled(dfg_title([part.office], part.process, part.process_name), settings),
                           settings=settings.mining)
        # fitness of what the miner saw: activities it was not shown cannot fit, whatever the model
        fitness = (ist_fitness(mining_log(part.log, settings.mining), ist.net, workers=settings.workers)
                   if settings.fitness else None)
        stem = part.office if per_office[part.office] == 1 else f"{part.office}_{part.process or 'other'}"
        stem = "_".join(x for x in (stem, chosen.slug()) if x)  # a filtered map never overwrites a whole one
        out.append(Discovery(scope=part, stem=_UNSAFE.sub("_", stem), dfg=full, shown=shown, variants=top,
                             n_variants=table.height, coverage=coverage(table, top.height), ist=ist,
                             fitness=fitness, settings=settings,
                             service=service_times(part.log) if instances.converted else None))
    return tuple(out)
