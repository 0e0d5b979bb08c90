"""Independent jobs run serially, on a local cluster of processes, or on a remote cluster.

Why Dask: ``dask.distributed`` starts a local cluster of worker processes (z3 and sympy
hold the GIL, so threads would not help) and talks to a remote scheduler through the
same API (``Client.map`` / ``gather``), so one code path serves a laptop and a cluster
started with ``dask scheduler`` / ``dask worker``. It is imported only when a cluster
is asked for; the serial path needs nothing.

A job is plain data (program specs or paths, options: a dict that pickles and prints)
and its function is a module-level function that workers import by name; each worker
reads (parses) and checks its own job, and returns a plain JSON-able dict. Nothing
analysed is ever run: pwverify reads programs with ``ast``. Results come back in input
order whatever order the workers finish in, so a parallel run prints what a serial run
prints (timings aside).

>>> run_jobs(_square, [1, 2, 3])
[1, 4, 9]
"""

from __future__ import annotations

import ctypes
import logging
import threading
from typing import Any, Callable, Sequence

from ..core.errors import UsageError


class TimeLimit(BaseException):
    """Raised inside a job that ran past its time limit (a BaseException, so that no
    ``except Exception`` on the way swallows it)."""


def _square(x):  # the doctest's job
    return x * x


def validate(workers: int | None, scheduler: str | None) -> None:
    """Reject ``workers < 1`` and ``workers`` together with ``scheduler``."""
    if workers is not None and workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    if workers is not None and scheduler:
        raise UsageError("--workers and --scheduler exclude each other",
                         hint="--workers N starts a local cluster; --scheduler ADDRESS uses a running one")


def run_jobs(fn: Callable[[Any], Any], jobs: Sequence[Any], *, workers: int | None = None,
             scheduler: str | None = None, on_failure: Callable[[Any, BaseException], Any] | None = None
             ) -> list:
    """``[fn(job) for job in jobs]``, serially (default), on a local cluster of ``workers``
    processes with one thread each (started and closed here), or on the running
    ``dask.distributed`` cluster at ``scheduler`` (``"tcp://host:port"``).

    ``fn`` must be importable by name on the workers (a module-level function of an
    installed package). ``on_failure(job, exc)``: the result of a job whose worker
    failed (a lost worker, say) instead of raising; jobs should catch their own errors.
    Local workers are new processes that import the caller's main module: a script that
    calls this needs the usual ``if __name__ == "__main__":`` guard.
    """
    validate(workers, scheduler)
    jobs = list(jobs)
    if not jobs:
        return []
    if workers is None and not scheduler:
        return [fn(job) for job in jobs]
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - a dependency
        raise UsageError("--workers and --scheduler need dask.distributed",
                         hint="pip install 'dask[distributed]'") from None
    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                             hint="start one with 'dask scheduler' and 'dask worker ADDRESS'") from None
        with client:
            return _gather(client, fn, jobs, on_failure)
    quiet = logging.getLogger("distributed")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the cluster's start and close are not the user's business
    try:
        # no dashboard; the scheduler's HTTP server on a free port, not the default 8787
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          scheduler_kwargs={"dashboard_address": ":0"}, silence_logs=logging.ERROR) as cluster, \
                Client(cluster) as client:
            return _gather(client, fn, jobs, on_failure)
    finally:
        quiet.setLevel(level)


def _gather(client, fn, jobs, on_failure) -> list:
    futures = client.map(fn, jobs, pure=False)
    out = []
    for job, future in zip(jobs, futures):
        try:
            out.append(future.result())
        except Exception as exc:
            if on_failure is None:
                raise
            out.append(on_failure(job, exc))
    return out


def time_limited(fn: Callable[[], Any], seconds: float | None) -> Any:
    """``fn()``, interrupted with :class:`TimeLimit` after ``seconds`` (None: no limit).

    Works in any thread (a Dask worker runs jobs in a thread, where signals cannot be
    used): the exception is raised in the calling thread at its next Python instruction,
    so a solver query in progress finishes first (each is bounded by its own timeout).

    >>> time_limited(lambda: 42, 5)
    42
    """
    if not seconds:
        return fn()
    ident = threading.get_ident()
    lock = threading.Lock()
    state = {"running": True}

    def expire():
        with lock:
            if state["running"]:
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(TimeLimit))

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        return fn()
    finally:
        with lock:
            state["running"] = False
        timer.cancel()
        if state.get("fired"):  # not delivered yet: drop it rather than raise it in the caller
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), None)
