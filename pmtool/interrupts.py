"""Ctrl-C (SIGINT) during a run: it stops the run at once, except while the results folder changes.

A run's work can be dropped at any moment: its worker and helper processes are stopped with it
(:func:`pmtool.conform.workers.stop_now`), its outputs wait under temporary names until all are written. Only
renaming them into place, removing what the run no longer makes and writing the manifest must not stop half
way: :func:`held` keeps a Ctrl-C back until they are done.

Work a run does beside its main thread (the disclosure audit's linear programs, the tables) runs in
:class:`Background` threads. When the run stops, they are called off and waited for: a thread still inside a
native library (HiGHS, C++) when the interpreter ends would abort the whole process ("terminate called
without an active exception", exit code 134 instead of 130). Long work asks :func:`check` between its steps.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, TimeoutError
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")


@contextmanager
def held() -> Iterator[None]:
    """Keep a Ctrl-C back while the block runs, then raise it (as the handler in force would)."""
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield  # signals reach the main thread only; an ignored or default SIGINT has no handler to delay
        return
    caught: list[tuple[int, Any]] = []
    signal.signal(signal.SIGINT, lambda signum, frame: caught.append((signum, frame)))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        previous(*caught[0])


@contextmanager
def interruptible() -> Iterator[None]:
    """Let SIGINT stop the block even when the process was started with it ignored, as a shell starts
    ``pmtool run … &`` from a script: ``kill -INT`` then stops the run as Ctrl-C does."""
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


#: How often a wait of the main thread looks for a Ctrl-C. The kernel hands a signal to any thread of the
#: process; when it is not the main thread, a wait without a time limit would not see it until it ends.
POLL_S = 0.25


def result(future: Future[T]) -> T:
    """``future.result()``, a Ctrl-C seen within :data:`POLL_S`."""
    while True:
        try:
            return future.result(timeout=POLL_S)
        except TimeoutError:
            continue


def join(thread: threading.Thread, timeout: float | None = None) -> None:
    """``thread.join(timeout)``, a Ctrl-C seen within :data:`POLL_S`."""
    end = None if timeout is None else time.monotonic() + timeout
    while thread.is_alive():
        left = POLL_S if end is None else min(POLL_S, end - time.monotonic())
        if left <= 0:
            return
        thread.join(left)


class Cancelled(Exception):
    """The work was called off: the run it belongs to stopped (:meth:`Background.cancel`)."""


_called_off: ContextVar[threading.Event | None] = ContextVar("pmtool_called_off", default=None)


def check() -> None:
    """Raise :class:`Cancelled` when the work running here was called off; long work in a
    :class:`Background` thread asks between its steps (in any other thread it never raises)."""
    event = _called_off.get()
    if event is not None and event.is_set():
        raise Cancelled


class Background:
    """Threads of work beside the main thread, each with a copy of the caller's context, their results or
    errors in futures. Leaving the ``with`` block because of an error or a Ctrl-C calls the work off and waits
    (at most ``timeout`` seconds) until every thread has ended, so none is inside a native library when the
    interpreter ends. The threads are daemons: one that does not end in time does not hold the process."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self._event = threading.Event()
        self._threads: list[threading.Thread] = []

    def submit(self, function: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        context = copy_context()
        context.run(_called_off.set, self._event)

        def work() -> None:
            try:
                future.set_result(context.run(function, *args))
            except BaseException as exc:  # raised where the result is asked for
                future.set_exception(exc)

        thread = threading.Thread(target=work, daemon=True)
        self._threads.append(thread)
        thread.start()
        return future

    def cancel(self) -> None:
        """Call the work off and wait for its threads (at most :attr:`timeout` seconds in all)."""
        self._event.set()
        end = time.monotonic() + self.timeout
        for thread in self._threads:
            thread.join(max(0.0, end - time.monotonic()))

    def __enter__(self) -> Background:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is not None:
            self.cancel()
