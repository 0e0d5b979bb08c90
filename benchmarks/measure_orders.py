"""Measure the tie orders of sort / top-k / selection ops against pwverify.primitives.orders.

For every installed framework (torch, jax, tensorflow; float64 on CPU) and every op row
of the table below, this builds tie patterns (a weak order of n entries: all equal,
random levels, ties at the top or bottom, runs, saw-tooth, inputs that drive introsort
to its heap-sort fallback), realises each pattern as float64 values in three ways
(the levels themselves; a random increasing map to values of mixed sign and magnitude;
the levels shifted so that one tied level is zero, written as a mix of -0.0 and +0.0),
runs the op, reads the index it returns (from the op's indices or, for a value-only op,
from its autodiff Jacobian) and compares it with the emulation in
``pwverify.primitives.orders``. It prints one row per (framework, op, parameters):
sizes, patterns tried, mismatches with the emulation, and patterns whose result changed
with the values (not only the pattern).

    python benchmarks/measure_orders.py [--quick] [--framework F ...] [--write]

``--quick`` runs in under a minute; the default takes a few minutes. ``--write``
stores a representative set of measured facts in docs/reference/measured-orders.json.
"""

from __future__ import annotations

import argparse
import importlib.util
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


def patterns(n: int, rng: random.Random, count: int, adversarial: list) -> list[list[int]]:
    """``count`` tie patterns of n entries (the structured ones first)."""
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
    framework: str
    op: str
    params: dict
    run: Callable[[np.ndarray], list[tuple]]
    emulate: Callable[[int, Callable], tuple]
    sizes: Callable[[int], bool] = lambda n: True
    batched: bool = True


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


