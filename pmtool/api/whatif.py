"""Public API, part 3: compare the offices and ask "what if": accept a deviation, change a rule, and see how
the ranking of the findings changes.

Nothing here changes a file: an acceptance and a changed rule live in memory until you write them into the
allowlist or the rule pack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

    from pmtool.analysis import Analysis, ComparisonTables
    from pmtool.api.types import Findings
    from pmtool.compare.allowlist import Acceptance
    from pmtool.compare.bundle import Bundle
    from pmtool.models.reference import ReferenceModel


def accept(office: str, *, justification: str, item: str | None = None, finding: str | None = None,
           process: str | None = None, accepted_by: str = "", until: date | str | None = None) -> Acceptance:
    """An allowlist entry: ``office`` may deviate in ``item`` (e.g. ``"rule:P3a-Y-INSTRUCTOR"``) or in one
    ``finding`` (its id), for the reason given in ``justification``, perhaps only ``until`` a day. Pass it
    to `compare_offices`; accepted findings stay visible, marked accepted.

    Raises `ConfigError` without a justification or without an item or finding (as the allowlist file).

    >>> import pmtool as pt
    >>> entry = pt.accept("GA-02", item="rule:P3a-Y-INSTRUCTOR", process="P3a",
    ...                   justification="Online-Belehrung durch beauftragten Dienstleister.")
    >>> entry.office, entry.item
    ('GA-02', 'rule:P3a-Y-INSTRUCTOR')
    """
    from pmtool.compare.allowlist import Acceptance
    from pmtool.errors import ConfigError, Location

    if not justification.strip():
        raise ConfigError("allowlist.no_justification", Location("accept()"), n=1)
    if not office or not (item or finding):
        raise ConfigError("allowlist.incomplete", Location("accept()"), n=1)
    if isinstance(until, str):
        try:
            until = date.fromisoformat(until)
        except ValueError:
            raise ConfigError("allowlist.bad_date", Location("accept()"), n=1) from None
    return Acceptance(office=office, justification=justification.strip(), item=item, finding=finding,
                      process=process, accepted_by=accepted_by, until=until)


def change_rule(model: ReferenceModel, rule_id: str, *, within: Mapping[str, float] | None = None,
                due: str | None = None, roles: Sequence[str] | None = None, severity: str | None = None,
                basis: str | None = None) -> ReferenceModel:
    """A new Soll model whose rule ``rule_id`` differs: its deadline (``within``, e.g.
    ``{"working_days": 2}``, and ``due``), its allowed ``roles``, its ``severity`` or ``basis``. The model
    file and the rule pack on disk stay as they are; the changed pack gets a version of its own
    (``<version>+what-if.<hash>``).

    Raises `ConfigError` for an unknown rule id or a value a rule pack file could not hold either.

    >>> import pmtool as pt
    >>> model = pt.load_model(pt.demo_project().processes["P1"].model)
    >>> relaxed = pt.change_rule(model, "P1-L-11-GA", within={"working_days": 2})
    >>> relaxed.rules.by_id["P1-L-11-GA"].amount, model.rules.by_id["P1-L-11-GA"].amount
    (2.0, 1.0)
    """
    from pmtool.models.edit import with_rule_changed

    changes = {"within": dict(within) if within is not None else None, "due": due,
               "roles": list(roles) if roles is not None else None, "severity": severity, "basis": basis}
    return with_rule_changed(model, rule_id, {k: v for k, v in changes.items() if v is not None})


def compare_offices(source: Analysis | Sequence[Bundle | str | Path], *,
                    models: Mapping[str, ReferenceModel] | None = None, accepted: Sequence[Acceptance] = (),
                    allowlist: str | Path | None = None, fdr: float | None = None, min_cases: int | None = None,
                    period: str = "all", as_of: date | datetime | str | None = None) -> ComparisonTables:
    """Compare the offices with each other and the Soll, as ``pmtool compare``: rates with intervals, Fisher
    tests with false-discovery-rate control, shrinkage, scores; ranked findings in words.

    ``source`` is an `Analysis` (its bundles, models and project settings) or bundles and paths (files or
    folders of bundles and canonical logs; logs need ``models``: process id → Soll model). With an analysis,
    ``models`` replaces the Soll model of a process — that process's logs are checked and aggregated again
    with the project's settings — the way to try a changed rule (`change_rule`). ``accepted`` adds
    allowlist entries (`accept`) to the project's allowlist or ``allowlist`` file. ``fdr``, ``min_cases``
    (small-cell threshold), ``period`` and ``as_of`` default to the project's settings, else to the
    command line's.

    >>> import pmtool as pt
    >>> analysis = pt.analyse(pt.restrict(pt.demo_project(), processes=["P3a"]), key=pt.demo_key(),
    ...                       discover_models=False)
    >>> again = pt.compare_offices(analysis)
    >>> again.findings["finding_id"].to_list() == analysis.findings["finding_id"].to_list()
    True
    """

    from pmtool.analysis import Analysis, compare_bundles
    from pmtool.api.inputs import moment
    from pmtool.compare.allowlist import Allowlist, data_day, load_allowlist
    from pmtool.compare.compare import CompareSettings
    from pmtool.compare.gate import GateSettings

    moment_as_of = moment(as_of) if as_of is not None else None
    if isinstance(source, Analysis):
        project = source.project
        references = {pid: pa.reference for pid, pa in source.processes.items()}
        references.update(models or {})
        bundles = _bundles_of(source, references)
        entries = load_allowlist(project.allowlist).entries if project.allowlist and allowlist is None else ()
        settings = CompareSettings(fdr=fdr if fdr is not None else project.comparison.get("fdr", 0.05),
                                   gate=GateSettings(**{k: v for k, v in project.comparison.items() if k != "fdr"}))
        k = min_cases if min_cases is not None else project.privacy_threshold
        moment_as_of = moment_as_of or project.as_of
    else:
        from pmtool.compare.bundle import AggregateSettings
        from pmtool.compare.inputs import CompareInputs, bundles_from_inputs, collect_inputs
        from pmtool.conform.conformance import ConformanceSettings

        references = dict(models or {})
        given = [b for b in source if not isinstance(b, str | Path)]
        paths = [Path(p) for p in source if isinstance(p, str | Path)]
        k = min_cases if min_cases is not None else 5
        found = collect_inputs(paths) if paths else CompareInputs((), ())
        bundles = [*given, *bundles_from_inputs(found, references,
                                                settings=AggregateSettings(suppress_below=k, period=period),
                                                conformance=ConformanceSettings(as_of=moment_as_of))]
        entries = ()
        settings = CompareSettings(fdr=fdr if fdr is not None else 0.05)
    if allowlist is not None:
        entries = load_allowlist(Path(allowlist)).entries
    listed = Allowlist((*entries, *accepted), data_day(bundles, moment_as_of))
    return compare_bundles(bundles, references, settings=settings, allowlist=listed, min_cases=k)


def _bundles_of(analysis: Analysis, references: Mapping[str, ReferenceModel]) -> list[Bundle]:
    """The analysis's bundles; a process whose model was replaced is checked and aggregated again."""
    from pmtool.compare.bundle import AggregateSettings, Bundle, aggregate
    from pmtool.conform.conformance import ConformanceSettings, conform

    project = analysis.project
    coverage = {i.summary.office: i.summary.coverage for i in analysis.ingests}
    out: list[Bundle] = []
    for pid, pa in analysis.processes.items():
        reference = references[pid]
        if reference is pa.reference:
            out.extend(pa.bundles)
            continue
        settings = ConformanceSettings(incomplete=project.incomplete, as_of=project.as_of,
                                       stale_after_days=project.stale_after_days, workers=project.workers)
        result = conform(pa.log, reference, calendars=project.calendars, settings=settings)
        made = aggregate(pa.log, result, reference, AggregateSettings(suppress_below=project.privacy_threshold,
                                                                      period=project.period),
                         coverage={o: c for o, c in coverage.items() if o in set(pa.log.offices)})
        out.extend(Bundle.from_json(b.to_json()) for b in made)  # what leaves an office is the JSON
    return out


