"""A simulated office's P1 cases as the rows of a SORMAS-like case database, every change a version.

SORMAS keeps each entity's earlier versions in a ``<table>_history`` table (``temporal_tables``): a row's
``sys_period`` says when that version was valid; the live table holds the current version. Here every
event of a simulated case becomes one change of one row, so that the extraction profile
``pmtool/ingest/database/profiles/sormas.toml`` reads the same events back:

- state changes of the case (``cases``): report received, case number assigned, investigation done,
  classification, quarantine ordered verbally and in writing, order sent, outcome;
- contacts (``contact``: registered, follow-up started), samples (``samples``: registered, shipped, received)
  and pathogen tests (``pathogentest``: result issued, result verified);
- every other step is a task (``task``) of its own type, done (``taskstatus`` → ``DONE``).

Steps entered from paper (only the day is known) set a ``date`` column instead of the time. A step that
repeats a state (a second "investigation done") is preceded by a version that undoes it one second
earlier (reopened), which is not an event. Users are the office's staff as its exports name them, with
their role; events without a user have none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pmtool.simulate.generate import GeneratedLog

ZONE = ZoneInfo("Europe/Berlin")
_SECOND = timedelta(seconds=1)

#: table → (column, SQL type); every table but ``users`` also gets ``sys_period`` and a history table.
TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "users": (("id", "bigint PRIMARY KEY"), ("uuid", "varchar(36) NOT NULL"), ("username", "varchar(512)"),
              ("userrole", "varchar(255)")),
    "cases": (("id", "bigint"), ("uuid", "varchar(36) NOT NULL"), ("disease", "varchar(255)"),
              ("epidnumber", "varchar(512)"), ("reportdate", "timestamp"), ("reportinguser_id", "bigint"),
              ("caseclassification", "varchar(255)"), ("classificationdate", "timestamp"),
              ("classificationuser_id", "bigint"), ("investigationstatus", "varchar(255)"),
              ("investigateddate", "date"), ("quarantineorderedverbally", "boolean"),
              ("quarantineorderedverballydate", "timestamp"), ("quarantineorderedofficialdocument", "boolean"),
              ("quarantineorderedofficialdocumentdate", "timestamp"), ("quarantineofficialordersent", "boolean"),
              ("quarantineofficialordersentdate", "date"), ("outcome", "varchar(255)"), ("outcomedate", "date"),
              ("creationdate", "timestamp"), ("changedate", "timestamp"), ("change_user_id", "bigint")),
    "contact": (("id", "bigint"), ("uuid", "varchar(36) NOT NULL"), ("caze_id", "bigint"),
                ("reportdatetime", "timestamp"), ("contactclassification", "varchar(255)"),
                ("followupstatus", "varchar(255)"), ("followupstatuschangedate", "timestamp"),
                ("creationdate", "timestamp"), ("changedate", "timestamp"), ("change_user_id", "bigint")),
    "samples": (("id", "bigint"), ("uuid", "varchar(36) NOT NULL"), ("associatedcase_id", "bigint"),
                ("reportdatetime", "timestamp"), ("shipped", "boolean"), ("shipmentdate", "timestamp"),
                ("received", "boolean"), ("receiveddate", "timestamp"), ("creationdate", "timestamp"),
                ("changedate", "timestamp"), ("change_user_id", "bigint")),
    "pathogentest": (("id", "bigint"), ("uuid", "varchar(36) NOT NULL"), ("sample_id", "bigint"),
                     ("testresult", "varchar(255)"), ("testdatetime", "timestamp"),
                     ("testresultverified", "boolean"), ("creationdate", "timestamp"),
                     ("changedate", "timestamp"), ("change_user_id", "bigint")),
    "task": (("id", "bigint"), ("uuid", "varchar(36) NOT NULL"), ("caze_id", "bigint"),
             ("taskcontext", "varchar(255)"), ("tasktype", "varchar(255)"), ("taskstatus", "varchar(255)"),
             ("statuschangedate", "timestamp"), ("completiondate", "date"), ("assigneeuser_id", "bigint"),
             ("creationdate", "timestamp"), ("changedate", "timestamp"), ("change_user_id", "bigint")),
}
VERSIONED = ("cases", "contact", "samples", "pathogentest", "task")
#: P1 steps without a field of their own in the case database: the task type that stands for each.
TASK_TYPES = {
    "IS-02": "REPORT_SCREENING", "IS-03": "JURISDICTION_CHECK", "IS-03a": "REPORT_FORWARDING",
    "IS-04": "REPORT_LINKING", "IS-06": "MEDICAL_TRIAGE", "IS-07": "FIRST_CONTACT",
    "IS-10": "SURVNET_TRANSMISSION", "IS-11": "RKI_FORWARDING", "IS-16": "ORDER_SIGNATURE",
    "IS-23": "CASE_CORRECTION", "IS-24": "QUARANTINE_MANAGEMENT", "IS-26": "CASE_FILING",
    "IS-90": "CASE_HANDOVER", "IS-91": "OUTBREAK_LINKING", "IS-92": "DUPLICATE_MERGE",
}


class RepresentationError(ValueError):
    """A simulated event has no place in the database (a simulator bug, never a user error)."""


@dataclass
class Row:
    """One row of a versioned table while its versions are built: the current state and every version."""

    table: str
    state: dict[str, Any]
    versions: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)

    def change(self, at: datetime, **values: Any) -> None:
        if self.versions and at <= self.versions[-1][0]:
            raise RepresentationError(f"{self.table} {self.state['id']}: change at {at} is not after the last")
        self.state.update(values)
        self.versions.append((at, dict(self.state)))

    def set_state(self, at: datetime, column: str, value: Any, undo: Any, **values: Any) -> None:
        """Change ``column`` to ``value``; when it holds that value already, undo it one second earlier."""
        if self.state.get(column) == value:
            self.change(at - _SECOND, **{column: undo})
        self.change(at, **{column: value}, **values)


@dataclass(frozen=True)
class Event:
    act: str
    local: datetime  # wall-clock time in Europe/Berlin
    at: datetime  # the same instant in UTC: when the change was saved
    user: int | None
    date_only: bool

    @property
    def day(self) -> date | None:
        return self.local.date() if self.date_only else None

    @property
    def time(self) -> datetime | None:
        return None if self.date_only else self.local


@dataclass
class Database:
    """The rows of one office's database, filled case by case with :meth:`add_log`."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in VERSIONED})
    users: dict[tuple[str, str], int] = field(default_factory=dict)

    def user(self, name: str | None, role: str) -> int | None:
        if name is None:
            return None
        return self.users.setdefault((name, role), len(self.users) + 1)

    def new_row(self, table: str, at: datetime, event: Event, **values: Any) -> Row:
        rows = self.rows[table]
        number = len(rows) + 1
        initial = {column: None for column, _ in TABLES[table]}
        initial.update(id=number, uuid=f"{table[:2].upper()}-{number:09d}", creationdate=event.local)
        row = Row(table, initial)
        row.change(at, changedate=event.local, change_user_id=event.user, **values)
        rows.append(row)
        return row

    def add_log(self, log: GeneratedLog, epoch: datetime) -> None:
        """Every P1 case of ``log`` (artefact rows left out: they exist only in exports)."""
        frame = log.rows.filter(log.rows["artefact"].is_null())
        by_case: dict[int, list[tuple[Any, ...]]] = {}
        for row in frame.select("seq", "act", "t", "role", "resource", "date_only", "attribute").iter_rows():
            by_case.setdefault(row[0], []).append(row)
        for seq, events in by_case.items():
            _Case(self, log.case_ids[seq - 1], events[0][6], epoch).run(events)

    def users_rows(self) -> list[tuple[Any, ...]]:
        return [(number, f"US-{number:09d}", name, role) for (name, role), number in self.users.items()]


