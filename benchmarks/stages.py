"""One ``pmtool run`` (without report) in this process, telling its parent when each stage starts.

    python -m benchmarks.stages PROJECT OUT [--scheduler ADDRESS|local:N] [--fitness FILE]

Called by :mod:`benchmarks.run`, which samples this process tree's memory and CPU from outside and needs the
stage boundaries: each is a line ``@stage <name>`` on stdout, written the moment the stage's first step
starts (stages of several processes interleave: ingest, then conform/discover/aggregate per process, compare,
figures, write). The results folder's manifest and tables are what ``pmtool run`` writes. ``--fitness``
receives the mean case fitness per process and office, for the comparison with plain pm4py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("project", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--scheduler", default=None)
    parser.add_argument("--fitness", type=Path, default=None)
    args = parser.parse_args()
    print("@stage startup", flush=True)
    import dataclasses

    import pmtool as pt

    project = pt.load_project(args.project)
    if args.scheduler:
        project = dataclasses.replace(project, scheduler=args.scheduler)
    current = [""]

    def progress(stage: str, item: str) -> None:
        if stage != current[0]:
            current[0] = stage
            print(f"@stage {stage}", flush=True)

    result = pt.run(project, key=pt.demo_key(), out=args.out, use_cache=False, progress=progress)
    print("@stage done", flush=True)
    if args.fitness:
        fitness = {pid: {row["office"]: row["fitness"] for row in pa.results.summary.iter_rows(named=True)}
                   for pid, pa in result.analysis.processes.items()}
        args.fitness.write_text(json.dumps(fitness, sort_keys=True), "utf-8")
    events = sum(i.summary.rows_loaded for i in result.analysis.ingests)
    print(json.dumps({"events_ingested": events, "files": len(result.files)}), flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
