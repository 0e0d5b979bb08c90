"""Options and helpers shared by the commands (kept free of heavy imports)."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO


def add_program_options(p: argparse.ArgumentParser, *, mode: bool = True) -> None:
    """--framework, --shape, --tie, --mode, --timeout."""
    p.add_argument("--framework", choices=("torch", "jax", "tensorflow"), default=None,
                   help="rules for framework-neutral names (relu, abs, np.*); default: the framework "
                        "the program's namespaces use, else torch")
    p.add_argument("--shape", action="append", default=[], metavar="NAME=N[,M]",
                   help="declare a vector input of an expression (or override an annotation), e.g. x=4")
    p.add_argument("--tie", action="append", default=[], metavar="RULE=VALUE",
                   help="custom profile: override a tie rule, e.g. relu0=1/2 (relu'(0) = 1/2)")
    p.add_argument("--ties", default=None, metavar="FILE",
                   help="custom profile: a TOML file of tie rules (relu0 = \"1/2\", abs0, maxtie)")
    if mode:
        p.add_argument("--mode", choices=("reverse", "forward"), default="reverse",
                       help="autodiff mode where a framework's two modes differ (default: reverse)")
    p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                   help="timeout of each solver query (default: 10)")
    p.add_argument("--weights", default=None, metavar="FILE",
                   help="fix a module's parameters to a checkpoint's exact values (.safetensors, or a state "
                        "dict saved with torch.save, read with weights_only=True); without it they are inputs "
                        "named by their state_dict keys (fc1.weight[0,1] is the input fc1_weight0_1)")


def parse_shapes(items: list[str]) -> dict[str, tuple]:
    from ..core.errors import UsageError
    shapes = {}
    for item in items:
        name, _, dims = item.partition("=")
        try:
            shapes[name.strip()] = tuple(int(d) for d in dims.replace("x", ",").split(",") if d.strip())
        except ValueError:
            raise UsageError(f"bad --shape {item!r}", hint="--shape x=4 or --shape X=2,3") from None
        if not shapes[name.strip()]:
            raise UsageError(f"bad --shape {item!r}", hint="--shape x=4 or --shape X=2,3")
    return shapes


def load_program(spec: str, args: argparse.Namespace):
    from ..program import parse
    from ..primitives.conventions import read_tie_file
    ties = list(args.tie) + (read_tie_file(args.ties) if getattr(args, "ties", None) else [])
    return parse(spec, framework=args.framework, shapes=parse_shapes(args.shape), ties=ties,
                 mode=getattr(args, "mode", "reverse"), timeout_ms=int(args.timeout * 1000),
                 weights=getattr(args, "weights", None), wrt=getattr(args, "wrt", None))


WRT_HELP = ("the inputs whose gradient is compared or printed: inputs (the function's arguments), weights "
            "(a module's parameters), both (default), or names (x, x[2], fc1.weight, fc1.weight[0,1])")


def emit_json(data: Any, out: TextIO) -> None:
    json.dump(data, out, indent=2, ensure_ascii=False)
    out.write("\n")


def console(out: TextIO):
    from rich.console import Console
    return Console(file=out, highlight=False, soft_wrap=True, markup=False, width=120)
