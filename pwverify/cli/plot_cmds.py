"""``pwverify plot``: a program's pieces and associated derivative, or where two programs disagree."""

from __future__ import annotations

import argparse
from typing import TextIO

from .common import add_program_options, load_programs


def register(sub) -> None:
    p = sub.add_parser("plot", help="draw the pieces and the associated derivative (PNG or SVG)",
                       description="Draw PROGRAM: with one input, f and its associated derivative (what "
                                   "autodiff returns), filled dots where autodiff lands at a kink or tie and "
                                   "hollow dots for the one-sided limits; with two inputs or more, the pieces "
                                   "on a plane as coloured regions with their formulas. With a second "
                                   "program, the set where the gradients differ is highlighted and the "
                                   "witness marked.")
    p.add_argument("programs", nargs="+", metavar="PROGRAM", help="one or two programs (up to five with one input)")
    p.add_argument("-o", "--out", required=True, metavar="FILE", help="the figure: .png, .svg or .pdf")
    p.add_argument("--vary", default=None, metavar="X,Y", help="the two inputs spanning the plane (default: the first two)")
    p.add_argument("--at", default="", metavar="NAME=V,...", help="values of the other inputs (default 0), e.g. beta=1")
    p.add_argument("--window", default=None, metavar="LO,HI[,LO2,HI2]", help="the range drawn (default: around the kinks, or [-2, 2]²)")
    p.add_argument("--component", type=int, default=0, metavar="K", help="which output of a vector-valued program (default 0)")
    add_program_options(p, mode=False)
    p.set_defaults(handler=cmd_plot)


def _fixed(text: str) -> dict:
    from ..core.errors import UsageError
    from ..core.exact import parse_number
    values = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        name, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError(item)
            values[name.strip()] = parse_number(value)
        except ValueError:
            raise UsageError(f"bad --at item {item!r}", hint="NAME=VALUE, e.g. beta=1 or x2=-1/2") from None
    return values


def _window(text: str | None):
    from ..core.errors import UsageError
    if text is None:
        return None
    try:
        bounds = [float(v) for v in text.split(",")]
    except ValueError:
        bounds = []
    if len(bounds) not in (2, 4) or bounds[0] >= bounds[1] or (len(bounds) == 4 and bounds[2] >= bounds[3]):
        raise UsageError(f"bad --window {text!r}", hint="LO,HI or XLO,XHI,YLO,YHI with LO < HI")
    return bounds


def _check_component(program, component: int) -> None:
    import math
    from ..core.errors import UsageError
    outputs = math.prod(program.output_shape)
    if not 0 <= component < outputs:
        raise UsageError(f"--component {component}: {program.label} has {outputs} output"
                         f"{'s' if outputs != 1 else ''}",
                         hint=f"--component 0 to {outputs - 1}" if outputs > 1 else "leave --component out")


def cmd_plot(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..output.plot import plot
    programs = load_programs(list(args.programs), args)
    _check_component(programs[0], args.component)
    vary = [v.strip() for v in args.vary.split(",")] if args.vary else None
    fig = plot(programs, args.out, vary=vary, at=_fixed(args.at), window=_window(args.window),
               output=args.component)
    out.write(f"wrote {args.out}\n")
    del fig
    return 0