def findings(source: Analysis | ComparisonTables, *, process: str | None = None,
             open_only: bool = False) -> Findings:
    """The ranked findings of an analysis or comparison — of one ``process``, or only those not accepted.

    >>> import pmtool as pt
    >>> analysis = pt.analyse(pt.restrict(pt.demo_project(), processes=["P3a"]), key=pt.demo_key(),
    ...                       discover_models=False)
    >>> found = pt.findings(analysis, open_only=True)
    >>> len(found) > 0, sorted(set(found.frame["process"]))
    (True, ['P3a'])
    """
    import polars as pl

    from pmtool.api.types import Findings

    frame = source.findings
    if frame.height and process is not None:
        frame = frame.filter(pl.col("process") == process)
    if frame.height and open_only:
        frame = frame.filter(~pl.col("accepted"))
    return Findings(frame)


def affected_cases(analysis: Analysis, finding: str) -> pl.DataFrame:
    """The cases behind one finding (its id, ``F-…``), under their pseudonyms — what ``pmtool cases`` lists:
    ``office``, ``case_id``, ``variant``, ``first`` and ``last`` event (local time), ``case_status``, for a rule
    its ``clock_start``, ``due``, ``clock_end`` and ``late_hours``, and ``throughput_hours``. Selected exactly as
    the comparison counted them, so there are as many rows as the finding's ``affected``. This is the analyst's
    drill-down inside the office that holds the log; bundles and the report never contain cases. Whoever may
    resolve a pseudonym does so in the office, with its key.

    Raises `ConfigError` for a finding id the analysis does not have.

    >>> import pmtool as pt
    >>> analysis = pt.analyse(pt.restrict(pt.demo_project(), processes=["P3a"]), key=pt.demo_key(),
    ...                       discover_models=False)
    >>> top = analysis.findings.row(0, named=True)
    >>> cases = pt.affected_cases(analysis, top["finding_id"])
    >>> cases.height == top["affected"], cases["case_id"][0].startswith("C-")
    (True, True)
    """
    from pmtool.compare.cases import finding_cases

    return finding_cases(analysis, finding_id=finding)


