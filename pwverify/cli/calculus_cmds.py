"""Nonsmooth calculus commands: ``clarke``, ``critical``, ``directional``, ``explain``."""

from __future__ import annotations

import argparse
from typing import TextIO

from .common import add_program_options, console, emit_json, load_program


def register(sub) -> None:
    p = sub.add_parser("clarke", help="Clarke subdifferential and index closure at a point, exactly",
                       description="The Clarke subdifferential ∂f(x) (gradients of the essentially active "
                                   "pieces) and the index closure D_f(x) (gradients of every formula equal to f "
                                   "at x), by their vertices, with the min-norm element and whether a vector "
                                   "(by default the autodiff gradient) lies in ∂f, with an exact certificate. "
                                   "Exit code: 0 when the vector is in ∂f (the convex weights are printed), 1 when "
                                   "it is not (a separating direction is printed: autodiff returned a vector "
                                   "outside ∂f, as at an artificial critical point), 3 when undecided.")
    p.add_argument("program", metavar="PROGRAM")
    p.add_argument("--at", required=True, metavar="POINT")
    p.add_argument("--vector", default=None, metavar="V", help="test this vector instead of the autodiff "
                                                               "gradient, e.g. 1/2 or 0,1")
    p.add_argument("--json", action="store_true")
    add_program_options(p)
    p.set_defaults(handler=cmd_clarke)

    p = sub.add_parser("critical", help="critical points, classified as Clarke-critical or artificial",
                       description="Find points where the autodiff gradient is 0 or where 0 ∈ D_f, and classify "
                                   "each: Clarke-critical (0 ∈ ∂f) or artificial (0 ∉ ∂f).")
    p.add_argument("program", metavar="PROGRAM")
    p.add_argument("--at", default=None, metavar="POINT", help="classify this point only")
    p.add_argument("--box", default=None, metavar="BOX", help="search in a box, e.g. x=-1:1,y=0:2")
    p.add_argument("--count", type=int, default=10, help="report at most this many points (default 10)")
    p.add_argument("--json", action="store_true")
    add_program_options(p)
    p.set_defaults(handler=cmd_critical)

    p = sub.add_parser("directional", help="the directional derivative f'(x; d), exactly",
                       description="f'(x; d) = lim (f(x + s d) - f(x)) / s as s -> 0+, from the piece the ray "
                                   "stays in.")
    p.add_argument("program", metavar="PROGRAM")
    p.add_argument("--at", required=True, metavar="POINT")
    p.add_argument("--direction", required=True, metavar="D", help="e.g. t=1 or x=1,y=-1")
    p.add_argument("--json", action="store_true")
    add_program_options(p)
    p.set_defaults(handler=cmd_directional)

    p = sub.add_parser("explain", help="each composition step: pieces met, pruned, merged",
                       description="Print how pwverify composes the program's pieces, node by node (Lemma 1), "
                                   "with what was pruned and why: for lecture notes.")
    p.add_argument("program", metavar="PROGRAM")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--markdown", action="store_true")
    fmt.add_argument("--latex", action="store_true")
    p.add_argument("--all", action="store_true", help="also list the smooth steps")
    add_program_options(p, mode=False)
    p.set_defaults(handler=cmd_explain)


def _interval(hull) -> str:
    from ..core.formatting import exact_str
    vs = hull.vertices
    if len(vs[0]) == 1:
        values = sorted((v[0] for v in vs), key=float)
        return "{" + exact_str(values[0]) + "}" if len(values) == 1 else \
            f"[{exact_str(values[0])}, {exact_str(values[-1])}]"
    return "conv{" + ", ".join("(" + ", ".join(exact_str(x) for x in v) + ")" for v in vs) + "}"


def _vector(text: str | None):
    if text is None:
        return None
    from ..core.exact import parse_number
    return [parse_number(x) for x in text.split(",")]


def cmd_clarke(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..questions.calculus import clarke, index_closure
    from ..core.formatting import exact_str
    program = load_program(args.program, args)
    point = program.point(args.at)
    c = clarke(program, point)
    d = index_closure(program, point)
    vector = _vector(args.vector)
    contains = c.contains(vector)
    if args.json:
        data = c.to_json(vector)
        data["index_closure"] = {"vertices": [[exact_str(x) for x in v] for v in d.vertices],
                                 "contains": d.contains(vector).verdict}
        emit_json(data, out)
    else:
        con = console(out)
        where = ", ".join(f"{k} = {exact_str(v)}" for k, v in point.items())
        con.print(f"{program.label} at {where}  ({program.profile.name})")
        con.print(f"  Clarke subdifferential ∂f   {_interval(c.hull)}   (pieces {', '.join(map(str, c.pieces))})")
        con.print(f"  index closure D_f           {_interval(d.hull)}")
        con.print(f"  min-norm element of ∂f      ({', '.join(exact_str(x) for x in c.min_norm)})")
        label = "autodiff gradient" if vector is None else "vector"
        shown = ", ".join(exact_str(x) for x in contains.vector)
        if contains.verdict == "proved":
            weights = " + ".join(f"{exact_str(w)}·({', '.join(exact_str(x) for x in v)})"
                                 for v, w in contains.membership.weights.items())
            con.print(f"  {label} ({shown}) is in ∂f: ({shown}) = {weights}")
        elif contains.verdict == "refuted":
            dirn = ", ".join(exact_str(x) for x in contains.membership.direction)
            con.print(f"  {label} ({shown}) is NOT in ∂f: the direction ({dirn}) separates it")
        else:
            con.print(f"  {label} ({shown}) in ∂f: unknown ({contains.reason})")
        for note in c.notes:
            con.print(f"  note: {note}")
    from ..model.verdicts import Status
    return Status(contains.verdict).exit_code


def _box(text: str | None) -> dict | None:
    if not text:
        return None
    from ..core.errors import UsageError
    from ..core.exact import parse_number
    box = {}
    for item in text.split(","):
        name, _, span = item.partition("=")
        lo, sep, hi = span.partition(":") if ":" in span else span.partition("..")
        try:
            box[name.strip()] = (parse_number(lo), parse_number(hi))
        except ValueError:
            raise UsageError(f"bad --box item {item!r}", hint="--box x=-1:1,y=0:2") from None
    return box


def cmd_critical(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..questions.calculus import CriticalReport, classify, critical_points
    program = load_program(args.program, args)
    if args.at:
        report = CriticalReport([classify(program, program.point(args.at))])
    else:
        report = critical_points(program, _box(args.box), args.count)
    if args.json:
        emit_json(report.to_json(), out)
    else:
        console(out).print(report.describe())
    return 0


def cmd_directional(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..questions.calculus import directional_derivative
    from ..core.formatting import exact_str, point_json
    program = load_program(args.program, args)
    point = program.point(args.at)
    direction = program.point(args.direction)
    value = directional_derivative(program, point, direction)
    if args.json:
        emit_json({"point": point_json(point), "direction": point_json(direction),
                   "derivative": [exact_str(v) for v in value]}, out)
    else:
        console(out).print(f"f'(x; d) = {', '.join(exact_str(v) for v in value)}")
    return 0


def cmd_explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..output.explain import explain
    program = load_program(args.program, args)
    e = explain(program)
    if args.markdown:
        out.write(e.markdown() + "\n")
    elif args.latex:
        out.write(e.latex() + "\n")
    else:
        out.write(e.text(smooth=args.all) + "\n")
    return 0
