"""``pwverify compare`` and ``pwverify check``: the verifier's commands."""

from __future__ import annotations

import argparse
import contextlib
import threading
from typing import TextIO

from .batch_cmds import add_cluster_options
from .common import (WRT_HELP, add_program_options, add_timings_option, console, emit_json, load_program,
                     load_programs, parse_shapes)


def register(sub) -> None:
    p = sub.add_parser("compare", help="same function? same autodiff gradient? (proof or exact witness)",
                       description="Compare two programs as functions and as autodiff gradients, everywhere. "
                                   "Each answer is proved, refuted with an exact witness point, or unknown "
                                   "with the reason.")
    p.add_argument("a", metavar="PROGRAM_A")
    p.add_argument("b", metavar="PROGRAM_B")
    p.add_argument("--wrt", default=None, metavar="SELECTION", help=WRT_HELP)
    p.add_argument("--engine", choices=("auto", "direct", "pieces", "both"), default="auto",
                   help="direct SMT encoding, piece decomposition, or both cross-checked (default: auto)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--disagreement", action="store_true",
                       help="compute where the gradients differ with the full budget (2000 pieces); by default "
                            "only within 64 pieces, so that it never holds up the verdicts")
    where.add_argument("--no-disagreement", action="store_true", help="skip computing the disagreement set")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_timings_option(p)
    add_program_options(p)
    add_cluster_options(p)
    p.set_defaults(handler=cmd_compare)

    p = sub.add_parser("check", help="check a representation (TOML file, or a program's own pieces)",
                       description="Check that the pieces of FILE (a TOML representation, or a PROGRAM's own "
                                   "decomposition) are disjoint, cover the space (or its domain), are not empty "
                                   "and join continuously; with --against, that each formula equals the program "
                                   "on its piece and that the associated gradient equals the program's autodiff "
                                   "gradient.")
    p.add_argument("file", metavar="FILE|PROGRAM")
    p.add_argument("--against", default=None, metavar="PROGRAM")
    p.add_argument("--json", action="store_true")
    add_program_options(p)
    p.set_defaults(handler=cmd_check)


@contextlib.contextmanager
def slow_status(err: TextIO, message: str, after: float = 1.0):
    """A spinner on the terminal if the work takes more than ``after`` seconds."""
    if not hasattr(err, "isatty") or not err.isatty():
        yield
        return
    from rich.console import Console
    status = Console(file=err).status(message)
    timer = threading.Timer(after, status.start)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        status.stop()


def cmd_compare(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.workers is not None or args.scheduler:
        return _compare_split(args, out, err)
    from ..questions.compare import compare
    a, b = load_programs([args.a, args.b], args)
    wrt = a.select(args.wrt) if args.wrt else None
    with slow_status(err, "comparing..."):
        result = compare(a, b, wrt=wrt, engine=args.engine, timeout_ms=int(args.timeout * 1000),
                         disagreement=_disagreement(args))
    if args.json:
        emit_json(result.to_json(), out, timings=args.timings)
    else:
        console(out).print(result.describe())
    return result.exit_code


def _disagreement(args: argparse.Namespace) -> bool | None:
    """``--disagreement``: the full budget; ``--no-disagreement``: none; else the small one."""
    return True if args.disagreement else False if args.no_disagreement else None


def _compare_split(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """compare by independent sub-questions on a Dask cluster (--workers, --scheduler)."""
    from ..model.verdicts import Status
    from ..primitives.conventions import read_tie_file
    from ..questions.compare_split import as_comparison, compare_split
    ties = list(args.tie) + (read_tie_file(args.ties) if args.ties else [])
    with slow_status(err, "comparing..."):
        data = compare_split(args.a, args.b, framework=args.framework, shapes=parse_shapes(args.shape), ties=ties,
                             mode=args.mode, weights=args.weights, wrt=args.wrt, engine=args.engine,
                             timeout_ms=int(args.timeout * 1000), disagreement=_disagreement(args),
                             workers=args.workers, scheduler=args.scheduler)
    if args.json:
        emit_json(data, out, timings=args.timings)
    else:
        console(out).print(as_comparison(data).describe())
    return Status.combine([data["function"]["verdict"], data["gradient"]["verdict"]]).exit_code


def cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..core.errors import UsageError
    from ..model.verdicts import exit_code
    from ..questions.wellformed import check_file, check_program
    against = load_program(args.against, args) if args.against else None
    with slow_status(err, "checking..."):
        if args.file.endswith(".toml"):
            result = check_file(args.file, against, timeout_ms=int(args.timeout * 1000))
        else:
            if against is not None:
                raise UsageError("--against needs a representation file", hint="check FILE.toml --against PROGRAM, "
                                 "or compare PROGRAM_A PROGRAM_B")
            result = check_program(load_program(args.file, args), timeout_ms=int(args.timeout * 1000))
    if args.json:
        emit_json(result.to_json(), out)
    else:
        _print_check(result, out)
    return exit_code(result.verdicts())


def _print_check(result, out: TextIO) -> None:
    from rich.table import Table
    rc = result.representation
    table = Table(title=result.path, box=None, header_style="bold", show_header=True)
    table.add_column("property")
    table.add_column("verdict")
    table.add_column("witness / reason")

    def row(name, verdict):
        detail = ""
        if verdict.witness is not None:
            detail = verdict.witness.point_str()
            extra = {k: v for k, v in verdict.witness.observed.items()}
            if extra:
                from ..core.formatting import nested_str
                detail += "; " + "; ".join(f"{k} = {v if isinstance(v, str) else nested_str(v)}"
                                           for k, v in extra.items())
        elif verdict.reason:
            detail = verdict.reason
        table.add_row(name, str(verdict.status), detail)

    row("pieces disjoint", rc.disjoint)
    row("pieces cover", rc.cover)
    table.add_row("no empty piece", "proved" if not rc.empty_pieces else "refuted",
                  "" if not rc.empty_pieces else "empty: " + ", ".join(map(str, rc.empty_pieces)))
    row("continuous", rc.continuity)
    if result.agrees is not None:
        row(f"equals {result.against}", result.agrees)
        row("gradient = autodiff's", result.gradient)
    console(out).print(table)
