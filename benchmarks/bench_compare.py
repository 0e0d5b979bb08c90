"""Benchmark of ``compare``: the max1 loop against torch.max, and two forms of a ReLU net.

For n = 2, 4, 8, 16, 32, 64 entries it times the value question (same function?),
both questions (function and gradient, no disagreement set), and a hand-written z3
encoding of the value question as the reference: the loop as an ``If`` fold against the
reduction written relationally (m >= x_i for all i, m = x_i for some i). Solver calls
are counted. It also times one whole CLI run at n = 4 (start-up included).

Targets: the CLI run at n = 4 under 2 s; the API value question within 3x of the
hand-written encoding at every n; n = 64 (value and gradient) under 60 s.

    python benchmarks/bench_compare.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import z3  # noqa: E402

import pwverify  # noqa: E402
from pwverify.questions.compare import compare  # noqa: E402
from networks import MAX_PROGRAMS, relu_network_source, relu_network_unrolled_source  # noqa: E402

def reference_value_question(n: int) -> tuple[float, str]:
    """Hand-written z3: is there x with loop-max(x) != the relational maximum?"""
    start = time.perf_counter()
    xs = [z3.Real(f"x{i}") for i in range(n)]
    res = xs[0]
    for x in xs[1:]:
        res = z3.If(x > res, x, res)
    m = z3.Real("m")
    s = z3.Solver()
    s.add([m >= x for x in xs] + [z3.Or([m == x for x in xs]), res != m])
    answer = s.check()
    return time.perf_counter() - start, str(answer)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def max_rows(sizes, folder) -> list[dict]:
    rows = []
    for n in sizes:
        path = os.path.join(folder, f"max{n}.py")
        with open(path, "w") as handle:
            handle.write(MAX_PROGRAMS.format(n=n))
        a, b = pwverify.parse(f"{path}:max1"), pwverify.parse(f"{path}:tmax")
        ref_s, ref_answer = reference_value_question(n)
        value_s, value = timed(lambda: compare(a, b, questions=("function",), engine="direct"))
        both_s, both = timed(lambda: compare(a, b, engine="direct"))
        rows.append({"case": f"max1 vs torch.max, n={n}", "reference_s": ref_s, "reference": ref_answer,
                     "value_s": value_s, "function": value.function.status,
                     "calls": both.stats["direct"]["solver_calls"], "both_s": both_s,
                     "gradient": both.gradient.status})
    return rows


def network_rows(widths, folder) -> list[dict]:
    rows = []
    for width in widths:
        path = os.path.join(folder, f"net{width}.py")
        with open(path, "w") as handle:
            handle.write(relu_network_unrolled_source(width))
        with open(path.replace(".py", "_tie.py"), "w") as handle:
            handle.write(relu_network_unrolled_source(width, activation="max(s, 0.0)"))
        net = pwverify.parse(f"{path}:net")
        for label, other in (("max(0, s)", f"{path}:net_loops"),
                             ("max(s, 0)", f"{path.replace('.py', '_tie.py')}:net_loops")):
            both_s, both = timed(lambda: compare(net, pwverify.parse(other), engine="direct"))
            rows.append({"case": f"ReLU net 2-{width}-{width}-1 vs loops with {label}", "reference_s": None,
                         "reference": "", "value_s": None, "function": both.function.status,
                         "calls": both.stats["direct"]["solver_calls"], "both_s": both_s,
                         "gradient": both.gradient.status})
    return rows


def cli_run(folder) -> float:
    path = os.path.join(folder, "max4.py")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pwverify.cli.__main__", "compare", f"{path}:max1", f"{path}:tmax"],
                   capture_output=True, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="n up to 16, one network width")
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    sizes = (2, 4, 8, 16) if args.quick else (2, 4, 8, 16, 32, 64)
    rows = max_rows(sizes, folder) + network_rows((4,) if args.quick else (4, 8), folder)
    cli_seconds = cli_run(folder)
    from rich.console import Console
    from rich.table import Table
    table = Table(title="pwverify compare", header_style="bold")
    for col in ("case", "hand-written z3 (value)", "API value", "ratio", "API value+gradient", "solver calls",
                "function", "gradient"):
        table.add_column(col, justify="left" if col == "case" else "right")
    worst_ratio = 0.0
    for r in rows:
        ratio = ""
        if r["reference_s"]:
            q = r["value_s"] / r["reference_s"]
            worst_ratio = max(worst_ratio, q)
            ratio = f"{q:.2f}"
        table.add_row(r["case"], f"{r['reference_s']:.4f} s" if r["reference_s"] else "-",
                      f"{r['value_s']:.4f} s" if r["value_s"] else "-", ratio, f"{r['both_s']:.3f} s",
                      str(r["calls"]), r["function"], r["gradient"])
    Console(width=150).print(table)
    big = [r for r in rows if r["case"].endswith("n=64")]
    print(f"CLI compare at n = 4, start-up included: {cli_seconds:.2f} s (target < 2 s): "
          f"{'met' if cli_seconds < 2 else 'MISSED'}")
    print(f"worst API/hand-written ratio on the value question: {worst_ratio:.2f} (target <= 3): "
          f"{'met' if worst_ratio <= 3 else 'MISSED'}")
    if big:
        print(f"n = 64, value and gradient: {big[0]['both_s']:.2f} s (target < 60 s): "
              f"{'met' if big[0]['both_s'] < 60 else 'MISSED'}")


if __name__ == "__main__":
    main()
