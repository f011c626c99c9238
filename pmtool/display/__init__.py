"""How pmtool's results show themselves in Jupyter: readable HTML tables and SVG pictures, in the language of
:func:`pmtool.i18n.language` (German unless ``set_language("en")`` or ``PMTOOL_LANG=en``), with the report's
privacy rules (no case ids, no staff, counts below the privacy threshold as "·").

Each public result class has a two-line ``_repr_html_`` that calls :func:`html_of`; the views themselves are
entries of a registry (type name → function), so a new result type is one more entry, not a new branch.
The threshold is the project's ``privacy_threshold`` where the object knows it (an analysis), else
:data:`DEFAULT_K`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import import_module
from typing import Any

from pmtool.display.markup import View

#: The privacy threshold of a view when the object does not carry its project's (the project default).
DEFAULT_K = 5

#: Result type (``module:Class``) → view (``module:function`` taking the object and a :class:`View`).
VIEWS: dict[str, str] = {
    "pmtool.eventlog.log:EventLog": "pmtool.display.logs:eventlog_html",
    "pmtool.eventlog.overview:Overview": "pmtool.display.logs:overview_html",
    "pmtool.ingest.pipeline:IngestResult": "pmtool.display.logs:ingest_html",
    "pmtool.ingest.pipeline:SpooledIngest": "pmtool.display.logs:ingest_html",
    "pmtool.discover.discovery:Discovery": "pmtool.display.logs:discovery_html",
    "pmtool.api.types:Discoveries": "pmtool.display.logs:discoveries_html",
    "pmtool.models.reference:ReferenceModel": "pmtool.display.checks:reference_html",
    "pmtool.conform.conformance:ConformanceResult": "pmtool.display.checks:conformance_html",
    "pmtool.compare.bundle:Bundle": "pmtool.display.checks:bundle_html",
    "pmtool.analysis:ComparisonTables": "pmtool.display.comparison:comparison_html",
    "pmtool.api.types:Findings": "pmtool.display.comparison:findings_html",
    "pmtool.analysis:Analysis": "pmtool.display.comparison:analysis_html",
    "pmtool.report.build:ReportFiles": "pmtool.display.comparison:report_files_html",
    "pmtool.results:RunResult": "pmtool.display.comparison:run_result_html",
    "pmtool.simulate.simulator:SimulationResult": "pmtool.display.comparison:simulation_html",
    "pmtool.design.cross:CrossConformance": "pmtool.display.soll:cross_html",
    "pmtool.design.design:SollDesign": "pmtool.display.soll:design_html",
    "pmtool.compare.adoption:Adoption": "pmtool.display.soll:adoption_html",
    "pmtool.compare.before_after:BeforeAfter": "pmtool.display.soll:before_after_html",
    "pmtool.report.efile:EfileMessage": "pmtool.display.soll:efile_html",
}


def _load(spec: str) -> Any:
    module, _, name = spec.partition(":")
    return getattr(import_module(module), name)


@cache
def _views() -> dict[type, Callable[[Any, View], str]]:
    return {_load(kind): _load(view) for kind, view in VIEWS.items()}


def privacy_threshold(obj: object) -> int:
    """The threshold an object carries (an analysis or run: its project's), else :data:`DEFAULT_K`."""
    project = getattr(getattr(obj, "analysis", obj), "project", None)
    return int(getattr(project, "privacy_threshold", DEFAULT_K))


def html_of(obj: object, *, lang: str | None = None, k: int | None = None) -> str:
    """The HTML view of ``obj`` in ``lang`` (default: pmtool's language) with threshold ``k`` (default: the
    object's, see :func:`privacy_threshold`). Raises ``TypeError`` for a type without a view."""
    from pmtool.i18n import language

    for kind in type(obj).__mro__:
        view = _views().get(kind)
        if view is not None:
            return view(obj, View(lang or language(), k if k is not None else privacy_threshold(obj)))
    raise TypeError(f"no notebook view for {type(obj).__name__}")


__all__ = ["DEFAULT_K", "VIEWS", "View", "html_of", "privacy_threshold"]
