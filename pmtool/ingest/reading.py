"""How far the reading of an export has come, told to whoever shows progress (the command line's bars).

Nothing is told unless a caller asks with :func:`observed`. The readers that stream their file through
:func:`pmtool.ingest.readers.xes.open_binary` (XES, OCEL XML) report the bytes of the file read so far
(compressed bytes for a gzip file, so the share holds for both) and, where they count them, the events
collected so far (:func:`events_read`). Reports come at most every :data:`EVERY_SECONDS`, and once at the end.

>>> seen = []
>>> with observed(seen.append):
...     stream = reported(io.BytesIO(b"x" * 10), io.BytesIO(b""), "a.xes", 10)
...     _ = stream.read(4); _ = stream.read()
>>> seen[-1]
ReadProgress(file='a.xes', done=10, total=10, events=0)
"""

from __future__ import annotations

import io  # noqa: F401 - used by the example
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from time import perf_counter
from typing import IO, Any

#: Least time between two reports of one file.
EVERY_SECONDS = 0.2


@dataclass(frozen=True)
class ReadProgress:
    """``done`` of ``total`` bytes of ``file`` read, ``events`` events collected so far (0: not counted)."""

    file: str
    done: int
    total: int
    events: int = 0

    @property
    def share(self) -> float:
        return min(1.0, self.done / self.total) if self.total > 0 else 0.0


Observer = Callable[[ReadProgress], None]
_OBSERVER: ContextVar[Observer | None] = ContextVar("pmtool_read_observer", default=None)
_CURRENT: ContextVar[_Reported | None] = ContextVar("pmtool_read_current", default=None)


@contextmanager
def observed(observer: Observer) -> Iterator[None]:
    """Tell ``observer`` how the reading of each export goes while the block runs (in this thread)."""
    token = _OBSERVER.set(observer)
    try:
        yield
    finally:
        _OBSERVER.reset(token)


@contextmanager
def unobserved() -> Iterator[None]:
    """No reports while the block runs (a look at a file's head before it is read)."""
    token = _OBSERVER.set(None)
    try:
        yield
    finally:
        _OBSERVER.reset(token)


def reported(stream: Any, raw: IO[bytes], file: str, total: int) -> Any:
    """``stream`` (what a reader reads from), reporting the position in ``raw`` (the file underneath) of
    ``total`` bytes to the observer; ``stream`` itself when nobody observes."""
    observer = _OBSERVER.get()
    return stream if observer is None else _Reported(stream, raw, file, total, observer)


def events_read(n: int) -> None:
    """The reader of the file being read has collected ``n`` events so far."""
    current = _CURRENT.get()
    if current is not None:
        current.events = n
        current._report(force=False)


class _Reported:
    """A read-only stream that tells the observer how far ``raw`` has been read."""

    def __init__(self, inner: Any, raw: IO[bytes], file: str, total: int, observer: Observer) -> None:
        self.inner, self.raw, self.file, self.total, self.observer = inner, raw, file, total, observer
        self.events = 0
        self.last = 0.0
        self.token = _CURRENT.set(self)

    def read(self, size: int = -1) -> bytes:
        block = self.inner.read(size)
        self._report(force=not block)
        return block

    def _report(self, *, force: bool) -> None:
        now = perf_counter()
        if force or now - self.last >= EVERY_SECONDS:
            self.last = now
            try:
                done = self.raw.tell()
            except (OSError, ValueError):  # closed underneath
                return
            self.observer(ReadProgress(self.file, done, self.total, self.events))

    def close(self) -> None:
        if self.token is not None:
            _CURRENT.reset(self.token)
            self.token = None

    def readable(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
