"""``ReferenceModel``: a Soll process as conformance checking and rule checking use it.

It bundles the Petri net (with initial and final marking), the role expected for each activity (from the
BPMN lanes), the rule pack, the conversion report and where it all came from.

>>> from pathlib import Path
>>> ref = load_reference(Path("pmtool/reference_models/P3a_belehrung_43.bpmn"))  # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

from pmtool import limits
from pmtool.errors import ConfigError, Location, ModelError
from pmtool.i18n import t
from pmtool.models.bpmn import ConversionReport, load_bpmn
from pmtool.models.labels import (
    LabelMap,
    closest,
    label_map_beside,
    load_label_map,
    resolve_role,
    tied_labels,
)
from pmtool.models.petri import PetriNet, closing_labels, reachable_states, reduce_silent
from pmtool.models.pnml import load_pnml
from pmtool.models.rules import RulePack, load_rule_pack
from pmtool.vocabulary import vocabulary

RULES_SUFFIX = ".rules.toml"


@dataclass(frozen=True)
class ReferenceModel:
    name: str
    process: str | None  # P1, P2, P3a … when the rule pack or the activities say so
    net: PetriNet  # transitions labelled as the logs show them (task labels resolved, see models.labels)
    roles: dict[str, tuple[str, ...]]  # activity → the roles its lanes stand for
    rules: RulePack | None
    report: ConversionReport
    source: str
    sha256: str  # of the model file
    documentation: dict[str, str]
    closing: frozenset[str] = frozenset()  # activities that may end a case (see petri.closing_labels)
    task_labels: dict[str, str] = field(default_factory=dict)  # task as drawn → label conformance compares
    labels: LabelMap = field(default_factory=LabelMap)
    path: Path | None = field(default=None, compare=False, repr=False)  # the model file, to draw it as BPMN

    @property
    def activities(self) -> frozenset[str]:
        return self.net.labels

    @property
    def process_id(self) -> str:
        """The process as tables and messages name it: ``process``, else the model file's stem — never the
        model's own name, which for a PNML is often a tool's internal net id (``imdf_net_1683005706.78``)."""
        return self.process or Path(self.source).stem

    @property
    def fingerprint(self) -> str:
        """What makes two Soll models the same for comparison: the model file and its label map."""
        if not self.labels.sha256:
            return self.sha256
        return hashlib.sha256(f"{self.sha256}|{self.labels.sha256}".encode()).hexdigest()

    def _repr_html_(self) -> str:
        from pmtool.display import html_of  # how Jupyter shows it (pmtool.display)

        return html_of(self)

    @property
    def renamed(self) -> dict[str, str]:
        """The tasks whose label in the logs differs from the name drawn in the model."""
        return {task: label for task, label in self.task_labels.items() if task != label}


def rules_beside(model: Path) -> Path | None:
    """``<model stem>.rules.toml`` beside ``model``, if it exists."""
    candidate = model.with_name(model.name.rsplit(".", 1)[0] + RULES_SUFFIX)
    return candidate if candidate.exists() else None


def load_reference(path: Path, rules: Path | None = None, labels: Path | None = None, *,
                   compact: bool = True) -> ReferenceModel:
    """Load a Soll model (``.bpmn`` or ``.pnml``), its rule pack and its label map.

    ``rules`` defaults to ``<model stem>.rules.toml`` and ``labels`` to ``<model stem>.labels.toml`` beside
    the model when those files exist. Task labels are resolved to what the logs show
    (:mod:`pmtool.models.labels`), so the net's labels are canonical names or the logs' own labels.
    ``compact`` fuses every silent series step it can (:func:`~pmtool.models.petri.reduce_silent`,
    one-sided), which keeps alignments fast on large models; the simulator plays out the net with its
    gateways' silent branches kept (``compact=False``).
    """
    rules = rules or rules_beside(path)
    pack = load_rule_pack(rules) if rules else None
    labels = labels or label_map_beside(path)
    label_map = load_label_map(labels) if labels else LabelMap()
    if path.suffix.lower() == ".pnml":
        net, sha = load_pnml(path)
        roles, docs, report, name, targets = {}, {}, ConversionReport(), net.name, {}
    else:
        bpmn = load_bpmn(path)
        net, sha, roles, docs, report, name, targets = (bpmn.net, bpmn.sha256, bpmn.roles, bpmn.documentation,
                                                         bpmn.report, bpmn.name, bpmn.targets)
    bound = limits.current().state_space
    if reachable_states(net, bound) is None:  # e.g. dozens of parallel branches: 2^n states
        raise ModelError("limits.state_space", Location(str(path)), max=bound, env=limits.ENV["state_space"])
    if compact:
        net = reduce_silent(net, one_sided=True)
    task_labels = tied_labels(sorted(net.labels), targets, label_map, str(labels or path))
    net = relabel(net, task_labels)
    roles = _resolved_roles(roles, task_labels, label_map)
    docs = {task_labels.get(k, k): v for k, v in docs.items()}
    if pack is not None:
        pack = _pack_with_lanes(pack, label_map, roles, rules)
        check_rules_fit(pack, net, where=str(rules), model=path.name, task_labels=task_labels)
    process = pack.process if pack else _guess_process(net)
    return ReferenceModel(name, process, net, roles, pack, report, path.name, sha, docs, closing_labels(net),
                          task_labels, label_map, path)


def check_rules_fit(pack: RulePack, net: PetriNet, *, where: str, model: str,
                    task_labels: dict[str, str] | None = None) -> None:
    """Raise :class:`ConfigError` (at ``where``) when a rule of ``pack`` names an activity the model lacks, with
    a hint to the renamed task it probably means."""
    unknown = sorted({a for r in pack.rules for a in r.activities} - net.labels - _optional_markers(pack))
    if unknown:
        renamed = [t for t, lbl in (task_labels or {}).items() if lbl not in vocabulary().names()]
        near = closest(unknown[0], renamed)
        act = vocabulary().resolve(unknown[0])
        hint = t("reference.tie_hint", task=near, id=act.id if act else unknown[0]) if near else ""
        raise ConfigError("reference.rule_activity_not_in_model", Location(where), activity=unknown[0],
                          model=model, hint=hint)


def relabel(net: PetriNet, labels: dict[str, str]) -> PetriNet:
    """``net`` with each visible transition's label replaced by ``labels[label]`` (others unchanged)."""
    if all(labels.get(t.label, t.label) == t.label for t in net.transitions if t.label is not None):
        return net
    transitions = tuple(replace(t, label=labels.get(t.label, t.label)) if t.label is not None else t
                        for t in net.transitions)
    return PetriNet(net.name, net.places, transitions, net.arcs, net.initial, net.final)


