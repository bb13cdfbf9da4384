"""Read one PDF in a child process, so that nothing the file does can cost more than a page.

The per-page deadline (`deadline.py`) stops Python, but not a single C call that never returns;
a `try` catches exceptions, but not a segfault in MuPDF, an abort in a C extension or the kernel's
OOM killer. So by default (`arxiv.isolate`) PDFs are read by a reader process: a plain
`python -m docsynth.arxiv.isolate` child (no fork of a process that holds torch or Ray threads, no
re-import of the caller's main module) that lives as long as its parent, reads one PDF after
another under an address-space limit (`arxiv.memory_limit_mb`) and streams events back over its
own pipes: the page count, each page, each drop. When it dies or stops talking for longer than
the page time limit allows, the page it was on is dropped with what happened (`worker_crash`,
`page_timeout`) and a new reader goes on with the next page; after `MAX_RESTARTS` deaths the
rest of the file is dropped (`too_many_failures`). Counters and timings of a reader that died are lost; its pages and
drops are not.

`DOCSYNTH_FAULT=crash:PAGES|hang:PAGES|oom:PAGES` (PAGES: `1` or `0,1,2`; read by the reader) makes it
fail on those pages:
fault injection for the tests, which cannot otherwise make MuPDF crash on demand.
"""

from __future__ import annotations

import atexit
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Iterator
from multiprocessing.connection import Connection

from docsynth import config as C
from docsynth.doc import Document, Page, display_name
from docsynth.steps import Drop, ShardContext

MAX_RESTARTS = 3  # reader deaths per file before the rest of it is dropped
_READERS: dict[int, Reader] = {}  # one reader process per memory limit, per process


class Reader:
    """A reader process and its two pipes (requests in, events out)."""

    def __init__(self, memory_mb: int):
        req_r, self._req_w = os.pipe()
        self._ev_r, ev_w = os.pipe()
        cmd = [sys.executable, "-m", "docsynth.arxiv.isolate", str(req_r), str(ev_w), str(memory_mb)]
        self.proc = subprocess.Popen(cmd, pass_fds=(req_r, ev_w), stdin=subprocess.DEVNULL, close_fds=True)
        os.close(req_r)
        os.close(ev_w)
        self.requests, self.events = Connection(self._req_w, readable=False), Connection(self._ev_r, writable=False)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> int | None:
        if self.alive():
            self.proc.kill()
        for conn in (self.requests, self.events):
            conn.close()
        try:
            return self.proc.wait(10)
        except subprocess.TimeoutExpired:
            return None


def _reader(memory_mb: int) -> Reader:
    r = _READERS.get(memory_mb)
    if r is None or not r.alive():
        r = _READERS[memory_mb] = Reader(memory_mb)
    return r


@atexit.register
def _stop_readers() -> None:
    for r in _READERS.values():
        r.kill()
    _READERS.clear()


def read_isolated(cfg: C.PipelineConfig, doc: Document, ctx: ShardContext) -> Iterator[Page]:
    """`Extract.document(doc, ctx)`, read by the reader process: pages and drops as if in-process."""
    pages: int | None = None  # the file's page count, once a reader has opened it
    start, deaths = 0, 0
    patience = 1.5 * cfg.arxiv.page_timeout_s + 5  # silence longer than this: the reader hangs in C
    where = display_name(doc.meta["path"])
    while True:
        run = _Run(start)
        yield from run.follow(cfg, doc, ctx, patience)
        pages = run.pages if run.pages is not None else pages
        if run.failure is None:
            return
        reason, cause = run.failure
        if pages is None:  # it died before the file was open: the file goes
            ctx.drop(doc.source, doc.docid, reason, f"{where}: {cause} while opening", step="extract")
            return
        if run.current >= pages:  # it died closing the file: every page is accounted for
            ctx.counters["arxiv_close_errors"] += 1
            return
        ctx.drop(doc.source, doc.docid, reason, f"{where}: page {run.current}: {cause}", step="extract", page=run.current)
        deaths, start = deaths + 1, run.current + 1
        if deaths >= MAX_RESTARTS:
            for i in range(start, pages):
                ctx.drop(doc.source, doc.docid, "too_many_failures", f"{where}: page {i}: not read; the reader process "
                         f"died or hung {deaths} times in this file", step="extract", page=i)  # fmt: skip
            return
        if start >= pages:
            return


