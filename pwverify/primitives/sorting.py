"""Sorting, top-k and order statistics: at a tie, the index the framework's algorithm returns.

(About 500 lines: sort, argsort, rank and the order statistics share their tables.)

``sort`` with n arguments has n outputs; each output's gradient is one-hot on the input
it took, so the tie order must be exactly the framework's (measured and emulated in
:mod:`pwverify.primitives.orders`; docs/reference/measured-orders.json):

* a *fixed* order: ties keep input order (stable sorts: torch ``sort(stable=True)`` and
  torch's default sort up to 16 entries, which is an insertion sort there; jax's
  ``sort`` ascending; tensorflow; Python's ``sorted``; ``lax.top_k`` and ``tf.math.top_k``
  take the lower index first) or reverse it (``jnp.sort(descending=True)``). Then
  :class:`SortTable` has one branch per permutation and an exact compact encoding;
* an *algorithm*: torch's default sort from 17 entries on (libstdc++ introsort),
  ``torch.topk`` (``nth_element``/``partial_sort``), ``torch.kthvalue`` (quickselect),
  ``jnp.sort(stable=False)``. Then :class:`OrderTable` has one branch per tie pattern
  (weak order of the entries), and the index at a tie is what the emulated algorithm
  returns. Its direct encoding is exact away from ties and marks the ties as points to
  check one by one.

jax's ``lax.top_k`` orders -0.0 before +0.0, which real numbers do not carry: where
entries tie at zero with different signs its order differs from the prediction.

Up to :data:`EXPLICIT_UP_TO` entries the table is listed; beyond, it is implicit: the
solver proposes the orders that are feasible on a piece (:class:`SortTable`).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from typing import Sequence

import numpy as np

from ..core.exact import exact, sign
from . import orders
from .registry import (ARGS, Branch, Call, ExplicitTable, Local, PieceTable, Primitive, Signature, eq, ge, gt,
                       le, lt, register)

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

    def at(self, values):
        """The permutation, found by sorting (no symbolic branch): one-hot rows."""
        return permutation_local(self._perm(lambda i, j: self._before(values, i, j)), values)

    def numeric(self, args):
        """A stable argsort over arrays. Descending with ties in input order sorts the
        negated entries; ties reversed are the reverse of the opposite sort."""
        from ..core.vectorised import NumericLocal, size_of, stack
        n = size_of(args)
        x = stack(args, n)
        flip = self.descending != (self.ties == "reversed")
        perm = np.argsort(-x if flip else x, axis=1, kind="stable")
        if self.ties == "reversed":
            perm = perm[:, ::-1]
        return permutation_numeric(x, perm, n)

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


class SortedPositionTable(SortTable):
    """Position ``k`` of Python's ``sorted()`` of n objects: the entry that sorts there.
    Python orders objects that already exist, so that entry is the output itself and the
    others have no autodiff edge to it (nothing, not even a zero, passes to them: an
    infinite derivative behind them makes no nan, unlike behind ``torch.sort``).

    >>> t = SortedPositionTable(3, 1)
    >>> from pwverify.core.exact import exact
    >>> t.at([exact(2), exact(5), exact(1)]).values, t.at([exact(2), exact(5), exact(1)]).detached
    ((2,), (1, 2))
    """

    def __init__(self, n: int, position: int, descending: bool = False):
        super().__init__(n, descending, "input")   # sorted() is stable, also with reverse=True
        self.position, self.n_out = position, 1

    def branch(self, perm: Sequence[int]) -> Branch:
        full = super().branch(perm)
        return Branch(full.where, (full.value[self.position],), full.label, full.order)

    def detached_args(self, branch: Branch) -> Sequence[int]:
        winner = branch.order[self.position]
        return tuple(i for i in range(self.n_args) if i != winner)

    def at(self, values):
        picked = self._perm(lambda i, j: self._before(values, i, j))[self.position]
        local = permutation_local((picked,), values)
        return dataclasses.replace(local, detached=tuple(i for i in range(self.n_args) if i != picked))

    def numeric(self, args):
        from ..core.vectorised import NumericLocal
        full = super().numeric(args)
        return NumericLocal((full.values[self.position],), (full.rows[self.position],))

    def encode_fast(self, Z, args, tangents):
        values, tans = super().encode_fast(Z, args, tangents)
        return [values[self.position]], [tans[self.position]]


_ZERO, _ONE = exact(0), exact(1)


def permutation_local(picked: Sequence[int], values: Sequence) -> Local:
    """Output j is input ``picked[j]``: one-hot rows."""
    n = len(values)
    rows = tuple(tuple(_ONE if i == p else _ZERO for i in range(n)) for p in picked)
    zeros = tuple(tuple(i != p for i in range(n)) for p in picked)
    return Local("order " + ",".join(map(str, picked)), tuple(values[p] for p in picked), rows, zeros)


def permutation_numeric(x, perm, n):
    """Output j is entry ``perm[:, j]`` of the rows of ``x`` (nan everywhere in a row with a nan)."""
    from ..core.vectorised import NumericLocal, OneHot
    values = np.take_along_axis(x, perm, axis=1)
    values[np.isnan(x).any(axis=1)] = np.nan
    if n is None:
        return NumericLocal(tuple(values[0]), tuple(OneHot(perm[:, j]) for j in range(perm.shape[1])))
    return NumericLocal(tuple(values[:, j] for j in range(perm.shape[1])),
                        tuple(OneHot(perm[:, j]) for j in range(perm.shape[1])))


def weak_orders(n: int):
    """Every weak order of n entries, as the rank of each entry (ranks 0..m-1 all used).

    >>> sum(1 for _ in weak_orders(3))
    13
    """
    for ranks in itertools.product(range(n), repeat=n):
        used = set(ranks)
        if used == set(range(len(used))):
            yield ranks


def ranks_of(values: Sequence) -> tuple[int, ...]:
    """The weak order of exact values: each entry's number of distinct smaller values."""
    order = sorted(range(len(values)), key=functools.cmp_to_key(lambda i, j: sign(values[i] - values[j])))
    ranks, current = [0] * len(values), 0
    for k in range(1, len(order)):
        if sign(values[order[k]] - values[order[k - 1]]) > 0:
            current += 1
        ranks[order[k]] = current
    return tuple(ranks)


