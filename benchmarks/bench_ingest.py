"""Benchmark: `pmtool ingest` of a large office export against a bare polars read and pandas + pm4py.

    python benchmarks/bench_ingest.py [--events 1000000] [--repeat 3]

Generates (once, into benchmarks/data/, not versioned) a semicolon-separated UTF-8 export with German
timestamps, then runs every contender in a fresh Python process, `--repeat` times, and prints the median
wall time of the work (imports excluded) and the peak resident memory of the process:

- polars.read_csv           the bare read of the same file (all columns as text)
- pmtool ingest             read, map, parse German local times to UTC, quarantine checks, duplicate
                            check, HMAC pseudonymisation, validation (in memory)
- pmtool ingest, no pseudonymisation   the same without the HMAC step (to show its cost)
- pmtool ingest + write     the same plus writing Parquet, quarantine and summary atomically
- pandas + pm4py            pandas.read_csv + pm4py.format_dataframe with the timestamp format given

Targets (issue 2): pmtool ingest within 3x of the bare read; faster than pandas + pm4py.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"

ACTIVITIES = ["Meldung erfasst", "Sichtung", "Zuständigkeit geprüft", "Fall neu angelegt", "Erstkontakt",
              "Ermittlung fertig", "Falldefinition geprüft", "Übermittlung LS", "Weiterleitung RKI",
              "Fall abgeschlossen"]
CODES = ["IS-01", "IS-02", "IS-03", "IS-05", "IS-07", "IS-08", "IS-09", "IS-10", "IS-11", "IS-25"]
STAFF = [f"Mitarbeiter{i:03d}, Jürgen" for i in range(60)]

PROFILE = """office = "GA-99"
[file]
delimiter = ";"
encoding = "utf-8"
[columns]
case_id = "Aktenzeichen"
activity = "Tätigkeit"
timestamp = "Zeitpunkt"
resource = "Bearbeiter"
[timestamps]
formats = ["%d.%m.%Y %H:%M"]
[activities.map]
""" + "".join(f'"{a}" = "{c}"\n' for a, c in zip(ACTIVITIES, CODES, strict=True))


def generate(path: Path, events: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = datetime(2025, 1, 2, 8, 0)
    lines = ["Aktenzeichen;Tätigkeit;Zeitpunkt;Bearbeiter;Erreger;Meldeweg\n"]
    case = 0
    while len(lines) - 1 < events:
        case += 1
        t = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 360))
        pathogen = rng.choice(["Norovirus", "Campylobacter", "Salmonella", "Influenza", "Masern"])
        channel = rng.choice(["DEMIS", "Fax", "Portal"])
        for act in ACTIVITIES[: rng.randint(6, len(ACTIVITIES))]:
            t += timedelta(minutes=rng.randrange(5, 60 * 30))
            lines.append(f"2025-{case:07d};{act};{t:%d.%m.%Y %H:%M};{rng.choice(STAFF)};{pathogen};{channel}\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines[: events + 1]), encoding="utf-8")


CONTENDERS = {
    "polars.read_csv": """
        import polars as pl
        t0 = time.perf_counter()
        df = pl.read_csv(CSV, separator=";", infer_schema=False)
        n = df.height
    """,
    "pmtool ingest": """
        from pmtool.ingest.pipeline import ingest
        from pmtool.ingest.profile import load_profile
        from pmtool.ingest.pseudonymise import PseudonymKey
        prof = load_profile(PROFILE)
        t0 = time.perf_counter()
        res = ingest(CSV, prof, key=PseudonymKey(b"benchmark-key-0123456789"))
        n = res.summary.rows_loaded
    """,
    "pmtool ingest, no pseudonymisation": """
        from pmtool.ingest.pipeline import ingest
        from pmtool.ingest.profile import load_profile
        prof = load_profile(PROFILE)
        t0 = time.perf_counter()
        res = ingest(CSV, prof, allow_identifiable=True)
        n = res.summary.rows_loaded
    """,
    "pmtool ingest + write": """
        from pmtool.ingest.pipeline import ingest
        from pmtool.ingest.profile import load_profile
        from pmtool.ingest.pseudonymise import PseudonymKey
        from pmtool.ingest.output import write_ingest
        prof = load_profile(PROFILE)
        t0 = time.perf_counter()
        res = ingest(CSV, prof, key=PseudonymKey(b"benchmark-key-0123456789"))
        write_ingest(res, OUT, "bench")
        n = res.summary.rows_loaded
    """,
    "pandas + pm4py.format_dataframe": """
        import pandas as pd
        import pm4py
        t0 = time.perf_counter()
        df = pd.read_csv(CSV, sep=";")
        df = pm4py.format_dataframe(df, case_id="Aktenzeichen", activity_key="Tätigkeit",
                                    timestamp_key="Zeitpunkt", timest_format="%d.%m.%Y %H:%M")
        n = len(df)
    """,
}

RUNNER = """
import resource, sys, time, json
from pathlib import Path
CSV, PROFILE, OUT = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
{body}
seconds = time.perf_counter() - t0
print(json.dumps({{"seconds": seconds, "rows": n,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run(name: str, csv: Path, profile: Path, out: Path) -> dict:
    code = RUNNER.format(body=textwrap.dedent(CONTENDERS[name]))
    done = subprocess.run([sys.executable, "-c", code, str(csv), str(profile), str(out)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    csv = DATA / f"export_{args.events}.csv"
    if not csv.exists():
        print(f"generating {csv.name} ({args.events:,} events) …", flush=True)
        generate(csv, args.events)
    profile = DATA / "bench.profile.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    out = DATA / "out"
    rows = []
    for name in CONTENDERS:
        runs = [run(name, csv, profile, out) for _ in range(args.repeat)]
        rows.append((name, statistics.median(r["seconds"] for r in runs), max(r["peak_mb"] for r in runs),
                     runs[0]["rows"]))
    base = rows[0][1]
    size = csv.stat().st_size / 1e6
    print(f"\ninput: {csv.name}, {size:,.0f} MB, {args.events:,} events; median of {args.repeat} runs\n")
    print(f"{'contender':<34}{'seconds':>10}{'× bare read':>13}{'peak MB':>10}{'rows':>12}")
    for name, seconds, peak, n in rows:
        print(f"{name:<34}{seconds:>10.2f}{seconds / base:>13.2f}{peak:>10.0f}{n:>12,}")
    pm = dict((r[0], r[1]) for r in rows)
    print()
    print(f"target 1: pmtool ingest within 3x of the bare read: "
          f"{'met' if pm['pmtool ingest'] <= 3 * base else 'NOT met'} ({pm['pmtool ingest'] / base:.2f}x)")
    print(f"target 2: faster than pandas + pm4py: "
          f"{'met' if pm['pmtool ingest'] < pm['pandas + pm4py.format_dataframe'] else 'NOT met'} "
          f"({pm['pandas + pm4py.format_dataframe'] / pm['pmtool ingest']:.1f}x faster)")


if __name__ == "__main__":
    main()
