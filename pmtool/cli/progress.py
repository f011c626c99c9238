"""Progress bars for long runs (rich), one per stage; off when output is not a terminal or with --quiet."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from pmtool.i18n import t
from pmtool.project import Project


class StageBars:
    """A ``progress(stage, item)`` callback for :func:`pmtool.results.run_project` that shows a bar per stage.

    The callback is told when a step starts, so the step before it in the same stage is done."""

    def __init__(self, project: Project, console: Console, *, enabled: bool) -> None:
        pairs = len({(e.process, e.office) for e in project.exports})  # these stages run per office and process
        self.totals = {"ingest": len(project.exports), "conform": pairs, "discover": pairs,
                       "aggregate": pairs, "figures": pairs, "compare": 1, "report": 1, "write": 1}
        self.bars = Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=console, disable=not enabled, transient=True)
        self.tasks: dict[str, TaskID] = {}
        self.current: str | None = None

    def __enter__(self) -> StageBars:
        self.bars.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._finish_current()
        self.bars.stop()

    def __call__(self, stage: str, item: str) -> None:
        if stage != self.current:
            self._finish_current()
            self.current = stage
            if stage not in self.tasks:
                self.tasks[stage] = self.bars.add_task(self._label(stage, item), total=self.totals.get(stage, 1))
        else:
            self.bars.advance(self.tasks[stage])
        self.bars.update(self.tasks[stage], description=self._label(stage, item))

    def _finish_current(self) -> None:
        if self.current is not None:
            self.bars.advance(self.tasks[self.current])
            self.current = None

    @staticmethod
    def _label(stage: str, item: str) -> str:
        name = t(f"cli.run.stage.{stage}")
        return f"{name} {item}".strip()
