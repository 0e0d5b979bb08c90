"""User-facing errors.

Every mistake in a user's input (a program pwverify cannot read, a bad option, a
malformed representation file) raises a subclass of :class:`PwverifyError`. The CLI
prints it as ``file:line:col: error: message`` and exits with code 2; no traceback.

>>> err = UnsupportedError("while loops are not supported", Location("f.py", 3, 4),
...                        hint="use 'for i in range(N)' with a constant N")
>>> print(err)
f.py:3:4: error: while loops are not supported (supported: use 'for i in range(N)' with a constant N)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A place in a source: file (or ``<expr>``), 1-based line and column."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class PwverifyError(Exception):
    """Root of every error caused by the user's input (exit code 2)."""

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    #: How the hint is introduced in the message.
    hint_label = "supported"
    #: The command's exit code when this error stops it (2: bad input; 3: no answer).
    exit_code = 2

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        hint = f" ({self.hint_label}: {self.hint})" if self.hint else ""
        return f"{where}error: {self.message}{hint}"


class ProgramSyntaxError(PwverifyError):
    """The program text is not valid Python."""


class UnsupportedError(PwverifyError):
    """Valid Python that pwverify does not analyse (a construct, a call, a shape)."""


class UnknownNameError(PwverifyError):
    """A name or function that is neither an input, a local, nor a known primitive."""


class ArityError(PwverifyError):
    """A call with the wrong number or kind of arguments."""


class FrameworkError(PwverifyError):
    """A call whose framework rule is not modelled, or programs mixing frameworks."""


class UsageError(PwverifyError):
    """Bad command-line arguments or API use (a point missing an input, ...)."""


class DomainError(PwverifyError):
    """A point outside the program's domain (log of a non-positive number, ...)."""


class RepresentationFileError(PwverifyError):
    """A malformed hand-written representation file."""


class ProgramRunError(PwverifyError):
    """The analysed program raised when run in a real framework (``crosscheck``)."""
