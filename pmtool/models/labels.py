"""Labels between a Soll model and the logs: which activity of the logs each Soll task means, and which role
each lane means.

A modeller names tasks as the working group speaks ("Ermittlung begonnen"); the logs hold the vocabulary's
canonical names ("Ermittlung begonnen (Erstkontakt Betroffene/r)") or, outside the vocabulary, the export's
own labels. A task is tied to what the logs show in one of two ways:

- a **label map** beside the model, ``<model stem>.labels.toml`` (or ``labels = …`` in the project file)::

      [tasks]                                   # Soll task = vocabulary id, canonical name, or a log label
      "Ermittlung begonnen" = "IS-07"
      "Kontaktperson informiert" = "Kontaktperson informiert/beraten"
      "Vorgang geschlossen" = "Akte zu"         # not in the vocabulary: the label the logs show

      [lanes]                                   # Soll lane = role of the vocabulary (or of the profiles)
      "Ärztin/Arzt" = "Ärztin/Arzt Infektionsschutz"

- an attribute on the task in the BPMN file, ``pmtool:activity="IS-07"`` with
  ``xmlns:pmtool="urn:pmtool:bpmn"`` (the label map wins where both are given).

A target the vocabulary knows (id or canonical name) becomes its canonical name; anything else is taken as
the label the logs show. Conformance then compares the tied labels; the label check
(:mod:`pmtool.conform.labels`) catches a task no office shows.

>>> resolve_target("IS-07")
'Ermittlung begonnen (Erstkontakt Betroffene/r)'
>>> resolve_target("Akte zu")
'Akte zu'
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pmtool.config_file import read_toml, refuse_unknown_keys
from pmtool.errors import ConfigError, Location
from pmtool.vocabulary import vocabulary

LABELS_SUFFIX = ".labels.toml"
#: Namespace of pmtool's attributes in BPMN files (``pmtool:activity`` on a task).
BPMN_NAMESPACE = "urn:pmtool:bpmn"
_TOP = {"tasks", "lanes"}


@dataclass(frozen=True)
class LabelMap:
    """Soll task → what the logs show (as written), Soll lane → role; where it came from."""

    tasks: dict[str, str] = field(default_factory=dict)
    lanes: dict[str, str] = field(default_factory=dict)
    source: str | None = None
    sha256: str | None = None


def label_map_beside(model: Path) -> Path | None:
    """``<model stem>.labels.toml`` beside ``model``, if it exists."""
    candidate = model.with_name(model.name.rsplit(".", 1)[0] + LABELS_SUFFIX)
    return candidate if candidate.exists() else None


def load_label_map(path: Path) -> LabelMap:
    """Read and validate a label map; raises :class:`ConfigError` naming the file, key and fix."""
    raw, data = read_toml(path, "labels")
    return label_map_from_dict(raw, where=str(path), source=path.name, sha256=hashlib.sha256(data).hexdigest())


def label_map_from_dict(raw: dict[str, Any], *, where: str = "<labels>", source: str | None = None,
                        sha256: str | None = None) -> LabelMap:
    """Validate a label map given as the parsed TOML."""
    refuse_unknown_keys(raw, _TOP, kind="labels", prefix="", where=where)
    tables = {}
    for name in sorted(_TOP):
        table = raw.get(name, {})
        if not isinstance(table, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                                  for k, v in table.items()):
            raise ConfigError("labels.bad_value", Location(where), key=name,
                              expected=f'"label" = "target" under [{name}]')
        tables[name] = {k.strip(): v.strip() for k, v in table.items()}
    return LabelMap(tables["tasks"], tables["lanes"], source, sha256)


def resolve_target(target: str) -> str:
    """The label a Soll task tied to ``target`` stands for in the logs: the canonical name when the
    vocabulary knows ``target`` (id or name), else ``target`` itself."""
    act = vocabulary().resolve(target)
    return act.name if act is not None else target


def resolve_role(value: str, lanes: dict[str, str]) -> str:
    """The role a lane name (or role) stands for: the lane map's target, else ``value``."""
    return lanes.get(value, value)


def tied_labels(tasks: list[str], attributes: dict[str, str], label_map: LabelMap,
                where: str) -> dict[str, str]:
    """Soll task label → the label conformance compares, for every task of the model.

    ``attributes`` holds the BPMN's ``pmtool:activity`` per task; the label map wins over it. A label-map
    entry for a task the model does not have is an error (a typo would otherwise change nothing)."""
    unknown = sorted(set(label_map.tasks) - set(tasks))
    if unknown:
        close = difflib.get_close_matches(unknown[0], tasks, n=1)
        raise ConfigError("labels.unknown_task", Location(where), task=unknown[0],
                          hint=close[0] if close else ", ".join(tasks[:5]))
    # an untied task named like a vocabulary entry (id, or the name in other spelling) means that entry
    return {task: resolve_target(label_map.tasks.get(task) or attributes.get(task) or task) for task in tasks}


def similarity(a: str, b: str) -> float:
    """How alike two labels read (0 … 1): difflib's ratio, raised when one contains the other, as a shortened
    name does ("Ermittlung begonnen" in "Ermittlung begonnen (Erstkontakt Betroffene/r)")."""
    x, y = a.casefold().strip(), b.casefold().strip()
    ratio = difflib.SequenceMatcher(None, x, y).ratio()
    short, long = sorted((x, y), key=len)
    if len(short) >= 5 and short in long:
        ratio = max(ratio, 0.8 + 0.2 * len(short) / len(long))
    return ratio


def closest(label: str, candidates: Sequence[str], cutoff: float = 0.6) -> str | None:
    """The candidate most like ``label`` (ties: alphabetical), if it is at least ``cutoff`` alike."""
    scored = sorted(((similarity(label, c), c) for c in candidates if c != label), key=lambda x: (-x[0], x[1]))
    return scored[0][1] if scored and scored[0][0] >= cutoff else None
