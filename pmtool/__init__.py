"""pmtool: process mining and Ist/Soll gap analysis for the infection-protection processes of Saxony's public
health offices.

    import pmtool as pt

    project = pt.demo_project()                     # or pt.load_project("pmtool.toml")
    analysis = pt.analyse(project, key=pt.demo_key())   # what `pmtool run` computes, in memory
    analysis                                        # in Jupyter: verdicts, findings, priorities
    pt.soll_map(analysis, process="P1")             # the Soll with the offices' deviations overlaid
    pt.process_map(analysis, office="GA-04", process="P1")

**The public API** is what this page lists (``pmtool.__all__``): the same functions the command line uses,
with its defaults, and the types they return. Everything in the subpackages (``pmtool.ingest``,
``pmtool.compare`` …) is internal and may change between versions; a name leaves the public API only after
a release in which it still works and warns (``DeprecationWarning``).

- *Projects, keys, language*: `load_project`, `demo_project`, `restrict`, `load_key`, `demo_key`,
  `new_key`, `set_language`.
- *Logs*: `read_export` (import an office export), `read_database` (extract from a case database),
  `read_log` (canonical Parquet), `filter_log`, `inspect`.
- *Ist and Soll*: `discover_process`, `process_map`, `map_explorer`, `load_model`, `soll_map`,
  `check_conformance`, `aggregate`.
- *Comparison and what-if*: `compare_offices`, `findings`, `affected_cases`, `accept`, `change_rule`,
  `rank_changes`.
- *A Soll applied, filed in the e-file*: `adoption` (before and after the date a Soll became binding),
  `before_after` (one office compared with itself around a date or between two periods), `file_report` (the
  report as an xdomea message for the document-management system).
- *Whole runs*: `analyse`, `run`, `write_report`, `simulate_logs`.
- *Towards a uniform Soll*: `cross_conformance` (every office's log against every office's Ist model and the
  Soll, groups of offices that work alike), `design_soll` (Soll candidates, decision table, legal soundness),
  `export_soll` (a candidate as BPMN with lanes and layout).

Results show themselves in Jupyter as tables and pictures, in German or English (`set_language`), with the
report's privacy rules: no case ids or staff, counts below the privacy threshold shown as "·". Errors are
`PmtoolError` subclasses whose message names file, row and column.
"""

from __future__ import annotations

import warnings
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("pmtool")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+source"

__all__ = [
    # projects, keys, language
    "load_project", "demo_project", "restrict", "load_key", "demo_key", "new_key", "set_language",
    # logs
    "read_export", "read_database", "read_log", "filter_log", "inspect",
    # Ist and Soll
    "discover_process", "process_map", "load_model", "soll_map", "check_conformance", "aggregate", "map_explorer",
    # comparison and what-if
    "accept", "change_rule", "compare_offices", "findings", "affected_cases", "rank_changes",
    # a Soll applied, filed in the e-file
    "adoption", "before_after", "file_report",
    # whole runs
    "analyse", "run", "write_report", "simulate_logs",
    # towards a uniform Soll
    "cross_conformance", "design_soll", "export_soll",
    # types
    "Project", "ExportSource", "PseudonymKey", "MappingProfile", "EventLog", "Overview", "IngestResult",
    "Discovery", "Discoveries", "ReferenceModel", "ConformanceResult", "Bundle", "Acceptance", "ComparisonTables",
    "Findings", "Analysis", "Adoption", "BeforeAfter", "EfileMessage", "RunResult", "ReportFiles",
    "SimulationResult", "Picture", "CrossConformance", "SollDesign",
    "PmtoolError", "InputError", "LogSchemaError", "ConfigError", "ModelError", "RenderError", "PrivacyError",
    "__version__",
]

#: Names that left the public API: old name → (its replacement in ``pmtool``, the version that deprecated it).
#: They keep working with a ``DeprecationWarning`` for at least one release (tests/test_api.py checks).
DEPRECATED: dict[str, tuple[str, str]] = {}


def __getattr__(name: str) -> Any:
    """Load a public name from :mod:`pmtool.api` on first use, so that ``import pmtool`` stays cheap."""
    if name in DEPRECATED:
        new, since = DEPRECATED[name]
        warnings.warn(f"pmtool.{name} is deprecated since {since}; use pmtool.{new}", DeprecationWarning,
                      stacklevel=2)
        return __getattr__(new)
    if name in __all__:
        from pmtool import api

        value = getattr(api, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pmtool' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
