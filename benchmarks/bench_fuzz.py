"""Differential fuzzing, long mode: generated programs against the real frameworks.

**This runs the generated programs** in the framework (float64, reverse and forward
mode) at exact points on their kinks and ties and at small dyadic points, and compares
value and Jacobian with pwverify's exact prediction (``tests/fuzz``). It prints one row
per framework:

    framework | programs | points | comparisons | mismatches (programs) | unsupported |
    internal errors | timeouts | tie points timed out | framework errors |
    detach (programs / mismatching / refused) | seconds

and, with ``--out DIR``, writes every mismatch as a JSON repro (framework, mode, source,
point, what pwverify predicts, what the framework returns), one ``results.jsonl`` line
per program (messages of refusals and internal errors included), and with ``--shrink``
a minimised repro of the first mismatch of each program.

    python benchmarks/bench_fuzz.py --framework torch --pairs 10000 --workers 2 --out fuzz-out --shrink
    python benchmarks/bench_fuzz.py --framework jax --pairs 2000 --seed 1

Each program runs in a worker process with a time limit (pwverify's steps and the
framework run); a worker past its limit is killed and the program counted as a
time-out. ``--detach-share P`` (default 0.25) makes that share of programs use
detaching constructs (``.detach()``, ``.item()``, ``float(t)``, ``torch.no_grad``,
``stop_gradient``, ``math.*`` of a tensor). They are counted with the others, and the
detach column says how many there were, how many mismatched and how many pwverify refused.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from multiprocessing.connection import wait

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, ROOT)


def _quiet() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import warnings
    warnings.filterwarnings("ignore")


def _worker(conn, framework: str, options_kw: dict, limits_kw: dict, shrink_seconds: float) -> None:
    _quiet()
    import tempfile
    from fuzz.generator import Options, generate
    from fuzz.harness import Limits, check_program
    from fuzz import frameworks
    frameworks.prepare(framework)
    folder = tempfile.mkdtemp(prefix="pwfuzz_")
    limits = Limits(**limits_kw)
    while True:
        task = conn.recv()
        if task is None:
            return
        seed, detach = task
        gen = generate(framework, seed, Options(**options_kw, detach=detach))
        result = check_program(gen, limits, folder)
        out = result.to_json()
        out["source"] = gen.source
        if shrink_seconds and result.mismatches:
            from fuzz.shrink import shrink
            m = result.mismatches[0]
            try:
                src, point = shrink(m.source, framework, m.mode, m.point, m.what, seconds=shrink_seconds)
                from fuzz.harness import check_source
                again = check_source(src, framework, point, m.mode)
                out["shrunk"] = {"source": src, "point": {k: str(v) for k, v in point.items()}, "mode": m.mode,
                                 "what": m.what,
                                 "expected": again.mismatch.expected if again.mismatch else None,
                                 "got": again.mismatch.got if again.mismatch else None}
            except Exception as exc:  # shrinking is best effort
                out["shrunk"] = {"error": f"{type(exc).__name__}: {exc}"}
        conn.send(out)
        if result.status == "framework_error" and result.message.startswith("import:"):
            return  # the framework may be left half-initialised (a time limit fired inside it): start afresh


class Pool:
    """Worker processes, each running one program at a time under a hard time limit."""

    def __init__(self, n: int, framework: str, options_kw: dict, limits_kw: dict, shrink_seconds: float,
                 hard_seconds: float):
        self.args = (framework, options_kw, limits_kw, shrink_seconds)
        self.hard = hard_seconds
        self.ctx = mp.get_context("spawn")
        self.slots = [self._start() for _ in range(n)]

    def _start(self) -> dict:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=_worker, args=(child, *self.args), daemon=True)
        proc.start()
        return {"proc": proc, "conn": parent, "task": None, "since": 0.0}

    def idle(self) -> list[dict]:
        return [s for s in self.slots if s["task"] is None]

    def submit(self, slot: dict, task) -> None:
        if not slot["proc"].is_alive():
            self._restart(slot)
        slot["task"], slot["since"] = task, time.monotonic()
        slot["conn"].send(task)

    def collect(self, timeout: float = 1.0) -> list[tuple]:
        """Finished results, and (task, None) for each task killed over its limit."""
        out = []
        busy = {s["conn"]: s for s in self.slots if s["task"] is not None}
        for conn in wait(list(busy), timeout=timeout) if busy else []:
            slot = busy[conn]
            try:
                result = conn.recv()
            except (EOFError, OSError):
                result = None
            out.append((slot["task"], result))
            if result is None:
                self._restart(slot)
            slot["task"] = None
        now = time.monotonic()
        for slot in self.slots:
            if slot["task"] is not None and now - slot["since"] > self.hard:
                out.append((slot["task"], None))
                self._restart(slot)
        return out

    def _restart(self, slot: dict) -> None:
        slot["proc"].kill()
        slot["proc"].join(5)
        fresh = self._start()
        slot.update(fresh)

    def close(self) -> None:
        for slot in self.slots:
            try:
                slot["conn"].send(None)
            except (OSError, BrokenPipeError):
                pass
        for slot in self.slots:
            slot["proc"].join(10)
            if slot["proc"].is_alive():
                slot["proc"].kill()


COLUMNS = ["framework", "programs", "points", "comparisons", "mismatches (programs)", "unsupported",
           "internal errors", "timeouts", "tie points timed out", "framework errors",
           "detach (progs/mism./refused)", "seconds"]


def run(framework: str, pairs: int, seed: int, workers: int, out: str | None, shrink_seconds: float,
        detach_share: float, options_kw: dict, limits_kw: dict, max_programs: int | None = None) -> dict:
    import random
    from fuzz.harness import Limits
    limits = Limits(**limits_kw)
    hard = limits.read_seconds + limits.compare_seconds + 30 + (shrink_seconds or 0)
    pool = Pool(workers, framework, options_kw, limits_kw, shrink_seconds, hard)
    pick = random.Random(seed)
    row = {k: 0 for k in ("programs", "points", "comparisons", "mismatches", "mismatching", "unsupported",
                          "internal", "timeouts", "ties_timeouts", "framework_errors", "detach_programs",
                          "detach_mismatching",
                          "detach_refused")}
    start = time.monotonic()
    next_index, in_flight, expected_per_program = 0, 0, 10
    log = open(os.path.join(out, f"results-{framework}.jsonl"), "a") if out else None
    try:
        while True:
            done_enough = row["points"] + in_flight * expected_per_program >= pairs or \
                (max_programs is not None and next_index >= max_programs)
            for slot in pool.idle():
                if done_enough:
                    break
                program_seed = seed * 1_000_000 + next_index
                next_index += 1
                pool.submit(slot, (program_seed, pick.random() < detach_share))
                in_flight += 1
                done_enough = row["points"] + in_flight * expected_per_program >= pairs
            if in_flight == 0:
                break
            for (program_seed, detach), result in pool.collect():
                in_flight -= 1
                if result is None:
                    row["timeouts"] += 1
                    row["programs"] += 1
                    if log:
                        log.write(json.dumps({"seed": program_seed, "status": "killed", "detach": detach}) + "\n")
                    continue
                _account(row, result)
                if row["programs"] > 5 and row["points"]:
                    expected_per_program = max(1, row["points"] // max(1, row["programs"]))
                if log:
                    log.write(json.dumps(result, default=str) + "\n")
                    log.flush()
                if out and result["mismatches"]:
                    _write_repros(out, result)
                done = row["programs"]
                if done % 25 == 0:
                    print(f"  {framework}: {done} programs, {row['points']} points, {row['mismatches']} mismatches, "
                          f"{row['unsupported']} unsupported, {row['internal']} internal, "
                          f"{time.monotonic() - start:.0f} s", file=sys.stderr, flush=True)
    finally:
        pool.close()
        if log:
            log.close()
    row["seconds"] = round(time.monotonic() - start, 1)
    row["framework"] = framework
    return row


def _account(row: dict, r: dict) -> None:
    if r["detach"]:
        row["detach_programs"] += 1
        row["detach_mismatching"] += bool(r["mismatches"])
        row["detach_refused"] += r["status"] == "unsupported"
    row["programs"] += 1
    row["points"] += r["points"]
    row["comparisons"] += r["comparisons"]
    row["mismatches"] += len(r["mismatches"])
    row["mismatching"] += bool(r["mismatches"])
    row["unsupported"] += r["status"] == "unsupported"
    row["internal"] += r["status"] == "internal"
    row["timeouts"] += r["timeouts"]
    row["ties_timeouts"] += r["ties_timeout"]
    row["framework_errors"] += bool(r["framework_errors"])


def _write_repros(out: str, result: dict) -> None:
    folder = os.path.join(out, "mismatches")
    os.makedirs(folder, exist_ok=True)
    for k, m in enumerate(result["mismatches"]):
        repro = {"framework": m["framework"], "mode": m["mode"], "what": m["what"], "seed": result["seed"],
                 "point": m["point"], "expected (pwverify)": m["expected"], "got (framework)": m["got"],
                 "origin": m["origin"], "source": m["source"]}
        if k == 0 and "shrunk" in result:
            repro["shrunk"] = result["shrunk"]
        name = f"{m['framework']}-{result['seed']}-{k}-{m['mode']}.json"
        with open(os.path.join(folder, name), "w") as handle:
            json.dump(repro, handle, indent=1, default=str)


def _table(rows: list[dict]) -> str:
    cells = [[r["framework"], r["programs"], r["points"], r["comparisons"],
              f"{r['mismatches']} ({r['mismatching']})", r["unsupported"], r["internal"], r["timeouts"],
              r["ties_timeouts"], r["framework_errors"],
              f"{r['detach_programs']}/{r['detach_mismatching']}/{r['detach_refused']}",
              r["seconds"]] for r in rows]
    widths = [max(len(str(c)) for c in col) for col in zip(COLUMNS, *cells)]
    lines = [" | ".join(str(c).ljust(w) for c, w in zip(COLUMNS, widths)),
             "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--framework", action="append", choices=["torch", "jax", "tensorflow"],
                        help="framework to fuzz (repeatable; default torch)")
    parser.add_argument("--pairs", type=int, default=10_000, help="(program, point) pairs per framework")
    parser.add_argument("--max-programs", type=int, default=None, help="stop after this many programs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", help="folder for JSON repros and results.jsonl")
    parser.add_argument("--shrink", action="store_true", help="minimise the first mismatch of each program")
    parser.add_argument("--shrink-seconds", type=float, default=90.0)
    parser.add_argument("--detach-share", type=float, default=0.25,
                        help="share of programs with detaching constructs")
    parser.add_argument("--statements", type=int, nargs=2, default=(1, 4), metavar=("MIN", "MAX"))
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--long-share", type=float, default=0.05,
                        help="share of programs whose vector input has 17 to 20 entries")
    parser.add_argument("--exclude", action="append", default=[], metavar="CALL",
                        help="a registered call not to generate (repeatable), e.g. one with a known mismatch")
    parser.add_argument("--tie-points", type=int, default=4)
    parser.add_argument("--random-points", type=int, default=8)
    parser.add_argument("--read-seconds", type=float, default=8.0, help="budget for parsing and tie points")
    parser.add_argument("--compare-seconds", type=float, default=40.0)
    args = parser.parse_args(argv)
    _quiet()
    if args.out:
        os.makedirs(args.out, exist_ok=True)
    options_kw = {"statements": tuple(args.statements), "depth": args.depth, "exclude": tuple(args.exclude),
                  "long": args.long_share}
    limits_kw = {"tie_points": args.tie_points, "random_points": args.random_points,
                 "read_seconds": args.read_seconds, "compare_seconds": args.compare_seconds}
    rows = []
    for fw in args.framework or ["torch"]:
        rows.append(run(fw, args.pairs, args.seed, args.workers, args.out,
                        args.shrink_seconds if args.shrink else 0.0, args.detach_share, options_kw, limits_kw,
                        args.max_programs))
    print(_table(rows))
    if args.out:
        with open(os.path.join(args.out, "summary.json"), "w") as handle:
            json.dump(rows, handle, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
