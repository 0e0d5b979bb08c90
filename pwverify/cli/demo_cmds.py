"""``pwverify demo``: run every bundled case study, summarise the verdicts, write the figures."""

from __future__ import annotations

import argparse
import importlib.util
import os
import time
from typing import TextIO

from .common import console, emit_json


def register(sub) -> None:
    p = sub.add_parser("demo", help="the main job: every bundled case study, verdicts in one table",
                       description="Run the bundled case studies (casestudies/): for each, compare its two "
                                   "programs (function and autodiff gradient, with exact witnesses), recompute "
                                   "the paper's numbers, check its further claims and draw its figures. Exit "
                                   "code 0 when every study matches its expectation.")
    p.add_argument("--out", default="figures", metavar="DIR", help="where figures go (default: ./figures)")
    p.add_argument("--no-figures", action="store_true", help="check only; draw nothing")
    p.add_argument("--only", default=None, metavar="KEYS", help="run these studies only (comma-separated keys)")
    p.add_argument("--studies", default=None, metavar="DIR", help="the case-study folder (default: bundled)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_demo)


def find_studies(folder: str | None = None):
    """Import the study definitions (``casestudies/_study.py``, which runs no analysed code)."""
    from ..core.errors import UsageError
    candidates = [folder] if folder else [
        os.path.join(os.getcwd(), "casestudies"),
        os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "casestudies"),
    ]
    for path in candidates:
        module = os.path.join(path, "_study.py") if path else ""
        if module and os.path.exists(module):
            import sys
            spec = importlib.util.spec_from_file_location("pwverify_case_studies", module)
            loaded = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = loaded  # dataclasses look their module up here
            spec.loader.exec_module(loaded)
            return loaded
    raise UsageError("the case studies were not found", hint="run from the repository, or pass --studies DIR")


def cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..core.errors import UsageError
    studies = find_studies(args.studies)
    keys = [k.strip() for k in args.only.split(",")] if args.only else None
    known = {s.key for s in studies.STUDIES}
    if keys and set(keys) - known:
        raise UsageError(f"--only: unknown study {', '.join(sorted(set(keys) - known))}", hint=", ".join(
            s.key for s in studies.STUDIES))
    start = time.perf_counter()
    outcomes = studies.run_all(None if args.no_figures else args.out, keys)
    seconds = time.perf_counter() - start
    ok = all(o.ok for o in outcomes)
    if args.json:
        emit_json({"studies": [o.row() for o in outcomes], "ok": ok, "seconds": round(seconds, 2),
                   "figures": None if args.no_figures else args.out}, out)
    else:
        print_summary(outcomes, seconds, None if args.no_figures else args.out, out)
    return 0 if ok else 1


def print_summary(outcomes, seconds: float, figures: str | None, out: TextIO) -> None:
    """The summary table: one row per study."""
    from rich.table import Table
    table = Table(title="pwverify demo: the bundled case studies", header_style="bold", show_lines=True)
    for column, options in (("study", {"no_wrap": True}), ("claim", {"ratio": 3}), ("function", {}),
                            ("gradient", {}), ("witness", {"ratio": 3}), ("paper's numbers", {}), ("", {})):
        table.add_column(column, **options)
    for o in outcomes:
        checks = sum(c.ok for c in o.checks)
        numbers = o.numbers + (f"\n{checks}/{len(o.checks)} checks" if o.checks else "")
        table.add_row(o.study.key, o.study.title, o.function.status, o.gradient.status, o.witness, numbers,
                      "ok" if o.ok else "DIFFERS")
    con = console(out)
    con.print(table)
    n_figures = sum(len(o.figures) for o in outcomes)
    matched = sum(o.ok for o in outcomes)
    con.print(f"{matched}/{len(outcomes)} studies match their expectations; {seconds:.1f} s"
              + (f"; {n_figures} figures in {figures}/" if figures else ""))
    for o in outcomes:
        if not o.ok:
            con.print(f"\n{o.describe()}")
    if outcomes and all(o.ok for o in outcomes):
        con.print("One study in detail: python casestudies/boustany.py; the verdicts: "
                  "pwverify compare casestudies/boustany.py:max1_t casestudies/boustany.py:max2_t")
