"""Measure the tie orders of sort / top-k / selection ops against pwverify.primitives.orders.

For every installed framework (torch, jax, tensorflow; float64 on CPU) and every op row
below, this builds tie patterns (weak orders of n entries: all of them up to n = 5, then
all equal, random levels, ties at the top or bottom, runs, saw-tooth, and inputs that
drive introsort and introselect to their heap-sort fallback), realises each pattern as
float64 values three ways (the levels themselves; a random increasing map to values of
mixed sign and magnitude; the levels shifted so that one tied level is zero, written as
a mix of -0.0 and +0.0), runs the op, reads the index it returns (from its indices or,
for a value-only op, from its autodiff gradient) and compares it with the emulation in
``pwverify.primitives.orders``.

It prints one row per (framework, op, parameters): sizes, patterns tried, mismatches
with the emulation (on the levels themselves), "values": patterns whose result changed
with other values of the same order, "±0": patterns whose result changed when the tied
zeros carry both signs. A framework that is not installed is skipped.

    python benchmarks/measure_orders.py [--quick] [--framework F ...] [--write]

``--quick`` runs in under a minute; the default takes a few minutes (jax compiles once
per size). ``--write`` stores the summary and a representative set of measured facts in
docs/reference/measured-orders.json. The exit code is 1 if any mismatch was found.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import random
import sys
import time
from dataclasses import dataclass
from typing import Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from pwverify.primitives import orders  # noqa: E402

JSON_PATH = os.path.join(ROOT, "docs", "reference", "measured-orders.json")


# --------------------------------------------------------------------------------------
# Patterns: a pattern is a list of integer levels (equal levels tie).

def adversary(emulate: Callable[[int, Callable], object], n: int) -> list[int]:
    """McIlroy's adversary ("A killer adversary for quicksort", 1999) run on an emulation:
    levels that make the algorithm's partitions as unbalanced as possible, so introsort
    and introselect reach their heap-sort fallback."""
    gas = n
    val = [gas] * n
    state = {"solid": 0, "candidate": None}

    def less(x, y):
        if val[x] == gas and val[y] == gas:
            z = x if x == state["candidate"] else y
            val[z] = state["solid"]
            state["solid"] += 1
        if val[x] == gas:
            state["candidate"] = x
        elif val[y] == gas:
            state["candidate"] = y
        return val[x] < val[y]

    emulate(n, less)
    return val


def weak_orders(n: int) -> list[list[int]]:
    """Every weak order of n entries (levels 0..m-1, all used): 1, 3, 13, 75, 541, ..."""
    return [list(t) for t in itertools.product(range(n), repeat=n) if set(t) == set(range(max(t) + 1))]


def patterns(n: int, rng: random.Random, count: int, adversarial: list) -> list[list[int]]:
    """``count`` tie patterns of n entries (the structured ones first; the last is random)."""
    out = [[0] * n, list(range(n)), list(range(n))[::-1]]
    if n > 1:
        out += [[0] * (n - 1) + [1], [1] + [0] * (n - 1), [i % 2 for i in range(n)],
                [min(i, n - 1 - i) for i in range(n)]]
        t = rng.randint(2, n)
        top = list(range(n - t)) + [n - t] * t
        rng.shuffle(top)
        bottom = [0] * t + list(range(1, n - t + 1))
        rng.shuffle(bottom)
        out += [top, bottom, [v // 2 for v in range(n)], [(n - 1 - v) // 3 for v in range(n)]]
    for emulate in adversarial:
        if n > 16:
            a = adversary(emulate, n)
            out += [a, [v // 2 for v in a]]
    while len(out) < count:
        kind = rng.random()
        if kind < 0.6:
            d = rng.choice([1, 2, 2, 3, 3, 4, 5, max(2, n // 4), max(2, n // 2), max(2, n)])
            out.append([rng.randrange(d) for _ in range(n)])
        elif kind < 0.8:  # runs
            levels, v = [], 0
            while len(levels) < n:
                levels += [v] * rng.randint(1, max(1, n // 3))
                v += rng.choice([1, -1, 2])
            out.append(levels[:n])
        else:  # saw-tooth
            d = rng.randint(1, max(1, n // 2))
            out.append([(i * rng.choice([1, -1])) % d for i in range(n)])
    return out[:max(count, 1)]


def realisations(pattern: list[int], rng: random.Random) -> list[np.ndarray]:
    """The pattern as float64 values, three ways (see the module docstring)."""
    levels = sorted(set(pattern))
    plain = np.array(pattern, dtype=np.float64)
    spread = np.sort(np.array([rng.choice([-1, 1]) * rng.random() * 10.0 ** rng.randint(-3, 3)
                               for _ in levels]))
    while len(set(spread.tolist())) < len(levels):
        spread = np.sort(spread + np.arange(len(levels)))
    mapped = np.array([spread[levels.index(v)] for v in pattern], dtype=np.float64)
    zero = levels[rng.randrange(len(levels))]
    signed = np.array([float(v - zero) for v in pattern], dtype=np.float64)
    for i, v in enumerate(pattern):
        if v == zero and rng.random() < 0.5:
            signed[i] = -0.0
    return [plain, mapped, signed]


def less_of(pattern: list[int]):
    return lambda i, j: pattern[i] < pattern[j]


# --------------------------------------------------------------------------------------
# Ops: each reads a batch of rows (b, n) and returns one index tuple per row.

@dataclass
class Op:
    """A framework op: ``run`` reads a batch (b, n) and returns one index tuple per row;
    ``model(n)`` is the ``orders.indices`` call it is compared with: (op, params)."""

    framework: str
    op: str
    params: dict
    run: Callable[[np.ndarray], list[tuple]]
    model: Callable[[int], tuple[str, dict]]
    sizes: Callable[[int], bool] = lambda n: True
    batched: bool = True

    def emulate(self, n: int, less) -> tuple:
        op, params = self.model(n)
        return orders.indices(self.framework, op, n, less, **params)


def _rows(a) -> list[tuple]:
    return [tuple(int(v) for v in row) for row in np.asarray(a).reshape(len(a), -1)]


def _onehot_rows(jac: np.ndarray) -> list[tuple]:
    """(b, m, n) Jacobians of one-hot rows -> the input index of each output (-1: not one-hot)."""
    out = []
    for mat in jac:
        row = []
        for r in mat:
            nz = np.nonzero(r)[0]
            row.append(int(nz[0]) if len(nz) == 1 and r[nz[0]] == 1.0 else -1)
        out.append(tuple(row))
    return out


def _positions(grad: np.ndarray) -> list[tuple]:
    """Gradients of sum_k (k+1)·out_k of a permutation -> the input index of each output."""
    return [tuple(int(np.nonzero(row == k + 1)[0][0]) for k in range(grad.shape[1])) for row in grad]


def model(op: str, **fixed):
    """``model(n)`` for ``orders.indices``: fixed parameters, plus any given as a function of n."""
    return lambda n: (op, {k: (v(n) if callable(v) else v) for k, v in fixed.items()})


KS = {"1": lambda n: 1, "2": lambda n: 2, "3": lambda n: 3, "n/2": lambda n: n // 2,
      "(n+1)/2": lambda n: (n + 1) // 2, "n-1": lambda n: n - 1, "n": lambda n: n, "n/64": lambda n: n // 64,
      "n/3": lambda n: max(1, n // 3), "0": lambda n: 0, "rand": lambda n: 1 + (n * 7919 + 13) % n}


def k_in_range(kof):
    return lambda n: 1 <= kof(n) <= n


def torch_ops(quick: bool) -> list[Op]:
    import torch
    T = lambda a: torch.tensor(a, dtype=torch.float64)  # noqa: E731
    ops = []
    for stable in (False, True):
        for desc in (False, True):
            p = {"stable": stable, "descending": desc}
            ops.append(Op("torch", "sort", p,
                          lambda a, s=stable, d=desc: _rows(torch.sort(T(a), dim=-1, descending=d, stable=s).indices),
                          model("sort", stable=stable, descending=desc)))
            ops.append(Op("torch", "argsort", p,
                          lambda a, s=stable, d=desc: _rows(torch.argsort(T(a), dim=-1, descending=d, stable=s)),
                          model("argsort", stable=stable, descending=desc)))

    def sort_values_grad(a):
        x = T(a).requires_grad_(True)
        (torch.sort(x, dim=-1).values * torch.arange(1, a.shape[1] + 1, dtype=torch.float64)).sum().backward()
        return _positions(x.grad.numpy())

    ops.append(Op("torch", "sort.values grad", {}, sort_values_grad, model("sort")))

    def msort(a):
        x = T(a).T.contiguous().requires_grad_(True)
        (torch.msort(x) * torch.arange(1, a.shape[1] + 1, dtype=torch.float64)[:, None]).sum().backward()
        return _positions(x.grad.T.numpy())

    ops.append(Op("torch", "msort", {}, msort, model("msort")))
    for largest in (True, False):
        for srt in (True, False):
            for kk in ("1", "2", "3", "n/2", "n-1", "n", "n/64"):
                kof = KS[kk]
                ops.append(Op("torch", "topk", {"k": kk, "largest": largest, "sorted": srt},
                              lambda a, kof=kof, l=largest, s=srt: _rows(
                                  torch.topk(T(a), kof(a.shape[1]), dim=-1, largest=l, sorted=s).indices),
                              model("topk", k=kof, largest=largest, sorted=srt), k_in_range(kof)))
    for kk in ("1", "2", "n/2", "(n+1)/2", "n-1", "n", "rand"):
        kof = KS[kk]
        ops.append(Op("torch", "kthvalue", {"k": kk},
                      lambda a, kof=kof: _rows(torch.kthvalue(T(a), kof(a.shape[1]), dim=-1).indices[:, None]),
                      model("kthvalue", k=kof), k_in_range(kof)))
    ops.append(Op("torch", "median_dim", {}, lambda a: _rows(torch.median(T(a), dim=-1).indices[:, None]),
                  model("median_dim")))
    ops.append(Op("torch", "nanmedian_dim", {}, lambda a: _rows(torch.nanmedian(T(a), dim=-1).indices[:, None]),
                  model("median_dim")))

    def median_all(a):
        out = []
        for row in a:
            x = T(row).requires_grad_(True)
            torch.median(x).backward()
            g = x.grad.numpy()
            nz = np.nonzero(g)[0]
            even = np.all(g[nz] == g[nz[0]]) and abs(g[nz].sum() - 1) < 1e-12
            out.append(tuple(int(i) for i in nz) if even else (-1,))
        return out

    ops.append(Op("torch", "median_all", {}, median_all, model("median_all"), lambda n: n <= (300 if quick else 1000),
                  batched=False))
    for name, fn in (("mode", torch.mode), ("max_dim", torch.max), ("min_dim", torch.min)):
        ops.append(Op("torch", name, {}, lambda a, fn=fn: _rows(fn(T(a), dim=-1).indices[:, None]), model(name)))
    for name, fn in (("argmax", torch.argmax), ("argmin", torch.argmin)):
        ops.append(Op("torch", name, {}, lambda a, fn=fn: [(int(fn(T(r))),) for r in a], model(name), batched=False))
    # one-dimensional calls, as a program writes them
    ops.append(Op("torch", "sort", {"stable": False, "1-D": True},
                  lambda a: [tuple(torch.sort(T(r)).indices.tolist()) for r in a], model("sort"), batched=False))
    ops.append(Op("torch", "topk", {"k": "n/3", "1-D": True},
                  lambda a: [tuple(torch.topk(T(r), KS["n/3"](len(r))).indices.tolist()) for r in a],
                  model("topk", k=KS["n/3"]), batched=False))
    return ops


def jax_ops(quick: bool) -> list[Op]:
    """All batched jax ops of one size run in one compiled function (compiling is the cost)."""
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    traced: dict[str, tuple] = {}  # name -> (f(x of shape (b, n)) -> array, sizes)
    ops = []

    def add(name, op, params, fn, post, mdl, sizes=lambda n: True):
        traced[name] = (fn, sizes)
        ops.append(Op("jax", op, params, lambda a, name=name: post(_outputs(a)[name]), mdl, sizes))

    def jac(f):
        return lambda x: jax.vmap(jax.jacrev(f))(x)

    for stable in (True, False):
        for desc in (False, True):
            p = {"stable": stable, "descending": desc}
            if not quick or stable == desc:
                add(f"sort{p}", "sort", p, jac(lambda r, s=stable, d=desc: jnp.sort(r, stable=s, descending=d)),
                    _onehot_rows, model("sort", stable=stable, descending=desc), lambda n: n <= 300)
            add(f"argsort{p}", "argsort", p,
                lambda x, s=stable, d=desc: jnp.argsort(x, axis=-1, stable=s, descending=d), _rows,
                model("argsort", stable=stable, descending=desc))
    for kk in ("1", "2", "n/2", "n"):
        kof = KS[kk]
        add(f"top_k{kk}", "top_k", {"k": kk}, lambda x, kof=kof: jax.lax.top_k(x, kof(x.shape[1]))[1], _rows,
            model("top_k", k=kof), k_in_range(kof))
        if not quick:
            add(f"top_k grad{kk}", "top_k values grad", {"k": kk},
                lambda x, kof=kof: jac(lambda r: jax.lax.top_k(r, kof(r.shape[0]))[0])(x), _onehot_rows,
                model("top_k", k=kof), lambda n, kof=kof: 1 <= kof(n) <= n and n <= 300)
    for kk in ("0", "n/2") if quick else ("0", "1", "n/2", "n-1"):
        kthof = KS[kk]
        add(f"partition{kk}", "partition", {"kth": kk},
            lambda x, kthof=kthof: jac(lambda r: jnp.partition(r, kthof(r.shape[0])))(x), _onehot_rows,
            model("partition", kth=kthof), lambda n, kthof=kthof: 0 <= kthof(n) < n and n <= 300)
        add(f"argpartition{kk}", "argpartition", {"kth": kk},
            lambda x, kthof=kthof: jnp.argpartition(x, kthof(x.shape[1])), _rows,
            model("argpartition", kth=kthof), lambda n, kthof=kthof: 0 <= kthof(n) < n)

    compiled = jax.jit(lambda x: {name: fn(x) for name, (fn, sizes) in traced.items() if sizes(x.shape[1])})
    cache: dict = {}

    def _outputs(a):
        key = (a.shape, a.tobytes())
        if key not in cache:
            if len(cache) > 8:
                cache.clear()
            cache[key] = {k: np.asarray(v) for k, v in compiled(jnp.asarray(a)).items()}
        return cache[key]

    if not quick:
        one_d = jax.jit(lambda r: jnp.argsort(r, stable=False))
        ops.append(Op("jax", "argsort", {"stable": False, "1-D": True},
                      lambda a: [tuple(np.asarray(one_d(jnp.asarray(r))).tolist()) for r in a],
                      model("argsort", stable=False), batched=False))
    return ops


def tf_ops(quick: bool) -> list[Op]:
    import tensorflow as tf
    ops = []
    for desc in (False, True):
        direction = "DESCENDING" if desc else "ASCENDING"
        ops.append(Op("tensorflow", "argsort", {"descending": desc},
                      lambda a, dr=direction: _rows(tf.argsort(tf.constant(a), axis=-1, direction=dr).numpy()),
                      model("argsort", descending=desc)))

        def sort_grad(a, dr=direction):
            x = tf.Variable(a)
            with tf.GradientTape() as tape:
                w = tf.range(1, a.shape[1] + 1, dtype=tf.float64)
                loss = tf.reduce_sum(tf.sort(x, axis=-1, direction=dr) * w)
            return _positions(tape.gradient(loss, x).numpy())
        ops.append(Op("tensorflow", "sort", {"descending": desc}, sort_grad, model("sort", descending=desc)))
    for srt in (True, False):
        for kk in ("1", "2", "3", "n/2", "n-1", "n"):
            kof = KS[kk]
            ops.append(Op("tensorflow", "top_k", {"k": kk, "sorted": srt},
                          lambda a, kof=kof, s=srt: _rows(
                              tf.math.top_k(tf.constant(a), kof(a.shape[1]), sorted=s).indices.numpy()),
                          model("top_k", k=kof, sorted=srt), k_in_range(kof)))
    return ops


FRAMEWORKS = {"torch": ("torch", torch_ops), "jax": ("jax", jax_ops), "tensorflow": ("tensorflow", tf_ops)}


def version(module: str) -> str:
    return importlib.import_module(module).__version__


def emulations_for_adversary() -> list:
    """The algorithms worth attacking: introsort (asc/desc), introselect, quickselect."""
    return [orders.torch_sort,
            lambda n, less: orders.torch_sort(n, less, descending=True),
            lambda n, less: orders.torch_topk(n, max(1, n // 2), less),
            lambda n, less: orders.torch_median_dim(n, less),
            lambda n, less: orders.torch_kthvalue(n, max(1, n // 2), less)]


def measure(framework: str, quick: bool, seed: int, record: list | None) -> list[dict]:
    module, build = FRAMEWORKS[framework]
    ops = build(quick)
    ver = version(module)
    slow = framework == "jax"  # compiling once per size dominates
    if quick:
        sizes = list(range(1, 9)) + [16, 17, 33, 257] if slow else list(range(1, 25)) + [32, 33, 64, 100, 257]
        count = {n: (16 if n <= 33 else 6) for n in sizes}
    else:
        sizes = list(range(1, 65)) + ([100, 128, 129, 257, 1000] if slow else
                                      [65, 100, 127, 128, 129, 200, 256, 257, 500, 1000, 2000])
        count = {n: (40 if n <= 64 else 12 if n <= 300 else 4) for n in sizes}
    rng = random.Random(seed)
    adversarial = emulations_for_adversary()
    rows = [{"framework": framework, "version": ver, "op": op.op, "params": op.params, "sizes": [],
             "patterns": 0, "mismatches": 0, "value_dependent": 0, "signed_zero": 0, "not_one_hot": 0,
             "examples": [], "seconds": 0.0} for op in ops]
    exhaustive = 4 if quick else 5
    for n in sizes:
        pats = weak_orders(n) if n <= exhaustive else patterns(n, rng, count[n], adversarial)
        real = [realisations(p, rng) for p in pats]
        for op, row in zip(ops, rows):
            if not op.sizes(n) or (not op.batched and n > (300 if quick else 1000)):
                continue
            start = time.perf_counter()
            ps = pats if op.batched else pats[:max(4, len(pats) // 4)]
            got = [op.run(np.stack([r[v] for r in real[:len(ps)]])) for v in range(3)]
            row["sizes"].append(n)
            for i, p in enumerate(ps):
                want = tuple(op.emulate(n, less_of(p)))
                results = got[0][i], got[1][i], got[2][i]
                row["patterns"] += 1
                row["not_one_hot"] += -1 in results[0]
                if results[1] != results[0]:
                    row["value_dependent"] += 1
                    if len(row["examples"]) < 3:
                        row["examples"].append(f"n={n} pattern={p[:20]} other values give {results[1][:20]}, "
                                               f"not {results[0][:20]}")
                if results[2] != results[0]:
                    row["signed_zero"] += 1
                    if len(row["examples"]) < 3:
                        row["examples"].append(f"n={n} pattern={p[:20]} -0.0/+0.0 give {results[2][:20]}, "
                                               f"not {results[0][:20]}")
                if results[0] != want:
                    row["mismatches"] += 1
                    if len(row["examples"]) < 3:
                        row["examples"].append(f"n={n} pattern={p[:24]} got={results[0][:24]} want={want[:24]}")
                keep = (n in (4, 20) and p == [0] * n and i == 0) or (n in (6, 33) and i == len(ps) - 1)
                if record is not None and keep:
                    mop, mparams = op.model(n)
                    record.append({"framework": framework, "version": ver, "op": op.op, "params": op.params,
                                   "n": n, "pattern": p, "indices": list(results[0]),
                                   "model": {"op": mop, "params": mparams}})
            row["seconds"] += time.perf_counter() - start
    return rows


def sizes_text(sizes: list[int]) -> str:
    if not sizes:
        return "-"
    runs, start, prev = [], sizes[0], sizes[0]
    for n in sizes[1:] + [None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        runs.append(f"{start}" if start == prev else f"{start}..{prev}")
        if n is not None:
            start = prev = n
    return ",".join(runs)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a run of under a minute")
    ap.add_argument("--framework", action="append", choices=sorted(FRAMEWORKS), help="only these")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--write", action="store_true", help=f"write {os.path.relpath(JSON_PATH, ROOT)}")
    args = ap.parse_args(argv)
    record: list | None = [] if args.write else None
    all_rows = []
    for framework in args.framework or sorted(FRAMEWORKS):
        module = FRAMEWORKS[framework][0]
        if importlib.util.find_spec(module) is None:
            print(f"{framework}: not installed, skipped")
            continue
        all_rows += measure(framework, args.quick, args.seed, record)
    head = (f"{'framework':<11} {'op':<18} {'params':<40} {'sizes':<30} {'patterns':>8} {'mismatch':>8} "
            f"{'values':>6} {'±0':>5} {'sec':>6}")
    print(head)
    print("-" * len(head))
    total = 0
    for r in all_rows:
        params = ",".join(f"{k}={v}" for k, v in r["params"].items())
        print(f"{r['framework']:<11} {r['op']:<18} {params:<40} {sizes_text(r['sizes']):<30} "
              f"{r['patterns']:>8} {r['mismatches']:>8} {r['value_dependent']:>6} {r['signed_zero']:>5} "
              f"{r['seconds']:>6.1f}")
        total += r["mismatches"]
        for e in r["examples"]:
            print("    " + e)
    print(f"total patterns {sum(r['patterns'] for r in all_rows)}, mismatches {total}, "
          f"value-dependent {sum(r['value_dependent'] for r in all_rows)}, "
          f"signed-zero-dependent {sum(r['signed_zero'] for r in all_rows)}, "
          f"not one-hot {sum(r['not_one_hot'] for r in all_rows)}")
    if record is not None:
        summary = [{k: r[k] for k in ("framework", "version", "op", "params", "patterns", "mismatches",
                                      "value_dependent", "signed_zero")} | {"sizes": sizes_text(r["sizes"])}
                   for r in all_rows]
        with open(JSON_PATH, "w") as fh:
            fh.write('{"description": ' + json.dumps(
                "Tie orders measured by benchmarks/measure_orders.py (float64, CPU). rows: the indices an op "
                "returned (output order) for a tie pattern (integer levels; equal levels tie). summary: per "
                "op and parameters, the patterns tried (each realised three ways: the levels, other values "
                "of the same order, zeros of both signs), the mismatches with "
                "pwverify.primitives.orders, and the patterns whose result changed with the values or with "
                "the sign of tied zeros.") + ',\n "summary": [\n')
            fh.write(",\n".join(json.dumps(r) for r in summary))
            fh.write('],\n "rows": [\n')
            fh.write(",\n".join(json.dumps(r) for r in record))
            fh.write("]}\n")
        print(f"wrote {len(record)} rows to {os.path.relpath(JSON_PATH, ROOT)}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