class OrderTable(PieceTable):
    """Outputs at the indices a framework's algorithm returns (``orders.indices``), one
    branch per tie pattern. ``positions``: output j is the value at position
    ``positions[j]`` of the sorted entries (``descending``): true of every sort, top-k and
    k-th value, and what the compact encoding uses.

    >>> t = OrderTable(4, ("torch", "topk", (("k", 2),)), 2, (0, 1), True)
    >>> from pwverify.core.exact import exact
    >>> t.branch_at([exact(0)] * 4).value
    (a2, a3)
    """

    def __init__(self, n: int, rule: tuple, n_out: int, positions: tuple | None, descending: bool):
        self.n_args, self.n_out = n, n_out
        self.rule = rule
        self.positions, self.descending = positions, descending
        self.implicit = n > EXPLICIT_UP_TO
        orders.rule(rule[0], rule[1], **dict(rule[2]))   # refuses what is not modelled

    def indices(self, ranks: Sequence[int]) -> tuple[int, ...]:
        framework, op, params = self.rule
        return orders.indices(framework, op, self.n_args, lambda i, j: ranks[i] < ranks[j], **dict(params))

    def branch(self, ranks: Sequence[int]) -> Branch:
        a = ARGS[:self.n_args]
        blocks: dict[int, list[int]] = {}
        for i, r in enumerate(ranks):
            blocks.setdefault(r, []).append(i)
        where = []
        for r in sorted(blocks):
            first = blocks[r][0]
            where += [eq(a[first], a[i]) for i in blocks[r][1:]]
            if r + 1 in blocks:
                where.append(lt(a[first], a[blocks[r + 1][0]]))
        picked = self.indices(ranks)
        return Branch(tuple(where), tuple(a[i] for i in picked), "ties " + ",".join(map(str, ranks)),
                      tuple(ranks))

    def branches(self):
        listed = (self.branch(r) for r in weak_orders(self.n_args))
        return listed if self.implicit else tuple(listed)

    def count(self) -> int:
        return _fubini(self.n_args)

    def branch_at(self, values: Sequence) -> Branch:
        return self.branch(ranks_of(values))

    def at(self, values):
        """The indices the algorithm returns at these values (no symbolic branch)."""
        framework, op, params = self.rule
        less = lambda i, j: sign(values[i] - values[j]) < 0  # noqa: E731
        picked = orders.indices(framework, op, self.n_args, less, **dict(params))
        return permutation_local(picked, values)

    def numeric(self, args):
        """Without ties the indices are those of the sorted entries at ``positions``;
        rows with a tie replay the framework's algorithm (:meth:`at`) point by point."""
        from ..core.vectorised import NumericLocal, OneHot, per_point, size_of, stack
        from .registry import exact_float, float_of
        n = size_of(args)
        x = stack(args, n)
        perm = np.argsort(-x if self.descending else x, axis=1, kind="stable")
        ordered = np.take_along_axis(x, perm, axis=1)
        tied = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1) if x.shape[1] > 1 else np.zeros(len(x), bool)
        positions = self.positions
        if positions is None:
            positions = tuple(range(self.n_out))
            # no fixed positions (tf.math.top_k(sorted=False)): every row through the rule
            tied = np.ones(len(x), bool)
        index = perm[:, list(positions)].copy()
        values = np.take_along_axis(x, index, axis=1)
        values[np.isnan(x).any(axis=1)] = np.nan
        if tied.any():
            rows = np.nonzero(tied)[0]
            exact_local = per_point(self, [x[rows, i] for i in range(x.shape[1])], len(rows),
                                    exact_float, float_of)
            for j in range(self.n_out):
                values[rows, j] = exact_local.values[j]
                hot = np.zeros(len(rows), dtype=index.dtype)
                for i, entry in enumerate(exact_local.rows[j]):
                    if entry is not None:
                        hot[np.asarray(entry) != 0] = i
                index[rows, j] = hot
        cols = range(self.n_out)
        if n is None:
            return NumericLocal(tuple(values[0]), tuple(OneHot(index[:, j]) for j in cols))
        return NumericLocal(tuple(values[:, j] for j in cols), tuple(OneHot(index[:, j]) for j in cols))

    def encode_fast(self, Z, args, tangents):
        """Exact values (order statistics, which ties do not change), and exact tangents
        where no two entries tie; at ties the tangents are left free (fresh variables), so a
        proof holds whatever order the algorithm picks, and a counterexample is a candidate
        the pointwise engine (which replays the algorithm) confirms or rejects."""
        stats = SortTable(self.n_args, self.descending, "input")
        values, tans = stats.encode_fast(Z, args, tangents)
        pairs = [args[i] == args[j] for i, j in itertools.combinations(range(self.n_args), 2)]
        rows = [list(tans[p]) for p in self.positions]
        if pairs:
            rows = Z.abstract(self, Z.Or(pairs), rows, args, tangents)
        return [values[p] for p in self.positions], rows

    def exact_rows(self, ranks, tangents) -> list:
        """The tangents of the outputs on the tie pattern ``ranks``: the inputs picked."""
        return [list(tangents[i]) for i in self.indices(ranks)]

    def encode_choice(self, terms: Sequence, fresh):
        """The keys are the comparisons of every pair: they fix the tie pattern."""
        keys = {}
        for i, j in itertools.combinations(range(self.n_args), 2):
            keys[i, j] = (terms[i] < terms[j], terms[i] == terms[j])

        def decode(model):
            import z3
            truth = {k: tuple(z3.is_true(model.eval(t, model_completion=True)) for t in v) for k, v in keys.items()}

            def rank_cmp(i, j):
                if i == j:
                    return 0
                lt_, eq_ = truth[min(i, j), max(i, j)]
                if eq_:
                    return 0
                return (-1 if lt_ else 1) if i < j else (1 if lt_ else -1)
            order = sorted(range(self.n_args), key=functools.cmp_to_key(rank_cmp))
            ranks, current = [0] * self.n_args, 0
            for k in range(1, len(order)):
                if rank_cmp(order[k - 1], order[k]) < 0:
                    current += 1
                ranks[order[k]] = current
            return self.branch(ranks)
        return [], [t for pair in keys.values() for t in pair], decode