class _Case:
    """Builds the rows of one case from its events in time order."""

    def __init__(self, db: Database, raw_id: str, disease: str | None, epoch: datetime) -> None:
        self.db, self.raw_id, self.disease, self.epoch = db, raw_id, disease, epoch
        self.case: Row | None = None
        self.latest: dict[str, Row] = {}
        self.previous: Event | None = None

    def run(self, events: list[tuple[Any, ...]]) -> None:
        for _, act, t, role, resource, date_only, _ in sorted(events, key=lambda e: e[2]):
            local = self.epoch + timedelta(minutes=t)
            event = Event(act, local, local.replace(tzinfo=ZONE).astimezone(UTC), self.db.user(resource, role),
                          bool(date_only))
            if event.date_only and act not in DATE_ONLY_HOMES:
                raise RepresentationError(f"{act}: no date-only field for it in the database")
            self.ensure_case(event)
            handler = HANDLERS.get(act) or (_task if act in TASK_TYPES else None)
            if handler is None:
                raise RepresentationError(f"{act}: no place for it in the database")
            handler(self, event)
            self.previous = event

    def ensure_case(self, event: Event) -> Row:
        if self.case is None:
            self.case = self.db.new_row("cases", event.at - _SECOND, event, uuid=self.raw_id, disease=self.disease,
                                        caseclassification="NOT_CLASSIFIED", investigationstatus="PENDING",
                                        outcome="NO_OUTCOME", quarantineorderedverbally=False,
                                        quarantineorderedofficialdocument=False,
                                        quarantineofficialordersent=False)
        return self.case

    def on_case(self, event: Event, column: str, value: Any, undo: Any, **values: Any) -> None:
        assert self.case is not None
        self.case.set_state(event.at, column, value, undo, changedate=event.local, change_user_id=event.user,
                            **values)

    def child(self, table: str, event: Event, create: Callable[[], Row] | None = None) -> Row:
        """The case's latest row of ``table``; one registered a second earlier when there is none yet."""
        row = self.latest.get(table)
        if row is None:
            row = create() if create else self.register(table, event, event.at - _SECOND, {})
        return row

    def register(self, table: str, event: Event, at: datetime, values: dict[str, Any]) -> Row:
        assert self.case is not None
        link = {"contact": "caze_id", "samples": "associatedcase_id", "task": "caze_id"}.get(table)
        if link:
            values[link] = self.case.state["id"]
        if table == "pathogentest":
            sample = self.child("samples", event, lambda: self.register("samples", event, at - _SECOND, {}))
            values["sample_id"] = sample.state["id"]
        row = self.db.new_row(table, at, event, **{**_INITIAL.get(table, {}), **values})
        if table != "task":
            self.latest[table] = row
        return row


