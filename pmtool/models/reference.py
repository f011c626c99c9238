"""``ReferenceModel``: a Soll process as conformance checking and rule checking use it.

It bundles the Petri net (with initial and final marking), the role expected for each activity (from the
BPMN lanes), the rule pack, the conversion report and where it all came from.

>>> from pathlib import Path
>>> ref = load_reference(Path("pmtool/reference_models/P3a_belehrung_43.bpmn"))  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pmtool.errors import ConfigError, Location
from pmtool.models.bpmn import ConversionReport, load_bpmn
from pmtool.models.petri import PetriNet, closing_labels
from pmtool.models.pnml import load_pnml
from pmtool.models.rules import RulePack, load_rule_pack
from pmtool.vocabulary import vocabulary

RULES_SUFFIX = ".rules.toml"


@dataclass(frozen=True)
class ReferenceModel:
    name: str
    process: str | None  # P1, P2, P3a … when the rule pack or the activities say so
    net: PetriNet
    roles: dict[str, tuple[str, ...]]
    rules: RulePack | None
    report: ConversionReport
    source: str
    sha256: str
    documentation: dict[str, str]
    closing: frozenset[str] = frozenset()  # activities that may end a case (see petri.closing_labels)
    path: Path | None = field(default=None, compare=False, repr=False)  # the model file, to draw it as BPMN

    @property
    def activities(self) -> frozenset[str]:
        return self.net.labels

    def _repr_html_(self) -> str:
        from pmtool.display import html_of  # how Jupyter shows it (pmtool.display)

        return html_of(self)


def load_reference(path: Path, rules: Path | None = None) -> ReferenceModel:
    """Load a Soll model (``.bpmn`` or ``.pnml``) and its rule pack.

    ``rules`` defaults to ``<model stem>.rules.toml`` beside the model when that file exists.
    """
    if rules is None:
        candidate = path.with_name(path.name.rsplit(".", 1)[0] + RULES_SUFFIX)
        rules = candidate if candidate.exists() else None
    pack = load_rule_pack(rules) if rules else None
    if path.suffix.lower() == ".pnml":
        net, sha = load_pnml(path)
        roles, docs, report, name = {}, {}, ConversionReport(), net.name
    else:
        bpmn = load_bpmn(path)
        net, sha, roles, docs, report, name = (bpmn.net, bpmn.sha256, bpmn.roles, bpmn.documentation,
                                                bpmn.report, bpmn.name)
    if pack is not None:
        check_rules_fit(pack, net, where=str(rules), model=path.name)
    process = pack.process if pack else _guess_process(net)
    return ReferenceModel(name, process, net, roles, pack, report, path.name, sha, docs, closing_labels(net), path)


def check_rules_fit(pack: RulePack, net: PetriNet, *, where: str, model: str) -> None:
    """Raise :class:`ConfigError` (at ``where``) when a rule of ``pack`` names an activity the model lacks."""
    unknown = sorted({a for r in pack.rules for a in r.activities} - net.labels - _optional_markers(pack))
    if unknown:
        raise ConfigError("reference.rule_activity_not_in_model", Location(where), activity=unknown[0], model=model)


def _optional_markers(pack: RulePack) -> set[str]:
    # "absent" rules name activities that are deviations, hence not in the Soll model
    return {r.activity for r in pack.rules if r.kind == "absent" and r.activity}


def _guess_process(net: PetriNet) -> str | None:
    vocab = vocabulary()
    found = {vocab.resolve(label).process for label in net.labels if vocab.resolve(label)}  # type: ignore[union-attr]
    return found.pop() if len(found) == 1 else None
