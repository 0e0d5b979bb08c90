"""``pwverify demo``: run every bundled case study and summarise the verdicts."""

from __future__ import annotations

import argparse
import importlib.util
import os
from typing import TextIO

from .common import console, emit_json


def register(sub) -> None:
    p = sub.add_parser("demo", help="the main job: every bundled case study, verdicts in one table",
                       description="Run the bundled case studies (casestudies/): check each paper's "
                                   "numbers and claims with pwverify and print one summary table.")
    p.add_argument("--studies", default=None, metavar="DIR", help="the case-study folder (default: bundled)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_demo)


def find_studies(folder: str | None = None):
    """Import the study definitions (``casestudies/_study.py``, which runs no analysed code)."""
    from ..errors import UsageError
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


def run_all(studies_module) -> list[dict]:
    """Every study: its tables checked against the paper's numbers."""
    from fractions import Fraction
    import pwverify
    rows = []
    for study in studies_module.STUDIES:
        checked, matched = 0, 0
        for table in study.tables:
            program = pwverify.parse(study.spec(table.program), framework=study.framework)
            for t, expected in zip(table.points, table.expected):
                got = program.gradient_at([t])[0][0]
                checked += 1
                matched += Fraction(str(got)) == Fraction(expected)
        rows.append({"study": study.key, "title": study.title, "claim": study.claim,
                     "table": f"{matched}/{checked} match" if checked else "-",
                     "ok": matched == checked})
    return rows


def cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    rows = run_all(find_studies(args.studies))
    if args.json:
        emit_json(rows, out)
    else:
        from rich.table import Table
        table = Table(title="pwverify: bundled case studies", header_style="bold")
        for col in ("study", "paper's numbers"):
            table.add_column(col)
        for r in rows:
            table.add_row(r["title"], r["table"])
        console(out).print(table)
    return 0 if all(r["ok"] for r in rows) else 1
