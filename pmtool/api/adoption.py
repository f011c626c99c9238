"""Seeing a Soll applied and filing the results: :func:`adoption` (before and after the date a Soll became
binding), :func:`before_after` (one office compared with itself around a date) and :func:`file_report` (the
report as an xdomea message for the e-file)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pmtool.analysis import Analysis
    from pmtool.compare.adoption import Adoption
    from pmtool.compare.before_after import BeforeAfter
    from pmtool.eventlog.log import EventLog
    from pmtool.models.reference import ReferenceModel
    from pmtool.project import Project
    from pmtool.report.efile import EfileMessage


def adoption(analysis: Analysis, *, process: str, alpha: float = 0.05) -> Adoption:
    """How the offices took up ``process``'s Soll: per office and month the share of conforming cases and
    each rule's compliance, before and after the date the Soll became binding (``processes.<id>.valid_from``
    in the project file, else the rule pack's ``valid_from``), with a segmented-regression estimate of the
    level and slope change and its ``1 − alpha`` interval, and the offices that have not adopted it
    (``.not_adopted``). Months with fewer cases than the privacy threshold are left out.

    Raises `ConfigError` for a process the analysis does not have.

    >>> import pmtool as pt
    >>> analysis = pt.analyse(pt.restrict(pt.demo_project(), processes=["P3a"]), key=pt.demo_key(),
    ...                       discover_models=False)
    >>> result = pt.adoption(analysis, process="P3a")
    >>> result.binding_month, result.estimable    # the demo's Soll is binding from its first month
    ('2025-01', False)
    """
    from pmtool.compare.adoption import adoption_of
    from pmtool.errors import ConfigError, Location

    if process not in analysis.processes:
        raise ConfigError("adoption.unknown_process", Location(), process=process,
                          known=", ".join(analysis.processes))
    return adoption_of(analysis, process, alpha=alpha)


def file_report(project: Project, *, results: str | Path | None = None, out: str | Path | None = None,
                lang: str | None = None) -> EfileMessage:
    """``pmtool efile``: the results of `run` — the report as PDF/A, its annex, the report's tables and
    ``manifest.json`` — as one xdomea 3.0.0 message ``FVDaten.SGOAblegen.0605`` (a zip with the XML and the
    primary documents) for import into the document-management system. Betreff, Aktenzeichen, Urheber and
    Datum come from the project's ``[efile]`` table. ``results``: the run's folder (default: the project's
    output); ``out``: where the zip goes (default ``<results>/efile``).

    Raises `ConfigError` without ``[efile]``, `InputError` when the PDF report or the manifest is missing.

    >>> import pmtool as pt
    >>> pt.file_report(pt.demo_project(), results="/nowhere")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    pmtool.errors.ConfigError: ...
    """
    from pmtool.i18n import chosen_language
    from pmtool.report.efile import file_results

    folder = Path(results) if results is not None else project.output
    return file_results(folder, project.efile, lang=lang or chosen_language() or project.language,
                        out=Path(out) if out is not None else None)
def before_after(source: Analysis | EventLog, model: ReferenceModel | None = None, *, offices: Sequence[str],
                 at: date | str | None = None, periods: Sequence[str] = (), process: str | None = None,
                 filters: Sequence[str] = (), min_cases: int | None = None,
                 as_of: date | datetime | str | None = None, fdr: float = 0.05) -> BeforeAfter:
    """One office (or a group, pooled) compared with itself, as ``pmtool before-after``: its cases started
    before ``at`` against those started on or after it — or those started in the first of two ``periods``
    (``"2025-01-01..2025-03-31"``) against the second — as two pseudo-offices through the same conformance,
    tests and statements as offices. The comparability gate's period-overlap condition is off for this
    comparison only (``.note()`` says so); ``.maps`` holds both sides' directly-follows graphs and
    ``.difference`` each transition's change (more/less frequent, slower/faster).

    ``source`` is an `Analysis` (with ``process``: its log, Soll model, calendars, threshold and as-of) or an
    `EventLog` with its Soll ``model``. ``filters`` (text forms as for `filter_log`) are applied first.
    Raises `InputError` when a side has fewer cases than the privacy threshold.

    >>> import pmtool as pt
    >>> analysis = pt.analyse(pt.restrict(pt.demo_project(), processes=["P3a"]), key=pt.demo_key(),
    ...                       discover_models=False)
    >>> result = pt.before_after(analysis, process="P3a", offices=["GA-01"], at="2025-07-01")
    >>> list(result.names.values()), result.relaxed
    (['GA-01 before 2025-07-01', 'GA-01 from 2025-07-01'], ('min_period_overlap',))
    """
    from pmtool.analysis import Analysis
    from pmtool.api.inputs import moment
    from pmtool.compare.before_after import Split, parse_period
    from pmtool.compare.before_after import before_after as compute
    from pmtool.compare.gate import GateSettings
    from pmtool.errors import ConfigError, Location
    from pmtool.eventlog.filters import filter_event_log

    calendars = None
    gate = None
    if isinstance(source, Analysis):
        if process not in source.processes:
            raise ConfigError("adoption.unknown_process", Location(), process=process or "—",
                              known=", ".join(source.processes))
        pa = source.processes[process]
        log, model = pa.log, model or pa.reference
        calendars = source.project.calendars
        k = min_cases if min_cases is not None else source.project.privacy_threshold
        as_of = as_of if as_of is not None else source.project.as_of
        gate = GateSettings(**{k2: v for k2, v in source.project.comparison.items() if k2 != "fdr"})
    else:
        if model is None:
            raise ConfigError("before_after.no_model", Location())
        log, k = source, min_cases if min_cases is not None else 5
    if isinstance(at, str):
        at = date.fromisoformat(at)
    if at is not None:
        split = Split(at=at)
    elif len(periods) == 2:
        split = Split(first=parse_period(periods[0]), second=parse_period(periods[1]))
    else:
        split = Split()  # neither: Split.check names what is missing
    log = filter_event_log(log, filters, scope=model.process)
    return compute(log, model, offices=offices, split=split, privacy_threshold=k,
                   as_of=moment(as_of) if as_of is not None else None, calendars=calendars, fdr=fdr, gate=gate)
