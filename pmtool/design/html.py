"""The design stage as a report section (HTML): the cross-office matrix with the groups of offices, and per
process the decision table between the Soll candidates with the reasoning and the recommended candidate.

Every text from the logs and the models is escaped (data never markup); offices with fewer cases than the
privacy threshold show "·" instead of their numbers.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

import polars as pl

from pmtool.i18n import t
from pmtool.report import numbers

if TYPE_CHECKING:
    from pmtool.design.cross import CrossConformance
    from pmtool.design.design import ProcessDesign, SollDesign

HIDDEN = "·"
_STYLE = ("<style>.pmtool-design table{border-collapse:collapse;margin:.4em 0 1em}"
          ".pmtool-design td,.pmtool-design th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
          ".pmtool-design td:first-child,.pmtool-design th:first-child{text-align:left}"
          ".pmtool-design .refused{color:#a40000}.pmtool-design .recommended{font-weight:bold}</style>")


def _num(value: float | None, lang: str, places: int = 3) -> str:
    return HIDDEN if value is None else numbers.decimal(value, lang, places)


def _pct(value: float | None, lang: str) -> str:
    return HIDDEN if value is None else numbers.rate(value, lang)


def _table(head: list[str], rows: list[list[str]], classes: list[str] | None = None,
           things: frozenset[int] = frozenset()) -> str:
    """``things``: the columns that hold numbers of things (activities, arcs, markings), not of cases —
    marked ``pm-c`` as pmtool's other views mark them."""
    out = ["<table><thead><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        out.append(f"<tr{cls}>" + "".join(f'<td class="pm-c">{escape(c)}</td>' if j in things
                                           else f"<td>{escape(c)}</td>" for j, c in enumerate(row)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def cross_html(cross: CrossConformance, lang: str | None = None, k: int = 5) -> str:
    """The matrix of every process (conforming share and fitness per office log × model) and the groups."""
    from pmtool.i18n import language

    lang = lang or language()
    parts = [f'<div class="pmtool-design">{_STYLE}<h2>{escape(t("design.cross.title", lang))}</h2>',
             f"<p>{escape(t('design.cross.intro', lang))}</p>"]
    for (process,), part in cross.matrix.group_by("process", maintain_order=True):
        parts.append(_cross_process(str(process), part, cross.groups.filter(pl.col("process") == process), lang, k))
    parts.append("</div>")
    return "".join(parts)


def _cross_process(process: str, matrix: pl.DataFrame, groups: pl.DataFrame, lang: str, k: int) -> str:
    models = list(dict.fromkeys(matrix["model"].to_list()))
    offices = sorted(set(matrix["office"].to_list()))
    cell = {(o, m): (c, fs, f, p) for o, m, c, fs, f, p in
            matrix.select("office", "model", "cases", "fitting_share", "fitness", "precision").iter_rows()}
    head = [t("design.cross.log_model", lang)] + [t("design.soll", lang) if m == "Soll" else m for m in models]
    rows = []
    for o in offices:
        row = [o]
        for m in models:
            c, fs, f, p = cell.get((o, m), (0, None, None, None))
            row.append(HIDDEN if c < k else f"{_pct(fs, lang)} · {_num(f, lang)} · {_num(p, lang, 2)}")
        rows.append(row)
    lines = [f"<h3>{escape(process)}</h3>", f"<p>{escape(t('design.cross.cell', lang))}</p>", _table(head, rows)]
    if groups.height:
        cut = groups["cut"][0]
        method = t("design.cross.method", lang, cut=numbers.decimal(cut, lang, 3))
        grouped = groups.group_by("group", maintain_order=True).agg(pl.col("office")).sort("group")
        items = "".join(f"<li>{escape(t('design.cross.group', lang, n=g, offices=', '.join(o)))}</li>"
                        for g, o in grouped.iter_rows())
        lines.append(f"<p>{escape(method)}</p><ul>{items}</ul>")
    return "".join(lines)


def design_html(result: SollDesign, lang: str | None = None) -> str:
    """The whole section: cross-office conformance, then per process the candidates and the decision."""
    lang = lang or result.lang
    parts = [cross_html(result.cross, lang, result.k), f'<div class="pmtool-design">{_STYLE}',
             f"<h2>{escape(t('design.title', lang))}</h2><p>{escape(t('design.intro', lang))}</p>"]
    for pd_ in result.processes.values():
        parts.append(process_html(pd_, lang, result.k))
    parts.append("</div>")
    return "".join(parts)


def candidate_label(cid: str, lang: str) -> str:
    if cid.startswith("ist:"):
        return t("design.candidate.ist", lang, office=cid[4:])
    return t(f"design.candidate.{cid}", lang)


def process_html(pd_: ProcessDesign, lang: str, k: int) -> str:
    head = [t(f"design.col.{c}", lang) for c in ("candidate", "basis", "fitting", "fitness", "precision", "f1",
                                                   "activities", "arcs", "markings", "cnc", "sound", "decision")]
    rows, classes = [], []
    for e in pd_.evaluations:
        c = e.candidate
        basis = {"soll": c.source, "edited": c.source, "consensus": ", ".join(c.offices)}.get(c.kind, c.source)
        decision = "recommended" if c.id == pd_.recommended else "refused" if not e.sound else "possible"
        rows.append([candidate_label(c.id, lang), basis, _pct(e.fitting_share, lang), _num(e.fitness, lang),
                     _num(e.precision, lang), _num(e.f1, lang), str(int(e.size["activities"])),
                     str(int(e.size["arcs"])), str(int(e.size["markings"])), _num(e.size["cnc"], lang, 2),
                     t("design.yes" if e.sound else "design.no", lang), t(f"design.decision.{decision}", lang)])
        classes.append(decision)
    offices = sorted({o for e in pd_.evaluations for o in e.per_office["office"].to_list()})
    per_head = [t("design.col.office", lang)] + [candidate_label(e.candidate.id, lang) for e in pd_.evaluations]
    per_rows = []
    for o in offices:
        row = [o]
        for e in pd_.evaluations:
            r = e.per_office.filter(pl.col("office") == o)
            if not r.height or r["cases"][0] < k:
                row.append(HIDDEN)
            else:
                row.append(f"{_pct(r['fitting_share'][0], lang)} · {_num(r['fitness'][0], lang)}")
        per_rows.append(row)
    return "".join([f"<h3>{escape(t('design.process', lang, process=pd_.process, name=pd_.name))}</h3>",
                    _table(head, rows, classes, frozenset({6, 7, 8})), f"<p>{escape(t('design.per_office', lang))}</p>",
                    _table(per_head, per_rows), "<ul>",
                    *(f'<li class="{kind}">{escape(line)}</li>' for kind, line in reasoning(pd_, lang)),
                    "</ul>"])


def reasoning(pd_: ProcessDesign, lang: str) -> list[tuple[str, str]]:
    """The decision in sentences, each with its kind (recommended, none, refused, repaired, consensus): what
    was recommended and why, what was refused and by which run, what was repaired and whom the consensus
    leaves out."""
    lines = []
    best = next((e for e in pd_.evaluations if e.candidate.id == pd_.recommended), None)
    if best is None:
        lines.append(("none", t("design.reason.none", lang)))
    else:
        lines.append(("recommended", t("design.reason.recommended", lang,
                                       candidate=candidate_label(best.candidate.id, lang), f1=_num(best.f1, lang),
                                       fitness=_num(best.fitness, lang), precision=_num(best.precision, lang),
                                       fitting=_pct(best.fitting_share, lang))))
    for e in pd_.evaluations:
        c, offence = e.candidate, e.offence
        if offence is not None:
            lines.append(("refused", t("design.reason.refused", lang, candidate=candidate_label(c.id, lang),
                           rule=offence.rule_id, title=offence.title if lang == "de" else offence.title_en,
                           source=offence.source or "—", path=witness_text(offence.witness, offence.at),
                           step=offence.at + 1 if offence.at is not None else "—")))
        for r in c.repairs:
            lines.append(("repaired", t("design.reason.repaired", lang, candidate=candidate_label(c.id, lang),
                                        rule=r.rule_id, first=r.first, then=r.then)))
        if c.kind == "consensus":
            lines.append(("consensus", t("design.reason.consensus", lang, offices=", ".join(c.offices) or "—",
                                         left=", ".join(e.excluded) or "—")))
    return lines


def witness_text(witness: tuple[str, ...], at: int | None) -> str:
    """The run as text, the offending step in brackets: „A → [B] → C“."""
    return " → ".join(f"[{a}]" if i == at else a for i, a in enumerate(witness))
