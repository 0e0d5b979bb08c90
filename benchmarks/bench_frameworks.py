"""Benchmark of framework fidelity: pwverify's predictions against the real frameworks.

For each installed framework (torch, jax, tensorflow), this **runs the programs** in the
framework, in float64, in reverse and forward mode:

1. every row of its case table (``tests/*_cases.py``: one program per registered call),
   at an exact point on each of its kinks;
2. random composed programs (``pwverify.frameworks.crosscheck.GRAMMAR``) at generated tie points, until
   at least ``--tie-points`` (default 1,000) tie points have been checked.

It prints one row per framework: cases, composed programs, tie points checked,
comparisons (points × modes) and mismatches. The target is zero mismatches.

    python benchmarks/bench_frameworks.py [--tie-points N] [--framework F ...]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import pwverify  # noqa: E402
from pwverify.frameworks.crosscheck import composed_program, crosscheck, installed_version  # noqa: E402

TABLES = {"torch": ("torch_cases", "TORCH_CASES"), "jax": ("jax_cases", "JAX_CASES"),
          "tensorflow": ("tf_cases", "TF_CASES")}
MODULES = {"torch": "torch", "jax": "jax", "tensorflow": "tensorflow"}


def run_framework(framework: str, tie_target: int) -> dict:
    module, name = TABLES[framework]
    cases = getattr(importlib.import_module(module), name)
    row = {"framework": framework, "version": installed_version(framework), "cases": 0, "composed": 0,
           "tie_points": 0, "comparisons": 0, "mismatches": 0, "examples": []}
    start = time.perf_counter()

    def account(label, report):
        row["tie_points"] += report.tie_points
        row["comparisons"] += report.comparisons
        row["mismatches"] += len(report.mismatches)
        row["examples"] += [f"{label}: {m.describe()}" for m in report.mismatches[:2]]

    for call, case in sorted(cases.items()):
        if len(case) > 2:
            continue  # refused on purpose
        program = pwverify.parse(case[0], framework=framework, shapes=case[1])
        account(call, crosscheck(program, count=None, random_count=0))
        row["cases"] += 1
    seed = 0
    composed_ties = 0
    while composed_ties < tie_target:
        text, shapes = composed_program(framework, random.Random(seed))
        program = pwverify.parse(text, framework=framework, shapes=shapes)
        report = crosscheck(program, count=12, random_count=1, seed=seed)
        account(text, report)
        composed_ties += report.tie_points
        row["composed"] += 1
        seed += 1
    row["composed_tie_points"] = composed_ties
    row["seconds"] = time.perf_counter() - start
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tie-points", type=int, default=1000, help="tie points on composed programs")
    parser.add_argument("--framework", action="append", choices=sorted(TABLES), default=None)
    args = parser.parse_args(argv)
    rows = []
    for framework in args.framework or list(TABLES):
        if importlib.util.find_spec(MODULES[framework]) is None:
            print(f"{framework}: not installed, skipped (pip install -e '.[{framework}]')")
            continue
        rows.append(run_framework(framework, args.tie_points))
    header = ("framework", "version", "cases", "composed programs", "tie points checked",
              "comparisons", "mismatches", "seconds")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for r in rows:
        print(" | ".join(str(v) for v in (r["framework"], r["version"], r["cases"], r["composed"],
                                           f"{r['tie_points']} ({r['composed_tie_points']} composed)",
                                           r["comparisons"], r["mismatches"], f"{r['seconds']:.0f}")))
        for example in r["examples"][:5]:
            print(f"  MISMATCH {example}")
    return 0 if all(r["mismatches"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
