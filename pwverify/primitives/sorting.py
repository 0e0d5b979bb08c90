"""Sorting: one branch per permutation, ties ordered as the framework orders them.

``sort`` with n arguments has n outputs. On the branch of a permutation ``p`` (output
k is input ``p[k]``), consecutive outputs are compared strictly or weakly according
to the tie order, so the n! branches are disjoint and cover R^n, and each output's
gradient is one-hot: the rule every framework follows (frameworks-measured.md §5):
ascending sorts keep ties in input order in torch, jax and tensorflow; descending
sorts keep input order in torch and tensorflow (and Python's ``sorted(reverse=True)``)
but reverse it in jax.
"""

from __future__ import annotations

import itertools

from .registry import ARGS, Branch, ExplicitTable, Primitive, Signature, Call, ge, gt, le, lt, register


def sort_table(n: int, descending: bool = False, ties: str = "input") -> ExplicitTable:
    """``ties``: "input" keeps tied entries in input order, "reversed" reverses them."""
    a = ARGS[:n]
    branches = []
    for perm in itertools.permutations(range(n)):
        where = []
        for k in range(n - 1):
            i, j = perm[k], perm[k + 1]
            in_order = (i < j) if ties == "input" else (i > j)
            if descending:
                where.append(ge(a[i], a[j]) if in_order else gt(a[i], a[j]))
            else:
                where.append(le(a[i], a[j]) if in_order else lt(a[i], a[j]))
        branches.append(Branch(tuple(where), tuple(a[i] for i in perm), "order " + ",".join(map(str, perm))))
    return ExplicitTable(n, branches, n_out=n)


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
            return b.indexed_result(values, "sort")
        if result == "list":
            return list(values.items)
        return values
    return build


register(Primitive(
    "sort", sort_table,
    "Sort n entries (params: descending, ties); outputs in sorted order.",
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
             Signature.parse("values:input, axis:dim=-1, direction='ASCENDING'"), _sort()),
        Call("builtins.sorted", None, Signature.parse("input, key=None, reverse=False"),
             _sort("reverse", result="list")),
    ],
    measured=("torch 2.13.0, jax 0.10.2, tensorflow 2.21.0 (frameworks-measured.md §5)",)))
