"""Benchmark suite: ``pmtool run`` (without report) per stage at growing sizes, beside plain pm4py.

    python -m benchmarks.run --sizes 1e5,1e6,1e7 [--budget 600] [--dask 4] [--no-pm4py]

For each size (events), the synthetic logs of ``pmtool simulate`` at the scale that gives it (calibrated on
scale 1, generated once into ``benchmarks/data/``, not versioned) are analysed by ``pmtool run`` with a
project file like the demo's (13 offices, P1/P2/P3a, ``formats = []``: no report, no cache) in a fresh
process. This process samples the child's whole process tree (the run, its alignment workers, its mining
helper, Dask workers) every 0.2 s from ``/proc``: resident memory summed over the tree, CPU seconds summed
over it; the child names each stage when it starts. Per stage: wall seconds, CPU seconds and the highest
tree memory while the stage ran.

Beside it, in the same run, the plain pm4py way of the same work (:mod:`benchmarks.plain_pm4py`: pandas
read + ``format_dataframe``, inductive miner, alignments, alignment precision per office) on the same
events, stopped at ``--budget`` seconds and then reported as "budget exceeded" with how far it came; the
mean case fitness per office of both must be identical. With ``--dask N`` the run is repeated on a local
Dask cluster with N worker processes (``pmtool run`` with a scheduler) and its tables are compared with
the local run's byte for byte.

The tables are printed and written to ``benchmarks/results/<date>-<host>.md`` (and ``.json``) with the
machine they ran on; ``benchmarks/results/latest.md`` is the newest.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / "data"
RESULTS = HERE / "results"
MODELS = REPO / "pmtool" / "reference_models"
PROCESS_MODELS = {"P1": "P1_meldefallbearbeitung", "P2": "P2_ausbruchsmanagement", "P3a": "P3a_belehrung_43"}
PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")
SAMPLE_SECONDS = 0.2
PSS_EVERY = 5  # proportional sets every fifth sample (once a second): reading them costs the sampler CPU
#: pmtool's stages doing what the plain pm4py way does (read, discover, align, precision)
SAME_WORK = ("ingest", "conform", "discover")


# --- measuring a process tree from outside ----------------------------------------------------------------

def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(name))
    return tree


def _tree(root: int) -> list[int]:
    children, out, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def _rss_and_cpu(pid: int, with_pss: bool = True) -> tuple[int, float, int] | None:
    """Resident set, CPU seconds and proportional set (shared pages divided among the processes sharing
    them, so that a tree's sum counts each page once; ``with_pss=False``: the resident set instead, as reading
    it costs the sampler CPU) of one process."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            rss = int(f.read().split()[1]) * PAGE
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        pss = rss
        try:
            if with_pss:
                with open(f"/proc/{pid}/smaps_rollup") as f:
                    for line in f:
                        if line.startswith("Pss:"):
                            pss = int(line.split()[1]) * 1024
                            break
        except OSError:
            pass
        return rss, (int(fields[11]) + int(fields[12])) / TICKS, pss  # utime + stime of the process itself
    except (OSError, IndexError, ValueError):
        return None


@dataclass
class Measured:
    """What one measured child did: per stage wall, CPU and peak memory, the total, and how it ended."""

    stages: dict[str, dict[str, float]] = field(default_factory=dict)
    wall: float = 0.0
    cpu: float = 0.0
    peak_bytes: int = 0  # the process tree's resident sets, summed (shared pages counted in each process)
    peak_pss: int = 0  # the tree's proportional sets, summed (each page once)
    peak_main: int = 0  # the resident set of the run's own process (without its worker processes)
    finished: bool = False
    reached: str = ""  # the stage running when the budget ran out (or the run failed)
    over_budget: bool = False
    returncode: int | None = None
    output: list[str] = field(default_factory=list)
    error: str = ""


