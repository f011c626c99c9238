"""The canonical activity vocabulary (domain brief, section 7): stable ids, German names, default roles.

The bundled file ``vocabulary.toml`` holds P1, P2, P3a and P3b. A project can bring processes of its own in a
file of the same format (``[processes.<id>] vocabulary = …`` in the project file, ``--vocabulary`` on the
command line); while :func:`extended` is active, :func:`vocabulary` holds them too, and every stage handles
them like the bundled ones. ``docs/vocabulary.md`` lists the bundled vocabulary (generated, tested to be
current).

>>> vocabulary().resolve("IS-10").name
'Fall an Landesstelle übermittelt'
>>> vocabulary().resolve("fall an landesstelle übermittelt").id
'IS-10'
"""

from __future__ import annotations

import difflib
import hashlib
import tomllib
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pmtool.config_file import read_toml, refuse_unknown_keys
from pmtool.errors import ConfigError, Location

_PROCESS_KEYS = {"name", "gloss", "activities"}
_ACTIVITY_KEYS = {"id", "name", "gloss", "role"}


@dataclass(frozen=True)
class Activity:
    id: str
    name: str
    gloss: str
    role: str
    process: str


@dataclass(frozen=True)
class Process:
    id: str
    name: str
    gloss: str
    activities: tuple[Activity, ...]
    source: str = "pmtool"  # "pmtool" for the bundled processes, else the file that brought it


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@dataclass(frozen=True, eq=False)
class Vocabulary:
    processes: dict[str, Process]
    fingerprint: str = ""  # SHA-256 of the files it was read from (part of every cache key that uses it)

    @property
    def activities(self) -> tuple[Activity, ...]:
        return tuple(a for p in self.processes.values() for a in p.activities)

    def resolve(self, key: str) -> Activity | None:
        """The activity with id ``key`` (e.g. "IS-10") or canonical name ``key`` (case/space-insensitive)."""
        return _index(self).get(_norm(key))

    def names(self) -> frozenset[str]:
        return frozenset(a.name for a in self.activities)

    def roles(self) -> tuple[str, ...]:
        """Every role the vocabulary names, in order of first appearance."""
        return tuple(dict.fromkeys(a.role for a in self.activities if a.role))

    def process_title(self, pid: str, lang: str = "de") -> str | None:
        """The process's name (English: its gloss, where there is one); ``None`` for a process it lacks."""
        proc = self.processes.get(pid)
        if proc is None:
            return None
        return proc.gloss if lang == "en" and proc.gloss else proc.name

    def close_matches(self, text: str, n: int = 3) -> list[str]:
        """Canonical names (and ids) that look like ``text``, best first."""
        names = {a.name: a.name for a in self.activities} | {a.id: a.id for a in self.activities}
        return difflib.get_close_matches(text, list(names), n=n, cutoff=0.6)


@cache
def _index(vocab: Vocabulary) -> dict[str, Activity]:
    index: dict[str, Activity] = {}
    for act in vocab.activities:
        index[_norm(act.id)] = act
        index[_norm(act.name)] = act
    return index


def _bundled_text() -> str:
    return resources.files("pmtool.vocabulary").joinpath("vocabulary.toml").read_text("utf-8")


@cache
def bundled() -> Vocabulary:
    """The vocabulary shipped with pmtool (P1, P2, P3a, P3b)."""
    text = _bundled_text()
    processes = parse_processes(tomllib.loads(text), where="pmtool/vocabulary/vocabulary.toml", source="pmtool")
    return Vocabulary(processes, hashlib.sha256(text.encode()).hexdigest())


_active: Vocabulary | None = None


def vocabulary() -> Vocabulary:
    """The vocabulary in effect: the bundled one, plus a project's processes while :func:`extended` runs."""
    return _active or bundled()


