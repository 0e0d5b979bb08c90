"""The ``pwverify`` command line.

Each command family lives in its own module with a ``register(subparsers)`` function;
handlers have the signature ``(args, out, err) -> exit code``. Heavy modules (sympy,
z3, numpy) are imported inside the handlers, so ``pwverify --help`` is instant.

Exit codes (``pwverify.core.exitcodes``): 0 all proved (or the command succeeded), 1
something refuted, 2 usage or input error, 3 unknown, 4 internal error. With ``--json``
an error is also a JSON object on stdout (:func:`error_json`), with the same exit code.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence, TextIO

from . import core, verify_cmds, framework_cmds, calculus_cmds, demo_cmds, plot_cmds, batch_cmds

FAMILIES = (core, verify_cmds, framework_cmds, calculus_cmds, demo_cmds, plot_cmds, batch_cmds)

EXIT_OK, EXIT_REFUTED, EXIT_USAGE, EXIT_UNKNOWN, EXIT_INTERNAL = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130

EPILOG = """\
exit codes: {codes}.
With --json, an error is also written to stdout as one JSON object:
{{"error": {{"kind", "message", "location": {{"file", "line", "col"}} or null, "hint"}}, "exit_code"}}.
An internal error (exit code 4) is a bug in pwverify: PWVERIFY_DEBUG=1 shows its traceback."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as pwverify errors (exit code 2)."""

    def error(self, message: str):  # pragma: no cover - exercised through main()
        from ..core.errors import UsageError
        raise UsageError(f"{message}", hint=f"see '{self.prog} --help'")


def build_parser() -> argparse.ArgumentParser:
    from ..core import exitcodes
    parser = _Parser(
        prog="pwverify",
        description="Exact verification of what autodiff returns on nonsmooth programs. "
                    "A PROGRAM is 'path.py:function' or a Python expression such as 'relu(-t) + t'.",
        epilog=EPILOG.format(codes=exitcodes.describe()), formatter_class=argparse.RawDescriptionHelpFormatter)
    from .. import __version__
    parser.add_argument("--version", action="version", version=f"pwverify {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for family in FAMILIES:
        family.register(sub)
    for command in sub.choices.values():
        add_limit_options(command)
    return parser


def add_limit_options(p: argparse.ArgumentParser) -> None:
    """--time-limit, --max-memory, --max-nodes: on every command (see pwverify.core.limits)."""
    from .common import positive_seconds
    group = p.add_argument_group("limits (reaching one stops the command with exit code 3)")
    group.add_argument("--time-limit", type=positive_seconds, default=None, metavar="SECONDS",
                       help="stop after this many seconds in all (solver queries are cut to the time left)")
    group.add_argument("--max-memory", type=int, default=None, metavar="MB",
                       help="cap the memory of the process and of the solver, in megabytes")
    group.add_argument("--max-nodes", type=int, default=None, metavar="N",
                       help="refuse programs of more than N operations (default: 2,000,000)")


#: The ``kind`` of each error in the JSON error object.
ERROR_KINDS = {
    "ProgramSyntaxError": "syntax", "UnsupportedError": "unsupported", "UnknownNameError": "unknown_name",
    "ArityError": "arity", "FrameworkError": "framework", "UsageError": "usage", "DomainError": "domain",
    "RepresentationFileError": "representation_file", "ProgramRunError": "program_run",
    "DecompositionUnknown": "unknown", "DecompositionTooLarge": "too_large", "ResourceLimitError": "limit",
}


def error_json(exc: BaseException | None, code: int, message: str | None = None) -> dict:
    """The JSON error object of ``--json`` (stdout), for an exception or a plain message.

    >>> from pwverify.core.errors import UsageError, Location
    >>> error_json(UsageError("bad --at", Location("f.py", 3, 1), hint="t=0"), 2)["error"]["location"]
    {'file': 'f.py', 'line': 3, 'col': 1}
    """
    from ..core.errors import PwverifyError
    if isinstance(exc, PwverifyError):
        kind = next((ERROR_KINDS[k.__name__] for k in type(exc).__mro__ if k.__name__ in ERROR_KINDS), "input")
        loc = exc.location
        error = {"kind": kind, "message": exc.message,
                 "location": {"file": loc.file, "line": loc.line, "col": loc.col} if loc else None,
                 "hint": exc.hint}
    elif isinstance(exc, KeyboardInterrupt):
        error = {"kind": "interrupted", "message": "interrupted", "location": None, "hint": None}
    else:
        error = {"kind": "internal", "message": message or f"{type(exc).__name__}: {exc}", "location": None,
                 "hint": "a bug in pwverify: rerun with PWVERIFY_DEBUG=1 for the traceback, and report it"}
    return {"error": error, "exit_code": code}


def _wants_json(argv: Sequence[str]) -> bool:
    return "--json" in argv


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    argv = list(sys.argv[1:] if argv is None else argv)
    json_errors = _wants_json(argv)
    parser = build_parser()
    from ..core.errors import PwverifyError

    def fail(exc, code: int, text: str, message: str | None = None) -> int:
        print(text, file=err)
        if json_errors:
            from .common import emit_json
            emit_json(error_json(exc, code, message), out)
        return code

    try:
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):
            if json_errors:
                from ..core.errors import UsageError
                return fail(UsageError("no command given", hint="see 'pwverify --help'"), EXIT_USAGE,
                            "error: no command given")
            parser.print_help(out)
            return EXIT_USAGE
        return _run_limited(args, out, err)
    except PwverifyError as exc:
        return fail(exc, exc.exit_code, str(exc))
    except RecursionError:
        from ..core.limits import ResourceLimitError
        exc = ResourceLimitError("the program nests too deeply to be read (Python's recursion limit)",
                                 hint="split long expressions into several statements or functions")
        return fail(exc, EXIT_UNKNOWN, str(exc))
    except KeyboardInterrupt as exc:
        return fail(exc, EXIT_INTERRUPTED, "interrupted")
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # an internal error, not the user's
        if os.environ.get("PWVERIFY_DEBUG"):
            raise
        message = f"{type(exc).__name__}: {exc}"
        return fail(exc, EXIT_INTERNAL, f"internal error: {message}\n"
                    "This is a bug in pwverify; rerun with PWVERIFY_DEBUG=1 for the traceback.", message)


def _run_limited(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..core.limits import limited
    # long sums like a + b + ... nest as deeply as they are long; Python's default limit
    # (1000) would refuse a few hundred terms
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20_000))
    if args.max_memory is None:
        with limited(args.time_limit, None, args.max_nodes):
            return args.handler(args, out, err)
    # load the libraries before the cap, so that it bounds the work, not the imports
    import flint  # noqa: F401
    import sympy  # noqa: F401

    from ..solver.smt import cap_memory
    with limited(args.time_limit, args.max_memory, args.max_nodes):
        cap_memory(args.max_memory)
        try:
            return args.handler(args, out, err)
        finally:
            cap_memory(0)


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
