"""Seeing a Soll applied and filing the results: :func:`adoption` (before and after the date a Soll became
binding) and :func:`file_report` (the report as an xdomea message for the e-file)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pmtool.analysis import Analysis
    from pmtool.compare.adoption import Adoption
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
