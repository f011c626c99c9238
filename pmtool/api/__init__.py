"""The implementation of pmtool's public API (re-exported as ``pmtool.*``; see :mod:`pmtool`).

The verbs live in five modules by stage (:mod:`~pmtool.api.inputs`, :mod:`~pmtool.api.mining`,
:mod:`~pmtool.api.whatif`, :mod:`~pmtool.api.runs`, :mod:`~pmtool.api.design`) and import the stage packages
only when called; the result types are loaded from their home modules on first use (:data:`TYPES`), so
``import pmtool`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from pmtool import __all__ as _PUBLIC
from pmtool.api.adoption import adoption, before_after, file_report
from pmtool.api.design import cross_conformance, design_soll, export_soll
from pmtool.api.inputs import (
    demo_key,
    demo_project,
    filter_log,
    inspect,
    load_key,
    load_project,
    new_key,
    read_database,
    read_export,
    read_log,
    restrict,
    set_language,
)
from pmtool.api.mining import (
    aggregate,
    check_conformance,
    discover_process,
    load_model,
    map_explorer,
    process_map,
    soll_map,
)
from pmtool.api.runs import analyse, run, simulate_logs, write_report
from pmtool.api.whatif import accept, affected_cases, change_rule, compare_offices, findings, rank_changes

#: Public result and input types → their home module (loaded on first use).
TYPES: dict[str, str] = {
    "Project": "pmtool.project", "ExportSource": "pmtool.project", "PseudonymKey": "pmtool.ingest.pseudonymise",
    "MappingProfile": "pmtool.ingest.profile", "EventLog": "pmtool.eventlog.log",
    "Overview": "pmtool.eventlog.overview", "IngestResult": "pmtool.ingest.pipeline",
    "Discovery": "pmtool.discover.discovery", "Discoveries": "pmtool.api.types",
    "ReferenceModel": "pmtool.models.reference", "ConformanceResult": "pmtool.conform.conformance",
    "Bundle": "pmtool.compare.bundle", "Acceptance": "pmtool.compare.allowlist",
    "ComparisonTables": "pmtool.analysis", "Findings": "pmtool.api.types", "Analysis": "pmtool.analysis",
    "Adoption": "pmtool.compare.adoption", "BeforeAfter": "pmtool.compare.before_after",
    "EfileMessage": "pmtool.report.efile",
    "RunResult": "pmtool.results", "ReportFiles": "pmtool.report.build",
    "SimulationResult": "pmtool.simulate.simulator", "Picture": "pmtool.display.pictures",
    "CrossConformance": "pmtool.design.cross", "SollDesign": "pmtool.design.design",
    "PmtoolError": "pmtool.errors", "InputError": "pmtool.errors", "LogSchemaError": "pmtool.errors",
    "ConfigError": "pmtool.errors", "ModelError": "pmtool.errors", "RenderError": "pmtool.errors",
    "PrivacyError": "pmtool.errors",
}

__all__ = [name for name in _PUBLIC if name != "__version__"]  # pmtool.__all__ is the one list


def __getattr__(name: str) -> Any:
    if name in TYPES:
        value = getattr(import_module(TYPES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pmtool.api' has no attribute {name!r}")
