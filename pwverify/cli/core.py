"""Commands on one program: ``pieces``, ``grad``, ``graph``, ``primitives``."""

from __future__ import annotations

import argparse
from typing import TextIO

from .common import WRT_HELP, add_program_options, add_timings_option, console, emit_json, load_program


def register(sub) -> None:
    p = sub.add_parser("pieces", help="the piece decomposition of a program (regions, formulas, gradients)",
                       description="Decompose PROGRAM into disjoint pieces, each with a smooth formula and "
                                   "its gradient (the associated gradient: what autodiff returns there).")
    p.add_argument("program", metavar="PROGRAM")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="machine-readable output")
    fmt.add_argument("--markdown", action="store_true", help="a Markdown table (P^α, f^α, ∇f^α)")
    fmt.add_argument("--latex", action="store_true", help="LaTeX, as the papers write representations")
    p.add_argument("--no-merge", action="store_true", help="keep pieces with equal formulas apart")
    add_timings_option(p)
    add_program_options(p, mode=False)
    p.set_defaults(handler=cmd_pieces)

    p = sub.add_parser("grad", help="exact value and autodiff gradient at a point",
                       description="Evaluate PROGRAM at an exact point and return what the framework's "
                                   "autodiff computes there (forward or reverse mode), exactly.")
    p.add_argument("program", metavar="PROGRAM")
    p.add_argument("--at", required=True, metavar="POINT", help="e.g. t=0 or x=[1,2,3,4],y=1/3")
    p.add_argument("--wrt", default=None, metavar="SELECTION", help=WRT_HELP)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_program_options(p, solver=False)
    p.set_defaults(handler=cmd_grad)

    p = sub.add_parser("graph", help="the program's DAG (text or DOT)",
                       description="Print the hash-consed DAG PROGRAM is read into.")
    p.add_argument("program", metavar="PROGRAM")
    p.add_argument("--dot", action="store_true", help="Graphviz DOT output")
    add_program_options(p, mode=False, solver=False)
    p.set_defaults(handler=cmd_graph)

    p = sub.add_parser("primitives", help="the functions pwverify models, per framework",
                       description="List every call pwverify understands and the primitive it reaches.")
    p.add_argument("--framework", choices=("torch", "jax", "tensorflow", "python"), default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_primitives)


