"""Tie orders of sort / top-k / selection ops (pwverify.primitives.orders).

(a) framework-free: hand-checked cases, the libstdc++ algorithms against a compiled
    C++ program (permutation and number of comparisons), the table and its refusals;
(b) differential: the emulation against real torch, jax and tensorflow on a bounded
    random slice of tie patterns (skipped when the framework is not installed).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from fractions import Fraction

import pytest

from pwverify.primitives import orders as o

TIED = lambda i, j: False  # noqa: E731  every entry ties


def grad_of_weighted_sum(perm):
    """Gradient of sum_k w_k * out_k with w = 1..n, for out_k = x[perm[k]]."""
    g = [0] * len(perm)
    for k, i in enumerate(perm):
        g[i] += k + 1
    return g


def tie_patterns(rng, n, count):
    out = [[0] * n]
    while len(out) < count:
        d = rng.choice([1, 2, 3, 4, max(2, n // 2), max(2, n)])
        out.append([rng.randrange(d) for _ in range(n)])
    return out


def less(p):
    return lambda i, j: p[i] < p[j]


# ---------------------------------------------------------------- (a) framework-free

def test_torch_sort_of_twenty_tied_zeros_matches_the_measured_gradient():
    # (torch.sort(x).values * w).sum() at x = zeros(20), w = 1..20 (torch 2.13 CPU)
    g = grad_of_weighted_sum(o.torch_sort(20, TIED))
    assert g[:4] == [11, 20, 19, 18]
    assert g != list(range(1, 21))


def test_torch_sort_keeps_input_order_up_to_sixteen_entries_only():
    assert all(o.torch_sort(n, TIED) == tuple(range(n)) for n in range(1, 17))
    assert all(o.torch_sort(n, TIED) != tuple(range(n)) for n in range(17, 70))
    assert o.torch_sort(17, TIED) == (8, 16, 15, 14, 13, 12, 11, 10, 9, 0, 7, 6, 5, 4, 3, 2, 1)
    assert o.torch_sort(20, TIED, stable=True) == tuple(range(20))
    # descending compares with '>': ties land exactly where ascending puts them
    assert o.torch_sort(20, TIED, descending=True) == o.torch_sort(20, TIED)


def test_torch_sort_descending_keeps_input_order_of_small_ties():
    p = [1, 3, 3, 2]
    assert o.torch_sort(4, less(p), descending=True) == (1, 2, 3, 0)
    assert o.torch_sort(4, less(p)) == (0, 3, 1, 2)


def test_torch_topk_of_tied_zeros_takes_the_last_entries():
    # topk(zeros(4), 2).values.sum() has gradient [0, 0, 1, 1]
    sel = o.torch_topk(4, 2, TIED)
    assert sel == (2, 3)
    assert [int(i in sel) for i in range(4)] == [0, 0, 1, 1]


def test_torch_topk_switches_to_partial_sort_at_64k():
    # k = 2: nth_element for n < 128, partial_sort (first indices) from 128 on
    assert o.torch_topk(127, 2, TIED) != (0, 1)
    assert o.torch_topk(128, 2, TIED) == (0, 1)
    assert o.torch_topk(5, 1, less([1, 3, 3, 2, 0]), largest=True) in ((1,), (2,))
    assert o.torch_topk(4, 2, less([1, 3, 3, 2])) == (1, 2)


def test_torch_topk_sorted_false_keeps_the_selection_order():
    # measured: nth_element leaves (1, 6, 0, 3); sorted=True sorts the first k-1 only
    p = [2, 2, 1, 1, 0, 0, 3]
    assert o.torch_topk(7, 4, less(p), sorted=False) == (1, 6, 0, 3)
    assert o.torch_topk(7, 4, less(p)) == (6, 1, 0, 3)
    assert o.torch_topk(5, 3, TIED, sorted=False) == o.torch_topk(5, 3, TIED) == (2, 4, 3)


def test_torch_kthvalue_median_and_mode_at_ties():
    assert [o.torch_kthvalue(5, k, TIED) for k in range(1, 6)] == [3, 2, 0, 1, 4]
    assert [o.torch_kthvalue(3, k, TIED) for k in range(1, 4)] == [1, 0, 2]
    assert [o.torch_median_dim(n, TIED) for n in range(1, 9)] == [(n - 1) // 2 for n in range(1, 9)]
    assert o.torch_median_dim(5, less([1, 2, 2, 2, 3])) == 2
    assert o.torch_median_dim(4, less([3, 1, 3, 3])) == 0
    assert o.torch_median_dim(4, less([2, 2, 1, 1])) == 3
    assert [o.torch_mode(n, TIED) for n in range(1, 17)] == list(range(16))
    assert o.torch_mode(17, TIED) == 1  # introsort's last entry, not 16
    assert o.torch_mode(5, less([1, 2, 2, 2, 3])) == 3
    assert o.torch_mode(4, less([2, 2, 1, 1])) == 3  # smallest of the most frequent values
    assert o.torch_median_all(4, TIED) == (0, 1, 2, 3)
    assert o.torch_median_all(4, less([2, 2, 1, 1])) == (2, 3)


def test_torch_first_index_reductions():
    p = [1, 3, 3, 2, 1]
    assert o.torch_max_dim(5, less(p)) == o.torch_argmax(5, less(p)) == 1
    assert o.torch_min_dim(5, less(p)) == o.torch_argmin(5, less(p)) == 0


def test_jax_rules():
    p = [1, 3, 3, 2]
    assert o.jax_sort(4, less(p), descending=True) == (2, 1, 3, 0)  # ties reversed
    assert o.jax_sort(4, less(p)) == (0, 3, 1, 2)
    assert o.jax_argsort(4, less(p), descending=True) == (1, 2, 3, 0)  # ties in input order
    assert o.jax_sort(20, TIED, stable=False) == o.torch_sort(20, TIED)
    assert o.jax_argsort(3, TIED, descending=True, stable=False) == (2, 1, 0)
    assert o.jax_top_k(4, 2, less(p)) == (1, 2)
    assert o.jax_top_k(4, 2, TIED) == (0, 1)
    assert o.jax_partition(3, 1, TIED) == (0, 1, 0)  # x0 gathered twice, x2 never
    assert o.jax_argpartition(4, 1, less([5, 1, 0, 3])) == (2, 1, 0, 3)


def test_tensorflow_rules():
    p = [1, 3, 3, 2]
    assert o.tf_sort(4, less(p), descending=True) == (1, 2, 3, 0)
    assert o.tf_sort(4, less(p)) == (0, 3, 1, 2)
    assert o.tf_sort(40, TIED) == tuple(range(40))
    assert o.tf_top_k(4, 2, TIED) == (0, 1)
    assert o.tf_top_k(6, 3, TIED, sorted=False) == (2, 1, 0)
    assert o.tf_top_k(6, 3, less(list(range(6))), sorted=False) == (3, 4, 5)


def test_emulations_sort_and_select_correctly():
    rng = random.Random(3)
    for _ in range(300):
        n = rng.randint(1, 90)
        vals = [Fraction(rng.randrange(rng.choice([2, 5, n + 1])), rng.randint(1, 3)) for _ in range(n)]
        lt = o.less_from_values(vals)
        for perm in (o.torch_sort(n, lt), o.jax_sort(n, lt, stable=False), o.tf_sort(n, lt),
                     o.torch_sort(n, lt, stable=True)):
            assert sorted(perm) == list(range(n))
            assert [vals[i] for i in perm] == sorted(vals)
        k = rng.randint(1, n)
        top = sorted((vals[i] for i in o.torch_topk(n, k, lt)), reverse=True)
        assert top == sorted(vals, reverse=True)[:k]
        assert vals[o.torch_kthvalue(n, k, lt)] == sorted(vals)[k - 1]
        assert sorted(vals[i] for i in o.tf_top_k(n, k, lt, sorted=False)) == sorted(vals)[n - k:]


def test_less_is_called_once_per_comparison():
    calls = []

    def counting(i, j):
        calls.append((i, j))
        return False
    o.torch_sort(4, counting)
    # libstdc++ insertion sort: each entry against the first, then against its predecessor
    assert calls == [(1, 0), (1, 0), (2, 0), (2, 1), (3, 0), (3, 2)]
    assert all(i != j for i, j in calls)


CPP = r"""
#include <algorithm>
#include <cstdio>
#include <vector>
int main() {
  int n, what, k; long calls;
  while (std::scanf("%d %d %d", &n, &what, &k) == 3) {
    std::vector<int> v(n), idx(n);
    for (int i = 0; i < n; ++i) { std::scanf("%d", &v[i]); idx[i] = i; }
    calls = 0;
    auto comp = [&](int a, int b) { ++calls; return v[a] < v[b]; };
    if (what == 0) std::sort(idx.begin(), idx.end(), comp);
    if (what == 1) std::nth_element(idx.begin(), idx.begin() + k, idx.end(), comp);
    if (what == 2) std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), comp);
    std::printf("%ld", calls);
    for (int i = 0; i < n; ++i) std::printf(" %d", idx[i]);
    std::printf("\n");
  }
}
"""


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")
def test_libstdcxx_algorithms_against_compiled_cpp(tmp_path):
    src, exe = tmp_path / "algos.cpp", tmp_path / "algos"
    src.write_text(CPP)
    subprocess.run(["g++", "-O1", "-std=c++17", str(src), "-o", str(exe)], check=True)
    rng = random.Random(5)
    cases, lines = [], []
    for _ in range(600):
        n = rng.choice([1, 2, 3, 5, 16, 17, 18, 31, 33, 64, 100, 200])
        p = tie_patterns(rng, n, 2)[rng.randrange(2)]
        what, k = rng.randrange(3), rng.randrange(n)
        cases.append((n, p, what, k))
        lines.append(f"{n} {what} {k} " + " ".join(map(str, p)))
    out = subprocess.run([str(exe)], input="\n".join(lines) + "\n", capture_output=True, text=True,
                         check=True).stdout.splitlines()
    for (n, p, what, k), line in zip(cases, out):
        calls = []
        lt = less(p)

        def counting(i, j):
            calls.append(1)
            return lt(i, j)
        fn = [lambda: o.std_sort(n, counting), lambda: o.std_nth_element(n, k, counting),
              lambda: o.std_partial_sort(n, k, counting)][what]
        got = fn()
        want = [int(t) for t in line.split()]
        assert (len(calls), got) == (want[0], want[1:]), (n, p, what, k)


def test_every_measured_fact_in_the_reference_file_is_reproduced():
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "docs", "reference", "measured-orders.json")
    with open(path) as fh:
        data = json.load(fh)
    assert all(r["mismatches"] == 0 for r in data["summary"])
    frameworks = set()
    for row in data["rows"]:
        m = row["model"]
        got = o.indices(row["framework"], m["op"], row["n"], less(row["pattern"]), **m["params"])
        assert list(got) == row["indices"], row
        frameworks.add(row["framework"])
    assert frameworks == {"torch", "jax", "tensorflow"} and len(data["rows"]) > 200


def test_table_and_refusals():
    assert o.rule("torch", "sort").function == "torch_sort"
    assert "std::sort" in o.rule("torch", "sort", stable=False).rule
    assert o.rule("jax", "sort", descending=True).rule.startswith("stable ascending sort reversed")
    assert o.indices("torch", "kthvalue", 5, TIED, k=1) == (3,)
    assert o.indices("tf", "top_k", 6, TIED, k=3, sorted=False) == (2, 1, 0)
    assert o.indices("jax", "partition", 3, TIED, kth=1) == (0, 1, 0)
    for r in o.ORDERS:
        assert r.exact and r.function in o.__all__ and r.source and r.measured
    with pytest.raises(o.OrderNotModelled, match="CUDA"):
        o.indices("torch", "sort", 3, TIED, device="cuda")
    with pytest.raises(o.OrderNotModelled, match="-0.0"):
        o.rule("jax", "top_k", signed_zero_ties=True)
    with pytest.raises(o.OrderNotModelled):
        o.rule("torch", "unique")


# ---------------------------------------------------------------- (b) differential

SIZES = list(range(1, 35)) + [40, 63, 64, 65, 100, 128, 129, 257]


def _slice(seed, sizes, count):
    rng = random.Random(seed)
    return [(n, p) for n in sizes for p in tie_patterns(rng, n, count)]


def test_torch_differential():
    torch = pytest.importorskip("torch")
    cases = _slice(11, SIZES, 8)
    naive_wrong = 0
    for n, p in cases:
        x = torch.tensor(p, dtype=torch.float64)
        lt = less(p)
        got = tuple(torch.sort(x).indices.tolist())
        assert got == o.torch_sort(n, lt), (n, p)
        naive_wrong += got != o.torch_sort(n, lt, stable=True)
        assert tuple(torch.sort(x, descending=True).indices.tolist()) == o.torch_sort(n, lt, descending=True)
        assert tuple(torch.argsort(x, stable=True).tolist()) == o.torch_sort(n, lt, stable=True)
        k = 1 + (n * 31) % n
        for largest in (True, False):
            for srt in (True, False):
                got = tuple(torch.topk(x, k, largest=largest, sorted=srt).indices.tolist())
                assert got == o.torch_topk(n, k, lt, largest=largest, sorted=srt), (n, p, k, largest, srt)
        assert int(torch.kthvalue(x, k).indices) == o.torch_kthvalue(n, k, lt), (n, p, k)
        assert int(torch.median(x, 0).indices) == o.torch_median_dim(n, lt), (n, p)
        assert int(torch.mode(x).indices) == o.torch_mode(n, lt), (n, p)
        assert int(torch.max(x, 0).indices) == o.torch_max_dim(n, lt)
        assert int(torch.argmin(x)) == o.torch_argmin(n, lt)
    assert naive_wrong > 100  # "ties keep input order" would fail these


def test_torch_sort_gradient_is_the_emulated_permutation():
    torch = pytest.importorskip("torch")
    x = torch.zeros(20, dtype=torch.float64, requires_grad=True)
    (torch.sort(x).values * torch.arange(1, 21, dtype=torch.float64)).sum().backward()
    assert x.grad.tolist() == grad_of_weighted_sum(o.torch_sort(20, TIED))
    x = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    torch.topk(x, 2).values.sum().backward()
    assert x.grad.tolist() == [0, 0, 1, 1]


def test_jax_differential():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import numpy as np
    naive_wrong = 0
    for n in (5, 17, 33):
        cases = _slice(n, [n], 12)
        a = jnp.asarray(np.array([p for _, p in cases], dtype=np.float64))
        uns = np.asarray(jnp.argsort(a, axis=-1, stable=False))
        desc = np.asarray(jnp.argsort(a, axis=-1, descending=True))
        jac = np.asarray(jax.vmap(jax.jacrev(lambda r: jnp.sort(r, descending=True)))(a))
        top = np.asarray(jax.lax.top_k(a, max(1, n // 2))[1])
        for b, (_, p) in enumerate(cases):
            lt = less(p)
            assert tuple(uns[b].tolist()) == o.jax_argsort(n, lt, stable=False), (n, p)
            naive_wrong += tuple(uns[b].tolist()) != tuple(o.stable_sort(n, lt))
            assert tuple(desc[b].tolist()) == o.jax_argsort(n, lt, descending=True)
            assert tuple(int(np.argmax(row)) for row in jac[b]) == o.jax_sort(n, lt, descending=True)
            assert tuple(top[b].tolist()) == o.jax_top_k(n, max(1, n // 2), lt)
    assert naive_wrong > 10


def test_tensorflow_differential():
    tf = pytest.importorskip("tensorflow")
    import numpy as np
    heap_order = 0
    for n in (5, 17, 64):
        cases = _slice(n, [n], 12)
        a = tf.constant(np.array([p for _, p in cases], dtype=np.float64))
        srt = tf.argsort(a, axis=-1).numpy()
        for k in sorted({1, 2, n // 2, n - 1}):
            s = tf.math.top_k(a, k).indices.numpy()
            u = tf.math.top_k(a, k, sorted=False).indices.numpy()
            for b, (_, p) in enumerate(cases):
                lt = less(p)
                assert tuple(s[b].tolist()) == o.tf_top_k(n, k, lt)
                assert tuple(u[b].tolist()) == o.tf_top_k(n, k, lt, sorted=False), (n, p, k)
                heap_order += tuple(u[b].tolist()) != o.tf_top_k(n, k, lt)
        for b, (_, p) in enumerate(cases):
            assert tuple(srt[b].tolist()) == o.tf_argsort(n, less(p))
    assert heap_order > 20  # sorted=False is not the sorted order