_INITIAL = {
    "contact": {"contactclassification": "UNCONFIRMED", "followupstatus": "NO_FOLLOW_UP"},
    "samples": {"shipped": False, "received": False},
    "pathogentest": {"testresult": "PENDING", "testresultverified": False},
}


def _report(case: _Case, e: Event) -> None:
    case.on_case(e, "reportdate", e.local, None, reportinguser_id=e.user)


def _case_number(case: _Case, e: Event) -> None:
    case.on_case(e, "epidnumber", case.raw_id, None)


def _investigated(case: _Case, e: Event) -> None:
    case.on_case(e, "investigationstatus", "DONE", "PENDING", investigateddate=e.day)


def _classified(case: _Case, e: Event) -> None:
    assert case.case is not None
    value = "PROBABLE" if case.case.state["caseclassification"] == "CONFIRMED" else "CONFIRMED"
    case.on_case(e, "caseclassification", value, None, classificationdate=e.local, classificationuser_id=e.user)


def _verbal_order(case: _Case, e: Event) -> None:
    case.on_case(e, "quarantineorderedverbally", True, False, quarantineorderedverballydate=e.local)


def _written_order(case: _Case, e: Event) -> None:
    case.on_case(e, "quarantineorderedofficialdocument", True, False, quarantineorderedofficialdocumentdate=e.local)


def _order_sent(case: _Case, e: Event) -> None:
    case.on_case(e, "quarantineofficialordersent", True, False, quarantineofficialordersentdate=e.day)


def _outcome(case: _Case, e: Event) -> None:
    case.on_case(e, "outcome", "RECOVERED", "NO_OUTCOME", outcomedate=e.day)


def _contact(case: _Case, e: Event) -> None:
    case.register("contact", e, e.at, {"reportdatetime": e.local})


def _follow_up(case: _Case, e: Event) -> None:
    case.child("contact", e).set_state(e.at, "followupstatus", "FOLLOW_UP", "NO_FOLLOW_UP",
                                       followupstatuschangedate=e.local, changedate=e.local, change_user_id=e.user)


def _sample(case: _Case, e: Event) -> None:
    case.register("samples", e, e.at, {"reportdatetime": e.local})


def _shipped(case: _Case, e: Event) -> None:
    case.child("samples", e).set_state(e.at, "shipped", True, False, shipmentdate=e.local, changedate=e.local,
                                       change_user_id=e.user)


def _received(case: _Case, e: Event) -> None:
    case.child("samples", e).set_state(e.at, "received", True, False, receiveddate=e.local, changedate=e.local,
                                       change_user_id=e.user)


def _test(case: _Case, e: Event) -> None:
    case.register("pathogentest", e, e.at, {"testdatetime": e.local, "testresult": "POSITIVE"})


def _verified(case: _Case, e: Event) -> None:
    case.child("pathogentest", e).set_state(e.at, "testresultverified", True, False, changedate=e.local,
                                            change_user_id=e.user)


def _task(case: _Case, e: Event) -> None:
    created = case.previous.at if case.previous and case.previous.at < e.at else e.at - _SECOND
    created_local = case.previous.local if case.previous and case.previous.at < e.at else e.local
    task = case.register("task", e, created, {"taskcontext": "CASE", "tasktype": TASK_TYPES[e.act],
                                              "taskstatus": "PENDING", "assigneeuser_id": e.user,
                                              "creationdate": created_local})
    task.change(e.at, taskstatus="DONE", statuschangedate=e.time, completiondate=e.day, changedate=e.local,
                change_user_id=e.user)


HANDLERS: dict[str, Callable[[_Case, Event], None]] = {
    "IS-01": _report, "IS-05": _case_number, "IS-08": _investigated, "IS-09": _classified,
    "IS-12": _contact, "IS-13": _follow_up, "IS-14": _verbal_order, "IS-15": _written_order,
    "IS-17": _order_sent, "IS-18": _sample, "IS-19": _shipped, "IS-20": _received, "IS-21": _test,
    "IS-22": _verified, "IS-25": _outcome,
}
#: Steps that may be known only by their day, and where that day goes.
DATE_ONLY_HOMES = {"IS-08", "IS-17", "IS-24", "IS-25", "IS-26"}
