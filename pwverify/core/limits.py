"""Resource limits every command honours: wall-clock time, memory and program size.

The limits are process-wide (one command runs per process). :func:`limited` installs
them for the duration of a block; the layers that spend the resources consult them:

* time: every solver query's own timeout is capped by the time left
  (:func:`solver_timeout_ms`), and a ``SIGALRM`` interrupts pure-Python work (the
  frontend, sympy) at the deadline, so a command stops within its limit;
* memory: the process's data segment is capped (``RLIMIT_DATA``; the solver layer gives
  z3 the same cap), so allocation fails with an error instead of exhausting the machine;
* size: the graph refuses more nodes than allowed (:func:`check_nodes`).

A limit reached is a :class:`ResourceLimitError`: no verdict was reached, so the exit
code is 3 (unknown), with the limit named in the message.

>>> with limited(max_nodes=10):
...     check_nodes(11)
Traceback (most recent call last):
...
pwverify.core.limits.ResourceLimitError: error: the program has more than 10 operations (--max-nodes 10) (to go on: ...)
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from dataclasses import dataclass

from .errors import PwverifyError

#: Operations a program's graph may have unless ``--max-nodes`` says otherwise.
DEFAULT_MAX_NODES = 2_000_000


class ResourceLimitError(PwverifyError):
    """A time, memory or size limit was reached before an answer (exit code 3)."""

    hint_label = "to go on"
    exit_code = 3


@dataclass
class Limits:
    """The limits in force: seconds from the start, megabytes, graph operations."""
    seconds: float | None = None
    memory_mb: int | None = None
    max_nodes: int = DEFAULT_MAX_NODES
    deadline: float | None = None


_current = Limits()


def current() -> Limits:
    """The limits in force now."""
    return _current


def check_nodes(count: int) -> None:
    """Raise when a graph of ``count`` operations exceeds ``--max-nodes``."""
    if count > _current.max_nodes:
        raise ResourceLimitError(f"the program has more than {_current.max_nodes} operations "
                                 f"(--max-nodes {_current.max_nodes})",
                                 hint="raise --max-nodes, or check a smaller program")


def seconds_left() -> float | None:
    """Seconds before the deadline (None: no time limit)."""
    if _current.deadline is None:
        return None
    return _current.deadline - time.monotonic()


def check_time() -> None:
    """Raise when the deadline has passed."""
    left = seconds_left()
    if left is not None and left <= 0:
        raise _time_out()


def solver_timeout_ms(timeout_ms: int) -> int:
    """A solver query's timeout, capped by the time left (at least 1 ms).

    >>> solver_timeout_ms(5000)
    5000
    """
    left = seconds_left()
    if left is None:
        return int(timeout_ms)
    return max(1, min(int(timeout_ms), int(left * 1000)))


def _time_out() -> ResourceLimitError:
    return ResourceLimitError(f"stopped after {_current.seconds:g} s (--time-limit {_current.seconds:g})",
                              hint="raise --time-limit; the answer is unknown")


@contextlib.contextmanager
def limited(seconds: float | None = None, memory_mb: int | None = None, max_nodes: int | None = None):
    """Install the limits for the block (``None``: no limit; ``max_nodes`` default 2,000,000)."""
    global _current
    if seconds is not None and seconds <= 0:
        from .errors import UsageError
        raise UsageError(f"--time-limit must be positive, got {seconds:g}")
    if memory_mb is not None and memory_mb <= 0:
        from .errors import UsageError
        raise UsageError(f"--max-memory must be positive, got {memory_mb}")
    if max_nodes is not None and max_nodes <= 0:
        from .errors import UsageError
        raise UsageError(f"--max-nodes must be positive, got {max_nodes}")
    previous = _current
    _current = Limits(seconds, memory_mb, max_nodes or DEFAULT_MAX_NODES,
                      time.monotonic() + seconds if seconds is not None else None)
    with contextlib.ExitStack() as stack:
        if seconds is not None and threading.current_thread() is threading.main_thread():
            stack.enter_context(_alarm(seconds))
        if memory_mb is not None:
            stack.enter_context(_memory_cap(memory_mb))
        try:
            yield _current
        except MemoryError:
            raise ResourceLimitError(f"the memory limit was reached (--max-memory {memory_mb})"
                                     if memory_mb else "out of memory",
                                     hint="raise --max-memory, or check a smaller program") from None
        except ResourceLimitError:
            raise
        except Exception:
            # the alarm may fire inside a C call (z3 through ctypes), which wraps it in its
            # own error type: past the deadline, any error is the time limit
            left = seconds_left()
            if left is not None and left <= 0:
                raise _time_out() from None
            raise
        finally:
            _current = previous


@contextlib.contextmanager
def _alarm(seconds: float):
    def on_alarm(signum, frame):
        raise _time_out()
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


#: Memory beyond what is in use when the cap is set that a command needs at the least
#: (some C libraries crash rather than report a failed allocation, so too tight a cap is refused).
_HEADROOM_MB = 150


def _data_in_use_mb() -> int | None:
    """The process's data segment now (Linux's VmData), in megabytes."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) // 1024
    except OSError:  # pragma: no cover - not Linux
        return None
    return None


@contextlib.contextmanager
def _memory_cap(memory_mb: int):
    import resource
    in_use = _data_in_use_mb()
    if in_use is not None and memory_mb < in_use + _HEADROOM_MB:
        from .errors import UsageError
        raise UsageError(f"--max-memory {memory_mb} is below what the command needs to start "
                         f"({in_use + _HEADROOM_MB} MB: {in_use} MB in use after loading the libraries)",
                         hint=f"--max-memory {in_use + _HEADROOM_MB} or more")
    old = resource.getrlimit(resource.RLIMIT_DATA)
    cap = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (cap if old[1] == resource.RLIM_INFINITY else min(cap, old[1]), old[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, old)


__all__ = ["Limits", "ResourceLimitError", "DEFAULT_MAX_NODES", "current", "limited", "check_nodes",
           "check_time", "seconds_left", "solver_timeout_ms"]