def cmd_pieces(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    program = load_program(args.program, args)
    rep = program.representation(merge=not args.no_merge)
    if args.json:
        data = rep.to_json(timings=args.timings)
        data["program"] = program.label
        data["framework"] = program.profile.name
        emit_json(data, out, timings=args.timings)
    elif args.markdown:
        out.write(rep.to_markdown() + "\n")
    elif args.latex:
        out.write(rep.to_latex() + "\n")
    else:
        _print_pieces(program, rep, out, args.timings)
    return 0


def _print_pieces(program, rep, out: TextIO, timings: bool = False) -> None:
    from rich.table import Table
    from ..core.atoms import describe
    from ..core.formatting import exact_str, gradient_str
    con = console(out)
    stats = rep.stats
    con.print(f"{program.label}  ({program.profile.name}; inputs {', '.join(program.inputs)})")
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("#", justify="right")
    table.add_column("piece")
    table.add_column("value")
    table.add_column("gradient")
    for i, piece in enumerate(rep.pieces, 1):
        where = piece.describe() + ("  [possibly empty]" if piece.possibly_empty else "")
        table.add_row(str(i), where, ", ".join(exact_str(v) for v in piece.value), gradient_str(piece.gradient))
    for where in rep.outside:
        table.add_row("-", describe(where), "undefined", "")
    con.print(table)
    con.print(f"{len(rep.pieces)} pieces; {stats.solver_calls} solver calls, {stats.pruned} empty candidates "
              f"pruned, {stats.merged} merges" + (f", {stats.seconds:.2f} s" if timings else ""))


def cmd_grad(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..core.formatting import exact_str, gradient_str, point_json
    program = load_program(args.program, args)
    point = program.point(args.at)
    result = program.ad(point, args.mode)
    names = program.select(args.wrt)
    columns = [program.inputs.index(n) for n in names]
    gradient = [[row[c] for c in columns] for row in result.gradient]
    if args.json:
        emit_json({"program": program.label, "framework": program.profile.name, "mode": args.mode,
                   "inputs": program.inputs, "wrt": names, "weights": program.weights, "point": point_json(point),
                   "value": [exact_str(v) for v in result.value],
                   "gradient": [[exact_str(g) for g in row] for row in gradient]}, out)
        return 0
    con = console(out)
    where = ", ".join(f"{k} = {exact_str(v)}" for k, v in point.items())
    con.print(f"{program.label} at {where}  ({program.profile.name}, {args.mode} mode)")
    con.print(f"  value     {', '.join(exact_str(v) for v in result.value)}")
    con.print(f"  gradient  {gradient_str(gradient)}   (d/d{', d/d'.join(names)})")
    return 0


def cmd_graph(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    program = load_program(args.program, args)
    out.write((program.graph.to_dot() if args.dot else program.graph.to_text()) + "\n")
    return 0


_SECTIONS = r"docs/reference/frameworks-measured\.md(?: §[\d.]+(?:, §[\d.]+)*)?"


def rule_text(doc: str) -> str:
    """The first line of a primitive's doc, without its citation of the narrative page
    (``pwverify primitives`` cites the recorded data instead).

    >>> rule_text("max(x, 0) with relu'(0) = 0 (docs/reference/frameworks-measured.md §1).")
    "max(x, 0) with relu'(0) = 0."
    """
    import re
    line = doc.strip().split("\n")[0]
    line = re.sub(r"\s*\(" + _SECTIONS + r"\)", "", line)
    line = re.sub(r";\s*" + _SECTIONS + r"\)", ")", line)
    line = re.sub(r"\s*\(" + _SECTIONS + r":\s*", " (", line)
    line = re.sub(r"[;,]?\s*" + _SECTIONS, "", line)
    return line


def signature_text(signature) -> str:
    """A call's parameters with their defaults as numbers read: ``alpha=1/5``, not ``Fraction(1, 5)``."""
    from ..core.formatting import exact_str
    defaults = dict(signature.defaults)

    def default(value) -> str:
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return repr(value)
        try:
            return exact_str(value)
        except (TypeError, ValueError):
            return repr(value)

    parts = [f"{n}={default(defaults[n])}" if n in defaults else n for n in signature.names]
    if signature.star:
        parts.insert(signature.positional, "*" + signature.star)
    return ", ".join(parts)


def cmd_primitives(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..frameworks import recorded
    from ..primitives import registry
    data = recorded.load()
    measured = recorded.by_call(data) if data else {}
    calls = registry.all_calls()
    wanted = {"python": None}.get(args.framework, args.framework)
    rows = []
    for name in sorted(calls):
        call = calls[name]
        if args.framework and call.framework != wanted:
            continue
        prim = registry.get(call.primitive) if call.primitive else None
        records = measured.get(name, [])
        rows.append({"call": name, "framework": call.framework or "python/neutral",
                     "primitive": call.primitive, "signature": signature_text(call.signature),
                     "rule": rule_text(prim.doc) if prim else "",
                     "measured": [{"source": recorded.RELATIVE_PATH, "framework": r["framework"],
                                   "version": r["version"], "kinks": r["kinks"]} for r in records]})
    if args.json:
        emit_json(rows, out)
        return 0
    from rich.table import Table
    table = Table(box=None, header_style="bold")
    for col in ("call", "framework", "primitive", "rule", "measured at its kinks (reverse mode)"):
        table.add_column(col)
    for r in rows:
        records = measured.get(r["call"])
        table.add_row(f"{r['call']}({r['signature']})", r["framework"], r["primitive"], r["rule"],
                      recorded.call_summary(records) if records else "")
    con = console(out)
    con.print(table)
    con.print(f"measured: {recorded.citation(data)}, written by benchmarks/record_conventions.py, which runs the "
              "frameworks; the story of the measurements: docs/reference/frameworks-measured.md")
    return 0
