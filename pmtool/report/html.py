"""The report as one self-contained HTML file: the stylesheet inline, every picture an embedded SVG data URI,
system fonts only — the file opens offline and makes no request to any server.

Every text comes from the message catalogue (``t`` in the templates is bound to the report language).
"""

from __future__ import annotations

import re
from importlib import resources

from markupsafe import Markup

from pmtool import __version__
from pmtool.errors import Location, RenderError
from pmtool.i18n import t
from pmtool.report import numbers
from pmtool.report.context import ReportContext
from pmtool.report.palette import RATE_COLOURS, RATE_TEXT

_TEMPLATES = "pmtool.report"


def css_string(text: str) -> Markup:
    """``text`` as a double-quoted CSS string (safe inside ``<style>``)."""
    escaped = re.sub(r'["\\\n<>]', lambda m: f"\\{ord(m.group()):x} ", str(text))
    return Markup(f'"{escaped}"')


def _environment():  # type: ignore[no-untyped-def]
    try:
        import jinja2
    except ImportError:  # pragma: no cover - jinja2 is a dependency
        raise RenderError("report.missing_package", Location(), package="Jinja2", spec="jinja2>=3.1,<4") from None
    loader = jinja2.PackageLoader(_TEMPLATES, "templates")
    env = jinja2.Environment(loader=loader, autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=False, lstrip_blocks=False,
                             keep_trailing_newline=True)
    env.filters["cssstr"] = css_string
    return env


def render_html(ctx: ReportContext) -> str:
    """The HTML text of the report described by ``ctx``."""
    return _render(ctx, "report.html.j2", ctx.meta)


def render_annex_html(ctx: ReportContext) -> str:
    """The HTML text of the report's annex: every map whole, the checksums of the inputs."""
    return _render(ctx, "annex.html.j2", ctx.annex_meta)


def _render(ctx: ReportContext, name: str, meta: object) -> str:
    from pmtool.report.process_tables import heat_legend

    env = _environment()
    css = resources.files(_TEMPLATES).joinpath("templates/report.css").read_text("utf-8")
    lang = ctx.lang

    def translate(key: str, **params: object) -> str:
        return t(key, lang, **params)

    return env.get_template(name).render(
        t=translate, lang=lang, meta=meta, title=ctx.title, subtitle=ctx.subtitle, context_facts=ctx.facts,
        k=ctx.k, summary=ctx.summary, processes=ctx.processes, appendix=ctx.appendix, annex=ctx.annex,
        adoption=ctx.adoption,
        design=ctx.design,
        annex_file=ctx.annex_files.get("html", ""), report_file=f"{t('report.file_stem', lang)}.html",
        css=Markup(css), version=__version__, heat_classes=list(zip(RATE_COLOURS, RATE_TEXT, strict=True)),
        heat_legend=heat_legend(lang), created_text=numbers.date(_created(ctx), lang))


def _created(ctx: ReportContext):  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime.fromisoformat(ctx.meta.created)