def measure(command: list[str], budget: float | None, env: dict[str, str] | None = None) -> Measured:
    """Run ``command`` (which prints ``@stage name`` lines), sampling its process tree until it ends or
    ``budget`` seconds pass (then it is killed)."""
    start = time.monotonic()
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, start_new_session=True)
    marks: list[tuple[float, str]] = [(start, "startup")]
    lines: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("@stage "):
                marks.append((time.monotonic(), line.split(maxsplit=1)[1].strip()))
            else:
                lines.append(line.rstrip("\n"))

    err: list[str] = []
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    err_reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)  # type: ignore
    err_reader.start()
    cpu_seen: dict[int, float] = {}
    samples: list[tuple[float, int, float, int, int]] = []  # (time, tree RSS, tree CPU so far, tree PSS, main RSS)
    last_pss = 0
    while proc.poll() is None:
        rss = pss = 0
        with_pss = len(samples) % PSS_EVERY == 0
        for pid in _tree(proc.pid):
            got = _rss_and_cpu(pid, with_pss)
            if got:
                rss += got[0]
                pss += got[2]
                cpu_seen[pid] = got[1]
        own = _rss_and_cpu(proc.pid, False)
        last_pss = pss if with_pss else last_pss
        samples.append((time.monotonic(), rss, sum(cpu_seen.values()), last_pss, own[0] if own else 0))
        if budget is not None and time.monotonic() - start > budget:
            os.killpg(proc.pid, 9)
            proc.wait()
            break
        time.sleep(SAMPLE_SECONDS)
    end = time.monotonic()
    reader.join(5)
    err_reader.join(5)
    m = Measured(wall=end - start, output=lines, returncode=proc.returncode)
    m.over_budget = budget is not None and end - start > budget
    m.finished = proc.returncode == 0 and marks[-1][1] == "done"
    if proc.returncode != 0 and not (budget is not None and end - start > budget):
        m.error = (err[0] if err else "")[-3000:]
    bounds = [*marks, (end, "end")]
    for (t0, name), (t1, _) in zip(bounds, bounds[1:], strict=False):
        if name == "done":
            continue
        inside = [s for s in samples if t0 <= s[0] <= t1] or [min(samples, key=lambda s: abs(s[0] - t1))]
        before = [s for s in samples if s[0] <= t0]
        cpu0 = before[-1][2] if before else 0.0
        stage = m.stages.setdefault(name, {"wall": 0.0, "cpu": 0.0, "peak": 0, "pss": 0})
        stage["wall"] += t1 - t0
        stage["cpu"] += max(0.0, inside[-1][2] - cpu0)
        stage["peak"] = max(stage["peak"], max(s[1] for s in inside))
        stage["pss"] = max(stage["pss"], max(s[3] for s in inside))
    # what the measured command does after ``@stage done`` (the harness's own reading of its results) is not
    # part of the run: the totals end there
    done = next((t for t, name in marks if name == "done"), end)
    counted = [s for s in samples if s[0] <= done] or samples[:1]
    m.wall = done - start
    m.cpu = counted[-1][2] if counted else 0.0
    m.peak_bytes = max((s[1] for s in counted), default=0)
    m.peak_pss = max((s[3] for s in counted), default=0)
    m.peak_main = max((s[4] for s in counted), default=0)
    m.reached = "" if m.finished else marks[-1][1]
    return m


# --- inputs --------------------------------------------------------------------------------------------------

def simulated(scale: float) -> tuple[Path, int]:
    """The folder of ``pmtool simulate --scale scale`` (generated once) and its number of events."""
    folder = DATA / f"sim-{scale:g}"
    info = folder / "benchmark.json"
    if not info.exists():
        print(f"pmtool simulate --scale {scale:g} …", flush=True)
        code = ("import json, sys, pmtool as pt; r = pt.simulate_logs(sys.argv[1], scale=float(sys.argv[2]), "
                "force=True); print(json.dumps({'events': r.events}))")
        done = subprocess.run([sys.executable, "-c", code, str(folder), str(scale)], cwd=REPO, check=True,
                              capture_output=True, text=True)
        info.write_text(done.stdout.strip().splitlines()[-1], "utf-8")
    return folder, int(json.loads(info.read_text("utf-8"))["events"])


