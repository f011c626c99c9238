"""Rule packs: the legal deadlines, orderings, mandatory activities and role rules beside a Soll model.

A rule pack is a versioned TOML file with a validity period. Every rule has a stable ``id``, a ``basis``
(``legal`` with its ``source`` such as "§ 11 Abs. 1 IfSG", ``service_level`` or ``style``) and a
``severity``. Activities are named by vocabulary id (``IS-10``) or canonical name.

Kinds::

    deadline   from → to within N working days / hours / calendar days (end of the due day by default);
               ``alt_from`` lists further clock starts where the law is ambiguous
    order      ``first`` must not be preceded by ``then``: "never THEN before FIRST"
    mandatory  ``activity`` must occur (optionally only in cases where ``if_present`` occurred)
    role       ``activity`` may only be done by one of ``roles``
    absent     ``activity`` must not occur (e.g. a no-show marker counted as a deviation)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pmtool.config_file import Settings, read_toml, refuse_unknown_keys
from pmtool.errors import ConfigError, Location
from pmtool.vocabulary import vocabulary

KINDS = ("deadline", "order", "mandatory", "role", "absent")
BASES = ("legal", "service_level", "style")
SEVERITIES = ("high", "medium", "low")
UNITS = ("working_days", "calendar_days", "hours")
_PACK_KEYS = {"id", "process", "model", "version", "valid_from", "valid_to", "title", "description"}
_RULE_KEYS = {
    "deadline": {"from", "to", "within", "alt_from", "due", "if_present"},
    "order": {"first", "then"},
    "mandatory": {"activity", "if_present"},
    "role": {"activity", "roles"},
    "absent": {"activity"},
}
_COMMON = {"id", "kind", "title", "title_en", "source", "basis", "severity", "note"}


@dataclass(frozen=True)
class Rule:
    """One rule. Activity fields hold canonical activity names (resolved from ids at load time)."""

    id: str
    kind: str
    title: str
    basis: str
    severity: str
    source: str = ""
    title_en: str = ""
    note: str = ""
    activity: str | None = None  # mandatory, role, absent
    first: str | None = None  # order
    then: str | None = None  # order
    start: str | None = None  # deadline: clock start
    end: str | None = None  # deadline: the activity that must happen in time
    alt_starts: tuple[str, ...] = ()
    amount: float | None = None
    unit: str | None = None
    due: str = "end_of_day"  # working/calendar days: end of the due day | "exact" (start + duration)
    if_present: str | None = None
    roles: tuple[str, ...] = ()

    @property
    def activities(self) -> tuple[str, ...]:
        names = (self.activity, self.first, self.then, self.start, self.end, self.if_present, *self.alt_starts)
        return tuple(n for n in names if n)


@dataclass(frozen=True)
class RulePack:
    id: str
    process: str
    version: str
    title: str
    valid_from: date | None
    valid_to: date | None
    rules: tuple[Rule, ...]
    model: str | None = None
    description: str = ""
    source: str = ""
    sha256: str = ""
    by_id: dict[str, Rule] = field(default_factory=dict, compare=False, repr=False)

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


def load_rule_pack(path: Path) -> RulePack:
    """Read and validate a rule pack; :class:`ConfigError` names the file, the rule and the fix."""
    where = str(path)
    raw, data = read_toml(path, "rules")
    pack = rule_pack_from_dict(raw, where=where)
    return RulePack(**{**pack.__dict__, "source": path.name, "sha256": hashlib.sha256(data).hexdigest()})


def rule_pack_from_dict(raw: dict[str, Any], *, where: str = "<rules>") -> RulePack:
    unknown = set(raw) - {"pack", "rules"}
    if unknown:
        raise ConfigError("rules.unknown_key", Location(where), key=sorted(unknown)[0], hint="pack, rules")
    head = raw.get("pack")
    if not isinstance(head, dict):
        raise ConfigError("rules.no_pack", Location(where))
    _check(head, _PACK_KEYS, "pack", where)
    for required in ("id", "process", "version", "title"):
        if not isinstance(head.get(required), str) or not head[required].strip():
            raise ConfigError("rules.missing", Location(where), key=f"pack.{required}")
    rules_raw = raw.get("rules", [])
    if not isinstance(rules_raw, list) or not rules_raw:
        raise ConfigError("rules.no_rules", Location(where))
    rules = tuple(_rule(r, i, where) for i, r in enumerate(rules_raw, 1))
    ids = [r.id for r in rules]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError("rules.duplicate_id", Location(where), id=dupes[0])
    valid_from, valid_to = _date(head.get("valid_from"), "pack.valid_from", where), \
        _date(head.get("valid_to"), "pack.valid_to", where)
    if valid_from and valid_to and valid_to < valid_from:
        raise ConfigError("rules.bad_period", Location(where))
    return RulePack(
        id=head["id"], process=head["process"], version=head["version"], title=head["title"],
        valid_from=valid_from, valid_to=valid_to, rules=rules, model=head.get("model"),
        description=head.get("description", ""), by_id={r.id: r for r in rules},
    )


def _check(table: dict[str, Any], allowed: set[str], prefix: str, where: str) -> None:
    refuse_unknown_keys(table, allowed, kind="rules", prefix=f"{prefix}.", where=where)
    texts = Settings("rules", where)
    for key in ("title_en", "note", "source", "description", "model"):
        texts.text(table, key, None, f"{prefix}.")


def _date(value: Any, key: str, where: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError("rules.bad_value", Location(where), key=key, expected="a date YYYY-MM-DD") from None


def _activity(value: Any, key: str, where: str) -> str:
    act = vocabulary().resolve(value) if isinstance(value, str) else None
    if act is None:
        raise ConfigError("rules.unknown_activity", Location(where), key=key, value=value)
    return act.name


def _rule(raw: Any, position: int, where: str) -> Rule:
    if not isinstance(raw, dict):
        raise ConfigError("rules.bad_value", Location(where), key=f"rules[{position}]", expected="a table")
    rid = raw.get("id")
    label = f"rules[{position}]" if not isinstance(rid, str) else rid
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ConfigError("rules.bad_value", Location(where), key=f"{label}.kind", expected=" | ".join(KINDS))
    _check(raw, _COMMON | _RULE_KEYS[kind], label, where)
    for required in ("id", "title", "basis", "severity"):
        if not isinstance(raw.get(required), str) or not raw[required].strip():
            raise ConfigError("rules.missing", Location(where), key=f"{label}.{required}")
    if raw["basis"] not in BASES:
        raise ConfigError("rules.bad_value", Location(where), key=f"{label}.basis", expected=" | ".join(BASES))
    if raw["severity"] not in SEVERITIES:
        raise ConfigError("rules.bad_value", Location(where), key=f"{label}.severity",
                          expected=" | ".join(SEVERITIES))
    if raw["basis"] == "legal" and not raw.get("source"):
        raise ConfigError("rules.legal_needs_source", Location(where), id=rid)
    common = dict(id=rid, kind=kind, title=raw["title"], basis=raw["basis"], severity=raw["severity"],
                  source=raw.get("source", ""), title_en=raw.get("title_en", ""), note=raw.get("note", ""))
    if_present = _activity(raw["if_present"], f"{label}.if_present", where) if "if_present" in raw else None
    if kind == "deadline":
        within = raw.get("within")
        if not isinstance(within, dict) or len(within) != 1 or next(iter(within)) not in UNITS \
                or not isinstance(next(iter(within.values())), int | float) \
                or isinstance(next(iter(within.values())), bool) or next(iter(within.values())) < 0:
            raise ConfigError("rules.bad_value", Location(where), key=f"{label}.within",
                              expected="{ working_days = 1 } or { hours = 24 } or { calendar_days = 30 }")
        unit, amount = next(iter(within.items()))
        due = raw.get("due", "end_of_day" if unit != "hours" else "exact")
        if due not in ("end_of_day", "exact"):
            raise ConfigError("rules.bad_value", Location(where), key=f"{label}.due", expected='"end_of_day" | "exact"')
        alt = raw.get("alt_from", [])
        if not isinstance(alt, list):
            raise ConfigError("rules.bad_value", Location(where), key=f"{label}.alt_from", expected="a list")
        return Rule(**common, start=_activity(raw.get("from"), f"{label}.from", where),
                    end=_activity(raw.get("to"), f"{label}.to", where),
                    alt_starts=tuple(_activity(a, f"{label}.alt_from", where) for a in alt),
                    amount=float(amount), unit=unit, due=due, if_present=if_present)
    if kind == "order":
        return Rule(**common, first=_activity(raw.get("first"), f"{label}.first", where),
                    then=_activity(raw.get("then"), f"{label}.then", where))
    if kind == "role":
        roles = raw.get("roles")
        if not isinstance(roles, list) or not roles or not all(isinstance(r, str) for r in roles):
            raise ConfigError("rules.bad_value", Location(where), key=f"{label}.roles", expected='a list of role names')
        return Rule(**common, activity=_activity(raw.get("activity"), f"{label}.activity", where),
                    roles=tuple(roles))
    return Rule(**common, activity=_activity(raw.get("activity"), f"{label}.activity", where),
                if_present=if_present)