@functools.lru_cache(maxsize=None)
def _fubini(n: int) -> int:
    """The number of weak orders of n entries (1, 1, 3, 13, 75, 541, ...)."""
    counts = [1]
    for m in range(1, n + 1):
        counts.append(sum(math.comb(m, k) * counts[m - k] for k in range(1, m + 1)))
    return counts[n]


#: torch's default sort is an insertion sort (so stable) up to this many entries.
TORCH_INSERTION_SORT_UP_TO = 16


def sort_table(n: int, descending: bool = False, ties="input") -> PieceTable:
    """The sort of ``n`` entries. ``ties``: "input", "reversed", or ``(framework, op,
    params)`` for a tie order set by an algorithm (fixed where the algorithm is stable)."""
    if isinstance(ties, tuple):
        framework, op, params = ties
        p = dict(params)
        if framework == "torch" and op == "sort" and (p.get("stable") or n <= TORCH_INSERTION_SORT_UP_TO):
            return SortTable(n, descending, "input")
        return OrderTable(n, ties, n, tuple(range(n)), descending)
    return SortTable(n, descending, ties)


def _per_lane(b, value, dim, prim: str, params: tuple, n_out: int):
    """Apply an n-ary primitive with ``n_out`` outputs to every lane along ``dim``."""
    arr = b.to_array(value)
    if arr.ndim == 0:
        b.fail("this operation needs a tensor with at least one dimension")
    d = int(dim) % arr.ndim
    outer, lanes = arr.lanes(d)
    shape = arr.shape[:d] + (n_out,) + arr.shape[d + 1:]
    strides = [math.prod(shape[i + 1:]) for i in range(len(shape))]
    items = [None] * math.prod(shape)
    for index, lane in zip(itertools.product(*[range(n) for n in outer]), lanes):
        results = b.apply_multi(prim, list(lane), params)
        for k, v in enumerate(results):
            full = index[:d] + (k,) + index[d:]
            items[sum(i * st for i, st in zip(full, strides))] = v
    return arr.with_items(items, shape)


