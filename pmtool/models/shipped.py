"""The Soll models pmtool ships (P1, P2, P3a as BPMN 2.0 with their rule packs), for projects to start from.

They live inside the package (``pmtool/reference_models``), so an installed pmtool has them without a source
checkout. :func:`export_models` copies them into a project's folder — never over a file that is there.

>>> sorted(p.name for p in shipped_models())[:2]
['P1_meldefallbearbeitung.bpmn', 'P1_meldefallbearbeitung.rules.toml']
"""

from __future__ import annotations

from pathlib import Path

from pmtool.errors import ConfigError, Location
from pmtool.ingest.output import write_atomically

MODEL_DIR = Path(__file__).resolve().parents[1] / "reference_models"


def shipped_models() -> tuple[Path, ...]:
    """The shipped Soll models and rule packs, sorted by name."""
    return tuple(sorted(p for p in MODEL_DIR.iterdir() if p.suffix in (".bpmn", ".toml")))


def export_models(folder: Path, *, only_missing: bool = False) -> tuple[Path, ...]:
    """Copy every shipped model and rule pack into ``folder`` (created if missing); the files written.

    An existing file is never overwritten: :class:`ConfigError` names it, unless ``only_missing`` (then the
    files already there are left as they are and not written)."""
    targets = {folder / p.name: p for p in shipped_models()}
    there = [t for t in targets if t.exists()]
    if there and not only_missing:
        raise ConfigError("models.exists", Location(str(there[0])))
    todo = {t: s for t, s in targets.items() if not t.exists()}
    write_atomically({t: (lambda p, s=s: p.write_bytes(s.read_bytes())) for t, s in todo.items()})
    return tuple(sorted(todo))
