"""Benchmark: pmtool's alignments and precision against pm4py's, side by side in one run.

    python benchmarks/bench_conformance.py [--cases 20000] [--noise 0.15] [--precision-cases 1050]

Generates (once, into benchmarks/data/, not versioned) two logs from the P1 Soll model
(P1_meldefallbearbeitung.bpmn): seeded random runs of its Petri net with noise (deleted, inserted
- some with activities the model does not know - and swapped events), written as CSV. Then runs every
contender in a fresh Python process and prints wall time of the work (imports and reading the CSV
excluded), variants per second and peak resident memory (``ru_maxrss`` of the process; for pmtool's worker
process its own high-water mark, listed separately and added for the comparison), and checks that the
results are identical:

- alignments: per-case fitness of ``pm4py.conformance_diagnostics_alignments`` (default A* variant, one
  process, progress bar off) against ``pmtool.conform.alignments.align_variants(workers=2)`` plus the
  case → variant mapping; ≥20,000 cases, ≥5,000 variants;
- precision: ``pm4py.precision_alignments`` against ``pmtool.conform.precision.precision`` on a
  Sepsis-sized log (≈1,000 cases, ≈850 variants).

Targets (issue): pmtool at least 10x faster on both, with identical results and lower peak memory.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / "data"
MODEL = REPO / "pmtool" / "reference_models" / "P1_meldefallbearbeitung.bpmn"


def generate(path: Path, cases: int, noise: float, seed: int) -> None:
    from pmtool.models.reference import load_reference
    from pmtool.simulate.playout import add_noise, play_out

    net = load_reference(MODEL).net
    traces = add_noise(play_out(net, cases=cases, seed=seed), seed=seed + 1, probability=noise)
    start = datetime(2025, 1, 2, 8, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["case", "activity", "timestamp"])
        for i, trace in enumerate(traces):
            for j, activity in enumerate(trace):
                out.writerow([f"F{i:06d}", activity, (start + timedelta(hours=i, minutes=j)).isoformat()])
    tmp.replace(path)


PREAMBLE = """
import json, os, resource, sys, threading, time
os.environ["PM4PY_SHOW_PROGRESS_BAR"] = "False"
from pathlib import Path
LOG, MODEL, OUT = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
from pmtool.models.reference import load_reference
net = load_reference(MODEL).net

# Peak memory of worker processes: their own high-water mark (VmHWM), polled while they run. (ru_maxrss of
# RUSAGE_CHILDREN would report this process's size at the moment it started them.)
worker_peak = [0.0]
def _poll(stop):
    me = str(os.getpid())
    while not stop.wait(0.1):
        for pid in os.listdir("/proc") if os.path.isdir("/proc") else ():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    if not pid.isdigit() or f.read().rsplit(")", 1)[1].split()[1] != me:
                        continue
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if b"pmtool.conform.workers" not in f.read():
                        continue  # not yet the worker: a child between fork and exec shows our memory
                with open(f"/proc/{pid}/status") as f:
                    hwm = [int(line.split()[1]) for line in f if line.startswith("VmHWM:")]
                worker_peak[0] = max([worker_peak[0], *(kb / 1024 for kb in hwm)])
            except (OSError, IndexError):
                pass
stop_polling = threading.Event()
threading.Thread(target=_poll, args=(stop_polling,), daemon=True).start()
"""

PM4PY_READ = """
import pandas as pd
import pm4py
pm4py.util.constants.SHOW_PROGRESS_BAR = False
from pmtool.eventlog.pm4py_bridge import to_pm4py_net
df = pd.read_csv(LOG, dtype={"case": str, "activity": str})
df["timestamp"] = pd.to_datetime(df["timestamp"])
df = df.rename(columns={"case": "case:concept:name", "activity": "concept:name",
                        "timestamp": "time:timestamp"})
pn, im, fm = to_pm4py_net(net)
"""

PMTOOL_READ = """
import polars as pl
frame = pl.read_csv(LOG, schema_overrides={"case": pl.String, "activity": pl.String})
"""

PMTOOL_VARIANTS = """
cases = frame.group_by("case", maintain_order=True).agg(pl.col("activity"))
case_ids = cases["case"].to_list()
traces = [tuple(t) for t in cases["activity"].to_list()]
"""

CONTENDERS = {
    ("alignments", "pm4py"): PM4PY_READ + """
t0 = time.perf_counter()
res = pm4py.conformance_diagnostics_alignments(df, pn, im, fm)
seconds = time.perf_counter() - t0
case_ids = sorted(df["case:concept:name"].unique())  # pm4py returns cases in groupby (sorted) order
result = {c: r["fitness"] for c, r in zip(case_ids, res, strict=True)}
variants = len(set(tuple(t) for t in df.groupby("case:concept:name")["concept:name"].agg(tuple)))
""",
    ("alignments", "pmtool"): PMTOOL_READ + """
