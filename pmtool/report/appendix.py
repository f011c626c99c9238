"""The data and method appendix: what was imported per office (with quarantine reasons, secondary
suppression over the totals), which offices are comparable, the Soll models and rule packs used, how the
numbers are computed, and what it takes to reproduce the report (input hashes, versions, settings)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from pmtool import __version__
from pmtool.compare.disclosure import Protection
from pmtool.compare.gate import comparability
from pmtool.compare.outcome import reason_text
from pmtool.compare.publication import ALL
from pmtool.compare.score import BASIS_WEIGHT, IMPACT_CAP_DAYS, SEVERITY_WEIGHT
from pmtool.graphviz import dot_version
from pmtool.i18n import t, tn
from pmtool.report import numbers
from pmtool.report.context import Cell, Table
from pmtool.report.summary import process_name
from pmtool.report.suppression import SUPPRESSED, import_key, report_protection

if TYPE_CHECKING:
    from pmtool.analysis import Analysis


@dataclass(frozen=True)
class ModelInfo:
    name: str
    facts: tuple[tuple[str, str], ...]
    rules: Table | None
    conversion: tuple[str, ...]


@dataclass(frozen=True)
class Appendix:
    imports: Table
    comparability: Table
    comparability_text: str  # one sentence when every office is comparable everywhere (then no table is shown)
    models: tuple[ModelInfo, ...]
    method: tuple[tuple[str, tuple[str, ...]], ...]  # (heading, paragraphs)
    weights: Table
    versions: Table
    settings: Table
    inputs: Table  # the checksums of the inputs: shown in the annex


def build_appendix(analysis: Analysis, lang: str, *, protection: Protection | None = None) -> Appendix:
    """The appendix; ``protection``: the report's disclosure check (computed when not given)."""
    comparable = _comparability(analysis, lang)
    ok = t("report.gate.ok", lang)
    all_ok = all(c.text.startswith(ok) for _, cells in comparable.rows for c in cells)
    text = tn("report.gate.all_ok", len(analysis.processes), lang,
              offices=tn("report.n.offices", len(comparable.rows), lang)) if all_ok else ""
    protection = protection or report_protection(analysis)
    return Appendix(imports=_imports(analysis, lang, protection.hidden), comparability=comparable,
                    comparability_text=text,
                    models=tuple(_model(analysis, pid, lang) for pid in analysis.processes),
                    method=_method(analysis, lang), weights=_weights(lang), versions=_versions(lang),
                    settings=_settings(analysis, lang), inputs=_inputs(analysis, lang))


def _imports(analysis: Analysis, lang: str, hidden: frozenset) -> Table:
    """Per office: rows read, loaded and quarantined (per reason), mapping coverage and cases; totals. The
    counts the report's disclosure check hides (``hidden``; relations: loaded + quarantined = read, the
    reasons add up to quarantined, every column to its total, an office's cases to its processes' cases)
    are "·"."""
    offices = sorted({i.summary.office for i in analysis.ingests})
    reasons = sorted({r for i in analysis.ingests for r in i.summary.quarantine_by_reason})
    cols = ["read", "loaded", *(f"q:{r}" for r in reasons), "quarantined", "cases"]
    values: dict[tuple[str, str], int] = {}
    mapped: dict[str, int] = {}
    exports: dict[str, list[str]] = {}
    for o in offices:
        for c in cols:
            values[(o, c)] = 0
        mapped[o] = 0
    for i in analysis.ingests:
        s = i.summary
        values[(s.office, "read")] += s.rows_read
        values[(s.office, "loaded")] += s.rows_loaded
        values[(s.office, "quarantined")] += s.rows_quarantined
        values[(s.office, "cases")] += s.cases
        for r, n in s.quarantine_by_reason.items():
            values[(s.office, f"q:{r}")] += n
        mapped[s.office] += s.mapped_events
        exports.setdefault(s.office, []).append(s.format)
    for c in cols:
        values[("__all__", c)] = sum(values[(o, c)] for o in offices)

    def shown(o: str, c: str) -> bool:
        return import_key(ALL if o == "__all__" else o, c) not in hidden

    def cells(o: str) -> tuple[Cell, ...]:
        out = [Cell(str(len(exports.get(o, []))) if o != "__all__" else str(len(analysis.ingests))),
               Cell(", ".join(sorted(set(exports.get(o, [])))) if o != "__all__" else "", numeric=False)]
        out += [Cell(numbers.count(values[(o, c)], lang)) if shown(o, c) else Cell(SUPPRESSED, suppressed=True)
                for c in cols]
        loaded = values[(o, "loaded")] if o != "__all__" else sum(values[(x, "loaded")] for x in offices)
        cover = (mapped[o] if o != "__all__" else sum(mapped.values())) / loaded if loaded else None
        out.insert(len(out) - 1, Cell(numbers.rate(cover, lang)))
        return tuple(out)

    head = (t("report.imports.office", lang), t("report.imports.exports", lang), t("report.imports.formats", lang),
            t("report.imports.read", lang), t("report.imports.loaded", lang),
            *(t(f"reason.{r}", lang) for r in reasons), t("report.imports.quarantined", lang),
            t("report.imports.coverage", lang), t("report.imports.cases", lang))
    return Table(id="imports", caption=t("report.imports.caption", lang), head=head,
                 rows=tuple((analysis.project.office_names.get(o, o), cells(o)) for o in offices),
                 foot=((t("report.conf.all", lang), cells("__all__")),),
                 notes=(t("report.imports.note", lang),), css="imports")


