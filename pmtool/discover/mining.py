"""Mining the Ist model in bounded time and memory on logs of any size, and saying how it was mined.

Real logs have hundreds of activities and nearly one variant per case. Three things keep discovery bounded:

1. **Filtering what is mined.** The miner sees only the ``max_activities`` activities occurring in most
   cases (and those in at least ``min_activity_share`` of the cases), and the most frequent variants that
   together cover ``variant_coverage`` of the cases. The share of activities, cases and events kept is
   recorded (:class:`Mining`) and named wherever the model is shown; the DFG, the variant table and the
   conformance check always use the whole log.
2. **A time budget.** The chosen miner (default: the inductive miner on the log, pm4py's IMf) runs in a
   helper process (:mod:`pmtool.discover.budget`) for at most ``time_budget`` seconds.
3. **A labelled fallback.** When the budget runs out, the model comes from the inductive miner on the
   directly-follows graph (IMd), whose cost grows with the number of activities, not of cases — and the
   model says so (``Mining.fallback``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import polars as pl

from pmtool.discover.budget import mine_within
from pmtool.errors import ConfigError, Location
from pmtool.eventlog import schema
from pmtool.eventlog.log import EventLog
from pmtool.i18n import language, t
from pmtool.models.petri import PetriNet
from pmtool.models.tree import ProcessTree

FALLBACK_MINER = "inductive_dfg"
#: Method names as the outputs give them.
METHOD_NAMES = {"inductive": "IMf", "inductive_dfg": "IMd"}


@dataclass(frozen=True)
class MiningSettings:
    """``miner``: "inductive" (IMf on the log) or "inductive_dfg" (IMd on the directly-follows graph);
    ``max_activities`` (None: all), ``min_activity_share`` of cases and ``variant_coverage`` choose what the
    miner sees; ``time_budget`` seconds for the miner before the fallback (IMd) is used."""

    miner: str = "inductive"
    noise_threshold: float = 0.2
    max_activities: int | None = 100
    min_activity_share: float = 0.0
    variant_coverage: float = 1.0
    time_budget: float = 30.0

    def check(self) -> None:
        if self.max_activities is not None and self.max_activities < 1:
            raise ConfigError("discover.bad_value", Location(column="max_activities"), value=self.max_activities,
                              expected="≥ 1")
        for name in ("min_activity_share", "variant_coverage"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError("discover.bad_share", Location(column=name), value=getattr(self, name))
        if not self.time_budget > 0:
            raise ConfigError("discover.bad_value", Location(column="time_budget"), value=self.time_budget,
                              expected="> 0 seconds")


@dataclass(frozen=True)
class Mining:
    """How an Ist model was mined: the miner asked for and the one used, what it saw of the log, and why a
    fallback was used (``None``: none)."""

    requested: str
    method: str
    noise_threshold: float
    activities: int
    activities_total: int
    cases: int
    cases_total: int
    events: int
    events_total: int
    variants: int
    variants_total: int
    time_budget: float
    fallback: str | None = None  # "time_budget" | "memory_budget"

    @property
    def filtered(self) -> bool:
        return self.events < self.events_total or self.cases < self.cases_total

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self, lang: str | None = None) -> str:
        """One line: method, what was kept, and the fallback if any (German or English)."""
        method = t(f"discover.method.{self.method}", lang, noise=_number(self.noise_threshold, lang))
        text = method
        if self.filtered or self.activities < self.activities_total:
            text += t("discover.mined_part", lang, activities=self.activities, total=self.activities_total,
                      events=_share(self.events, self.events_total, lang),
                      cases=_share(self.cases, self.cases_total, lang))
        if self.fallback:
            requested = t(f"discover.method.{self.requested}", lang, noise=_number(self.noise_threshold, lang))
            text += t(f"discover.fallback.{self.fallback}", lang, requested=requested,
                      seconds=_number(self.time_budget, lang))
        return text


def _number(value: float, lang: str | None) -> str:
    text = f"{value:g}"
    return text.replace(".", ",") if (lang or language()) == "de" else text


def _share(part: int, whole: int, lang: str | None) -> str:
    value = 100 * part / whole if whole else 100.0
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return (text.replace(".", ",") + "\u202f%") if (lang or language()) == "de" else text + "%"


def mining_log(log: EventLog, settings: MiningSettings) -> EventLog:
    """The part of ``log`` the miner sees: frequent activities (by cases), then frequent variants."""
    frame = log.frame
    key = [schema.OFFICE, schema.CASE_ID]
    everything = settings.min_activity_share == 0.0 and (  # every activity is kept: no need to count them
        settings.max_activities is None or frame[schema.ACTIVITY].n_unique() <= settings.max_activities)
    if everything and settings.variant_coverage >= 1.0:
        return log
    cases = frame.select(key).unique().height
    per_activity = (frame.group_by(schema.ACTIVITY).agg(pl.struct(key).n_unique().alias("cases"))
                    .sort(["cases", schema.ACTIVITY], descending=[True, False]))
    keep = per_activity.filter(pl.col("cases") >= settings.min_activity_share * cases)
    if settings.max_activities is not None:
        keep = keep.head(settings.max_activities)
    if not everything and keep.height < per_activity.height:
        frame = frame.filter(pl.col(schema.ACTIVITY).is_in(keep[schema.ACTIVITY].to_list()))
    if settings.variant_coverage < 1.0 and frame.height:
        _, per_case = EventLog(frame, log.provenance).sequences()  # (the variants' texts are not needed)
        variants = (per_case.group_by("codes").agg(pl.len().alias("n"), pl.first(schema.CASE_ID).alias("first"))
                    .sort(["n", "first"], descending=[True, False]))
        total = int(variants["n"].sum())
        covered = variants["n"].cum_sum() - variants["n"]  # cases covered before each variant
        chosen = variants.filter(covered < settings.variant_coverage * total)["codes"]
        kept = per_case.filter(pl.col("codes").is_in(chosen.implode())).select(key)
        frame = frame.join(kept, on=key, how="semi", maintain_order="left")
    return EventLog.from_frame(frame, log.provenance, assume_sorted=True)


def _variants(log: EventLog) -> int:
    return log.sequences()[1]["codes"].n_unique()


def mine(log: EventLog, settings: MiningSettings) -> tuple[ProcessTree, Mining]:
    """The Ist process tree of ``log`` within the budget, and how it was mined. Raises
    :class:`~pmtool.errors.ModelError` when the log is empty after filtering or the miner fails."""
    tree, mining, _ = mine_model(log, settings)
    return tree, mining


def mine_model(log: EventLog, settings: MiningSettings,
               net_name: str | None = None) -> tuple[ProcessTree, Mining, PetriNet | None]:
    """:func:`mine`, and with ``net_name`` the tree's Petri net of that name when the helper process that mined
    it could convert it (``None`` otherwise: the fallback miner runs here)."""
    from pmtool.discover.inductive import MINERS

    settings.check()
    if settings.miner not in MINERS:
        raise ConfigError("discover.unknown_miner", Location(), name=settings.miner, known=", ".join(MINERS))
    part = mining_log(log, settings)
    if part.frame.height == 0:
        raise ConfigError("discover.nothing_to_mine", Location())
    result = mine_within(settings.miner, part, noise_threshold=settings.noise_threshold,
                         seconds=settings.time_budget, net_name=net_name)
    method, fallback, net = settings.miner, None, None
    if isinstance(result, str):  # over budget: the labelled fallback, which scales with activities only
        method, fallback = FALLBACK_MINER, result
        tree = MINERS[FALLBACK_MINER](part, settings.noise_threshold)
    else:
        tree, net = result
    activities, cases, variants = part.frame[schema.ACTIVITY].n_unique(), part.n_cases, _variants(part)
    whole = (activities, cases, variants) if part is log else (  # the miner saw all of it
        log.frame[schema.ACTIVITY].n_unique(), log.n_cases, _variants(log))
    mining = Mining(
        requested=settings.miner, method=method, noise_threshold=settings.noise_threshold,
        activities=activities, activities_total=whole[0], cases=cases, cases_total=whole[1],
        events=part.frame.height, events_total=log.frame.height, variants=variants,
        variants_total=whole[2], time_budget=settings.time_budget, fallback=fallback)
    return tree, mining, net