from pmtool.conform.alignments import align_variants
t0 = time.perf_counter()
""" + PMTOOL_VARIANTS + """
distinct = list(dict.fromkeys(traces))
by_variant = dict(zip(distinct, align_variants(net, distinct, workers=2), strict=True))
fitness = [by_variant[t].fitness for t in traces]
seconds = time.perf_counter() - t0
result = dict(zip(case_ids, fitness, strict=True))
variants = len(distinct)
""",
    ("precision", "pm4py"): PM4PY_READ + """
t0 = time.perf_counter()
value = pm4py.precision_alignments(df, pn, im, fm)
seconds = time.perf_counter() - t0
result = {"precision": value}
variants = len(set(tuple(t) for t in df.groupby("case:concept:name")["concept:name"].agg(tuple)))
""",
    ("precision", "pmtool"): PMTOOL_READ + """
from collections import Counter
from pmtool.conform.precision import precision
t0 = time.perf_counter()
""" + PMTOOL_VARIANTS + """
counts = Counter(traces)
value = precision(net, counts)
seconds = time.perf_counter() - t0
result = {"precision": value}
variants = len(counts)
""",
}

EPILOGUE = """
stop_polling.set()
OUT.write_text(json.dumps(result))
print(json.dumps({"seconds": seconds, "variants": variants, "cases": len(result),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_mb": worker_peak[0]}))
"""


def run(task: str, who: str, log: Path) -> tuple[dict, dict]:
    out = DATA / f"result_{task}_{who}.json"
    code = PREAMBLE + CONTENDERS[(task, who)] + EPILOGUE
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code), str(log), str(MODEL), str(out)],
                          capture_output=True, text=True, check=False, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"{task}/{who} failed:\n{done.stderr}")
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    return stats, json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--noise", type=float, default=0.15)
    parser.add_argument("--precision-cases", type=int, default=1050)
    parser.add_argument("--precision-noise", type=float, default=0.35)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    logs = {
        "alignments": DATA / f"p1_align_{args.cases}_{args.noise}.csv",
        "precision": DATA / f"p1_precision_{args.precision_cases}_{args.precision_noise}.csv",
    }
    for task, path in logs.items():
        if not path.exists():
            print(f"generating {path.name} …", flush=True)
            if task == "alignments":
                generate(path, args.cases, args.noise, seed=1)
            else:
                generate(path, args.precision_cases, args.precision_noise, seed=11)
    rows, verdicts = [], []
    for task, log in logs.items():
        stats, results = {}, {}
        for who in ("pm4py", "pmtool"):
            print(f"running {task} / {who} …", flush=True)
            stats[who], results[who] = run(task, who, log)
        same = results["pm4py"] == results["pmtool"]
        speedup = stats["pm4py"]["seconds"] / stats["pmtool"]["seconds"]
        pm_mem = stats["pmtool"]["peak_mb"] + stats["pmtool"]["worker_mb"]
        for who in ("pm4py", "pmtool"):
            s = stats[who]
            rows.append((task, who, s["cases"] if task == "alignments" else "", s["variants"], s["seconds"],
                         s["variants"] / s["seconds"], s["peak_mb"], s["worker_mb"]))
        detail = ("per-case fitness identical" if task == "alignments" else
                  f"precision {results['pmtool']['precision']!r} vs {results['pm4py']['precision']!r}")
        verdicts.append(
            f"{task}: {speedup:.1f}x faster ({'met' if speedup >= 10 else 'NOT met'}); "
            f"results {'identical' if same else 'DIFFERENT'} ({detail if same else 'see benchmarks/data'}); "
            f"peak memory {pm_mem:.0f} MB (pmtool incl. worker) vs {stats['pm4py']['peak_mb']:.0f} MB "
            f"(pm4py): "
            f"{'lower' if pm_mem < stats['pm4py']['peak_mb'] else 'NOT lower'}")
    print(f"\nmodel: {MODEL.name}; logs in {DATA.relative_to(REPO)}/; one run each, fresh process per row\n")
    print(f"{'task':<12}{'contender':<10}{'cases':>8}{'variants':>10}{'seconds':>10}{'variants/s':>12}"
          f"{'peak MB':>9}{'worker MB':>11}")
    for task, who, cases, variants, seconds, rate, peak, child in rows:
        cases_text = f"{cases:,}" if cases != "" else ""
        print(f"{task:<12}{who:<10}{cases_text:>8}{variants:>10,}{seconds:>10.2f}{rate:>12,.0f}{peak:>9.0f}"
              f"{child:>11.0f}")
    print()
    for v in verdicts:
        print(v)


if __name__ == "__main__":
    main()