def parse_processes(raw: dict[str, Any], *, where: str, source: str) -> dict[str, Process]:
    """The ``[processes.<id>]`` tables of a vocabulary file, validated (unknown keys, missing ids or names,
    duplicates within the file); raises :class:`ConfigError` naming the file and key."""
    refuse_unknown_keys(raw, {"processes"}, kind="vocabulary", prefix="", where=where)
    tables = raw.get("processes")
    if not isinstance(tables, dict) or not tables:
        raise ConfigError("vocabulary.no_processes", Location(where))
    processes: dict[str, Process] = {}
    seen: dict[str, str] = {}
    for pid, proc in tables.items():
        if not isinstance(proc, dict):
            raise ConfigError("vocabulary.bad_value", Location(where), key=f"processes.{pid}", expected="a table")
        refuse_unknown_keys(proc, _PROCESS_KEYS, kind="vocabulary", prefix=f"processes.{pid}.", where=where)
        acts_raw = proc.get("activities")
        if not isinstance(acts_raw, list) or not acts_raw:
            raise ConfigError("vocabulary.bad_value", Location(where), key=f"processes.{pid}.activities",
                              expected='a list of { id = "…", name = "…", role = "…" }')
        acts = []
        for i, a in enumerate(acts_raw, 1):
            key = f"processes.{pid}.activities[{i}]"
            if not isinstance(a, dict):
                raise ConfigError("vocabulary.bad_value", Location(where), key=key, expected="a table { … }")
            refuse_unknown_keys(a, _ACTIVITY_KEYS, kind="vocabulary", prefix=key + ".", where=where)
            for field in ("id", "name"):
                if not isinstance(a.get(field), str) or not a[field].strip():
                    raise ConfigError("vocabulary.bad_value", Location(where), key=f"{key}.{field}",
                                      expected="text in quotes")
            for field in (a["id"], a["name"]):
                if _norm(field) in seen:
                    raise ConfigError("vocabulary.duplicate", Location(where), value=field, other=seen[_norm(field)])
                seen[_norm(field)] = f"{pid}/{a['id']}"
            acts.append(Activity(a["id"].strip(), a["name"].strip(), str(a.get("gloss", "")), str(a.get("role", "")),
                                 pid))
        name = proc.get("name", pid)
        processes[pid] = Process(pid, str(name), str(proc.get("gloss", "")), tuple(acts), source)
    return processes


def load_vocabulary_file(path: Path, *, process: str | None = None) -> tuple[dict[str, Process], str]:
    """The processes of a project's vocabulary file and the file's SHA-256. With ``process``, the file must
    define exactly that process. Raises :class:`ConfigError` naming the file, key and fix."""
    where = str(path)
    raw, data = read_toml(path, "vocabulary")
    processes = parse_processes(raw, where=where, source=path.name)
    if process is not None and list(processes) != [process]:
        raise ConfigError("vocabulary.wrong_process", Location(where), process=process,
                          found=", ".join(processes))
    return processes, hashlib.sha256(data).hexdigest()


def combine(files: Sequence[Path]) -> Vocabulary:
    """The bundled vocabulary with the processes of ``files`` (each a vocabulary file). A file may not
    redefine a process, an id or a name the vocabulary already has (:class:`ConfigError`)."""
    base = bundled()
    processes = dict(base.processes)
    owner = {_norm(x): f"{a.process}/{a.id}" for a in base.activities for x in (a.id, a.name)}
    digests = [base.fingerprint]
    for path in files:
        extra, digest = load_vocabulary_file(path)
        digests.append(digest)
        for pid, proc in extra.items():
            if pid in processes:
                raise ConfigError("vocabulary.process_exists", Location(str(path)), process=pid,
                                  source=processes[pid].source)
            for act in proc.activities:
                for value in (act.id, act.name):
                    if _norm(value) in owner:
                        raise ConfigError("vocabulary.duplicate", Location(str(path)), value=value,
                                          other=owner[_norm(value)])
                    owner[_norm(value)] = f"{pid}/{act.id}"
            processes[pid] = proc
    return Vocabulary(processes, hashlib.sha256("|".join(digests).encode()).hexdigest())


@contextmanager
def extended(files: Sequence[Path]) -> Iterator[Vocabulary]:
    """Make the processes of ``files`` part of :func:`vocabulary` while the ``with`` block runs (no files:
    the vocabulary stays as it is). Raises :class:`ConfigError` for a bad file before the block runs.

    >>> with extended([]) as vocab:
    ...     sorted(vocab.processes)
    ['P1', 'P2', 'P3a', 'P3b']
    """
    with using(combine(files) if files else None) as vocab:
        yield vocab


@contextmanager
def using(vocab: Vocabulary | None) -> Iterator[Vocabulary]:
    """Make ``vocab`` the vocabulary in effect while the ``with`` block runs (``None``: leave it as it is)."""
    global _active
    previous = _active
    if vocab is not None:
        _active = vocab
    try:
        yield vocabulary()
    finally:
        _active = previous
