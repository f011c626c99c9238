"""Notebook views of logs: an event log and its overview, an import, discoveries.

No view shows a case, a case id, a resource or an extra column of the export: only counts, shares, activity
names and variants. An activity, variant or unmapped label is listed only when at least ``k`` cases (events,
for labels) show it, since a label seen in a single case could carry free text about that case; how many
are left out is said below the table. Counts below ``k`` are "·", with secondary suppression wherever a
table's counts add up to a total that is shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from pmtool.display.cells import suppress, table_relations
from pmtool.display.markup import View, cell, facts, heading, note, page, rank_cell, table
from pmtool.formatting import format_number, format_period
from pmtool.i18n import t
from pmtool.report.suppression import is_small

if TYPE_CHECKING:
    from pmtool.api.types import Discoveries
    from pmtool.discover.discovery import Discovery
    from pmtool.eventlog.log import EventLog
    from pmtool.eventlog.overview import Overview
    from pmtool.ingest.pipeline import IngestResult

TOP = 10
_REST = "__rest__"
_TOTAL = "__total__"


def thing_count(value: int, lang: str) -> str:
    """A count of things (activities, variants, transitions), not of cases: never suppressed."""
    return f'<td class="pm-c">{format_number(value, lang)}</td>'


def listed_rows(values: dict[str, int], total: int, k: int) -> set[str]:
    """The hidden cells among ``values`` (counts that add up to ``total`` together with the rows not
    listed): primary suppression below ``k`` and secondary suppression over the sum."""
    rest = total - sum(values.values())
    cells: dict[str, int | None] = {**values, _REST: rest, _TOTAL: total}
    relation = [*values, _REST, _TOTAL]
    return suppress(cells, [relation], k) if rest or any(is_small(n, k) for n in values.values()) else set()


def variant_rows(frame: pl.DataFrame, total: int, v: View, *, top: int = TOP) -> str:
    """Variants (``variant``, ``cases``, ``share``, ``length``) of at least ``k`` cases, most frequent first."""
    listed = frame.filter(pl.col("cases") >= v.k).head(top)
    counts = {str(i): int(n) for i, n in enumerate(listed["cases"].to_list())}
    hidden = listed_rows(counts, total, v.k)
    rows = [(rank_cell(i + 1), v.count(r["cases"], hidden=str(i) in hidden),
             v.rate(r["share"], hidden=str(i) in hidden), thing_count(r["length"], v.lang), cell(r["variant"]))
            for i, r in enumerate(listed.iter_rows(named=True))]
    head = ("#", t("cli.inspect.cases", v.lang), t("cli.inspect.share", v.lang), t("cli.inspect.length", v.lang),
            t("cli.inspect.variant", v.lang))
    return table(head, rows, caption=t("display.variants", v.lang, k=v.k)) + note(
        t("display.variants_note", v.lang, k=v.k))


def overview_html(ov: Overview, v: View, *, title: str | None = None, log: EventLog | None = None) -> str:
    """Facts, cases per office, activities, variants and data-quality flags of an overview."""
    parts = [heading(title or t("display.log.title", v.lang))]
    period = format_period(ov.period_start, ov.period_end, v.lang)
    parts.append(facts([
        (t("cli.inspect.offices", v.lang), cell(", ".join(ov.offices) or "—")),
        (t("cli.inspect.cases", v.lang), v.count(ov.cases)),
        (t("cli.inspect.events", v.lang), v.count(ov.events)),
        (t("cli.inspect.activities", v.lang), thing_count(ov.activities, v.lang)),
        (t("cli.inspect.variants", v.lang), thing_count(ov.variants, v.lang)),
        (t("cli.inspect.period", v.lang), cell(period)),
    ]))
    if log is not None:
        parts += _provenance(log, v)
        if len(ov.offices) > 1:
            parts.append(_per_office(log, v))
    parts.append(_activities(ov.activity_counts, ov.events, v))
    parts.append(variant_rows(ov.top_variants, ov.cases, v))
    if ov.flags:
        rows = [(t(f"quality.{f.code}", v.lang), (v.count(f.count), v.rate(f.share, hidden=is_small(f.count, v.k))))
                for f in ov.flags]
        parts.append(table((t("cli.inspect.flag", v.lang), t("cli.inspect.count", v.lang),
                            t("cli.inspect.share", v.lang)), rows, caption=t("cli.inspect.quality", v.lang)))
    parts.append(v.suppressed_note())
    return page(*parts)


def _activities(counts: pl.DataFrame, events: int, v: View) -> str:
    listed = counts.filter(pl.col("cases") >= v.k).head(TOP)
    hidden = listed_rows({a: int(n) for a, n in zip(listed["activity"], listed["events"], strict=True)}, events, v.k)
    rows = [(r["activity"], (cell(r["activity_code"] or "—"), v.count(r["events"], hidden=r["activity"] in hidden),
                             v.count(r["cases"])))
            for r in listed.iter_rows(named=True)]
    rare = counts.filter(pl.col("cases") < v.k).height
    head = (t("cli.inspect.activity", v.lang), t("cli.inspect.code", v.lang), t("cli.inspect.events", v.lang),
            t("cli.inspect.cases", v.lang))
    return table(head, rows, caption=t("display.activities", v.lang)) + note(t(
        "display.activities_note", v.lang, n=counts.height - listed.height, rare=rare, k=v.k))


def _per_office(log: EventLog, v: View) -> str:
    from pmtool.eventlog import schema

    per = (log.frame.group_by(schema.OFFICE).agg(pl.len().alias("events"), pl.col(schema.CASE_ID).n_unique()
                                                  .alias("cases")).sort(schema.OFFICE))
    offices = per[schema.OFFICE].to_list()
    values: dict[tuple[str, str], int | None] = {}
    for office, n_events, n_cases in per.iter_rows():
        values[(office, "cases")], values[(office, "events")] = n_cases, n_events
    values[(_TOTAL, "cases")], values[(_TOTAL, "events")] = int(per["cases"].sum()), int(per["events"].sum())
    hidden = suppress(values, table_relations([*offices, _TOTAL], ["cases", "events"], column_total=_TOTAL), v.k)

    def cells(o: str) -> tuple[str, ...]:
        return tuple(v.count(values[(o, c)], hidden=(o, c) in hidden) for c in ("cases", "events"))

    return table((t("cli.ingest.col.office", v.lang), t("cli.inspect.cases", v.lang), t("cli.inspect.events", v.lang)),
                 [(o, cells(o)) for o in offices], caption=t("display.per_office", v.lang),
                 foot=[(t("report.conf.all", v.lang), cells(_TOTAL))])


def _provenance(log: EventLog, v: View) -> list[str]:
    prov = log.provenance
    files = ", ".join(f"{s.file} ({s.format})" for s in prov.sources) or "—"
    out = [note(t("display.log.sources", v.lang, files=files))]
    if prov.pseudonymised:
        out.append(note(t("display.log.pseudonymised", v.lang, key_id=prov.key_id or "—")))
    else:
        out.append(note(t("display.log.identifiable", v.lang), warn=True))
    return out


def eventlog_html(log: EventLog, v: View) -> str:
    from pmtool.eventlog.overview import overview

    return overview_html(overview(log, top=TOP), v, log=log)


def ingest_html(result: IngestResult, v: View) -> str:
    """The import's reconciliation (rows read = loaded + quarantined, by reason), the labels left unmapped
    (those seen at least ``k`` times) and the overview of the log."""
    from pmtool.eventlog.overview import overview

    s = result.summary
    reasons = sorted(s.quarantine_by_reason)
    values: dict[str, int | None] = {"read": s.rows_read, "loaded": s.rows_loaded,
                                     "quarantined": s.rows_quarantined,
                                     **{f"q:{r}": s.quarantine_by_reason[r] for r in reasons}}
    hidden = suppress(values, [["loaded", "quarantined", "read"], [*(f"q:{r}" for r in reasons), "quarantined"]], v.k)
    parts = [heading(t("display.ingest.title", v.lang, file=s.file, office=s.office)), facts([
        (t("display.ingest.format", v.lang), cell(s.format + (f" · {s.profile}" if s.profile else ""))),
        *((t(f"cli.ingest.col.{c}", v.lang), v.count(values[c], hidden=c in hidden))
          for c in ("read", "loaded", "quarantined")),
        (t("cli.ingest.col.coverage", v.lang), v.rate(s.coverage)),
    ])]
    if reasons:
        parts.append(table((t("display.ingest.reason", v.lang), t("display.ingest.rows", v.lang)),
                           [(t(f"reason.{r}", v.lang), (v.count(values[f"q:{r}"], hidden=f"q:{r}" in hidden),))
                            for r in reasons], caption=t("cli.ingest.quarantine", v.lang)))
    if s.unmapped_labels:
        shown = [(label, n) for label, n in s.unmapped_labels.items() if n >= v.k][:TOP]
        parts.append(table((t("cli.inspect.activity", v.lang), t("cli.inspect.events", v.lang)),
                           [(label, (v.count(n),)) for label, n in shown], caption=t("cli.ingest.unmapped", v.lang)))
        parts.append(note(t("display.ingest.unmapped_note", v.lang, n=len(s.unmapped_labels) - len(shown), k=v.k)))
    if not s.pseudonymised:
        parts.append(note(t("display.log.identifiable", v.lang), warn=True))
    return page(*parts) + overview_html(overview(result.log, top=TOP), v, log=result.log)


def discovery_html(d: Discovery, v: View) -> str:
    """Facts, the privacy-filtered process map and the most frequent variants of one office and process."""
    from pmtool.display.pictures import map_picture
    from pmtool.errors import PrivacyError

    parts = [heading(d.title), facts([
        (t("cli.discover.col.cases", v.lang), v.count(d.dfg.cases)),
        (t("cli.inspect.events", v.lang), v.count(d.dfg.events)),
        (t("cli.discover.col.variants", v.lang), thing_count(d.n_variants, v.lang)),
        (t("cli.discover.col.coverage", v.lang, n=d.variants.height), v.rate(d.coverage)),
        (t("cli.discover.col.fitness", v.lang), v.decimal(d.fitness)),
    ])]
    try:
        picture = map_picture(d.shown if d.shown.cases else d.dfg, title=d.title, k=v.k, lang=v.lang)
        parts.append(picture._repr_html_())
    except PrivacyError as exc:
        parts.append(note(exc.render(v.lang), warn=True))
    parts.append(variant_rows(d.variants, d.dfg.cases, v))
    parts.append(v.suppressed_note())
    return page(*parts)


def discoveries_html(found: Discoveries, v: View) -> str:
    rows = [(cell(d.scope.office), cell(d.scope.process or "—"), v.count(d.dfg.cases),
             thing_count(d.n_variants, v.lang), v.rate(d.coverage), v.decimal(d.fitness)) for d in found]
    head = (t("cli.discover.col.office", v.lang), t("cli.discover.col.process", v.lang),
            t("cli.discover.col.cases", v.lang), t("cli.discover.col.variants", v.lang),
            t("cli.discover.col.coverage_all", v.lang), t("cli.discover.col.fitness", v.lang))
    return page(heading(t("cli.discover.title", v.lang)), table(head, rows),
                note(t("display.discoveries_note", v.lang)), v.suppressed_note())