def _comparability(analysis: Analysis, lang: str) -> Table:
    gate = analysis.comparison.settings.gate
    verdicts: dict[tuple[str, str], str] = {}
    compared = analysis.comparability
    for pid, pa in analysis.processes.items():
        # the gate's coverage (vocabulary ids and Soll task labels), not the import table's (vocabulary only)
        covered = {b.office: b.quality.get("coverage") for b in pa.bundles}
        for r in comparability(list(pa.bundles), gate).iter_rows(named=True):
            reason = r["not_comparable_reason"]
            if reason is None and compared.height:  # passed the gate, but maybe without a peer to compare with
                row = compared.filter((pl.col("process") == pid) & (pl.col("office") == r["office"]))
                reason = row["reason"][0] if row.height else None
            text = _gate_text(reason, gate, lang)
            value = covered.get(r["office"])
            if value is not None and not (reason or "").startswith("coverage:"):  # that reason names it already
                text = t("report.gate.with_coverage", lang, verdict=text, value=numbers.rate(value, lang))
            verdicts[(r["office"], pid)] = text
    offices = sorted({o for o, _ in verdicts})
    pids = list(analysis.processes)
    names = analysis.project.office_names
    rows = tuple((names.get(o, o), tuple(Cell(verdicts.get((o, p), "—"), numeric=False,
                                css="" if verdicts.get((o, p), "").startswith(t("report.gate.ok", lang))
                                else "strong")
                           for p in pids)) for o in offices)
    head = (t("report.imports.office", lang), *(process_name(analysis, p, lang) for p in pids))
    return Table(id="comparability", caption=t("report.gate.caption", lang), head=head, rows=rows,
                 notes=(t("report.gate.note", lang, coverage=numbers.rate(gate.min_coverage, lang),
                          date_only=numbers.rate(gate.max_date_only_share, lang),
                          running=numbers.rate(gate.max_running_share, lang),
                          overlap=numbers.rate(gate.min_period_overlap, lang)),), css="comparability")


def _gate_text(reason: str | None, gate: object, lang: str) -> str:
    return reason_text(reason, lang)


def _model(analysis: Analysis, pid: str, lang: str) -> ModelInfo:
    ref = analysis.processes[pid].reference
    silent = sum(1 for tr in ref.net.transitions if tr.label is None)
    facts = [(t("report.models.file", lang), ref.source), (t("report.models.sha", lang), ref.sha256),
             (t("report.models.net", lang), t("report.models.net_value", lang, places=len(ref.net.places),
                                               transitions=len(ref.net.transitions), silent=silent))]
    table = None
    if ref.rules is not None:
        p = ref.rules
        start = p.valid_from.isoformat() if p.valid_from else "—"
        validity = f"{start} – {p.valid_to.isoformat() if p.valid_to else '…'}"
        facts += [(t("report.models.pack", lang), f"{p.id} · {p.title}"), (t("report.models.version", lang), p.version),
                  (t("report.models.validity", lang), validity), (t("report.models.rules_file", lang), p.source),
                  (t("report.models.rules_sha", lang), p.sha256)]
        rows = tuple((r.id, (Cell((r.title_en if lang == "en" and r.title_en else r.title), numeric=False),
                             Cell(t(f"report.rule_kind.{r.kind}", lang), numeric=False),
                             Cell(t(f"report.basis.{r.basis}", lang), numeric=False),
                             Cell(t(f"report.severity.{r.severity}", lang), numeric=False),
                             Cell(r.source or "—", numeric=False))) for r in p.rules)
        head = (t("report.models.rule_id", lang), t("report.models.rule_title", lang), t("report.models.kind", lang),
                t("report.models.basis", lang), t("report.models.severity", lang), t("report.models.source", lang))
        notes = tuple(f"{r.id}: {r.note}" for r in p.rules if r.note)  # why a rule reads as it does
        table = Table(id=f"rules-{pid}", caption=t("report.models.rules_caption", lang, pack=p.id), head=head,
                      rows=rows, notes=notes, css="rules")
    conversion = tuple(f"{i.element_type} {i.element_id} „{i.name}“: {i.action} – {i.detail}"
                       for i in ref.report.items)
    return ModelInfo(process_name(analysis, pid, lang), tuple(facts), table, conversion)


