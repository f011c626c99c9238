"""Small inline logs for the discovery tests: traces written as activity sequences with hour offsets."""

from __future__ import annotations

import datetime as dt

import polars as pl

from pmtool.eventlog.log import EventLog
from pmtool.vocabulary import vocabulary

T0 = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)


def make_log(cases: dict[str, list[tuple[str, float]]], office: str = "GA-01") -> EventLog:
    """``{"c1": [("Meldung eingegangen", 0), ("Fall angelegt", 2.5)]}``: activity and hours after T0."""
    rows = [{"office": office, "case_id": case, "activity": act, "activity_code": _code(act),
             "timestamp": T0 + dt.timedelta(hours=h)}
            for case, events in cases.items() for act, h in events]
    return EventLog.from_frame(pl.DataFrame(rows, schema_overrides={"activity_code": pl.String}))


def _code(activity: str) -> str | None:
    found = vocabulary().resolve(activity)
    return found.id if found else None


def combine_frames(*logs: EventLog) -> EventLog:
    return EventLog.from_frame(pl.concat([lg.frame for lg in logs]))


ERM = "Ermittlung begonnen (Erstkontakt Betroffene/r)"

#: A P1-like log: 6 cases, a choice (triage or not), a loop (correction) and one case ending early.
P1_CASES: dict[str, list[tuple[str, float]]] = {
    "a": [("Meldung eingegangen", 0), ("Fall angelegt", 1), (ERM, 25),
          ("Fall an Landesstelle übermittelt", 49), ("Fall abgeschlossen", 120)],
    "b": [("Meldung eingegangen", 0), ("Fall angelegt", 3), ("Fall priorisiert (ärztliche Erstbewertung)", 4),
          ("Ermittlung begonnen (Erstkontakt Betroffene/r)", 5), ("Fall an Landesstelle übermittelt", 30),
          ("Fall abgeschlossen", 200)],
    "c": [("Meldung eingegangen", 0), ("Fall angelegt", 0.5), (ERM, 2),
          ("Fall an Landesstelle übermittelt", 26), ("Fall aktualisiert / Korrektur übermittelt", 50),
          ("Fall an Landesstelle übermittelt", 51), ("Fall abgeschlossen", 300)],
    "d": [("Meldung eingegangen", 0), ("Fall angelegt", 2), (ERM, 3),
          ("Fall an Landesstelle übermittelt", 27), ("Fall abgeschlossen", 100)],
    "e": [("Meldung eingegangen", 0), ("Fall angelegt", 8)],
    "f": [("Meldung eingegangen", 0), ("Fall angelegt", 1), ("Fall priorisiert (ärztliche Erstbewertung)", 1),
          ("Ermittlung begonnen (Erstkontakt Betroffene/r)", 9), ("Fall an Landesstelle übermittelt", 33),
          ("Fall abgeschlossen", 150)],
}
