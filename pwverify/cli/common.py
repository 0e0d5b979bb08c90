"""Options and helpers shared by the commands (kept free of heavy imports)."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO


def add_program_options(p: argparse.ArgumentParser, *, mode: bool = True, solver: bool = True) -> None:
    """--framework, --shape, --tie, --ties; --mode where autodiff runs; --timeout where the
    solver runs (``graph`` and ``grad`` never call it)."""
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
    if solver:
        p.add_argument("--timeout", type=positive_seconds, default=10.0, metavar="SECONDS",
                       help="timeout of each solver query (default: 10)")
    p.add_argument("--weights", default=None, metavar="FILE",
                   help="fix a module's parameters to a checkpoint's exact values (.safetensors, or a state "
                        "dict saved with torch.save, read with weights_only=True); without it they are inputs "
                        "named by their state_dict keys (fc1.weight[0,1] is the input fc1_weight0_1)")


def positive_seconds(text: str) -> float:
    """argparse type of a duration: a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


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
    """The program ``spec`` read with the command's options (see :func:`load_programs`)."""
    return load_programs([spec], args)[0]


def load_programs(specs: list[str], args: argparse.Namespace) -> list:
    """The programs read with the command's options; a ``--tie`` rule that no operation
    of any of them reaches is a usage error (it would silently change nothing)."""
    from ..core.errors import UsageError
    from ..program import parse
    from ..primitives.conventions import TIE_RULES, read_tie_file
    ties = list(args.tie) + (read_tie_file(args.ties) if getattr(args, "ties", None) else [])
    programs = [parse(spec, framework=args.framework, shapes=parse_shapes(args.shape), ties=ties,
                      mode=getattr(args, "mode", "reverse"),
                      timeout_ms=int(getattr(args, "timeout", 10.0) * 1000),
                      weights=getattr(args, "weights", None), wrt=getattr(args, "wrt", None))
                for spec in specs]
    if ties and programs:
        used = set().union(*(p.parsed.profile.used for p in programs))
        for rule in programs[0].parsed.profile.overrides:
            if rule not in used:
                names = ", ".join(TIE_RULES[rule].primitives)
                raise UsageError(f"the tie rule {rule} changes nothing here: no operation of "
                                 f"{' or '.join(p.label for p in programs)} is one it applies to ({names})",
                                 hint="drop the rule, or check a program that reaches it")
    return programs

WRT_HELP = ("the inputs whose gradient is compared or printed: inputs (the function's arguments), weights "
            "(a module's parameters), both (default), or names (x, x[2], fc1.weight, fc1.weight[0,1])")


#: Keys of measured durations: left out of JSON output unless ``--timings`` asks for them,
#: so that two runs of a command print the same bytes.
TIMING_KEYS = frozenset({"seconds"})


def without_timings(data: Any) -> Any:
    """``data`` without its timing keys (at any depth).

    >>> without_timings({"stats": {"solver_calls": 3, "seconds": 0.12}, "seconds": 1.5})
    {'stats': {'solver_calls': 3}}
    """
    if isinstance(data, dict):
        return {k: without_timings(v) for k, v in data.items() if k not in TIMING_KEYS}
    if isinstance(data, list):
        return [without_timings(v) for v in data]
    return data


def add_timings_option(p: argparse.ArgumentParser) -> None:
    """--timings: add the seconds spent to the output (two runs then differ)."""
    p.add_argument("--timings", action="store_true",
                   help="add the seconds spent to the output (without it, two runs print the same bytes)")


def emit_json(data: Any, out: TextIO, timings: bool = False) -> None:
    """``data`` as indented JSON; timing keys only with ``timings``."""
    json.dump(data if timings else without_timings(data), out, indent=2, ensure_ascii=False)
    out.write("\n")


def console(out: TextIO, width: int | None = None):
    """A rich console on ``out`` that prints text as it is: no markup, no emoji codes
    (``emo.py:ok: ...`` stays that text), no highlighting; ``width`` columns, else
    $COLUMNS, else the terminal's, else 120."""
    import os
    from rich.console import Console
    if width is None:
        columns = os.environ.get("COLUMNS", "")
        if columns.isdigit() and int(columns) > 0:
            width = int(columns)
        elif not (hasattr(out, "isatty") and out.isatty()):
            width = 120
    return Console(file=out, highlight=False, soft_wrap=True, markup=False, emoji=False, width=width)
