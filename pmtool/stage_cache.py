"""A content-addressed cache of stage results, so that re-running an unchanged analysis is fast.

Every entry sits under ``<root>/<stage>/<key>/`` where ``key`` is the SHA-256 of everything the stage's
result depends on: the bytes of its inputs (exports, profiles, canonical logs, models, rule packs,
bundles), its settings, and the fingerprint of pmtool's own code (:func:`code_fingerprint`, so that any
change to pmtool invalidates every entry, also in an editable install where the version number stays).
An entry is written to a temporary folder and renamed into place, so a run that is interrupted never
leaves half an entry behind; an entry that cannot be read is computed again.

Entries written with :func:`save_pickle` are Python pickles. They are only ever read back from the
project's own output folder; do not copy a cache from someone you do not trust.

>>> import tempfile
>>> cache = StageCache(Path(tempfile.mkdtemp()))
>>> key = cache.key("demo", {"n": 1})
>>> cache.memo("demo", key, lambda: 41 + 1, save=save_pickle, load=load_pickle)
(42, False)
>>> cache.memo("demo", key, lambda: 0, save=save_pickle, load=load_pickle)
(42, True)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from pmtool import __version__

T = TypeVar("T")
_PICKLE = "value.pickle"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@cache
def code_fingerprint() -> str:
    """SHA-256 over pmtool's source files and data files (``*.py``, ``*.toml``), in path order."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".toml") and p.is_file()):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def canonical(value: Any) -> Any:
    """``value`` as plain JSON data (dataclasses, paths, dates, sets and tuples included), for hashing."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(canonical(v) for v in value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return value.as_posix()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)


class StageCache:
    """Stage results on disk under ``root``, addressed by the SHA-256 of their inputs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.used: set[Path] = set()  # entries read or written through this object

    def key(self, stage: str, *parts: Any) -> str:
        """The cache key of ``stage`` for inputs ``parts`` (anything :func:`canonical` can express)."""
        text = json.dumps([stage, __version__, code_fingerprint(), canonical(list(parts))], sort_keys=True,
                          ensure_ascii=False)
        return sha256_bytes(text.encode("utf-8"))

    def path(self, stage: str, key: str) -> Path:
        return self.root / stage / key

    def memo(self, stage: str, key: str, compute: Callable[[], T], *, save: Callable[[T, Path], None],
             load: Callable[[Path], T]) -> tuple[T, bool]:
        """The cached value of ``key``, else ``compute()`` saved and read back (so a first run and a cached
        run return the same thing). Returns ``(value, came_from_cache)``."""
        entry = self.path(stage, key)
        self.used.add(entry)
        if entry.is_dir():
            try:
                return load(entry), True
            except Exception:  # noqa: BLE001 - a damaged entry must never stop a run; it is made again
                shutil.rmtree(entry, ignore_errors=True)
        value = compute()
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}.", dir=entry.parent))
        try:
            save(value, tmp)
            try:
                os.replace(tmp, entry)
            except OSError:  # another run put the same entry in place first
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return load(entry), False


    def prune(self) -> int:
        """Remove every entry not used through this object (after a complete run: what the inputs no longer
        need), so the cache holds one run's results and does not grow with every change. Returns the number
        of entries removed."""
        removed = 0
        for stage in (d for d in self.root.iterdir() if d.is_dir()) if self.root.is_dir() else ():
            for entry in stage.iterdir():
                if entry.is_dir() and entry not in self.used:
                    shutil.rmtree(entry, ignore_errors=True)
                    removed += 1
        return removed


def save_pickle(value: Any, folder: Path) -> None:
    with (folder / _PICKLE).open("wb") as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)


def load_pickle(folder: Path) -> Any:
    with (folder / _PICKLE).open("rb") as handle:
        return pickle.load(handle)  # noqa: S301 - our own entry, see the module docstring


def save_files(files: dict[str, bytes], folder: Path) -> None:
    """Save named byte strings (names may contain ``/``)."""
    for name, data in files.items():
        target = folder / "files" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def load_files(folder: Path) -> dict[str, bytes]:
    base = folder / "files"
    if not base.is_dir():
        return {}
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}
