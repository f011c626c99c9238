"""The same work done the plain pm4py way, for :mod:`benchmarks.run`.

    python -m benchmarks.plain_pm4py CSV_FOLDER MODELS_JSON FITNESS_OUT

For every process (one CSV per process: ``office``, ``case``, ``activity``, ``timestamp`` — the log as
pmtool's conformance check sees it, written by the harness from pmtool's canonical logs): ``pandas.read_csv``
and ``pm4py.format_dataframe``, then per office the inductive miner (``discover_petri_net_inductive``, noise
threshold 0.2 as pmtool's default), ``conformance_diagnostics_alignments`` and ``precision_alignments``
against the Soll net. Each step prints ``@stage <name>`` when it starts (the parent measures time, CPU and
memory from outside and stops this process at its time budget); at the end the mean case fitness per process
and office goes to FITNESS_OUT for the comparison with pmtool's.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main() -> None:
    folder, models, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    print("@stage startup", flush=True)
    os.environ["PM4PY_SHOW_PROGRESS_BAR"] = "False"
    import pandas as pd
    import pm4py
    from pm4py.util import constants

    from pmtool.eventlog.pm4py_bridge import to_pm4py_net
    from pmtool.models.reference import load_reference

    constants.SHOW_PROGRESS_BAR = False
    fitness: dict[str, dict[str, float]] = {}
    for pid, model in sorted(json.loads(models.read_text("utf-8")).items()):
        net, im, fm = to_pm4py_net(load_reference(Path(model)).net)
        print("@stage read", flush=True)
        df = pd.read_csv(folder / f"{pid}.csv", dtype={"office": str, "case": str, "activity": str})
        df = pm4py.format_dataframe(df, case_id="case", activity_key="activity", timestamp_key="timestamp")
        fitness[pid] = {}
        for office, part in df.groupby("office", sort=True):
            print("@stage discover", flush=True)
            pm4py.discover_petri_net_inductive(part, noise_threshold=0.2)
            print("@stage conform", flush=True)
            diagnostics = pm4py.conformance_diagnostics_alignments(part, net, im, fm)
            values = [d["fitness"] for d in diagnostics if d is not None]
            fitness[pid][str(office)] = sum(values) / len(values) if values else None
            pm4py.precision_alignments(part, net, im, fm)
    print("@stage done", flush=True)
    out.write_text(json.dumps(fitness, sort_keys=True), "utf-8")


if __name__ == "__main__":
    main()
