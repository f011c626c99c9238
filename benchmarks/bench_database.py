"""Benchmark: `pmtool ingest postgresql://…` — events extracted per minute from a SORMAS-like case database.

    python benchmarks/bench_database.py [--events 1000000] [--repeat 3] [--batch-size 50000]

Starts a throwaway PostgreSQL server on loopback (the one the tests use, tests/database/pg_server.py;
needs the Debian package postgresql), fills one office's schema with `pmtool simulate --database`
semantics at a scale that gives at least ``--events`` events, then runs every contender in a fresh Python
process as the read-only analyst account, ``--repeat`` times, and prints the median wall time of the work
(imports excluded), the rate in events per minute and the peak resident memory of the process:

- copy row versions         every version of the five tables (live + history) streamed with COPY, the way
                            the extraction streams, nothing else: the transfer it cannot avoid
- extraction                the profile's 16 queries (versions, lag, joins to case and user) streamed in
                            batches into one table: what `pmtool ingest` reads from the database
- pmtool ingest             extraction + the import pipeline: activity map, times to UTC, quarantine checks,
                            duplicate check, HMAC pseudonymisation (in memory)
- pmtool ingest + write     the same plus writing Parquet, quarantine and summary atomically

Target (issue 20): at least 1,000,000 events per minute for `pmtool ingest + write`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "database"))
import pg_server  # noqa: E402  (the tests' throwaway server)

OFFICE = "GA-01"
SCHEMA = "ga_01"

CONTENDERS = {
    "copy row versions": """
        import psycopg
        t0 = time.perf_counter()
        n = 0
        with psycopg.connect(URL) as conn, conn.cursor() as cur:
            for table in ("cases", "contact", "samples", "pathogentest", "task"):
                for name in (table, table + "_history"):
                    with cur.copy(f"COPY {SCHEMA}.{name} TO STDOUT (FORMAT csv)") as copy:
                        for _ in copy:
                            n += 1
    """,
    "extraction": """
        from pmtool.ingest.database.address import parse_address
        from pmtool.ingest.database.extract import extract
        from pmtool.ingest.database.profile import load_extraction_profile
        profile = load_extraction_profile("sormas")
        t0 = time.perf_counter()
        n = extract(parse_address(URL), profile, schema=SCHEMA, batch_size=BATCH).raw.rows_read
    """,
    "pmtool ingest": """
        from pmtool.ingest.database.extract import ingest_database
        from pmtool.ingest.pseudonymise import PseudonymKey
        t0 = time.perf_counter()
        res = ingest_database(URL, schema=SCHEMA, key=PseudonymKey(b"benchmark-key-0123456789"), batch_size=BATCH)
        n = res.summary.rows_loaded
    """,
    "pmtool ingest + write": """
        from pmtool.ingest.database.extract import ingest_database
        from pmtool.ingest.output import write_ingest
        from pmtool.ingest.pseudonymise import PseudonymKey
        t0 = time.perf_counter()
        res = ingest_database(URL, schema=SCHEMA, key=PseudonymKey(b"benchmark-key-0123456789"), batch_size=BATCH)
        write_ingest(res, OUT, "bench")
        n = res.summary.rows_loaded
    """,
}

RUNNER = """
import resource, sys, time, json
from pathlib import Path
URL, SCHEMA, OUT, BATCH = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
{body}
seconds = time.perf_counter() - t0
print(json.dumps({{"seconds": seconds, "rows": n,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run(name: str, url: str, out: Path, batch: int, env: dict[str, str]) -> dict:
    code = RUNNER.format(body=textwrap.dedent(CONTENDERS[name]))
    done = subprocess.run([sys.executable, "-c", code, url, SCHEMA, str(out), str(batch)], capture_output=True,
                          text=True, check=False, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


POPULATE = """
import json, math, sys, time
from pmtool.simulate.database import populate_database
from pmtool.simulate.simulator import Settings, office_log
url, office, events = sys.argv[1], sys.argv[2], int(sys.argv[3])
per_scale = office_log(Settings(offices=1, scale=1.0, processes=("P1",)), office, "P1").events
scale = math.ceil(events / per_scale * 1.02)
start = time.perf_counter()
result = populate_database(url, Settings(offices=1, scale=scale, processes=("P1",)))
print(json.dumps({"scale": scale, "events": result.events, "seconds": time.perf_counter() - start}))
"""


def populate(server: pg_server.PostgresServer, events: int) -> dict:
    """Fill ``ga_01`` with at least ``events`` events (in a child process, so that this one stays small and
    the contenders' peak memory is their own); returns the scale, the events and the seconds."""
    env = {**os.environ, "PGUSER": pg_server.ADMIN, "PGPASSWORD": pg_server.ADMIN_PASSWORD}
    done = subprocess.run([sys.executable, "-c", POPULATE, server.url(), OFFICE, str(events)], capture_output=True,
                          text=True, check=False, env=env)
    if done.returncode != 0:
        raise SystemExit(f"populating failed:\n{done.stderr}")
    server.grant_read(SCHEMA)
    server.admin_sql("VACUUM ANALYZE")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=50_000)
    args = parser.parse_args()
    reason = pg_server.why_not()
    if reason:
        raise SystemExit(reason)
    server = pg_server.PostgresServer.start()
    try:
        server.create_database()
        print(f"populating {SCHEMA} with at least {args.events:,} events …", flush=True)
        filled = populate(server, args.events)
        events = filled["events"]
        print(f"  scale {filled['scale']}, {events:,} events in {filled['seconds']:.0f} s", flush=True)
        env = {**os.environ, "PGUSER": pg_server.ANALYST, "PGPASSWORD": pg_server.ANALYST_PASSWORD}
        out = Path(tempfile.mkdtemp(prefix="pmtool-bench-db-"))
        rows = []
        for name in CONTENDERS:
            runs = [run(name, server.url(), out, args.batch_size, env) for _ in range(args.repeat)]
            rows.append((name, statistics.median(r["seconds"] for r in runs), max(r["peak_mb"] for r in runs),
                         runs[0]["rows"]))
    finally:
        server.stop()
    print(f"\ndatabase: one office ({OFFICE}), {events:,} events, PostgreSQL on loopback; "
          f"batch size {args.batch_size:,}; median of {args.repeat} runs\n")
    print(f"{'contender':<26}{'seconds':>10}{'rows':>12}{'rows per minute':>18}{'peak MB':>10}")
    for name, secs, peak, n in rows:
        print(f"{name:<26}{secs:>10.2f}{n:>12,}{n / secs * 60:>18,.0f}{peak:>10.0f}")
    final = dict((r[0], (r[1], r[3])) for r in rows)["pmtool ingest + write"]
    rate = final[1] / final[0] * 60
    print(f"\ntarget: at least 1,000,000 events per minute (pmtool ingest + write): "
          f"{'met' if rate >= 1_000_000 else 'NOT met'} ({rate:,.0f} per minute)")


if __name__ == "__main__":
    main()
