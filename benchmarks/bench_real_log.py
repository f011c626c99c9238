"""Benchmark: discovery and conformance on a real log with hundreds of activities (BPI Challenge 2015,
municipality 1: 1,199 cases, 52,217 events, 398 activities, nearly one variant per case).

    python benchmarks/bench_real_log.py [--log ../shared/real_logs/BPIC15_1.xes.gz] [--time-budget 30]

Runs the commands a user would, each in a fresh process, and prints wall time and peak resident memory:

1. ``pmtool discover`` on the log (ingested first with ``pmtool ingest``, timed separately): the Ist model
   with the default bound — the 100 most frequent activities mined, a 30-second budget for the inductive
   miner and a labelled fallback;
2. ``pmtool run`` on a project with the log as one office ("Bouwvergunning-1") and its own discovered model
   (``_ist.bpmn``) as the Soll: ingest, label check, conformance (alignments of every variant, precision),
   discovery, comparison (one office: "not comparable", exit code 3) and the HTML report.

It prints the method each model was mined with, the stage times of the run (from its summary) and the
conformance numbers. Targets (issue 11): discovery ≤ 60 s, conformance ≤ 2 min on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_LOG = REPO.parent / "shared" / "real_logs" / "BPIC15_1.xes.gz"
OFFICE = "Bouwvergunning-1"


def run(args: list[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run ``python -m pmtool args``; wall seconds, peak RSS in MiB of the largest process so far, result."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pmtool", "--lang", "en", *args], cwd=cwd, capture_output=True,
                          text=True, check=False)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak, done


def stage_seconds(output: str) -> dict[str, float]:
    """The run summary's stage times (its table is tab-separated when the output is not a terminal)."""
    out = {}
    for line in output.splitlines():
        parts = line.split("\t")
        if len(parts) == 4 and parts[3].replace(".", "", 1).isdigit():
            out[parts[0]] = float(parts[3])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, default=DEFAULT_LOG)
    parser.add_argument("--out", type=Path, default=HERE / "data" / "bpic15")
    parser.add_argument("--time-budget", type=float, default=None,
                        help="pmtool discover --time-budget (default: pmtool's); a longer one lets the inductive "
                             "miner finish on a busy machine, so the run checks conformance against an IMf model")
    args = parser.parse_args()
    if not args.log.exists():
        sys.exit(f"{args.log} not found (the real logs live in ../shared/real_logs)")
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    rows = []

    seconds, peak, done = run(["ingest", str(args.log.resolve()), "--office", OFFICE, "--allow-identifiable",
                               "--out", str(out / "ingested")], out)
    assert done.returncode == 0, done.stdout + done.stderr
    rows.append(("pmtool ingest", seconds, peak, ""))
    log = next((out / "ingested").glob("*.parquet"))

    budget = ["--time-budget", str(args.time_budget)] if args.time_budget else []
    seconds, peak, done = run(["discover", str(log), "--out", str(out / "discovered"), *budget], out)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(next((out / "discovered").glob("*_discover.json")).read_text("utf-8"))
    rows.append(("pmtool discover", seconds, peak, summary["ist_model"]["method"]))
    model = next((out / "discovered").glob("*_ist.bpmn"))

    project = out / "project"
    project.mkdir(exist_ok=True)
    (project / "soll.bpmn").write_bytes(model.read_bytes())
    (project / "pmtool.toml").write_text(
        '[project]\nname = "BPIC 2015, Gemeinde 1"\noutput = "results"\nformats = ["html"]\ntables = ["csv"]\n'
        f'[processes.BV]\nmodel = "soll.bpmn"\n[[offices]]\nid = "{OFFICE}"\n'
        f'[[offices.exports]]\nprocess = "BV"\npath = "{args.log.resolve()}"\n', encoding="utf-8")
    seconds, peak, done = run(["run", "--project", "pmtool.toml", "--no-cache", "--allow-identifiable"], project)
    assert done.returncode in (0, 3), done.stdout + done.stderr  # one office: nothing to compare (3)
    stages = stage_seconds(done.stdout)
    conformance = next((project / "results" / "tables" / "conformance").glob("*_summary.csv")).read_text("utf-8")
    rows.append((f"pmtool run (exit {done.returncode})", seconds, peak,
                 ", ".join(f"{k} {v:.1f} s" for k, v in stages.items())))

    width = max(len(r[0]) for r in rows)
    print(f"{'command'.ljust(width)}  {'seconds':>8}  {'peak MiB':>8}  detail")
    for name, secs, mib, detail in rows:
        print(f"{name.ljust(width)}  {secs:8.1f}  {mib:8.0f}  {detail}")
    print("\nconformance summary (run):\n" + conformance)
    print("run summary:\n" + done.stdout)


if __name__ == "__main__":
    main()
