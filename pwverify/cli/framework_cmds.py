"""Commands about the frameworks: ``ties`` (points where autodiff is ambiguous) and
``crosscheck`` (run the real framework there and compare with pwverify's prediction)."""

from __future__ import annotations

import argparse
from typing import TextIO

from .common import add_program_options, console, emit_json, load_program


def register(sub) -> None:
    p = sub.add_parser("ties", help="exact points on the ties and kinks of a program, for gradient checks",
                       description="Exact points where autodiff is ambiguous (ties, kinks), each labelled with "
                                   "its piece and the primitives whose tie it exercises. Coordinates are dyadic, "
                                   "so they are exact in float64: feed them to torch.autograd.gradcheck, "
                                   "jax.test_util.check_grads or your own tests (Python API: "
                                   "pwverify.questions.tie_points.tie_points).")
    p.add_argument("program", metavar="PROGRAM")
    p.add_argument("--count", type=int, default=None, metavar="N",
                   help="how many points (default: one per kink); more are drawn with --seed")
    p.add_argument("--seed", type=int, default=0, help="seed of the further points (default: 0)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_program_options(p, mode=False)
    p.set_defaults(handler=cmd_ties)

    p = sub.add_parser("crosscheck", help="run the real framework at tie points and compare (executes the program)",
                       description="EXECUTES THE PROGRAM: imports its file, so the file's module-level code runs "
                                   "too (or evaluates the expression), with the framework installed, runs its "
                                   "autodiff in float64 at generated tie points and random points, and compares the value and Jacobian with pwverify's exact "
                                   "prediction. A module (path.py:Net, path.py:Net(3, 4)) is built, in float64 "
                                   "and evaluation mode; its parameters come from the point by their state_dict "
                                   "names (torch), or from --weights. A mismatch is a bug in pwverify and is "
                                   "reported with its point. Exit code 0: no mismatch, 1: mismatches.")
    p.add_argument("program", metavar="PROGRAM")
    p.add_argument("--count", type=int, default=20, metavar="N", help="tie points (default: 20)")
    p.add_argument("--random", type=int, default=10, metavar="N", help="random points (default: 10)")
    p.add_argument("--seed", type=int, default=0, help="seed of the points (default: 0)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_program_options(p, mode=False)
    p.add_argument("--mode", dest="modes", choices=("reverse", "forward", "both"), default="both",
                   help="autodiff mode(s) to run (default: both)")
    p.set_defaults(handler=cmd_crosscheck)


def _positive(value, name: str) -> None:
    from ..core.errors import UsageError
    if value is not None and value < 0:
        raise UsageError(f"--{name} must be at least 0, got {value}")


def cmd_ties(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..questions.tie_points import tie_points
    _positive(args.count, "count")
    program = load_program(args.program, args)
    points = tie_points(program, count=args.count, seed=args.seed)
    if args.json:
        emit_json({"program": program.label, "framework": program.profile.name, "inputs": program.inputs,
                   "points": [tp.to_json() for tp in points]}, out)
        return 0
    from rich.table import Table
    con = console(out)
    con.print(f"{program.label}  ({program.profile.name}; inputs {', '.join(program.inputs)})")
    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in ("#", "point", "piece", "ties exercised"):
        table.add_column(col)
    for i, tp in enumerate(points, 1):
        coords = ", ".join(f"{k}={v}" for k, v in tp.point.items())
        table.add_row(str(i), coords, f"{tp.piece}: {tp.where}", "; ".join(s.describe() for s in tp.sites))
    con.print(table)
    con.print(f"{len(points)} tie point(s); coordinates are exact in float64")
    return 0


def cmd_crosscheck(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..primitives.conventions import CHECKED_VERSIONS
    from ..core.errors import UsageError
    from ..frameworks.crosscheck import crosscheck, installed_version
    _positive(args.count, "count")
    _positive(args.random, "random")
    program = load_program(args.program, args)
    framework = program.framework
    version = installed_version(framework)
    if version is None:
        raise UsageError(f"{framework} is not installed, so it cannot be run",
                         hint=f"pip install 'pwverify[{framework}]'")
    if version.split("+")[0] != CHECKED_VERSIONS[framework]:
        print(f"warning: {framework} {version} is installed; pwverify's {framework} rules were checked "
              f"against {CHECKED_VERSIONS[framework]}", file=err)
    modes = ("reverse", "forward") if args.modes == "both" else (args.modes,)
    _say_what_runs(program, framework, version, err)
    report = crosscheck(program, framework, count=args.count, random_count=args.random, seed=args.seed,
                        modes=modes)
    if args.json:
        data = report.to_json()
        data["program"] = program.label
        emit_json(data, out)
        return 0 if report.ok else 1
    from rich.text import Text
    con = console(out)
    con.print(Text(f"{program.label}: ran {framework} {version} ({', '.join(modes)} mode) at {report.tie_points} "
                   f"tie point(s) and {report.random_points} random point(s)"))
    con.print(f"  {report.comparisons} comparison(s), {len(report.mismatches)} mismatch(es)"
              + (f", {report.outside_domain} point(s) outside the domain skipped" if report.outside_domain else ""))
    for m in report.mismatches:
        con.print(Text(f"  MISMATCH (a pwverify bug, please report it): {m.describe()}"))
    return 0 if report.ok else 1


def _say_what_runs(program, framework: str, version: str, err: TextIO) -> None:
    """Before anything runs: what will be executed (the file's module-level code included)."""
    from rich.text import Text
    parsed = program.parsed
    if parsed.function is not None:
        import ast
        target = parsed.function
        head = target.split("(")[0].split(".")[0].strip()
        is_class = any(isinstance(node, ast.ClassDef) and node.name == head for node in ast.parse(parsed.source).body)
        call = f"builds {target} and calls it" if is_class else f"calls {target}()"
        what = (f"crosscheck imports {parsed.filename} (running its module-level code) and {call} "
                f"under {framework} {version}")
    else:
        what = f"crosscheck evaluates the expression {parsed.label} under {framework} {version}"
    console(err).print(Text(f"note: {what}; run it on code you trust"))
