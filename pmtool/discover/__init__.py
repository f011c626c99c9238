"""The discovery stage: what the offices actually do (the Ist process), from a canonical event log.

- :mod:`~pmtool.discover.dfg`: directly-follows graph with frequencies and waiting times (polars).
- :mod:`~pmtool.discover.variants`: variant table with cumulative coverage.
- :mod:`~pmtool.discover.inductive`: Ist model (process tree and Petri net) via the inductive miner.
- :mod:`~pmtool.discover.render`, :mod:`~pmtool.discover.render_net`: figures through Graphviz.
- :mod:`~pmtool.discover.bpmn_export`, :mod:`~pmtool.discover.pnml_export`: model files.
- :mod:`~pmtool.discover.discovery`: all of it per office and process in one call.
- :mod:`~pmtool.discover.export`: the resulting files.
"""

from pmtool.discover.dfg import END, START, DirectlyFollowsGraph, directly_follows
from pmtool.discover.discovery import DiscoverSettings, Discovery, discover
from pmtool.discover.inductive import MINERS, IstModel, discover_ist
from pmtool.discover.variants import coverage, variant_table

__all__ = ["END", "MINERS", "START", "DirectlyFollowsGraph", "DiscoverSettings", "Discovery", "IstModel",
           "coverage", "directly_follows", "discover", "discover_ist", "variant_table"]