def scale_for(events: float) -> float:
    """The simulation scale giving about ``events`` events (linear in the scale; calibrated at scale 1)."""
    _, at_one = simulated(1.0)
    return float(f"{events / at_one:.2g}")  # 0.9, 9, 90: two significant digits


def project_file(folder: Path, output: Path) -> Path:
    path = folder.parent / f"{folder.name}.toml"
    text = ['[project]', 'name = "benchmark"', f'output = "{output.as_posix()}"', 'language = "de"',
            'period = "2025"', 'as_of = 2026-03-31T23:59:00+02:00', 'privacy_threshold = 5', 'formats = []',
            '[sources]', f'folder = "{folder.as_posix()}"']
    for pid, stem in PROCESS_MODELS.items():
        text += [f'[processes.{pid}]', f'model = "{(MODELS / f"{stem}.bpmn").as_posix()}"',
                 f'rules = "{(MODELS / f"{stem}.rules.toml").as_posix()}"']
    path.write_text("\n".join(text) + "\n", "utf-8")
    return path


def pm4py_inputs(out: Path, target: Path) -> Path:
    """One CSV per process from the run's canonical logs, as pmtool's conformance check sees them (activity
    instances, Soll task labels): the plain pm4py way starts from the same events."""
    import polars as pl

    from pmtool.conform.labels import apply_task_labels
    from pmtool.eventlog.lifecycle import activity_instances
    from pmtool.eventlog.log import EventLog
    from pmtool.models.reference import load_reference

    target.mkdir(parents=True, exist_ok=True)
    models = {}
    for pid, stem in PROCESS_MODELS.items():
        model = MODELS / f"{stem}.bpmn"
        models[pid] = str(model)
        frames = [pl.read_parquet(p) for p in sorted((out / "logs" / pid).glob("*.parquet"))]
        log = EventLog.from_frame(pl.concat(frames, how="diagonal_relaxed"))
        log = apply_task_labels(activity_instances(log).log, load_reference(model, compact=True))
        log.frame.select(pl.col("office"), (pl.col("office") + "/" + pl.col("case_id")).alias("case"),
                         pl.col("activity"), pl.col("timestamp")).write_csv(target / f"{pid}.csv")
    (target / "models.json").write_text(json.dumps(models), "utf-8")
    return target / "models.json"


def same_tables(a: Path, b: Path) -> tuple[bool, list[str]]:
    """Whether the tables (CSV and Parquet), bundles and logs of two results folders are byte-identical."""
    names = sorted({p.relative_to(a).as_posix() for p in a.rglob("*")
                    if p.is_file() and p.suffix in {".csv", ".parquet", ".json"} and ".cache" not in p.parts
                    and p.name != "manifest.json"})
    differ = [n for n in names if not (b / n).is_file() or not filecmp.cmp(a / n, b / n, shallow=False)]
    return not differ, differ


# --- the suite -----------------------------------------------------------------------------------------------

def machine() -> dict[str, str]:
    import polars

    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    from importlib import metadata

    return {"host": socket.gethostname(), "cpu": cpu, "cores": str(os.cpu_count()),
            "memory": f"{mem / 2**30:.1f} GiB", "load_average": " ".join(f"{x:.1f}" for x in os.getloadavg()),
            "python": platform.python_version(), "polars": polars.__version__,
            "pm4py": metadata.version("pm4py"), "pmtool": metadata.version("pmtool"),
            "os": platform.platform()}


CALIBRATION = """
import time, polars as pl
t = time.perf_counter()
total = sum((i * 7) % 13 for i in range(10_000_000))
python = time.perf_counter() - t
frame = pl.DataFrame({"a": pl.int_range(0, 5_000_000, eager=True).hash(7) % 100_003,
                      "b": pl.int_range(0, 5_000_000, eager=True)})
t = time.perf_counter()
for _ in range(3):
    frame.sort("a").group_by("a").agg(pl.col("b").sum()).height
print(f"{python:.2f} {time.perf_counter() - t:.2f}")
"""


