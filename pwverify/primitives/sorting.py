"""Sorting and top-k: one branch per permutation, ties ordered as the framework orders them.

``sort`` with n arguments has n outputs. On the branch of a permutation ``p`` (output
k is input ``p[k]``), consecutive outputs are compared strictly or weakly according
to the tie order, so the n! branches are disjoint and cover R^n, and each output's
gradient is one-hot: the rule every framework follows (docs/reference/frameworks-measured.md §5):
ascending sorts keep ties in input order in torch, jax and tensorflow; descending
sorts keep input order in torch and tensorflow (and Python's ``sorted(reverse=True)``)
but reverse it in jax. Top-k is the first k entries of the descending sort that keeps
input order (``topk``, ``lax.top_k``, ``tf.math.top_k``: "first index first").

pwverify works over the reals, where -0 = 0. jax's ``sort`` and ``top_k`` order floats
by a total order that puts -0.0 before 0.0, so where entries tie at zero with different
signs (``x * b`` at ``b = 0`` with a negative ``x``), jax's order, and its gradient,
differ from the real-number prediction (found by ``benchmarks/bench_frameworks.py`` on
jax 0.10.2; torch and tensorflow compare -0.0 == 0.0).

Up to :data:`EXPLICIT_UP_TO` entries the table is listed; beyond, it is implicit: the
solver proposes the orders that are feasible on a piece (:class:`SortTable`).
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import Sequence

from ..core.exact import sign
from .registry import (ARGS, Branch, Call, ExplicitTable, PieceTable, Primitive, Signature, ge, gt, le,
                       lt, register)

#: Sorts of at most this many entries list their n! branches; longer ones are implicit.
EXPLICIT_UP_TO = 5


class SortTable(PieceTable):
    """The n! orders of n entries (``ties``: "input" keeps tied entries in input order,
    "reversed" reverses them).

    >>> t = SortTable(3)
    >>> t.count(), str(t.branch_at([2, 1, 2]))
    (6, 'a0 > a1 and a0 <= a2: a1, a0, a2')
    """

    def __init__(self, n: int, descending: bool = False, ties: str = "input"):
        self.n_args = self.n_out = n
        self.descending = descending
        self.ties = ties
        # up to EXPLICIT_UP_TO entries the composition lists the n! branches; beyond, the
        # solver proposes the feasible orders
        self.implicit = n > EXPLICIT_UP_TO

    def _in_order(self, i: int, j: int) -> bool:
        """May input i come right before input j when they are tied?"""
        return (i < j) if self.ties == "input" else (i > j)

    def branch(self, perm: Sequence[int]) -> Branch:
        a = ARGS[:self.n_args]
        where = []
        for k in range(self.n_args - 1):
            i, j = perm[k], perm[k + 1]
            weak = self._in_order(i, j)
            if self.descending:
                where.append(ge(a[i], a[j]) if weak else gt(a[i], a[j]))
            else:
                where.append(le(a[i], a[j]) if weak else lt(a[i], a[j]))
        return Branch(tuple(where), tuple(a[i] for i in perm), "order " + ",".join(map(str, perm)),
                      tuple(perm))

    def branches(self):
        orders = (self.branch(p) for p in itertools.permutations(range(self.n_args)))
        return orders if self.implicit else tuple(orders)

    def encode_fast(self, Z, args, tangents):
        """Rank counting: input i goes to the position that counts the entries before it
        (smaller, or larger when descending; tied ones by the tie order)."""
        n = self.n_args
        before = []
        for i in range(n):
            terms = []
            for j in range(n):
                if i == j:
                    continue
                ahead = args[j] > args[i] if self.descending else args[j] < args[i]
                terms.append(Z.If(Z.Or(ahead, args[j] == args[i]) if self._in_order(j, i) else ahead, 1, 0))
            before.append(Z.Sum(terms) if terms else Z.IntVal(0))
        values, tans = [], []
        channels = len(tangents[0]) if tangents else 0
        for k in range(n):
            value, tangent = args[n - 1], list(tangents[n - 1])
            for i in range(n - 2, -1, -1):
                c = before[i] == k
                value = Z.If(c, args[i], value)
                tangent = [Z.select(c, x, y) for x, y in zip(tangents[i], tangent)]
            values.append(value)
            tans.append(tangent if channels else [])
        return values, tans

    def count(self) -> int:
        return math.factorial(self.n_args)

    def _before(self, values: Sequence, i: int, j: int) -> bool:
        """Does input i come before input j in the output (values exact)?"""
        s = sign(values[i] - values[j])
        if s == 0:
            return self._in_order(i, j)
        return (s > 0) if self.descending else (s < 0)

    def _perm(self, before) -> tuple[int, ...]:
        def cmp(i, j):
            return -1 if before(i, j) else 1
        return tuple(sorted(range(self.n_args), key=functools.cmp_to_key(cmp)))

    def branch_at(self, values: Sequence) -> Branch:
        return self.branch(self._perm(lambda i, j: self._before(values, i, j)))

    def encode_choice(self, terms: Sequence, fresh):
        """The keys are the comparisons of every pair: their truth values fix the order."""
        keys = {}
        for i, j in itertools.combinations(range(self.n_args), 2):
            weak = self._in_order(i, j)
            if self.descending:
                keys[i, j] = terms[i] >= terms[j] if weak else terms[i] > terms[j]
            else:
                keys[i, j] = terms[i] <= terms[j] if weak else terms[i] < terms[j]

        def decode(model):
            import z3
            truth = {k: z3.is_true(model.eval(v, model_completion=True)) for k, v in keys.items()}
            return self.branch(self._perm(lambda i, j: truth[i, j] if i < j else not truth[j, i]))
        return [], list(keys.values()), decode


def sort_table(n: int, descending: bool = False, ties: str = "input") -> PieceTable:
    """The sort of ``n`` entries: listed for small n, implicit beyond."""
    return SortTable(n, descending, ties)


def _sort(descending_key: str = "descending", ties_for_descending: str = "input", result: str = "array"):
    """``result``: "array", "indexed" (torch's (values, indices)) or "list" (sorted())."""
    def build(b, bd):
        descending = bool(bd.get(descending_key))
        if bd.get("direction") is not None:
            descending = str(bd["direction"]).upper() == "DESCENDING"
        if bd.get("key") is not None:
            b.fail("sorted() with key= is not supported", "sorted(values) or sorted(values, reverse=True)")
        ties = ties_for_descending if descending else "input"
        values = b.sort(bd["input"], bd.get("dim", -1), descending, ties)
        if result == "indexed":
            return b.indexed_result(values, "torch.sort")
        if result == "list":
            return list(values.items)
        return values
    return build


def _topk(what: str, largest_key: str | None = "largest"):
    """The k largest (or smallest) entries along the last dim, first index first."""
    def build(b, bd):
        k = bd["k"]
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            b.fail(f"{what}: k must be a positive constant integer", f"{what}(x, 2)")
        largest = True if largest_key is None else bool(bd[largest_key])
        if bd.get("sorted") is False:
            b.fail(f"{what} with sorted=False returns the entries in an unspecified order", "sorted=True")
        arr = b.to_array(bd["input"])
        dim = bd.get("dim", -1)
        if arr.ndim == 0 or k > arr.shape[int(dim)]:
            b.fail(f"{what}: k = {k} is larger than the dimension", "k <= the length along dim")
        if k == 1:
            top = b.reduce("max_first" if largest else "min_first", arr, dim, keepdim=True)
        else:
            ordered = b.sort(arr, dim, largest, "input")
            d = int(dim) % arr.ndim
            top = ordered.index((slice(None),) * d + (slice(0, k),))
        return b.indexed_result(top, what)
    return build


register(Primitive(
    "sort", sort_table,
    "Sort n entries (params: descending, ties); outputs in sorted order. Ties keep input "
    "order, except jnp.sort(descending=True), which reverses them (docs/reference/frameworks-measured.md §5, §8.7).",
    arity=None,
    calls=[
        Call("torch.sort", "torch", Signature.parse("input, dim=-1, descending=False, stable=False"),
             _sort(result="indexed")),
        Call("torch.Tensor.sort", "torch",
             Signature.parse("input, dim=-1, descending=False, stable=False"), _sort(result="indexed")),
        Call("torch.msort", "torch", Signature.parse("input, dim=0"), _sort()),
        Call("jax.numpy.sort", "jax",
             Signature.parse("a:input, axis:dim=-1, kind=None, order=None, stable=True, descending=False"),
             _sort(ties_for_descending="reversed")),
        Call("tensorflow.sort", "tensorflow",
             Signature.parse("values:input, axis:dim=-1, direction='ASCENDING', name=None"), _sort()),
        Call("builtins.sorted", None, Signature.parse("input, key=None, reverse=False"),
             _sort("reverse", result="list")),
        Call("torch.topk", "torch",
             Signature.parse("input, k, dim=-1, largest=True, sorted=True"), _topk("torch.topk")),
        Call("torch.Tensor.topk", "torch",
             Signature.parse("input, k, dim=-1, largest=True, sorted=True"), _topk("torch.topk")),
        Call("jax.lax.top_k", "jax", Signature.parse("operand:input, k, axis:dim=-1"), _topk("jax.lax.top_k", None)),
        Call("tensorflow.math.top_k", "tensorflow",
             Signature.parse("input, k=1, sorted=True, index_type=None, name=None"),
             _topk("tensorflow.math.top_k", None)),
        Call("tensorflow.nn.top_k", "tensorflow",
             Signature.parse("input, k=1, sorted=True, index_type=None, name=None"),
             _topk("tensorflow.nn.top_k", None)),
    ],
    measured=("torch 2.13.0, jax 0.10.2, tensorflow 2.21.0 (docs/reference/frameworks-measured.md §5)",)))