def _sort(descending_key: str = "descending", ties_for_descending: str = "input", result: str = "array",
          algorithm: str | None = None):
    """``result``: "array", "indexed" (torch's (values, indices)) or "list" (sorted()).
    ``algorithm``: the framework whose default sort orders ties by its algorithm."""
    def build(b, bd):
        descending = bool(bd.get(descending_key))
        if bd.get("direction") is not None:
            descending = str(bd["direction"]).upper() == "DESCENDING"
        if bd.get("key") is not None:
            b.fail("sorted() with key= is not supported", "sorted(values) or sorted(values, reverse=True)")
        ties = ties_for_descending if descending else "input"
        if algorithm == "torch":
            ties = ("torch", "sort", (("stable", bool(bd.get("stable"))), ("descending", descending)))
        elif algorithm == "jax" and bd.get("stable") is False:
            ties = ("jax", "sort", (("stable", False), ("descending", descending)))
        if "dim" in bd and bd["dim"] is None:    # numpy's and jax's axis=None: the flattened entries
            arr = b.to_array(bd["input"])
            bd = {**bd, "input": arr.reshape((arr.size,)), "dim": -1}
        if result == "list":    # sorted(): Python orders existing objects, computes nothing
            entries = b.iterate(bd["input"])
            with b.python_level():
                items = b.scalars_of_each(entries)
                if len(items) < 2:
                    return items
                return [b.apply("sorted_python", items, (k, descending)) for k in range(len(items))]
        values = b.sort(bd["input"], bd.get("dim", -1), descending, ties)
        if result == "indexed":
            return b.indexed_result(values, "torch.sort")
        return values
    return build


