"""A content-addressed cache of stage results, so that re-running an unchanged analysis is fast.

Every entry sits under ``<root>/<stage>/<key>/`` where ``key`` is the SHA-256 of everything the stage's
result depends on: the bytes of its inputs (exports, profiles, canonical logs, models, rule packs,
bundles), its settings, and the fingerprint of pmtool's own code (:func:`code_fingerprint`, so that any
change to pmtool invalidates every entry, also in an editable install where the version number stays).

The cache holds data only, never code: tables as Arrow IPC or Parquet, everything else as JSON
(:func:`value_codec` for pmtool's own result classes, named one by one). Nothing is read back unless it is
proven to be pmtool's own: beside each entry, ``<key>.sig`` holds an HMAC-SHA256 over the entry's file names
and bytes, keyed with a secret of the cache (``<root>/secret``, 32 random bytes, mode 0600, owned by the
user; one that is not is replaced, which invalidates every entry). An entry is read into memory, checked
against its signature, and only then decoded; an entry that is missing, damaged, changed or holds a symbolic
link or anything but plain files is computed again and replaced, never used. An entry is written to a
temporary folder and renamed into place, so a run that is interrupted never leaves half an entry behind.

>>> import tempfile
>>> cache = StageCache(Path(tempfile.mkdtemp()))
>>> key = cache.key("demo", {"n": 1})
>>> save, load = value_codec()
>>> cache.memo("demo", key, lambda: 41 + 1, save=save, load=load)
(42, False)
>>> cache.memo("demo", key, lambda: 0, save=save, load=load)
(42, True)
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import hmac
import io
import json
import math
import os
import re
import secrets
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import polars as pl

from pmtool import __version__
from pmtool.errors import InputError, Location

T = TypeVar("T")
Files = Mapping[str, bytes]  # an entry's files as read and verified: relative name → bytes
SECRET = "secret"
_SECRET_BYTES = 32
_SIG_FORMAT = "pmtool-cache-entry/1"
_KEY = re.compile(r"[0-9a-f]{64}")
_TMP_PREFIX = ".tmp-"
_VALUE = "value.json"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks. Raises :class:`InputError` ``read.not_regular`` for a
    device, pipe or socket (``/dev/zero`` would never end) before reading anything."""
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise InputError("read.not_regular", Location(str(path)))
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
    """Stage results on disk under ``root``, addressed by the SHA-256 of their inputs and signed with the
    cache's secret (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.used: set[Path] = set()  # entries read or written through this object
        self._secret: bytes | None = None

    def key(self, stage: str, *parts: Any) -> str:
        """The cache key of ``stage`` for inputs ``parts`` (anything :func:`canonical` can express)."""
        text = json.dumps([stage, __version__, code_fingerprint(), canonical(list(parts))], sort_keys=True,
                          ensure_ascii=False)
        return sha256_bytes(text.encode("utf-8"))

    def path(self, stage: str, key: str) -> Path:
        return self.root / stage / key

    def memo(self, stage: str, key: str, compute: Callable[[], T], *, save: Callable[[T, Path], None],
             load: Callable[[Files], T]) -> tuple[T, bool]:
        """The cached value of ``key``, else ``compute()`` saved and read back (so a first run and a cached
        run return the same thing). ``save`` writes plain files into a folder; ``load`` gets them back as
        bytes by relative name, after their signature was checked. Returns ``(value, came_from_cache)``."""
        entry = self.path(stage, key)
        self.used.add(entry)
        files = self.read(stage, key)
        if files is not None:
            try:
                return load(files), True
            except Exception:  # noqa: BLE001 - an entry that does not decode is made again, never used
                pass
        value = compute()
        return load(self.write(stage, key, lambda folder: save(value, folder))), False

    def read(self, stage: str, key: str) -> dict[str, bytes] | None:
        """The files of an entry, only if every one is a plain file and their signature holds; else ``None``."""
        entry = self.path(stage, key)
        try:
            sig = json.loads(_read_plain(self.root / stage / f"{key}.sig"))
            files = _read_tree(entry)
        except (OSError, ValueError):
            return None
        if not isinstance(sig, dict) or sig.get("format") != _SIG_FORMAT:
            return None
        secret = self.secret()
        if not (hmac.compare_digest(str(sig.get("name", "")), _name_mac(secret, stage, key))
                and hmac.compare_digest(str(sig.get("content", "")), _content_mac(secret, stage, key, files))):
            return None
        return files

    def write(self, stage: str, key: str, save: Callable[[Path], None]) -> dict[str, bytes]:
        """Let ``save`` fill a temporary folder, sign what it wrote and rename it into place as the entry
        ``key`` (replacing an entry that failed its check). Returns the files as written."""
        secret = self.secret()
        folder = self.root / stage
        folder.mkdir(parents=True, exist_ok=True)
        if folder.is_symlink():
            raise OSError(f"{folder} is a symbolic link")
        tmp = Path(tempfile.mkdtemp(prefix=f"{_TMP_PREFIX}{key[:12]}.", dir=folder))
        try:
            save(tmp)
            files = _read_tree(tmp)
            sig = {"format": _SIG_FORMAT, "name": _name_mac(secret, stage, key),
                   "content": _content_mac(secret, stage, key, files)}
            entry = folder / key
            _remove(entry)
            try:
                os.replace(tmp, entry)
            except OSError:  # another run put an entry in place first; ours is not needed
                _remove(tmp)
            _write_replace(folder / f"{key}.sig", json.dumps(sig, sort_keys=True).encode("ascii"))
        except BaseException:
            _remove(tmp)
            raise
        return files

    def secret(self) -> bytes:
        """The cache's signing secret, made on first use (0600). A secret file that is not a plain file of
        this user readable by nobody else is replaced by a new one."""
        if self._secret is None:
            path = self.root / SECRET
            self._secret = _own_secret(path)
            if self._secret is None:
                self.root.mkdir(parents=True, exist_ok=True)
                self._secret = secrets.token_bytes(_SECRET_BYTES)
                _write_replace(path, self._secret, mode=0o600)
        return self._secret

    def owns(self, stage: str, key: str) -> bool:
        """Whether ``<stage>/<key>`` is provably an entry of this cache: its name is a cache key and its
        signature file carries the name's HMAC under the cache's secret (no content is read)."""
        if not _KEY.fullmatch(key) or _own_secret(self.root / SECRET) is None:
            return False
        try:
            sig = json.loads(_read_plain(self.root / stage / f"{key}.sig"))
        except (OSError, ValueError):
            return False
        return isinstance(sig, dict) and hmac.compare_digest(str(sig.get("name", "")),
                                                             _name_mac(self.secret(), stage, key))

    def prune(self) -> int:
        """Remove every entry not used through this object (after a complete run: what the inputs no longer
        need), so the cache holds one run's results and does not grow with every change, and the temporary
        folders of interrupted runs. Only what :meth:`owns` proves to be an entry is removed; no symbolic
        link is followed. Returns the number of entries removed."""
        removed = 0
        for stage in _plain_dirs(self.root):
            for item in _listing(stage.path):
                if item.name.startswith(_TMP_PREFIX) and item.is_dir(follow_symlinks=False):
                    _remove(Path(item.path))
                    continue
                if not item.is_dir(follow_symlinks=False) or Path(item.path) in self.used:
                    continue
                if self.owns(stage.name, item.name):
                    _remove(Path(item.path))
                    _remove(Path(stage.path) / f"{item.name}.sig")
                    removed += 1
        return removed


def _own_secret(path: Path) -> bytes | None:
    """The secret at ``path`` if it is a plain file of this user that nobody else may read, else ``None``."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return None
        if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o077):
            return None
        data = handle.read(_SECRET_BYTES + 1)
    return data if len(data) == _SECRET_BYTES else None


