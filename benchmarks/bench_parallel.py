"""Benchmark of ``pwverify batch``: one batch serially, then on local Dask workers.

The batch has 16 pairs: eight two-layer ReLU networks (``torch.relu`` with matrix
products against explicit loops and ``max(0.0, s)``, widths 8 to 15, fixed seeds;
``benchmarks/networks.py``) and the max1 loop against ``torch.max`` for n = 6 to 13
entries (``--quick``: 8 smaller pairs). Each configuration runs the whole command
in-process, cluster start-up and shutdown included (the last row measures them alone,
on a batch of one trivial pair); the outputs must be the same bytes as the serial run's.

    python benchmarks/bench_parallel.py [--workers 2 4] [--quick]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from networks import MAX_PROGRAMS, relu_network_unrolled_source  # noqa: E402
from pwverify.cli import main  # noqa: E402
from pwverify.cli.common import without_timings  # noqa: E402

def write_batch(folder: str, quick: bool) -> str:
    """The programs and the batch file (absolute paths); returns the batch file's path."""
    widths = range(4, 8) if quick else range(8, 16)
    sizes = range(3, 7) if quick else range(6, 14)
    lines = []
    for w in widths:
        path = os.path.join(folder, f"net{w}.py")
        with open(path, "w") as fh:
            fh.write(relu_network_unrolled_source(w, seed=w))
        lines.append({"id": f"relu-net-{w}", "a": f"{path}:net", "b": f"{path}:net_loops"})
    for n in sizes:
        path = os.path.join(folder, f"max{n}.py")
        with open(path, "w") as fh:
            fh.write(MAX_PROGRAMS.format(n=n))
        lines.append({"id": f"max-{n}", "a": f"{path}:max1", "b": f"{path}:tmax"})
    batch = os.path.join(folder, "pairs.jsonl")
    with open(batch, "w") as fh:
        fh.write("".join(json.dumps(line) + "\n" for line in lines))
    return batch


def run(batch: str, extra: list[str]) -> tuple[float, int, str, float]:
    """Wall-clock seconds, exit code, the output without timings, and the pairs' seconds summed."""
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    code = main(["batch", batch, "--timings", *extra], out, err)
    seconds = time.perf_counter() - start
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    text = "".join(json.dumps(without_timings(line), ensure_ascii=False) + "\n" for line in lines)
    return seconds, code, text, sum(line["seconds"] for line in lines)


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[2])
    parser.add_argument("--quick", action="store_true", help="8 smaller pairs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        batch = write_batch(folder, args.quick)
        pairs = sum(1 for _ in open(batch))
        serial, code, expected, work = run(batch, [])
        verdicts = [(d["function"]["verdict"], d["gradient"]["verdict"]) for d in map(json.loads, expected.splitlines())]
        rows = [("serial", serial, code, work, True)]
        for n in args.workers:
            seconds, code_n, text, work_n = run(batch, ["--workers", str(n)])
            rows.append((f"--workers {n}", seconds, code_n, work_n, text == expected))
        trivial = os.path.join(folder, "trivial.jsonl")
        with open(trivial, "w") as fh:
            fh.write(json.dumps({"a": "relu(t)", "b": "relu(t)"}) + "\n")
        overhead = run(trivial, ["--workers", str(args.workers[0])])[0] - run(trivial, [])[0]
    print(f"pwverify batch: {pairs} pairs ({sum(v == ('proved', 'proved') for v in verdicts)} proved, "
          f"{sum('refuted' in v for v in verdicts)} refuted), {os.cpu_count()} CPUs")
    print("seconds: wall clock; pair-seconds: the pairs' own times summed (over seconds: the pairs run at once)")
    print(f"{'run':<14}{'seconds':>9}{'speed-up':>10}{'pair-seconds':>14}{'exit':>6}  same bytes as serial")
    for name, seconds, code, work, same in rows:
        print(f"{name:<14}{seconds:>9.2f}{serial / seconds:>10.2f}{work:>14.2f}{code:>6}  {'yes' if same else 'NO'}")
    print(f"cluster start-up, worker imports and close (--workers {args.workers[0]}, one trivial pair): "
          f"{overhead:.2f} s")


if __name__ == "__main__":
    main_bench()