def rank_changes(before: Analysis | ComparisonTables, after: Analysis | ComparisonTables, *,
                 process: str | None = None) -> pl.DataFrame:
    """How the open findings moved between two comparisons: per finding ``rank_before``, ``rank_after``
    (rank among the open findings of its process; empty when it is not an open finding there),
    ``score_before``, ``score_after`` and ``change`` (positive: moved up).

    >>> import pmtool as pt
    >>> analysis = pt.analyse(pt.restrict(pt.demo_project(), processes=["P3a"]), key=pt.demo_key(),
    ...                       discover_models=False)
    >>> top = pt.findings(analysis, open_only=True).frame.row(0, named=True)
    >>> after = pt.compare_offices(analysis, accepted=[pt.accept(top["office"], item=top["item"],
    ...                            justification="Beispiel: mit der Landesdirektion abgestimmt.")])
    >>> moved = pt.rank_changes(analysis, after)
    >>> moved.filter(moved["finding_id"] == top["finding_id"]).select("rank_before", "rank_after").row(0)
    (1, None)
    """
    import polars as pl

    def ranks(source: Analysis | ComparisonTables, suffix: str) -> pl.DataFrame:
        frame = source.findings
        if frame.height == 0:
            return pl.DataFrame(schema={"finding_id": pl.String, "process": pl.String, "office": pl.String,
                                        "item": pl.String, f"rank_{suffix}": pl.Int64, f"score_{suffix}": pl.Float64})
        frame = frame.filter(~pl.col("accepted"))
        if process is not None:
            frame = frame.filter(pl.col("process") == process)
        return (frame.sort(["process", "rank"])
                .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("process").alias(f"rank_{suffix}"))
                .select("finding_id", "process", "office", "item", f"rank_{suffix}",
                        pl.col("score").alias(f"score_{suffix}")))

    joined = ranks(before, "before").join(ranks(after, "after"), on=["finding_id", "process", "office", "item"],
                                          how="full", coalesce=True)
    return (joined.with_columns((pl.col("rank_before") - pl.col("rank_after")).alias("change"))
            .sort(["process", "rank_before", "rank_after"], nulls_last=True))
