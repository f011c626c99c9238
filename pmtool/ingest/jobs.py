"""Which exports to ingest with which profile: a single file, or a folder of exports with profiles beside them.

The export ``GA-07_meldefaelle.csv`` is read with ``GA-07_meldefaelle.profile.toml`` beside it when that
file exists and no profile is given; XES, OCEL and canonical Parquet can be read without one. Files whose
names start with ``ground_truth``, ``README``, ``_`` or ``.`` are not exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pmtool.errors import InputError, Location
from pmtool.ingest import registry

PROFILE_SUFFIX = ".profile.toml"
_NOT_EXPORTS = (".summary.json", ".quarantine.csv")
#: Files in an export folder that are documentation or simulator ground truth, never exports.
_NOT_EXPORT_PREFIXES = (".", "_", "ground_truth", "readme")


@dataclass(frozen=True)
class IngestJob:
    export: Path
    profile: Path | None
    name: str  # output name, relative to the output folder (may contain a sub-folder)


def export_stem(path: Path) -> str:
    """File name without its format suffix (``a.xes.gz`` → ``a``)."""
    name = path.name
    registry._load_builtin_readers()
    suffixes = sorted({s for e in registry.READERS.values() for s in e.suffixes}, key=len, reverse=True)
    for suffix in suffixes:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def profile_beside(export: Path) -> Path | None:
    """``<name>.profile.toml`` beside the export ``<name>.<ext>``, if that file exists."""
    candidate = export.with_name(export_stem(export) + PROFILE_SUFFIX)
    return candidate if candidate.is_file() else None


def collect_jobs(exports: list[Path], profile: Path | None) -> list[IngestJob]:
    """Expand folders; pair exports with profiles. ``profile`` applies to single files only."""
    jobs: list[IngestJob] = []
    for export in exports:
        if export.is_dir():
            if profile is not None:
                raise InputError("jobs.profile_with_folder", Location(str(export)))
            jobs.extend(_folder_jobs(export))
        else:
            jobs.append(IngestJob(export, profile or profile_beside(export), export_stem(export)))
    names = [j.name for j in jobs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError("jobs.duplicate_name", Location(dupes[0]))
    return jobs


def is_export(path: Path) -> bool:
    """Whether a file in an export folder is an export: a format pmtool reads, and not a profile, an ingest
    output, documentation or simulator ground truth."""
    name = path.name.lower()
    if name.endswith(PROFILE_SUFFIX) or name.endswith(_NOT_EXPORTS) or name.startswith(_NOT_EXPORT_PREFIXES):
        return False
    registry._load_builtin_readers()
    try:
        registry.detect_format(path)
    except InputError:
        return False  # READMEs, notes and the like
    return True


def _folder_jobs(folder: Path) -> list[IngestJob]:
    jobs = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and is_export(p)):
        rel = path.parent.relative_to(folder) / export_stem(path)
        jobs.append(IngestJob(path, profile_beside(path), rel.as_posix()))
    if not jobs:
        raise InputError("jobs.empty_folder", Location(str(folder)))
    return jobs
