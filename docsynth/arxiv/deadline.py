"""A hard per-page time limit that also stops pure-Python loops (pdfminer can spin for minutes).

In the main thread with no other interval timer running, `SIGALRM` (`setitimer`) raises
`PageTimeout` wherever the page's code is. Elsewhere (a worker thread, or an outer timer such as
pytest-timeout's already armed) a watchdog thread raises it asynchronously in the working thread
with `PyThreadState_SetAsyncExc`. Either way the exception lands at the next Python bytecode: a
single long C call (one MuPDF function) finishes first, then the page stops. Code that swallows
exceptions (pdfminer has a few bare `except`s) gets the exception again every `REFIRE_S`, and
`Deadline.expired` lets the caller name a timeout that surfaced as some other error.
"""

from __future__ import annotations

import ctypes
import signal
import threading
import time
from contextlib import contextmanager


class PageTimeout(Exception):
    pass


REFIRE_S = 0.05  # after the deadline, raise again this often until the block is left (code may swallow one)


class Deadline:
    """What `deadline` yields: `expired` tells, after the fact, whether the limit was reached."""

    def __init__(self, seconds: float):
        self.seconds, self.t0 = seconds, time.monotonic()

    @property
    def expired(self) -> bool:
        return time.monotonic() - self.t0 >= self.seconds


def _signal_ok() -> bool:
    return (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0.0
    )


@contextmanager
def deadline(seconds: float):
    """Raise `PageTimeout` in this block once `seconds` have passed (and again every REFIRE_S after)."""
    state = Deadline(seconds)
    with (_alarm if _signal_ok() else _watchdog)(seconds):
        yield state


@contextmanager
def _alarm(seconds: float):
    active = [True]

    def fire(signum, frame):
        if active[0]:
            raise PageTimeout(f"exceeded {seconds:g} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds, REFIRE_S)
    try:
        yield
    finally:
        _disarm(lambda: (active.__setitem__(0, False), signal.setitimer(signal.ITIMER_REAL, 0.0),
                         signal.signal(signal.SIGALRM, old)))  # fmt: skip


@contextmanager
def _watchdog(seconds: float):
    tid, lock, done = threading.get_ident(), threading.Lock(), threading.Event()

    def fire():
        if done.wait(seconds):
            return
        while True:
            with lock:
                if done.is_set():
                    return
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), ctypes.py_object(PageTimeout))
            if done.wait(REFIRE_S):
                return

    threading.Thread(target=fire, daemon=True, name="page-deadline").start()
    try:
        yield
    finally:
        _disarm(lambda: _stop_watchdog(lock, done, tid))


def _stop_watchdog(lock: threading.Lock, done: threading.Event, tid: int) -> None:
    with lock:
        done.set()
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), None)  # drop one still pending


def _disarm(stop) -> None:
    """Run `stop` to completion even if one last PageTimeout lands while it starts (it is dropped:
    the exception already on its way out, if any, carries on)."""
    while True:
        try:
            stop()
            return
        except PageTimeout:
            continue