def _numpy_sort_on_torch(b, bd):
    """``np.sort`` read under torch: the values of ``torch.sort`` (stable for
    ``kind='stable'``/``'mergesort'`` or ``stable=True``); ``axis=None`` sorts the flattened
    entries, as numpy does."""
    if bd.get("order") is not None:
        b.fail("np.sort with order= (structured arrays) is not supported", "np.sort(x, axis)")
    bound = dict(bd)
    bound["stable"] = bool(bd.get("stable")) or bd.get("kind") in ("stable", "mergesort")
    return _sort(algorithm="torch")(b, bound)


def _topk(what: str, largest_key: str | None = "largest", algorithm: str | None = None):
    """The k largest (or smallest) entries along ``dim``: lower index first (jax, tensorflow),
    or as torch's nth_element/partial_sort leaves them (``algorithm="torch"``)."""
    def build(b, bd):
        k = bd["k"]
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            b.fail(f"{what}: k must be a positive constant integer", f"{what}(x, 2)")
        largest = True if largest_key is None else bool(bd[largest_key])
        ordered_output = bd.get("sorted") is not False
        arr = b.to_array(bd["input"])
        dim = bd.get("dim", -1)
        if arr.ndim == 0 or k > arr.shape[int(dim)]:
            b.fail(f"{what}: k = {k} is larger than the dimension", "k <= the length along dim")
        if algorithm == "torch":
            rule = ("torch", "topk", (("k", k), ("largest", largest), ("sorted", ordered_output)))
            top = _per_lane(b, arr, dim, "order", (rule, k, tuple(range(k)) if ordered_output else None, largest), k)
            return b.indexed_result(top, what)
        if not ordered_output:
            if what.startswith("tensorflow"):
                rule = ("tensorflow", "top_k", (("k", k), ("sorted", False)))
                top = _per_lane(b, arr, dim, "order", (rule, k, None, True), k)
                return b.indexed_result(top, what)
            b.fail(f"{what} with sorted=False is not modelled", "sorted=True")
        ordered = b.sort(arr, dim, largest, "input")
        d = int(dim) % arr.ndim
        top = ordered.index((slice(None),) * d + (slice(0, k),))
        return b.indexed_result(top, what)
    return build


def _kthvalue(b, bd):
    """``torch.kthvalue``: the k-th smallest, at the index torch's quickselect returns."""
    k = bd["k"]
    arr = b.to_array(bd["input"])
    dim = bd.get("dim", -1)
    n = arr.shape[int(dim)] if arr.ndim else 0
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= n:
        b.fail("torch.kthvalue: k must be a constant between 1 and the length along dim", "torch.kthvalue(x, 2)")
    rule = ("torch", "kthvalue", (("k", k),))
    out = _per_lane(b, arr, dim, "order", (rule, 1, (k - 1,), False), 1)
    if not bd.get("keepdim"):
        d = int(dim) % arr.ndim
        out = out.with_items(out.items, out.shape[:d] + out.shape[d + 1:])
    return b.indexed_result(out, "torch.kthvalue")