def _name_mac(secret: bytes, stage: str, key: str) -> str:
    return hmac.new(secret, f"{_SIG_FORMAT}\0name\0{stage}\0{key}".encode(), hashlib.sha256).hexdigest()


def _content_mac(secret: bytes, stage: str, key: str, files: Files) -> str:
    mac = hmac.new(secret, f"{_SIG_FORMAT}\0content\0{stage}\0{key}\0".encode(), hashlib.sha256)
    for name in sorted(files):
        data = files[name]
        mac.update(f"{name}\0{len(data)}\0".encode())
        mac.update(hashlib.sha256(data).digest())
    return mac.hexdigest()


def _read_plain(path: Path) -> bytes:
    """The bytes of ``path``, refusing a symbolic link or anything but a plain file (no FIFO, no device)."""
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{path} is not a plain file")
        return handle.read()


def _listing(folder: str | Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as items:
            return sorted(items, key=lambda e: e.name)
    except OSError:
        return []


def _plain_dirs(folder: Path) -> Iterable[os.DirEntry[str]]:
    if folder.is_symlink():
        return []
    return [e for e in _listing(folder) if e.is_dir(follow_symlinks=False)]


def _read_tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` by relative name; raises ``OSError`` for a symbolic link, a special file,
    or a ``folder`` that is not a plain folder."""
    if not stat.S_ISDIR(os.lstat(folder).st_mode):
        raise OSError(f"{folder} is not a folder")
    files: dict[str, bytes] = {}

    def walk(path: Path, prefix: str) -> None:
        with os.scandir(path) as items:
            for item in items:
                if item.is_symlink():
                    raise OSError(f"{item.path} is a symbolic link")
                if item.is_dir(follow_symlinks=False):
                    walk(Path(item.path), f"{prefix}{item.name}/")
                else:
                    files[f"{prefix}{item.name}"] = _read_plain(Path(item.path))

    walk(folder, "")
    return files


def _remove(path: Path) -> None:
    """Remove a file, link or folder tree at ``path`` without following symbolic links (none: nothing)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(info.st_mode):
        shutil.rmtree(path, ignore_errors=True)  # rmtree removes links inside, never what they point to
    else:
        path.unlink(missing_ok=True)


def _write_replace(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place (replacing a link, not
    its target)."""
    fd, tmp = tempfile.mkstemp(prefix=f"{_TMP_PREFIX}{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_files(files: dict[str, bytes], folder: Path) -> None:
    """Save named byte strings (names may contain ``/``)."""
    for name, data in files.items():
        target = folder / "files" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def load_files(files: Files) -> dict[str, bytes]:
    """The byte strings :func:`save_files` saved, by name."""
    return {name[len("files/"):]: data for name, data in sorted(files.items()) if name.startswith("files/")}


def save_frames(frames: Mapping[str, pl.DataFrame], folder: Path) -> None:
    """Save named tables as Arrow IPC files."""
    for name, frame in frames.items():
        frame.write_ipc(folder / f"{name}.arrow")


def load_frames(files: Files, names: Iterable[str]) -> dict[str, pl.DataFrame]:
    """The tables :func:`save_frames` saved; a missing name raises ``KeyError``."""
    return {name: _frame(files[f"{name}.arrow"]) for name in names}


def _frame(data: bytes) -> pl.DataFrame:
    return pl.read_ipc(io.BytesIO(data))


def value_codec(*types: type) -> tuple[Callable[[Any, Path], None], Callable[[Files], Any]]:
    """``(save, load)`` for values built from plain data (None, bool, int, float, str, lists, tuples, sets,
    dicts with any such keys, dates, times, paths), polars tables and instances of ``types`` — dataclasses
    and enums of pmtool, named one by one. Tables become Arrow IPC files, everything else one JSON
    document; loading builds only the named classes from their fields (never code, never another class)."""
    registry = {_type_name(t): t for t in types}

    def save(value: Any, folder: Path) -> None:
        frames: list[pl.DataFrame] = []
        document = _encode(value, registry, frames)
        for i, frame in enumerate(frames):
            frame.write_ipc(folder / f"frame{i:05d}.arrow")
        (folder / _VALUE).write_text(json.dumps(document, ensure_ascii=True, allow_nan=False), "ascii")

    def load(files: Files) -> Any:
        document = json.loads(files[_VALUE].decode("ascii"))
        return _decode(document, registry, files)

    return save, load


def _type_name(t: type) -> str:
    return f"{t.__module__}.{t.__qualname__}"


def _encode(value: Any, registry: dict[str, type], frames: list[pl.DataFrame]) -> Any:
    def enc(v: Any) -> Any:
        if v is None or isinstance(v, bool | str):
            return v
        if isinstance(v, enum.Enum):
            name = _type_name(type(v))
            if registry.get(name) is not type(v):
                raise TypeError(f"the stage cache does not know {name}")
            return {"$enum": name, "value": enc(v.value)}
        if isinstance(v, int):
            return v
        if isinstance(v, float):
            return v if math.isfinite(v) else {"$float": repr(v)}
        if isinstance(v, pl.DataFrame):
            frames.append(v)
            return {"$frame": f"frame{len(frames) - 1:05d}.arrow"}
        if isinstance(v, tuple):
            return {"$tuple": [enc(x) for x in v]}
        if isinstance(v, list):
            return [enc(x) for x in v]
        if isinstance(v, set | frozenset):
            return {"$frozenset" if isinstance(v, frozenset) else "$set": [enc(x) for x in v]}
        if isinstance(v, dict):
            return {"$dict": [[enc(k), enc(x)] for k, x in v.items()]}
        if isinstance(v, datetime):
            zone = getattr(v.tzinfo, "key", None)
            return {"$datetime": v.isoformat(), "zone": zone}
        if isinstance(v, date):
            return {"$date": v.isoformat()}
        if isinstance(v, timedelta):
            return {"$timedelta": [v.days, v.seconds, v.microseconds]}
        if isinstance(v, Path):
            return {"$path": str(v)}
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            name = _type_name(type(v))
            if registry.get(name) is not type(v):
                raise TypeError(f"the stage cache does not know {name}")
            return {"$class": name, "fields": {f.name: enc(getattr(v, f.name)) for f in dataclasses.fields(v)
                                               if f.init and not f.name.startswith("_")}}
        raise TypeError(f"the stage cache cannot store {type(v).__name__}")

    return enc(value)


def _decode(document: Any, registry: dict[str, type], files: Files) -> Any:
    def dec(v: Any) -> Any:
        if v is None or isinstance(v, bool | str | int | float):
            return v
        if isinstance(v, list):
            return [dec(x) for x in v]
        if not isinstance(v, dict) or len(v) not in (1, 2):
            raise ValueError("not a stage cache value")
        tag = next(iter(v))
        body = v[tag]
        if tag == "$tuple":
            return tuple(dec(x) for x in body)
        if tag == "$dict":
            return {_hashable(dec(k)): dec(x) for k, x in body}
        if tag == "$set":
            return {_hashable(dec(x)) for x in body}
        if tag == "$frozenset":
            return frozenset(_hashable(dec(x)) for x in body)
        if tag == "$frame":
            return _frame(files[str(body)])
        if tag == "$float":
            return float(str(body))
        if tag == "$datetime":
            moment = datetime.fromisoformat(str(body))
            zone = v.get("zone")
            return moment.astimezone(ZoneInfo(str(zone))) if zone else moment
        if tag == "$date":
            return date.fromisoformat(str(body))
        if tag == "$timedelta":
            return timedelta(*[int(x) for x in body])
        if tag == "$path":
            return Path(str(body))
        if tag in ("$class", "$enum"):
            cls = registry.get(str(body))
            if cls is None:
                raise ValueError(f"the stage cache does not know {body}")
            if tag == "$enum":
                return cls(dec(v["value"]))
            fields = {f.name for f in dataclasses.fields(cls) if f.init and not f.name.startswith("_")}
            given = v["fields"]
            if not isinstance(given, dict) or set(given) - fields:
                raise ValueError(f"fields of {body} do not match")
            return cls(**{name: dec(x) for name, x in given.items()})
        raise ValueError(f"unknown stage cache tag {tag}")

    return dec(document)


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        raise ValueError("a list cannot be a key")
    return value
