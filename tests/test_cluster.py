"""pmtool run on a real Dask cluster (dask.distributed.LocalCluster with worker processes): the same tables,
bundles and models as the local run, byte for byte, with the work done by the workers."""

from __future__ import annotations

import dataclasses
import filecmp
import json
from pathlib import Path

import pytest

import pmtool as pt
from pmtool.errors import ConfigError

distributed = pytest.importorskip("dask.distributed", reason="pip install 'pmtool[cluster]'")


def _compared(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and ".cache" not in p.parts and p.suffix in {".csv", ".parquet", ".json", ".bpmn",
                                                                             ".pnml"})


def test_run_on_a_local_cluster_gives_byte_identical_results(tmp_path):
    project = dataclasses.replace(pt.restrict(pt.demo_project(), processes=["P3a"],
                                              offices=["GA-01", "GA-02", "GA-03"]), formats=())
    local = pt.run(project, key=pt.demo_key(), out=tmp_path / "local", use_cache=False)
    with distributed.LocalCluster(n_workers=4, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        address = cluster.scheduler_address
        with distributed.get_task_stream(client=client) as stream:
            remote = pt.run(dataclasses.replace(project, scheduler=address), key=pt.demo_key(),
                            out=tmp_path / "cluster", use_cache=False)
        workers = {t["worker"] for t in stream.data}
        names = {t["key"].split("-")[1] for t in stream.data if str(t["key"]).startswith("pmtool-")}
    # the workers imported, prepared each office's part, and ran its steps (conformance, discovery, bundles)
    assert names >= {"_ingest_remote", "prepare_remote", "office_steps_remote"}
    assert len(workers) >= 2
    files = _compared(tmp_path / "local")
    assert files == _compared(tmp_path / "cluster")
    assert any(f.startswith("tables/conformance/") for f in files) and any(f.endswith(".bpmn") for f in files)
    assert "manifest.json" in files
    differ = [f for f in files if f != "manifest.json"
              and not filecmp.cmp(tmp_path / "local" / f, tmp_path / "cluster" / f, shallow=False)]
    assert differ == [], differ
    # the manifests differ in where the per-office steps ran, and in nothing else, byte for byte
    manifests = {n: (tmp_path / n / "manifest.json").read_text("utf-8") for n in ("local", "cluster")}
    remote_manifest = json.loads(manifests["cluster"])
    local_settings = json.loads(manifests["local"])["settings"]
    assert local_settings["scheduler"] is None
    assert remote_manifest["settings"]["scheduler"] == address
    assert remote_manifest["settings"]["worker_processes"] == {"used": 1, "reason": "scheduler"}
    remote_manifest["settings"]["scheduler"] = None
    remote_manifest["settings"]["worker_processes"] = local_settings["worker_processes"]
    assert json.dumps(remote_manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n" == manifests["local"]
    assert local.analysis.findings.equals(remote.analysis.findings)


def test_scheduler_address_is_checked():
    with pytest.raises(ConfigError):
        pt.run(dataclasses.replace(pt.demo_project(), scheduler="host:8786"), key=pt.demo_key())


def test_a_local_cluster_leaves_no_scratch_space_behind(tmp_path, monkeypatch):
    import gc
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # TMPDIR, as the run sees it
    project = dataclasses.replace(pt.restrict(pt.demo_project(), processes=["P3a"], offices=["GA-01", "GA-02"]),
                                  formats=(), scheduler="local:2")
    result = pt.run(project, key=pt.demo_key(), out=tmp_path / "out", use_cache=False)
    assert (tmp_path / "out" / "tables").is_dir()
    del result
    gc.collect()
    left = sorted(p.name for p in scratch.iterdir())
    assert not [n for n in left if n.startswith(("dask-", "pmtool-dask-", "pmtool-spool-"))], left


def test_large_calls_never_run_together_and_small_ones_go_beside_them(monkeypatch):
    """The local worker processes start a call only while the weights of the calls running, with its own, stay
    within LOAD_LIMIT times the largest weight (or when it would run alone); the smaller calls queued behind a
    waiting large one start meanwhile."""
    import threading
    import time

    from pmtool import cluster

    started: list[tuple[float, float]] = []
    lock = threading.Lock()
    take = cluster._LocalPool._next

    def watched(self):
        job = take(self)
        if job is not None:
            with lock:
                assert self._load <= cluster.LOAD_LIMIT or self._load == job[4]
                started.append((job[2], job[4]))
        return job

    monkeypatch.setattr(cluster._LocalPool, "_next", watched)
    with cluster.local_workers(2) as n:
        assert n == 2
        # time.sleep runs in the worker processes as it is; its argument tells the calls apart
        later = cluster.map_later(time.sleep, [1.0, 1.001, 0.3, 0.0, 0.001], weights=[10, 9, 4, 1, 2])
        assert [wait() for wait in later] == [None] * 5
    # beside the largest only calls of up to a quarter of its weight; 9 and 4 together are too much as well
    assert [s for s, _ in started] == [1.0, 0.0, 0.001, 1.001, 0.3], started
    assert [w for _, w in started] == [1.0, 0.1, 0.2, 0.9, 0.4]


def test_an_import_is_weighed_by_its_format(tmp_path):
    from pmtool.limits import import_memory

    (tmp_path / "a.csv").write_bytes(b"x" * 1000)
    (tmp_path / "a.xes.gz").write_bytes(b"x" * 1000)
    pl_frame = __import__("polars").DataFrame({"v": range(10)})
    pl_frame.write_parquet(tmp_path / "a.parquet")
    assert import_memory(tmp_path / "a.xes.gz") > 10 * import_memory(tmp_path / "a.csv") > 0
    assert import_memory(tmp_path / "a.parquet") == 10 * 400  # by rows, whatever the compression
    assert import_memory(tmp_path / "missing.csv") == 0
