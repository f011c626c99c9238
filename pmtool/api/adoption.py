"""Seeing a Soll applied and filing the results: :func:`adoption` (before and after the date a Soll became
binding) and :func:`file_report` (the report as an xdomea message for the e-file)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pmtool.analysis import Analysis
    from pmtool.compare.adoption import Adoption


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