def torch_ops(quick: bool) -> list[Op]:
    import torch
    T = lambda a: torch.tensor(a, dtype=torch.float64)  # noqa: E731
    ops = []
    for stable in (False, True):
        for desc in (False, True):
            p = {"stable": stable, "descending": desc}
            ops.append(Op("torch", "sort", p,
                          lambda a, s=stable, d=desc: _rows(torch.sort(T(a), dim=-1, descending=d, stable=s).indices),
                          lambda n, less, s=stable, d=desc: orders.torch_sort(n, less, descending=d, stable=s)))
            ops.append(Op("torch", "argsort", p,
                          lambda a, s=stable, d=desc: _rows(torch.argsort(T(a), dim=-1, descending=d, stable=s)),
                          lambda n, less, s=stable, d=desc: orders.torch_argsort(n, less, descending=d, stable=s)))

    def sort_values_grad(a):
        x = T(a).requires_grad_(True)
        w = torch.arange(1, a.shape[1] + 1, dtype=torch.float64)
        (torch.sort(x, dim=-1).values * w).sum().backward()
        return [tuple(int(np.nonzero(g.numpy() == k + 1)[0][0]) for k in range(a.shape[1])) for g in x.grad]

    ops.append(Op("torch", "sort.values grad", {}, sort_values_grad, lambda n, less: orders.torch_sort(n, less)))

    def msort(a):
        x = T(a).T.contiguous().requires_grad_(True)
        w = torch.arange(1, a.shape[1] + 1, dtype=torch.float64)[:, None]
        (torch.msort(x) * w).sum().backward()
        g = x.grad.T.numpy()
        return [tuple(int(np.nonzero(row == k + 1)[0][0]) for k in range(a.shape[1])) for row in g]

    ops.append(Op("torch", "msort", {}, msort, orders.torch_msort))
    for largest in (True, False):
        for srt in (True, False):
            for kk in ("1", "2", "3", "n/2", "n-1", "n", "n/64"):
                def kof(n, kk=kk):
                    return {"1": 1, "2": 2, "3": 3, "n/2": n // 2, "n-1": n - 1, "n": n, "n/64": n // 64}[kk]
                ops.append(Op("torch", "topk", {"k": kk, "largest": largest, "sorted": srt},
                              lambda a, kof=kof, l=largest, s=srt: _rows(
                                  torch.topk(T(a), kof(a.shape[1]), dim=-1, largest=l, sorted=s).indices),
                              lambda n, less, kof=kof, l=largest, s=srt: orders.torch_topk(n, kof(n), less, largest=l, sorted=s),
                              sizes=lambda n, kof=kof: 1 <= kof(n) <= n))
    for kk in ("1", "2", "n/2", "(n+1)/2", "n-1", "n", "rand"):
        def kof(n, kk=kk):
            if kk == "rand":
                return 1 + (n * 7919 + 13) % n
            return {"1": 1, "2": 2, "n/2": n // 2, "(n+1)/2": (n + 1) // 2, "n-1": n - 1, "n": n}[kk]
        ops.append(Op("torch", "kthvalue", {"k": kk},
                      lambda a, kof=kof: _rows(torch.kthvalue(T(a), kof(a.shape[1]), dim=-1).indices[:, None]),
                      lambda n, less, kof=kof: (orders.torch_kthvalue(n, kof(n), less),),
                      sizes=lambda n, kof=kof: 1 <= kof(n) <= n))
    ops.append(Op("torch", "median_dim", {}, lambda a: _rows(torch.median(T(a), dim=-1).indices[:, None]),
                  lambda n, less: (orders.torch_median_dim(n, less),)))
    ops.append(Op("torch", "nanmedian_dim", {}, lambda a: _rows(torch.nanmedian(T(a), dim=-1).indices[:, None]),
                  lambda n, less: (orders.torch_median_dim(n, less),)))

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

    ops.append(Op("torch", "median_all", {}, median_all, orders.torch_median_all, batched=False,
                  sizes=lambda n: n <= (300 if quick else 1000)))
    ops.append(Op("torch", "mode", {}, lambda a: _rows(torch.mode(T(a), dim=-1).indices[:, None]),
                  lambda n, less: (orders.torch_mode(n, less),)))
    ops.append(Op("torch", "max_dim", {}, lambda a: _rows(torch.max(T(a), dim=-1).indices[:, None]),
                  lambda n, less: (orders.torch_max_dim(n, less),)))
    ops.append(Op("torch", "min_dim", {}, lambda a: _rows(torch.min(T(a), dim=-1).indices[:, None]),
                  lambda n, less: (orders.torch_min_dim(n, less),)))
    ops.append(Op("torch", "argmax", {}, lambda a: [(int(torch.argmax(T(r))),) for r in a],
                  lambda n, less: (orders.torch_argmax(n, less),), batched=False))
    ops.append(Op("torch", "argmin", {}, lambda a: [(int(torch.argmin(T(r))),) for r in a],
                  lambda n, less: (orders.torch_argmin(n, less),), batched=False))
    # one-dimensional calls, as a program writes them
    ops.append(Op("torch", "sort", {"stable": False, "1-D": True},
                  lambda a: [tuple(torch.sort(T(r)).indices.tolist()) for r in a],
                  lambda n, less: orders.torch_sort(n, less), batched=False))
    ops.append(Op("torch", "topk", {"k": "n/3", "1-D": True},
                  lambda a: [tuple(torch.topk(T(r), max(1, len(r) // 3)).indices.tolist()) for r in a],
                  lambda n, less: orders.torch_topk(n, max(1, n // 3), less), batched=False))
    return ops


def jax_ops(quick: bool) -> list[Op]:
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    ops = []
    for stable in (True, False):
        for desc in (False, True):
            p = {"stable": stable, "descending": desc}

            f = jax.jit(jax.vmap(jax.jacrev(lambda r, s=stable, d=desc: jnp.sort(r, stable=s, descending=d))))

            def sort_jac(a, f=f):
                return _onehot_rows(np.asarray(f(jnp.asarray(a))))
            ops.append(Op("jax", "sort", p, sort_jac,
                          lambda n, less, s=stable, d=desc: orders.jax_sort(n, less, descending=d, stable=s),
                          sizes=lambda n: n <= 300))
            ops.append(Op("jax", "argsort", p,
                          lambda a, s=stable, d=desc: _rows(jnp.argsort(jnp.asarray(a), axis=-1, stable=s, descending=d)),
                          lambda n, less, s=stable, d=desc: orders.jax_argsort(n, less, descending=d, stable=s)))
    for kk in ("1", "2", "n/2", "n"):
        def kof(n, kk=kk):
            return {"1": 1, "2": 2, "n/2": n // 2, "n": n}[kk]
        ops.append(Op("jax", "top_k", {"k": kk},
                      lambda a, kof=kof: _rows(jax.lax.top_k(jnp.asarray(a), kof(a.shape[1]))[1]),
                      lambda n, less, kof=kof: orders.jax_top_k(n, kof(n), less),
                      sizes=lambda n, kof=kof: 1 <= kof(n) <= n))

        tk = jax.jit(lambda a, k: jax.vmap(jax.jacrev(lambda r: jax.lax.top_k(r, k)[0]))(a), static_argnums=1)

        def top_k_jac(a, kof=kof, tk=tk):
            return _onehot_rows(np.asarray(tk(jnp.asarray(a), kof(a.shape[1]))))
        ops.append(Op("jax", "top_k values grad", {"k": kk}, top_k_jac,
                      lambda n, less, kof=kof: orders.jax_top_k(n, kof(n), less),
                      sizes=lambda n, kof=kof: 1 <= kof(n) <= n and n <= 300))
    for kk in ("0", "1", "n/2", "n-1"):
        def kthof(n, kk=kk):
            return {"0": 0, "1": 1, "n/2": n // 2, "n-1": n - 1}[kk]

        pj = jax.jit(lambda a, kth: jax.vmap(jax.jacrev(lambda r: jnp.partition(r, kth)))(a), static_argnums=1)

        def part_jac(a, kthof=kthof, pj=pj):
            return _onehot_rows(np.asarray(pj(jnp.asarray(a), kthof(a.shape[1]))))
        ops.append(Op("jax", "partition", {"kth": kk}, part_jac,
                      lambda n, less, kthof=kthof: orders.jax_partition(n, kthof(n), less),
                      sizes=lambda n, kthof=kthof: 0 <= kthof(n) < n and n <= 300))
        ops.append(Op("jax", "argpartition", {"kth": kk},
                      lambda a, kthof=kthof: _rows(jnp.argpartition(jnp.asarray(a), kthof(a.shape[1]))),
                      lambda n, less, kthof=kthof: orders.jax_argpartition(n, kthof(n), less),
                      sizes=lambda n, kthof=kthof: 0 <= kthof(n) < n))
    ops.append(Op("jax", "sort", {"stable": False, "1-D": True},
                  lambda a: [tuple(np.asarray(jnp.argsort(jnp.asarray(r), stable=False)).tolist()) for r in a],
                  lambda n, less: orders.jax_sort(n, less, stable=False), batched=False))
    return ops


def tf_ops(quick: bool) -> list[Op]:
    import tensorflow as tf
    ops = []
    for desc in (False, True):
        direction = "DESCENDING" if desc else "ASCENDING"
        ops.append(Op("tensorflow", "argsort", {"descending": desc},
                      lambda a, dr=direction: _rows(tf.argsort(tf.constant(a), axis=-1, direction=dr).numpy()),
                      lambda n, less, d=desc: orders.tf_argsort(n, less, descending=d)))

        def sort_grad(a, dr=direction):
            x = tf.Variable(a)
            w = tf.range(1, a.shape[1] + 1, dtype=tf.float64)
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(tf.sort(x, axis=-1, direction=dr) * w)
            g = tape.gradient(loss, x).numpy()
            return [tuple(int(np.nonzero(row == k + 1)[0][0]) for k in range(a.shape[1])) for row in g]
        ops.append(Op("tensorflow", "sort", {"descending": desc}, sort_grad,
                      lambda n, less, d=desc: orders.tf_sort(n, less, descending=d)))
    for srt in (True, False):
        for kk in ("1", "2", "3", "n/2", "n-1", "n"):
            def kof(n, kk=kk):
                return {"1": 1, "2": 2, "3": 3, "n/2": n // 2, "n-1": n - 1, "n": n}[kk]
            ops.append(Op("tensorflow", "top_k", {"k": kk, "sorted": srt},
                          lambda a, kof=kof, s=srt: _rows(tf.math.top_k(tf.constant(a), kof(a.shape[1]), sorted=s).indices.numpy()),
                          lambda n, less, kof=kof, s=srt: orders.tf_top_k(n, kof(n), less, sorted=s),
                          sizes=lambda n, kof=kof: 1 <= kof(n) <= n))
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
    if quick:
        sizes = list(range(1, 41)) + [64, 100, 257]
        count = {n: (24 if n <= 40 else 8) for n in sizes}
    else:
        sizes = list(range(1, 65)) + [65, 100, 127, 128, 129, 200, 256, 257, 500, 1000, 2000]
        count = {n: (48 if n <= 64 else 12 if n <= 300 else 4) for n in sizes}
    rng = random.Random(seed)
    adversarial = emulations_for_adversary()
    pats = {n: patterns(n, rng, count[n], adversarial if framework == "torch" else adversarial[:1])
            for n in sizes}
    real = {n: [realisations(p, rng) for p in pats[n]] for n in sizes}
    rows = []
    for op in ops:
        row = {"framework": framework, "version": ver, "op": op.op, "params": op.params, "sizes": [],
               "patterns": 0, "mismatches": 0, "value_dependent": 0, "not_one_hot": 0, "examples": []}
        start = time.perf_counter()
        for n in sizes:
            if not op.sizes(n):
                continue
            if not op.batched and n > (300 if quick else 1000):
                continue
            ps = pats[n] if op.batched else pats[n][:max(4, len(pats[n]) // 4)]
            rs = real[n][:len(ps)]
            got = [op.run(np.stack([r[v] for r in rs])) for v in range(3)]
            row["sizes"].append(n)
            for i, p in enumerate(ps):
                want = tuple(op.emulate(n, less_of(p)))
                results = [got[v][i] for v in range(3)]
                row["patterns"] += 1
                if -1 in results[0]:
                    row["not_one_hot"] += 1
                if len(set(results)) > 1:
                    row["value_dependent"] += 1
                    if len(row["examples"]) < 3:
                        row["examples"].append(f"n={n} pattern={p[:20]} values-dependent: {results}")
                if results[0] != want:
                    row["mismatches"] += 1
                    if len(row["examples"]) < 3:
                        row["examples"].append(f"n={n} pattern={p[:24]} got={results[0][:24]} want={want[:24]}")
                if record is not None and (n <= 12 or n in (17, 20, 33, 64, 100, 257)) and i < (6 if n <= 12 else 2):
                    record.append({"framework": framework, "version": ver, "op": op.op, "params": op.params,
                                   "n": n, "pattern": p, "indices": list(results[0])})
        row["seconds"] = time.perf_counter() - start
        rows.append(row)
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
    head = f"{'framework':<11} {'op':<18} {'params':<44} {'sizes':<28} {'patterns':>8} {'mismatch':>8} {'val-dep':>7} {'sec':>6}"
    print(head)
    print("-" * len(head))
    total = 0
    for r in all_rows:
        params = ",".join(f"{k}={v}" for k, v in r["params"].items())
        print(f"{r['framework']:<11} {r['op']:<18} {params:<44} {sizes_text(r['sizes']):<28} "
              f"{r['patterns']:>8} {r['mismatches']:>8} {r['value_dependent']:>7} {r['seconds']:>6.1f}")
        total += r["mismatches"]
        for e in r["examples"]:
            print("    " + e)
    print(f"total patterns {sum(r['patterns'] for r in all_rows)}, mismatches {total}, "
          f"value-dependent {sum(r['value_dependent'] for r in all_rows)}, "
          f"not one-hot {sum(r['not_one_hot'] for r in all_rows)}")
    if record is not None:
        with open(JSON_PATH, "w") as fh:
            json.dump({"description": "Indices returned at tie patterns (pattern: integer levels, equal "
                                      "levels tie; indices: what the op returned, output order), measured "
                                      "by benchmarks/measure_orders.py in float64 on CPU.",
                       "rows": record}, fh, indent=None, separators=(",", ":"))
            fh.write("\n")
        print(f"wrote {len(record)} rows to {os.path.relpath(JSON_PATH, ROOT)}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
