"""Benchmark of the decomposition: pieces, solver calls and time.

Rows: ``torch.max`` over n = 2..10 independent entries (2**n - 1 pieces), the same
reduction on t*(1..n) (3 pieces survive), and a ReLU network with 2 inputs and two
hidden layers of width 4, 8, 12 (fixed-seed weights, see networks.py).

Targets: solver calls within a small constant factor of (pieces kept + candidates
pruned at their first split), and torch.max over 8 entries in under 10 s.

    python benchmarks/bench_compose.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pwverify  # noqa: E402
from networks import relu_network_source  # noqa: E402


def measure(label: str, program) -> dict:
    start = time.perf_counter()
    rep = program.representation()
    seconds = time.perf_counter() - start
    stats = rep.stats
    denominator = max(1, len(rep.pieces) + stats.pruned)
    return {"case": label, "pieces": len(rep.pieces), "pruned": stats.pruned, "calls": stats.solver_calls,
            "ratio": stats.solver_calls / denominator, "seconds": seconds}


def rows(quick: bool) -> list[dict]:
    out = []
    for n in range(2, 9 if quick else 11):
        out.append(measure(f"torch.max, {n} entries", pwverify.parse("torch.max(x)", shapes={"x": n})))
    for n in (4, 8, 16):
        stack = ", ".join(f"{k + 1} * t" for k in range(n))
        out.append(measure(f"torch.max(t*(1..{n}))", pwverify.parse(f"torch.max(torch.stack([{stack}]))")))
    folder = tempfile.mkdtemp()
    for width in ((4, 8) if quick else (4, 8, 12)):
        path = os.path.join(folder, f"net{width}.py")
        with open(path, "w") as handle:
            handle.write(relu_network_source(width, seed=0))
        out.append(measure(f"ReLU net 2-{width}-{width}-1", pwverify.parse(f"{path}:net")))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args()
    from rich.console import Console
    from rich.table import Table
    table = Table(title="pwverify decomposition", header_style="bold")
    for col in ("case", "pieces", "pruned", "solver calls", "calls / (pieces + pruned)", "seconds"):
        table.add_column(col, justify="left" if col == "case" else "right")
    results = rows(args.quick)
    for r in results:
        table.add_row(r["case"], str(r["pieces"]), str(r["pruned"]), str(r["calls"]), f"{r['ratio']:.2f}",
                      f"{r['seconds']:.2f}")
    Console(width=130).print(table)
    max8 = next(r for r in results if r["case"] == "torch.max, 8 entries")
    worst = max(r["ratio"] for r in results)
    print(f"torch.max over 8 entries: {max8['seconds']:.2f} s (target < 10 s): "
          f"{'met' if max8['seconds'] < 10 else 'MISSED'}")
    print(f"largest calls / (pieces + pruned): {worst:.2f} (target: a small constant)")


if __name__ == "__main__":
    main()