def _median_dim(b, bd):
    """``torch.median(x, dim)``: position (n-1)//2 of the stable ascending sort."""
    arr = b.to_array(bd["input"])
    dim = bd["dim"]
    d = int(dim) % arr.ndim
    n = arr.shape[d]
    ordered = b.sort(arr, dim, False, "input")
    out = ordered.index((slice(None),) * d + (slice((n - 1) // 2, (n - 1) // 2 + 1),))
    if not bd.get("keepdim"):
        out = out.with_items(out.items, out.shape[:d] + out.shape[d + 1:])
    return b.indexed_result(out, "torch.median")


register(Primitive(
    "sort", sort_table,
    "Sort n entries (params: descending, ties); outputs in sorted order. Ties keep input "
    "order, except jnp.sort(descending=True), which reverses them (docs/reference/frameworks-measured.md §5, §8.7).",
    arity=None,
    calls=[
        Call("torch.sort", "torch", Signature.parse("input, dim=-1, descending=False, stable=False"),
             _sort(result="indexed", algorithm="torch")),
        Call("torch.Tensor.sort", "torch",
             Signature.parse("input, dim=-1, descending=False, stable=False"),
             _sort(result="indexed", algorithm="torch")),
        Call("torch.msort", "torch", Signature.parse("input, dim=0"), _sort(algorithm="torch")),
        Call("jax.numpy.sort", "jax",
             Signature.parse("a:input, axis:dim=-1, kind=None, order=None, stable=True, descending=False"),
             _sort(ties_for_descending="reversed", algorithm="jax")),
        Call("tensorflow.sort", "tensorflow",
             Signature.parse("values:input, axis:dim=-1, direction='ASCENDING', name=None"), _sort()),
        Call("numpy_on_torch.sort", "torch", Signature.parse("a:input, axis:dim=-1, kind=None, order=None, stable=None"),
             _numpy_sort_on_torch),
        Call("builtins.sorted", None, Signature.parse("input, key=None, reverse=False"),
             _sort("reverse", result="list")),
        Call("torch.topk", "torch",
             Signature.parse("input, k, dim=-1, largest=True, sorted=True"), _topk("torch.topk", algorithm="torch")),
        Call("torch.Tensor.topk", "torch",
             Signature.parse("input, k, dim=-1, largest=True, sorted=True"), _topk("torch.topk", algorithm="torch")),
        Call("jax.lax.top_k", "jax", Signature.parse("operand:input, k, axis:dim=-1"), _topk("jax.lax.top_k", None)),
        Call("tensorflow.math.top_k", "tensorflow",
             Signature.parse("input, k=1, sorted=True, index_type=None, name=None"),
             _topk("tensorflow.math.top_k", None)),
        Call("tensorflow.nn.top_k", "tensorflow",
             Signature.parse("input, k=1, sorted=True, index_type=None, name=None"),
             _topk("tensorflow.nn.top_k", None)),
    ],
    measured=("torch 2.13.0, jax 0.10.2, tensorflow 2.21.0 (docs/reference/frameworks-measured.md §5)",)))

register(Primitive(
    "sorted_python", lambda n, position, descending: SortedPositionTable(n, position, descending),
    "Position k of Python's sorted() of n numbers (params: position, descending): the entry that "
    "sorts there, ties in input order; the other entries have no autodiff edge to it.",
    arity=None, calls=[]))

register(Primitive(
    "order", lambda n, rule, n_out, positions, descending: OrderTable(n, rule, n_out, positions, descending),
    "Outputs at the indices a framework's algorithm returns at ties (params: rule, n_out, positions, "
    "descending): torch's default sort from 17 entries, topk, kthvalue; jnp.sort(stable=False); "
    "tf.math.top_k(sorted=False) (pwverify/primitives/orders.py; docs/reference/measured-orders.json).",
    arity=None,
    calls=[Call("torch.kthvalue", "torch", Signature.parse("input, k, dim=-1, keepdim=False"), _kthvalue),
           Call("torch.Tensor.kthvalue", "torch", Signature.parse("input, k, dim=-1, keepdim=False"), _kthvalue)],
    measured=("torch 2.13.0, jax 0.10.2, tensorflow 2.21.0: every weak order up to n = 5 and many larger "
              "sizes (docs/reference/measured-orders.json)",)))

