"""The canonical activity vocabulary (domain brief, section 7): stable ids, German names, default roles.

>>> vocabulary().resolve("IS-10").name
'Fall an Landesstelle übermittelt'
>>> vocabulary().resolve("fall an landesstelle übermittelt").id
'IS-10'
"""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources


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


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@dataclass(frozen=True, eq=False)
class Vocabulary:
    processes: dict[str, Process]

    @property
    def activities(self) -> tuple[Activity, ...]:
        return tuple(a for p in self.processes.values() for a in p.activities)

    def resolve(self, key: str) -> Activity | None:
        """The activity with id ``key`` (e.g. "IS-10") or canonical name ``key`` (case/space-insensitive)."""
        return _index(self).get(_norm(key))

    def names(self) -> frozenset[str]:
        return frozenset(a.name for a in self.activities)


@cache
def _index(vocab: Vocabulary) -> dict[str, Activity]:
    index: dict[str, Activity] = {}
    for act in vocab.activities:
        index[_norm(act.id)] = act
        index[_norm(act.name)] = act
    return index


@cache
def vocabulary() -> Vocabulary:
    """The bundled vocabulary."""
    raw = tomllib.loads(resources.files("pmtool.vocabulary").joinpath("vocabulary.toml").read_text("utf-8"))
    processes = {}
    for pid, proc in raw["processes"].items():
        acts = tuple(Activity(process=pid, **a) for a in proc["activities"])
        processes[pid] = Process(pid, proc["name"], proc["gloss"], acts)
    return Vocabulary(processes)
