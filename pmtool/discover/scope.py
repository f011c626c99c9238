"""What one discovery looks at: the cases of one office in one process (P1, P2, P3a of the vocabulary).

A case belongs to the process most of its mapped activities belong to (ties: the process listed first in
the vocabulary); a case whose activities are all outside the vocabulary has no process (``None``) and is
discovered as it is. All events of a case stay with it, mapped or not.

>>> import polars as pl, datetime as dt
>>> from pmtool.eventlog.log import EventLog
>>> t0 = dt.datetime(2025, 3, 3, 8, tzinfo=dt.timezone.utc)
>>> log = EventLog.from_frame(pl.DataFrame({"office": ["GA-01"] * 2, "case_id": ["a", "a"],
...     "activity": ["Meldung eingegangen", "Fall angelegt"], "activity_code": ["IS-01", "IS-05"],
...     "timestamp": [t0, t0 + dt.timedelta(hours=2)]}))
>>> [(s.office, s.process, s.log.n_cases) for s in scopes(log)]
[('GA-01', 'P1', 1)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from pmtool.errors import InputError, Location
from pmtool.eventlog import schema
from pmtool.eventlog.log import EventLog, Provenance
from pmtool.vocabulary import vocabulary

PROCESS = "process"


@dataclass(frozen=True)
class Scope:
    """The cases of one ``office`` in one ``process`` (vocabulary id, ``None``: outside the vocabulary)."""

    office: str
    process: str | None
    log: EventLog

    @property
    def process_name(self) -> str | None:
        """The German name of the process (``Meldefallbearbeitung``), ``None`` outside the vocabulary."""
        proc = vocabulary().processes.get(self.process or "")
        return proc.name if proc else None


def case_processes(log: EventLog) -> pl.DataFrame:
    """One row per case: ``office``, ``case_id``, ``process`` (``None``: no activity in the vocabulary)."""
    vocab = vocabulary()
    order = list(vocab.processes)
    acts = vocab.activities
    code_process = pl.DataFrame(
        {schema.ACTIVITY_CODE: [a.id for a in acts], PROCESS: [a.process for a in acts],
         "_rank": [order.index(a.process) for a in acts]},
        schema={schema.ACTIVITY_CODE: pl.String, PROCESS: pl.String, "_rank": pl.Int32},
    )
    key = [schema.OFFICE, schema.CASE_ID]
    events = log.frame.lazy()  # each step reads only its columns
    cases = events.select(key).unique(maintain_order=True)
    coded = (events.select(*key, schema.ACTIVITY_CODE)
             .join(code_process.lazy(), on=schema.ACTIVITY_CODE, how="inner")
             .group_by(*key, PROCESS, "_rank").len()
             .sort([*key, "len", "_rank"], descending=[False, False, True, False])
             .group_by(key, maintain_order=True).first()
             .select(*key, PROCESS))
    return cases.join(coded, on=key, how="left", maintain_order="left").collect()


def scopes(log: EventLog, process: str | None = None,
           offices: Sequence[str] | None = None) -> tuple[Scope, ...]:
    """Split ``log`` into one :class:`Scope` per office and process, sorted by office, then process
    (cases outside the vocabulary last). ``process`` keeps only that process (an id such as ``P1``);
    ``offices`` keeps only those offices.

    Raises :class:`InputError` for an unknown process id or when nothing is left to discover."""
    known = list(vocabulary().processes)
    if process is not None and process not in known:
        raise InputError("discover.unknown_process", Location(), process=process, known=", ".join(known))
    per_case = case_processes(log)
    every_case = per_case.height
    if process is not None:
        per_case = per_case.filter(pl.col(PROCESS) == process)
    if offices is not None:
        per_case = per_case.filter(pl.col(schema.OFFICE).is_in(list(offices)))
    if per_case.is_empty():
        raise InputError("discover.no_cases", Location(), process=process or "—")
    groups = (per_case.select(schema.OFFICE, PROCESS).unique()
              .with_columns(pl.col(PROCESS).is_null().alias("_none"))
              .sort([schema.OFFICE, "_none", PROCESS]))
    if groups.height == 1 and per_case.height == every_case:  # one office and process: the log is its scope
        office, proc = groups.row(0)[:2]
        return (Scope(office, proc, EventLog.from_frame(log.frame, log.provenance, assume_sorted=True)),)
    tagged = log.frame.join(per_case, on=[schema.OFFICE, schema.CASE_ID], how="inner", maintain_order="left")
    out = []
    for office, proc in groups.select(schema.OFFICE, PROCESS).iter_rows():
        frame = tagged.filter((pl.col(schema.OFFICE) == office)
                              & (pl.col(PROCESS).is_null() if proc is None else pl.col(PROCESS) == proc))
        sub = EventLog.from_frame(frame.drop(PROCESS), log.provenance, assume_sorted=True)
        out.append(Scope(office, proc, sub))
    return tuple(out)


def combine(logs: Sequence[EventLog]) -> EventLog:
    """Several canonical logs as one (canonical columns only; extra attributes differ between exports).

    Events of the same office and case id from two logs form one case, as the same pseudonymisation key
    gives the same pseudonym for the same case."""
    if len(logs) == 1:
        return logs[0]
    frame = pl.concat([lg.frame.select(schema.CANONICAL) for lg in logs], how="vertical")
    sources = tuple(s for lg in logs for s in lg.provenance.sources)
    first = logs[0].provenance
    provenance = Provenance(sources=sources, pseudonymised=all(lg.provenance.pseudonymised for lg in logs),
                            key_id=first.key_id, pmtool_version=first.pmtool_version)
    return EventLog.from_frame(frame, provenance)
