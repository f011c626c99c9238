"""What-if edits of a Soll model's rule pack: change one rule, get a new, validated model; no file is touched.

The pack is turned back into the data of its TOML file (:func:`pack_to_dict`), the rule's keys are replaced,
and the result goes through the same validation as a file (:func:`~pmtool.models.rules.rule_pack_from_dict`
and the check that every activity is in the model). The changed pack gets its own SHA-256 and a version
``<version>+what-if.<hash>``, so stage caches and bundles never mix it up with the pack on disk.

>>> from pathlib import Path
>>> model = load_reference(Path("pmtool/reference_models/P1_meldefallbearbeitung.bpmn"))  # doctest: +SKIP
>>> relaxed = with_rule_changed(model, "P1-L-11-GA", {"within": {"working_days": 2}})  # doctest: +SKIP
>>> relaxed.rules.by_id["P1-L-11-GA"].amount  # doctest: +SKIP
2.0
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from pmtool.errors import ConfigError, Location
from pmtool.models.reference import ReferenceModel, check_rules_fit
from pmtool.models.rules import Rule, RulePack, rule_pack_from_dict

#: Rule fields → key in the rule pack file, per kind (the file's own names; ``from``/``to`` for deadlines).
_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "deadline": (("start", "from"), ("end", "to"), ("due", "due"), ("if_present", "if_present")),
    "order": (("first", "first"), ("then", "then")),
    "mandatory": (("activity", "activity"), ("if_present", "if_present")),
    "role": (("activity", "activity"),),
    "absent": (("activity", "activity"),),
}
_TEXT = ("title", "basis", "severity", "source", "title_en", "note")


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    """The rule as it would stand in a rule pack file (activities by canonical name)."""
    out: dict[str, Any] = {"id": rule.id, "kind": rule.kind}
    out.update({key: getattr(rule, key) for key in _TEXT if getattr(rule, key)})
    for attr, key in _FIELDS[rule.kind]:
        value = getattr(rule, attr)
        if value:
            out[key] = value
    if rule.kind == "deadline":
        out["within"] = {rule.unit: rule.amount}
        if rule.alt_starts:
            out["alt_from"] = list(rule.alt_starts)
    if rule.kind == "role":
        out["roles"] = list(rule.roles)
    return out


def pack_to_dict(pack: RulePack) -> dict[str, Any]:
    """The rule pack as the data of its TOML file."""
    head: dict[str, Any] = {"id": pack.id, "process": pack.process, "version": pack.version, "title": pack.title}
    for key in ("valid_from", "valid_to", "model", "description"):
        value = getattr(pack, key)
        if value:
            head[key] = value
    return {"pack": head, "rules": [rule_to_dict(r) for r in pack.rules]}


def with_rule_changed(reference: ReferenceModel, rule_id: str, changes: Mapping[str, Any]) -> ReferenceModel:
    """``reference`` with the keys ``changes`` (rule pack file names, e.g. ``within``, ``roles``,
    ``severity``) of rule ``rule_id`` replaced; a value ``None`` removes the key.

    Raises :class:`ConfigError` when the model has no rule pack or no such rule, or when the changed rule
    is not valid (the same message a rule pack file would get)."""
    pack = reference.rules
    if pack is None:
        raise ConfigError("whatif.no_rules", Location(reference.source))
    if rule_id not in pack.by_id:
        raise ConfigError("whatif.unknown_rule", Location(pack.source or None), id=rule_id,
                          known=", ".join(r.id for r in pack.rules))
    raw = pack_to_dict(pack)
    for rule in raw["rules"]:
        if rule["id"] == rule_id:
            for key, value in changes.items():
                if value is None:
                    rule.pop(key, None)
                else:
                    rule[key] = value
    where = f"{pack.source or pack.id} ({rule_id})"
    changed = rule_pack_from_dict(raw, where=where)
    check_rules_fit(changed, reference.net, where=where, model=reference.source)
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False, default=_plain).encode()).hexdigest()
    changed = replace(changed, version=f"{pack.version}+what-if.{digest[:8]}", source=pack.source, sha256=digest)
    return replace(reference, rules=changed)


def _plain(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)