def _resolved_roles(roles: dict[str, tuple[str, ...]], task_labels: dict[str, str],
                    label_map: LabelMap) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for task, lanes in roles.items():
        target = out.setdefault(task_labels.get(task, task), [])
        for lane in lanes:
            role = resolve_role(lane, label_map.lanes)
            if role not in target:
                target.append(role)
    return {k: tuple(v) for k, v in sorted(out.items())}


def _pack_with_lanes(pack: RulePack, label_map: LabelMap, roles: dict[str, tuple[str, ...]],
                     where: Path | None) -> RulePack:
    """Role rules may name the Soll's lanes: each becomes the role its lane stands for. A role that is
    neither a role of the vocabulary, nor a lane of the model, nor a lane-map target is an error."""
    known = set(vocabulary().roles()) | {r for rs in roles.values() for r in rs} | set(label_map.lanes) \
        | set(label_map.lanes.values())
    rules = []
    for rule in pack.rules:
        if rule.kind == "role":
            for role in rule.roles:
                if role not in known:
                    close = difflib.get_close_matches(role, sorted(known), n=1)
                    raise ConfigError("reference.unknown_role", Location(str(where)), rule=rule.id, role=role,
                                      hint=close[0] if close else ", ".join(sorted(known)[:5]))
            rule = replace(rule, roles=tuple(dict.fromkeys(resolve_role(r, label_map.lanes) for r in rule.roles)))
        rules.append(rule)
    return replace(pack, rules=tuple(rules), by_id={r.id: r for r in rules})


def _optional_markers(pack: RulePack) -> set[str]:
    # "absent" rules name activities that are deviations, hence not in the Soll model
    return {r.activity for r in pack.rules if r.kind == "absent" and r.activity}


def _guess_process(net: PetriNet) -> str | None:
    vocab = vocabulary()
    found = {vocab.resolve(label).process for label in net.labels if vocab.resolve(label)}  # type: ignore[union-attr]
    return found.pop() if len(found) == 1 else None