class _Run:
    """One request to a reader; afterwards `failure` is None or (reason, what happened)."""

    def __init__(self, start: int):
        self.current = start  # the page the reader is on: the first one not yet accounted for
        self.pages: int | None = None
        self.failure: tuple[str, str] | None = None

    def follow(self, cfg: C.PipelineConfig, doc: Document, ctx: ShardContext, patience: float) -> Iterator[Page]:
        reader = _reader(cfg.arxiv.memory_limit_mb)
        finished = False
        try:
            reader.requests.send((cfg, doc, self.current, ctx.shard, ctx.seed))
            while True:
                if not reader.events.poll(patience):
                    self.failure = ("page_timeout", f"no progress for {patience:g} s (stuck inside a library call); "
                                    "the reader process was killed")  # fmt: skip
                    return
                kind, *rest = reader.events.recv()
                if kind == "open":
                    self.pages = rest[0]
                elif kind == "drop":
                    self._drop(rest[0], ctx)
                elif kind == "page":
                    self.current = rest[0].page + 1
                    yield rest[0]
                else:  # done
                    ctx.counters.update(rest[0])
                    ctx.timings.update(rest[1])
                    finished = True
                    return
        except (EOFError, OSError, pickle.UnpicklingError):  # the reader died, mid-message or before
            try:
                self.failure = _death(reader.proc.wait(5))
            except subprocess.TimeoutExpired:
                pass
        finally:
            if not finished:  # it died, hangs, or the caller stopped early: this reader is done for
                code = reader.kill()
                self.failure = self.failure or _death(code)

    def _drop(self, d: Drop, ctx: ShardContext) -> None:
        ctx.drop(d.source, d.docid, d.reason, d.detail, step=d.step, page=d.page)
        if d.page is not None:
            self.current = d.page + 1


def _death(code: int | None) -> tuple[str, str]:
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        if -code == signal.SIGKILL:
            return "worker_crash", f"the reader process was killed ({name}; out of memory?)"
        return "worker_crash", f"the reader process died of {name}"
    return "worker_crash", f"the reader process exited with status {code}"


# --------------------------------------------------------------------------- the reader process


class _Reporting(ShardContext):
    """The reader's context: every drop goes to the parent the moment it happens."""

    def __init__(self, conn: Connection, **kw):
        super().__init__(**kw)
        self.conn = conn

    def drop(self, source, docid, reason, detail, *, step, page=None):
        super().drop(source, docid, reason, detail, step=step, page=page)
        self.conn.send(("drop", self.drops[-1]))


def _fault(page: int, ex) -> None:
    kind, _, at = os.environ.get("DOCSYNTH_FAULT", "").partition(":")
    if not kind or str(page) not in at.split(","):
        return
    if kind == "crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    elif kind == "hang":
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])  # as deaf as a C call that never returns
        signal.pause()
    elif kind == "oom":  # a library allocating past the address-space limit inside this page's work
        real = ex.page

        def page_beyond_the_limit(*args):
            ex.page = real
            return bytearray(1 << 40)

        ex.page = page_beyond_the_limit


def _serve_one(events: Connection, cfg: C.PipelineConfig, doc: Document, start: int, shard: int, seed: int) -> None:
    from docsynth.arxiv.extract import Extract

    ctx = _Reporting(events, shard=shard, seed=seed)
    ex = Extract(cfg)
    readers = ex.open(doc, ctx)
    if readers is not None:
        events.send(("open", readers.fdoc.page_count))
        try:
            for i in range(start, readers.fdoc.page_count):
                _fault(i, ex)
                page = ex._timed_page(doc, readers, i, ctx)  # a page, or a drop already sent
                if page is not None:
                    events.send(("page", page))
        finally:
            ex.close(doc, readers, ctx)
    events.send(("done", ctx.counters, ctx.timings))


def main(argv: list[str]) -> None:
    req_fd, ev_fd, memory_mb = (int(a) for a in argv)
    if memory_mb:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
    requests, events = Connection(req_fd, writable=False), Connection(ev_fd, readable=False)
    import docsynth.arxiv.extract  # noqa: F401  (imported once, before the first request)

    while True:
        try:
            request = requests.recv()
        except EOFError:  # the parent is gone
            return
        _serve_one(events, *request)


if __name__ == "__main__":
    main(sys.argv[1:])
