"""The results folder as pmtool's own ground: marked as such, and the only place where pmtool deletes.

A folder becomes a results folder when pmtool first writes into it: it must then be new or empty, and
pmtool puts the marker file :data:`MARKER` into it. An existing folder that is neither empty nor marked
(a home folder, ``/etc``, another program's data) is refused before anything is computed, so a wrong
``--out`` or ``output`` costs nothing. Inside a marked folder pmtool deletes only

* files the previous run's manifest lists with their SHA-256, that are still those bytes, that this run no
  longer makes, and that are reached without passing a symbolic link;
* its own temporary files of an interrupted run (``.<name>.<8 characters>.tmp`` beside an output,
  ``.report.<8 characters>`` folders, ``.tmp-…`` in the cache) — also without following links;
* cache entries the cache proves to be its own (:meth:`pmtool.stage_cache.StageCache.owns`).

Nothing is written through a symbolic link inside the folder either (:func:`check_targets`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from pmtool.errors import ConfigError, InputError, Location

MARKER = ".pmtool-results"
_MARKER_TEXT = ("pmtool results folder. pmtool writes here, and deletes only files its own manifest.json lists "
                "and its own temporary files.\n")
_LEGACY_FORMAT = "pmtool-run/1"  # a results folder written before the marker existed has this manifest
_TMP_FILE = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")
_TMP_DIR = re.compile(r"\.report\.[a-z0-9_]{8}|\.tmp-.+")


def check(out: Path) -> None:
    """Refuse ``out`` unless it is missing, an empty folder, a marked one, or one holding an earlier pmtool
    run's manifest; nothing is written. Raises :class:`ConfigError` for a file or a foreign folder."""
    where = Location(str(out))
    try:
        info = os.stat(out)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError("output.write_failed", where, reason=exc.strerror or str(exc)) from None
    if not stat.S_ISDIR(info.st_mode):
        raise ConfigError("results.not_a_folder", where)
    try:
        foreign = not _is_marked(out) and any(out.iterdir()) and not _earlier_run(out)
    except OSError as exc:
        raise InputError("output.write_failed", where, reason=exc.strerror or str(exc)) from None
    if foreign:
        raise ConfigError("results.foreign_folder", where, marker=MARKER)


def claim(out: Path) -> None:
    """Make ``out`` pmtool's results folder (:func:`check` first): create it with the marker, or mark an
    accepted one, and remove the temporary files of an interrupted run. Raises :class:`InputError` when the
    folder cannot be written."""
    check(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        if not _is_marked(out):
            (out / MARKER).write_text(_MARKER_TEXT, encoding="utf-8")
    except OSError as exc:
        raise InputError("output.write_failed", Location(str(exc.filename or out)),
                         reason=exc.strerror or str(exc)) from None
    remove_debris(out)


def release(out: Path) -> bool:
    """Remove ``out`` again when it holds nothing but the marker and empty folders: a run that made the folder
    and stopped before it kept anything (an error in an export, Ctrl-C) leaves no empty results folder
    behind. Anything else in it (a cached step, a file of the user's) keeps the folder as it is. Returns
    whether it was removed."""
    try:
        if not _is_marked(out) or (out / MARKER).read_text(encoding="utf-8") != _MARKER_TEXT:
            return False
        folders = []
        for root, dirs, files in os.walk(out, followlinks=False):
            if any(Path(root, d).is_symlink() for d in dirs) or (files and (Path(root) != out or files != [MARKER])):
                return False
            folders.append(Path(root))
        (out / MARKER).unlink()
        for folder in reversed(folders):  # the deepest first; rmdir removes only an empty folder
            folder.rmdir()
    except OSError:
        return False
    return True


def claimed(out: Path) -> Path:
    """``out`` after :func:`claim` (for a cache inside it)."""
    claim(out)
    return out


def _is_marked(out: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(out / MARKER).st_mode)
    except OSError:
        return False


def _earlier_run(out: Path) -> bool:
    path = out / "manifest.json"
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("format") == _LEGACY_FORMAT


def remove_debris(out: Path) -> int:
    """Remove pmtool's own temporary files and folders of an interrupted run anywhere below ``out`` (never
    following a link). Returns how many were removed."""
    removed = 0
    for folder, dirs, files in os.walk(out, followlinks=False):
        for name in files:
            path = Path(folder) / name
            if _TMP_FILE.fullmatch(name) and stat.S_ISREG(os.lstat(path).st_mode):
                path.unlink(missing_ok=True)
                removed += 1
        for name in list(dirs):
            path = Path(folder) / name
            if _TMP_DIR.fullmatch(name) and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
                dirs.remove(name)
                removed += 1
    return removed


def inside(out: Path, rel: str) -> Path | None:
    """``out / rel`` when ``rel`` is a plain relative path whose folders below ``out`` exist as real folders
    (no symbolic link, no ``..``), else ``None``."""
    parts = PurePosixPath(rel).parts
    if not parts or PurePosixPath(rel).is_absolute() or any(p in ("..", ".", "") for p in parts) or "\\" in rel:
        return None
    path = out
    for part in parts[:-1]:
        path = path / part
        try:
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                return None
        except OSError:
            return None
    return path / parts[-1]


def check_targets(out: Path, targets: Iterable[Path]) -> None:
    """Raise :class:`ConfigError` ``results.link`` when a folder between ``out`` and a target is a symbolic
    link (writing there would write outside the results folder)."""
    for target in targets:
        path = out
        for part in target.relative_to(out).parts[:-1]:
            path = path / part
            if path.is_symlink():
                raise ConfigError("results.link", Location(str(path)))


def remove_stale(out: Path, listed: Iterable[dict], written: set[str]) -> list[str]:
    """Delete the outputs an earlier manifest ``listed`` (``path``, ``sha256``) that this run did not write,
    when each is still a plain file inside ``out`` with exactly the bytes the manifest records. Returns the
    relative paths removed."""
    removed = []
    for item in listed:
        rel, digest = item.get("path"), item.get("sha256")
        if not isinstance(rel, str) or not isinstance(digest, str) or rel in written:
            continue
        path = inside(out, rel)
        if path is None or not _same_file(path, digest):
            continue
        path.unlink()
        removed.append(rel)
        _remove_empty_parents(out, path)
    return removed


def _remove_empty_parents(out: Path, path: Path) -> None:
    """Remove the folders between ``path`` and ``out`` that removing ``path`` left empty (a report's tables
    folder of the other language, say), never ``out`` itself."""
    root = out.resolve()
    parent = path.parent
    while parent.resolve() != root and root in parent.resolve().parents and not parent.is_symlink():
        try:
            parent.rmdir()  # only succeeds when empty
        except OSError:
            return
        parent = parent.parent


def _same_file(path: Path, digest: str) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return False
        sha = hashlib.sha256()
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest() == digest
