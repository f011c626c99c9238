"""``pmtool before-after``: one office (or a group) compared with itself before and after a date, or between
two periods, with the same tests and statements as between offices and the maps side by side."""

from __future__ import annotations

import base64
import json
from datetime import date
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from pmtool.cli.compare_cmd import _references
from pmtool.cli.compare_cmd import _render as render_comparison
from pmtool.cli.conform_cmd import _combine
from pmtool.cli.console import make_console
from pmtool.cli.errors import user_errors
from pmtool.cli.options import FILTER_HELP, VocabularyOption, parse_as_of, parse_table_formats
from pmtool.cli.verdict import exit_code
from pmtool.compare.before_after import BeforeAfter, Split, before_after, parse_period
from pmtool.compare.output import comparison_writers
from pmtool.discover.render import render_dfg
from pmtool.discover.render_difference import render_difference
from pmtool.errors import ConfigError, Location
from pmtool.eventlog.filters import filter_event_log, parse_filters
from pmtool.formatting import format_number
from pmtool.i18n import language, t
from pmtool.ingest.output import Writer, write_atomically
from pmtool.sinks import spreadsheet_frame
from pmtool.vocabulary import extended

console = make_console()


def before_after_cmd(
    logs: Annotated[list[Path], typer.Argument(metavar="LOG", help="Canonical logs (.parquet, e.g. "
                                               "<output>/logs/P1/ of pmtool run) or folders of them.")],
    model: Annotated[str, typer.Option("--model", "-m", help="Soll model of the process, P1=path.bpmn (or a "
                                       "path alone: the process from its rule pack).")],
    office: Annotated[list[str], typer.Option("--office", help="The office to compare with itself; repeat for "
                                              "a group, whose cases are pooled.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder: comparison and findings tables, "
                                      "both maps, the difference map and table, before_after.html and "
                                      "before_after.json.")],
    at: Annotated[str | None, typer.Option("--at", help="Split date (local): cases started before it against "
                                           "cases started on or after it, e.g. 2025-07-01.")] = None,
    period: Annotated[list[str] | None, typer.Option("--period", help="Instead of --at: two periods "
                                                     "FROM..TO (local dates, both ends inclusive), the cases "
                                                     "started in each; give the option twice.")] = None,
    rules: Annotated[str | None, typer.Option(help="Rule pack, P1=path.rules.toml; default: <model>.rules.toml "
                                              "beside the model.")] = None,
    suppress_below: Annotated[int, typer.Option(min=1, help="Privacy threshold: each side needs at least this "
                                                "many cases; smaller counts are not published.")] = 5,
    as_of: Annotated[str | None, typer.Option(help="Point in time of the check (ISO date or date-time); "
                                              "default: the last event.")] = None,
    fdr: Annotated[float, typer.Option(min=0.0, max=1.0, help="False discovery rate.")] = 0.05,
    format: Annotated[str, typer.Option("--format", help="Table formats, comma-separated: csv, parquet, json, "
                                        "csv-excel, xlsx.")] = "csv",
    filters: Annotated[list[str] | None, typer.Option("--filter", help=FILTER_HELP)] = None,
    fail_on_findings: Annotated[bool, typer.Option("--fail-on-findings", help="Exit with code 1 when the "
                                                   "comparison has findings.")] = False,
    vocabulary: VocabularyOption = None,
) -> None:
    """Compare one office (or a group) with itself: its cases split by a date (--at) or into two periods
    (--period twice) become two pseudo-offices, which go through the same conformance check, tests and
    statements as offices do. The comparability gate's period-overlap condition is switched off for this
    comparison only, and every output says so. The maps of both sides are drawn side by side with a
    difference map: transitions more or less frequent, slower or faster."""
    with user_errors(), extended(vocabulary or []):
        formats = parse_table_formats(format)
        references = _references([model], [rules] if rules else [])
        (reference,) = references.values()
        split = _split(at, period or [])
        chosen = parse_filters(filters or ())
        log = filter_event_log(_combine(logs), chosen.texts, scope=reference.process)
        lang = language()
        result = before_after(log, reference, offices=office, split=split, privacy_threshold=suppress_below,
                              as_of=parse_as_of(as_of), fdr=fdr, lang=lang)
        writers = comparison_writers(result.tables.frames(), out, formats)
        writers.update(_files(result, out, lang, chosen.describe(lang), list(chosen.texts)))
        write_atomically(writers)
    console.print(result.note(lang), style="bold yellow")
    before, after = result.ids
    console.print(t("before_after.cases", before=result.names[before], after=result.names[after],
                    n_before=format_number(result.cases[before], lang),
                    n_after=format_number(result.cases[after], lang)))
    console.print(_changes(result.difference, lang))
    render_comparison(result.tables, out, written=False)  # the verdict last, where the reader looks
    console.print(t("before_after.written", n=len(writers), out=str(out), page=str(out / "before_after.html")))
    code = exit_code(result.tables.outcome, fail_on_findings=fail_on_findings)
    if code:
        raise typer.Exit(code)


