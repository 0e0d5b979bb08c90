"""The ``pwverify`` command line.

Each command family lives in its own module with a ``register(subparsers)`` function;
handlers have the signature ``(args, out, err) -> exit code``. Heavy modules (sympy,
z3, numpy) are imported inside the handlers, so ``pwverify --help`` is instant.

Exit codes: 0 all proved (or the command succeeded), 1 something refuted, 2 usage or
input error, 3 unknown, 4 internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence, TextIO

from . import core, verify_cmds, framework_cmds, calculus_cmds, demo_cmds, plot_cmds

FAMILIES = (core, verify_cmds, framework_cmds, calculus_cmds, demo_cmds, plot_cmds)

EXIT_OK, EXIT_REFUTED, EXIT_USAGE, EXIT_UNKNOWN, EXIT_INTERNAL = 0, 1, 2, 3, 4


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as pwverify errors (exit code 2)."""

    def error(self, message: str):  # pragma: no cover - exercised through main()
        from ..core.errors import UsageError
        raise UsageError(f"{message}", hint=f"see '{self.prog} --help'")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pwverify",
        description="Exact verification of what autodiff returns on nonsmooth programs. "
                    "A PROGRAM is 'path.py:function' or a Python expression such as 'relu(-t) + t'.",
        epilog="Exit codes: 0 proved/ok, 1 refuted, 2 bad input, 3 unknown.")
    from .. import __version__
    parser.add_argument("--version", action="version", version=f"pwverify {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for family in FAMILIES:
        family.register(sub)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = build_parser()
    from ..core.errors import PwverifyError
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "handler", None):
            parser.print_help(out)
            return EXIT_USAGE
        return args.handler(args, out, err)
    except PwverifyError as exc:
        from ..engines.pieces import DecompositionUnknown
        print(str(exc), file=err)
        return EXIT_UNKNOWN if isinstance(exc, DecompositionUnknown) else EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=err)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # an internal error, not the user's
        if os.environ.get("PWVERIFY_DEBUG"):
            raise
        print(f"internal error: {type(exc).__name__}: {exc}\n"
              "This is a bug in pwverify; rerun with PWVERIFY_DEBUG=1 for the traceback.", file=err)
        return EXIT_INTERNAL


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
