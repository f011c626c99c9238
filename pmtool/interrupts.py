"""Ctrl-C (SIGINT) during a run: it stops the run at once, except while the results folder changes.

A run's work can be dropped at any moment: its worker and helper processes are stopped with it
(:func:`pmtool.conform.workers.stop_now`), its outputs wait under temporary names until all are written. Only
renaming them into place, removing what the run no longer makes and writing the manifest must not stop half
way: :func:`held` keeps a Ctrl-C back until they are done.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, TimeoutError
from contextlib import contextmanager
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