def calibrate() -> str:
    """A fixed single-core workload (a Python loop; a polars sort and group-by), timed in a fresh process: the
    machine's speed at that moment, so runs at different hours of a shared machine can be set side by side."""
    env = dict(os.environ, POLARS_MAX_THREADS="1")
    out = subprocess.run([sys.executable, "-c", CALIBRATION], capture_output=True, text=True, env=env, check=True)
    python, frame = out.stdout.split()
    return f"Python loop {python} s, polars {frame} s"


def _gb(n: float) -> str:
    return f"{n / 2**30:.2f}"


def stage_table(m: Measured) -> list[str]:
    rows = ["| stage | wall s | CPU s | peak memory GB (PSS) | peak RSS sum GB |", "|---|---:|---:|---:|---:|"]
    for name, s in m.stages.items():
        rows.append(f"| {name} | {s['wall']:.1f} | {s['cpu']:.1f} | {_gb(s['pss'])} | {_gb(s['peak'])} |")
    status = "" if m.finished else f" — **budget exceeded** during {m.reached}" if m.over_budget else \
        f" — **failed** during {m.reached} (exit code {m.returncode})"
    rows.append(f"| **total** | **{m.wall:.1f}** | **{m.cpu:.1f}** | **{_gb(m.peak_pss)}** | {_gb(m.peak_bytes)}"
                f"{status} |")
    rows += ["", f"The run's own process alone: peak {_gb(m.peak_main)} GB resident."]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Tables go to benchmarks/results/ (latest.md is the newest run); the "
                                            "simulated inputs are made once in benchmarks/data/.",
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--sizes", default="1e5,1e6", help="events, comma-separated (e.g. 1e5,1e6,1e7)")
    parser.add_argument("--budget", type=float, default=600.0, help="seconds for the plain pm4py way per size")
    parser.add_argument("--no-pm4py", action="store_true", help="skip the plain pm4py way")
    parser.add_argument("--dask", type=int, default=0, help="also run on a local Dask cluster of N workers")
    args = parser.parse_args()
    sizes = [float(s) for s in args.sizes.split(",")]
    info = machine()
    info["speed_before"] = calibrate()
    report = [f"# pmtool benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "",
              "Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()), "",
              f"`python -m benchmarks.run --sizes {args.sizes} --budget {args.budget:g}"
              + (f" --dask {args.dask}" if args.dask else "") + ("  --no-pm4py" if args.no_pm4py else "") + "`",
              "", "Memory: the whole process tree (the run and its worker processes), sampled every 0.2 s (PSS every "
              "second), highest "
              "while the stage ran: PSS sums each process's proportional set (a page shared by several processes, "
              "such as the libraries of the workers, is counted once), the RSS sum counts shared pages in every "
              "process. CPU: user + system seconds of the tree. With worker processes the per-office stages "
              "overlap: a stage's row is the time the run waited in it.", ""]
    record: dict = {"machine": info, "sizes": {}}
    pm4py_over = False
    for size in sizes:
        scale = scale_for(size)
        folder, events = simulated(scale)
        out = DATA / f"run-{scale:g}"
        project = project_file(folder, out)
        print(f"\n== {events:,} events (scale {scale:g}): pmtool run …", flush=True)
        fitness_file = DATA / f"fitness-pmtool-{scale:g}.json"
        run = measure([sys.executable, "-m", "benchmarks.stages", str(project), str(out),
                       "--fitness", str(fitness_file)], None)
        if run.error:
            raise SystemExit(f"pmtool run failed at {events:,} events:\n{run.error}")
        section = [f"## {events:,} events (`pmtool simulate --scale {scale:g}`, 13 offices × 3 processes)", "",
                   "`pmtool run` without report, no cache:", "", *stage_table(run), ""]
        entry: dict = {"scale": scale, "events": events, "pmtool": run.__dict__ | {"output": None}}
        if args.dask:
            dout = DATA / f"run-{scale:g}-dask"
            print(f"== {events:,} events: pmtool run on a local Dask cluster of {args.dask} workers …", flush=True)
            drun = measure([sys.executable, "-m", "benchmarks.stages", str(project), str(dout),
                            "--scheduler", f"local:{args.dask}"], None)
            same, differ = same_tables(out, dout) if drun.finished else (False, [])
            section += [f"The same on a local Dask cluster ({args.dask} worker processes, same machine): tables "
                        + ("byte-identical to the local run" if same else f"DIFFERENT ({', '.join(differ[:5])})")
                        + (f" — failed: {drun.error.splitlines()[-1] if drun.error else ''}"
                           if not drun.finished else ""), "", *stage_table(drun), ""]
            entry["dask"] = drun.__dict__ | {"output": None, "identical": same}
        if not args.no_pm4py:
            if pm4py_over:
                section += ["Plain pm4py: not run (it exceeded its budget at a smaller size).", ""]
                entry["pm4py"] = {"skipped": "budget exceeded at a smaller size"}
            else:
                print(f"== {events:,} events: plain pm4py (budget {args.budget:g} s) …", flush=True)
                models = pm4py_inputs(out, DATA / f"pm4py-{scale:g}")
                pfit = DATA / f"fitness-pm4py-{scale:g}.json"
                pfit.unlink(missing_ok=True)
                plain = measure([sys.executable, "-m", "benchmarks.plain_pm4py", str(models.parent), str(models),
                                 str(pfit)], args.budget)
                pm4py_over = not plain.finished
                section += [f"Plain pm4py, same events (pandas read + `format_dataframe`, per office IMf, "
                            f"alignments, alignment precision; one process), budget {args.budget:g} s:", "",
                            *stage_table(plain), ""]
                entry["pm4py"] = plain.__dict__ | {"output": None}
                if plain.finished:
                    ours = json.loads(fitness_file.read_text("utf-8"))
                    theirs = json.loads(pfit.read_text("utf-8"))
                    diff = max(abs(ours[p][o] - theirs[p][o]) for p in theirs for o in theirs[p])
                    same_fit = diff <= 1e-9 and {p: set(v) for p, v in ours.items()} == \
                        {p: set(v) for p, v in theirs.items()}
                    ours_same = sum(s["wall"] for n, s in run.stages.items() if n in SAME_WORK)
                    theirs_same = sum(s["wall"] for n, s in plain.stages.items() if n not in ("startup", "end"))
                    section += [f"Mean case fitness per office: {'identical' if same_fit else 'DIFFERENT'} "
                                f"(largest difference {diff:.1e}). The same work (pmtool: ingest, conform, "
                                f"discover; pm4py: read, discover, conform) {ours_same:.1f} s vs "
                                f"{theirs_same:.1f} s: pmtool {theirs_same / ours_same:.1f}× faster; whole "
                                f"runs with start-up {run.wall:.1f} s vs {plain.wall:.1f} s (pmtool also "
                                f"checks rules, aggregates, compares, draws and writes).", ""]
                    entry["fitness_identical"] = same_fit
                    entry["speedup_same_work"] = theirs_same / ours_same
        print("\n".join(section), flush=True)
        report += section
        record["sizes"][f"{events}"] = entry
    info["speed_after"] = calibrate()
    report += [f"Machine speed (a fixed single-core workload, lower is faster; the same on every run of this "
               f"benchmark): before the runs {info['speed_before']}, after them {info['speed_after']}.", ""]
    RESULTS.mkdir(exist_ok=True)
    stamp = f"{datetime.now(UTC):%Y%m%d-%H%M}-{info['host']}"
    text = "\n".join(report) + "\n"
    (RESULTS / f"{stamp}.md").write_text(text, "utf-8")
    (RESULTS / "latest.md").write_text(text, "utf-8")
    (RESULTS / f"{stamp}.json").write_text(json.dumps(record, indent=1, default=str) + "\n", "utf-8")
    print(f"\nwritten: benchmarks/results/{stamp}.md", flush=True)


if __name__ == "__main__":
    main()