def _method(analysis: Analysis, lang: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    s = analysis.comparison.settings
    k = analysis.project.privacy_threshold
    p = analysis.project
    return (
        (t("report.method.conformance.title", lang), (
            t("report.method.conformance.text", lang),
            t("report.method.deadlines", lang, incomplete=t(f"report.method.incomplete.{p.incomplete}", lang),
              stale=p.stale_after_days))),
        (t("report.method.score.title", lang), (
            t("report.method.score.formula", lang),
            t("report.method.score.excess", lang, confidence=numbers.rate(s.confidence, lang)),
            t("report.method.score.weight", lang),
            t("report.method.score.impact", lang, cap=numbers.decimal(IMPACT_CAP_DAYS, lang, 0)))),
        (t("report.method.stats.title", lang), (
            t("report.method.stats.text", lang, confidence=numbers.rate(s.confidence, lang),
              fdr=numbers.decimal(s.fdr, lang, 2)),
            t("report.method.stats.finding", lang, fdr=numbers.decimal(s.fdr, lang, 2)))),
        (t("report.method.priority.title", lang), (t("report.method.priority.text", lang),)),
        (t("report.method.privacy.title", lang), (t("report.method.privacy.text", lang, k=k),)),
    )


def _weights(lang: str) -> Table:
    rows = tuple((t(f"report.basis.{b}", lang) + f" ({numbers.decimal(w, lang, 1)})",
                  tuple(Cell(numbers.decimal(w * sw, lang, 2)) for sw in SEVERITY_WEIGHT.values()))
                 for b, w in BASIS_WEIGHT.items())
    head = (t("report.method.weights.basis", lang), *(t(f"report.severity.{s}", lang) +
                                                      f" ({numbers.decimal(w, lang, 1)})"
                                                      for s, w in SEVERITY_WEIGHT.items()))
    return Table(id="weights", caption=t("report.method.weights.caption", lang), head=head, rows=rows, css="weights")


def _package(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "—"


def _graphviz() -> str:
    return dot_version() or "—"


def _versions(lang: str) -> Table:
    items = [("pmtool", __version__), ("Python", sys.version.split()[0]), ("pm4py", _package("pm4py")),
             ("polars", _package("polars")), ("scipy", _package("scipy")), ("matplotlib", _package("matplotlib")),
             ("Jinja2", _package("jinja2")), ("Typst", _package("typst")), ("Graphviz", _graphviz())]
    return Table(id="versions", caption=t("report.repro.versions", lang),
                 head=(t("report.repro.component", lang), t("report.repro.version", lang)),
                 rows=tuple((n, (Cell(v, numeric=False),)) for n, v in items), css="kv")


def _content_sha(path: Path) -> str:
    """SHA-256 of the project file's parsed content (a comment-only edit keeps it, and the cached report)."""
    import tomllib

    from pmtool.ingest.profile import content_sha256

    return content_sha256(tomllib.loads(path.read_text("utf-8")))


def _settings(analysis: Analysis, lang: str) -> Table:
    p = analysis.project
    s = analysis.comparison.settings
    d = next((x.settings for pa in analysis.processes.values() for x in pa.discoveries), None)
    method = next((pa.conformance.method for pa in analysis.processes.values()), "—")
    project_sha = _content_sha(p.source) if p.source and p.source.exists() else "—"
    items = [("project", p.source.name if p.source else "—"), ("project_sha256", project_sha),
             ("privacy_threshold", str(p.privacy_threshold)), ("period", p.period),
             ("as_of", p.as_of.isoformat() if p.as_of else "—"), ("stale_after_days", str(p.stale_after_days)),
             ("incomplete", p.incomplete), ("conformance", method), ("fdr", str(s.fdr)),
             ("confidence", str(s.confidence)), ("min_coverage", str(s.gate.min_coverage)),
             ("max_date_only_share", str(s.gate.max_date_only_share)),
             ("max_running_share", str(s.gate.max_running_share)),
             ("min_period_overlap", str(s.gate.min_period_overlap))]
    if d is not None:
        items += [("miner", d.miner), ("noise_threshold", str(d.noise_threshold)),
                  ("min_edge_share", str(d.min_edge_share)), ("min_activity_share", str(d.min_activity_share))]
    return Table(id="settings", caption=t("report.repro.settings", lang),
                 head=(t("report.repro.setting", lang), t("report.repro.value", lang)),
                 rows=tuple((n, (Cell(v, numeric=False, css="mono"),)) for n, v in items), css="kv")


def _inputs(analysis: Analysis, lang: str) -> Table:
    rows = []
    for i in sorted(analysis.ingests, key=lambda x: (x.summary.office, x.summary.file)):
        s = i.summary
        rows.append((s.file, (Cell(analysis.project.office_names.get(s.office, s.office), numeric=False),
                              Cell(s.format, numeric=False),
                              Cell(s.sha256, numeric=False, css="mono hash"),
                              Cell(s.profile or "—", numeric=False),
                              Cell(s.profile_sha256 or "—", numeric=False, css="mono hash"),
                              Cell(s.key_id or "—", numeric=False, css="mono"))))
    head = (t("report.repro.file", lang), t("report.imports.office", lang), t("report.repro.format", lang),
            t("report.repro.sha", lang), t("report.repro.profile", lang), t("report.repro.profile_sha", lang),
            t("report.repro.key", lang))
    return Table(id="inputs", caption=t("report.repro.inputs", lang), head=head, rows=tuple(rows), css="inputs")