def _split(at: str | None, periods: list[str]) -> Split:
    if at is not None and not periods:
        try:
            return Split(at=date.fromisoformat(at))
        except ValueError:
            raise ConfigError("before_after.bad_period", Location(), text=at) from None
    if at is None and len(periods) == 2:
        return Split(first=parse_period(periods[0]), second=parse_period(periods[1]))
    raise ConfigError("before_after.split", Location())


def _changes(diff: pl.DataFrame, lang: str) -> str:
    def n(column: str, value: str) -> str:
        return format_number(int((diff[column] == value).sum()), lang)

    return t("before_after.changes", more=n("frequency", "more"), less=n("frequency", "less"),
             new=n("frequency", "new"), gone=n("frequency", "gone"), slower=n("speed", "slower"),
             faster=n("speed", "faster"))


def _files(result: BeforeAfter, out: Path, lang: str, filters: str, filter_texts: list[str]) -> dict[Path, Writer]:
    """Both maps, the difference map and table, a page with the maps side by side, and a summary."""
    group = "_".join(result.offices)
    before, after = result.ids
    suffix = f" · {t('filter.applied', lang, filters=filters)}" if filters else ""
    svgs: dict[str, bytes] = {}
    for side in result.ids:
        shown = result.maps[side].filter(min_edge_share=0.05, min_activity_share=0.01, top_activities=60)
        svgs[side] = render_dfg(shown, title=f"{result.names[side]} · {result.process}{suffix}", lang=lang)
    title = t("before_after.title", lang, group=", ".join(result.offices), process=result.process) + suffix
    subtitle = t("before_after.subtitle", lang, before=result.names[before], after=result.names[after],
                 n_before=format_number(result.cases[before], lang), n_after=format_number(result.cases[after], lang))
    svgs["difference"] = render_difference(result.difference, title=title, subtitle=subtitle, lang=lang)
    files: dict[str, bytes] = {f"{side}_dfg.svg": svgs[side] for side in result.ids}
    files[f"{group}_difference.svg"] = svgs["difference"]
    files[f"{group}_difference.csv"] = spreadsheet_frame(result.difference).write_csv().encode("utf-8")
    files["before_after.html"] = _page(result, svgs, title, lang).encode("utf-8")
    summary = {"process": result.process, "offices": list(result.offices), "split": result.split.describe(),
               "sides": {i: {"name": result.names[i], "cases": result.cases[i]} for i in result.ids},
               "gate_relaxed": list(result.relaxed), "note": result.note(lang), "filters": filter_texts,
               "running": {i: result.running.get(i, 0) for i in result.ids}}
    files["before_after.json"] = (json.dumps(summary, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
    return {out / name: (lambda p, d=data: p.write_bytes(d)) for name, data in files.items()}


_PAGE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>body{font-family:sans-serif;margin:1.5em;color:#222} .note{background:#fff3cd;border:1px solid #c9a227;
padding:.6em;font-weight:bold} .pair{display:flex;gap:1em} .pair figure{flex:1;margin:0} img{max-width:100%}
table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}</style></head>
<body><h1>{{ title }}</h1><p class="note">{{ note }}</p>
<div class="pair">{% for name, src in maps %}<figure><figcaption>{{ name }}</figcaption>
<img src="{{ src }}" alt="{{ name }}"></figure>{% endfor %}</div>
<figure><img src="{{ difference }}" alt="{{ title }}"></figure>
{% if findings %}<h2>{{ heading }}</h2><table>{% for row in findings %}<tr><td>{{ row }}</td></tr>{% endfor %}
</table>{% endif %}</body></html>
"""


def _page(result: BeforeAfter, svgs: dict[str, bytes], title: str, lang: str) -> str:
    from jinja2 import Environment

    def uri(data: bytes) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(data).decode("ascii")

    column = "statement_de" if lang == "de" else "statement_en"
    findings = result.tables.findings
    rows = findings.sort("rank")[column].to_list() if findings.height else []
    return Environment(autoescape=True).from_string(_PAGE).render(
        lang=lang, title=title, note=result.note(lang), maps=[(result.names[i], uri(svgs[i])) for i in result.ids],
        difference=uri(svgs["difference"]), findings=rows, heading=t("report.fact.findings", lang))
