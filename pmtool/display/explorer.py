"""An interactive process map for the notebook (ipywidgets): office, process, period and the noise threshold
of the Ist model as controls; the map and the Ist model are drawn again on every change.

The pictures go into the output widget as display data (no kernel context needed), so the explorer also
works where nothing renders it — under ``nbmake``, or in a test that moves a control and reads
:attr:`MapExplorer.pictures`. Privacy as everywhere: the map hides what fewer than ``k`` cases do, and the Ist
model is mined only from the activities of at least ``k`` cases.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import polars as pl

from pmtool.display import DEFAULT_K
from pmtool.display.markup import esc, page
from pmtool.display.pictures import Picture, map_picture, net_picture
from pmtool.errors import PmtoolError
from pmtool.eventlog import schema
from pmtool.i18n import language, t

if TYPE_CHECKING:
    from pmtool.analysis import Analysis
    from pmtool.eventlog.log import EventLog


class MapExplorer(widgets.VBox):
    """The explorer box. Controls: ``office``, ``process``, ``period`` (first and last month), ``noise``;
    ``pictures`` holds the map and the Ist model currently shown (fewer when a selection is too small)."""

    def __init__(self, source: EventLog | Analysis, *, noise_threshold: float = 0.2, min_edge_share: float = 0.05,
                 privacy_threshold: int | None = None) -> None:
        from pmtool.analysis import Analysis

        lang = language()
        self.lang = lang
        self.min_edge_share = min_edge_share
        if isinstance(source, Analysis):
            self.k = privacy_threshold or source.project.privacy_threshold
            self.logs: dict[str | None, EventLog] = {pid: pa.log for pid, pa in source.processes.items()}
            processes: list[tuple[str, str | None]] = [(pid, pid) for pid in self.logs]
        else:
            from pmtool.discover.scope import PROCESS, case_processes

            self.k = privacy_threshold or DEFAULT_K
            found = sorted(p for p in case_processes(source)[PROCESS].unique().to_list() if p is not None)
            self.logs = {None: source}
            processes = [(p, p) for p in found] + [(t("display.explorer.all_processes", lang), None)]
        self.pictures: tuple[Picture, ...] = ()
        self._quiet = True
        self.process = widgets.Dropdown(options=processes, value=processes[0][1],
                                        description=t("display.explorer.process", lang))
        self.office = widgets.Dropdown(description=t("display.explorer.office", lang))
        self.period = widgets.SelectionRangeSlider(options=["—"], description=t("display.explorer.period", lang),
                                                   layout=widgets.Layout(width="480px"))
        self.noise = widgets.FloatSlider(value=noise_threshold, min=0.0, max=1.0, step=0.05,
                                         description=t("display.explorer.noise", lang))
        self.output = widgets.Output()
        self._choices()
        for control in (self.office, self.period, self.noise):
            control.observe(self._changed, names="value")
        self.process.observe(self._process_changed, names="value")
        super().__init__([widgets.HBox([self.process, self.office]), widgets.HBox([self.period, self.noise]),
                          self.output])
        self._quiet = False
        self.redraw()

    def _log(self) -> EventLog:
        from pmtool.api.inputs import filter_log

        if None in self.logs:
            log = self.logs[None]
            return filter_log(log, process=self.process.value) if self.process.value else log
        return self.logs[self.process.value]

    def _choices(self) -> None:
        """Offices and months of the chosen process."""
        log = self._log()
        offices = log.offices
        self.office.options = [(o, o) for o in offices] + [(t("report.conf.all", self.lang), None)]
        self.office.value = offices[0] if offices else None
        starts = log.frame.group_by(schema.OFFICE, schema.CASE_ID).agg(pl.col(schema.TIMESTAMP).min())
        local = starts[schema.TIMESTAMP].dt.convert_time_zone("Europe/Berlin")
        months = sorted(set(local.dt.strftime("%Y-%m").to_list())) or ["—"]
        self.period.options = months
        self.period.index = (0, len(months) - 1)

    def _process_changed(self, change: Any) -> None:
        self._quiet = True
        try:
            self._choices()
        finally:
            self._quiet = False
        self.redraw()

    def _changed(self, change: Any) -> None:
        if not self._quiet:
            self.redraw()

    def selection(self) -> EventLog:
        """The cases of the chosen office, process and period."""
        from pmtool.api.inputs import filter_log

        first, last = self.period.value
        start = end = None
        if first != "—":
            year, month = (int(x) for x in last.split("-"))
            start = date(*(int(x) for x in first.split("-")), 1)
            end = date(year + month // 12, month % 12 + 1, 1)
        return filter_log(self._log(), offices=[self.office.value] if self.office.value else None, start=start,
                          end=end)

    def redraw(self) -> None:
        """Draw the map and the Ist model of the current selection into the output."""
        from pmtool.discover.dfg import directly_follows
        from pmtool.discover.render import dfg_title
        from pmtool.vocabulary import vocabulary

        part = self.selection()
        where = [self.office.value] if self.office.value else part.offices
        known = vocabulary().processes
        name = known[self.process.value].name if self.process.value in known else None
        title = dfg_title(where, self.process.value, name) + f" · {self.period.value[0]} – {self.period.value[1]}"
        pictures: list[Picture] = []
        messages: list[str] = []
        try:
            if part.n_events == 0:
                raise _Nothing
            dfg = directly_follows(part).filter(min_edge_share=self.min_edge_share, min_activity_share=0.01)
            pictures.append(map_picture(dfg, title=title, k=self.k, lang=self.lang))
            pictures.append(self._ist(part, title))
        except _Nothing:
            messages.append(t("display.explorer.nothing", self.lang))
        except PmtoolError as exc:
            messages.append(exc.render(self.lang))
        self.pictures = tuple(pictures)
        self.output.outputs = tuple(
            {"output_type": "display_data", "metadata": {},
             "data": {"text/html": p._repr_html_(), "text/plain": p.title}} for p in pictures) + tuple(
            {"output_type": "display_data", "metadata": {},
             "data": {"text/html": page(f'<p class="pm-note pm-warn">{esc(m)}</p>'), "text/plain": m}}
            for m in messages)

    def _ist(self, part: EventLog, title: str) -> Picture:
        from pmtool.discover.inductive import discover_ist
        from pmtool.eventlog.log import EventLog
        from pmtool.formatting import format_number

        common = (part.frame.group_by(schema.ACTIVITY).agg(pl.struct(schema.OFFICE, schema.CASE_ID).n_unique()
                                                           .alias("cases"))
                  .filter(pl.col("cases") >= self.k)[schema.ACTIVITY])
        kept = EventLog.from_frame(part.frame.filter(pl.col(schema.ACTIVITY).is_in(common.implode())),
                                   part.provenance, assume_sorted=True)
        ist = discover_ist(kept, noise_threshold=self.noise.value, name=title)
        noise = format_number(self.noise.value, self.lang, 2)
        return net_picture(ist.net, title=title,
                           subtitle=t("display.explorer.ist_subtitle", self.lang, noise=noise, k=self.k),
                           lang=self.lang)


class _Nothing(Exception):
    """The selection holds no events."""
