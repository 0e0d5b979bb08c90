"""Which input index each sort, top-k or selection op returns at ties, per framework.

(One module of about 900 lines: each framework's tie-order algorithm is replayed step by
step as its source does it, introsort, nth_element, partial_sort, the XLA and TensorFlow
sorts; the steps of one algorithm read best together.)

At a tie the autodiff gradient of ``sort``, ``topk``, ``kthvalue``, ``median(dim)`` or
``mode`` is a one-hot on the index the op returns, so the tie order must be known
exactly. It is not always "ties keep input order": torch's default sort is libstdc++
``std::sort`` (introsort), which keeps input order only up to 16 entries, and its top-k
is ``std::nth_element`` or ``std::partial_sort``. This module replays each framework's
algorithm on the comparison outcomes alone, so it can be driven by exact values.

API
---
Every op function takes ``n`` (the entries are the input indices ``0 .. n-1``) and
``less(i, j) -> bool``, true when entry ``i`` is strictly less than entry ``j`` (exact;
``i`` and ``j`` are tied when neither ``less(i, j)`` nor ``less(j, i)``). ``less`` must
be a strict weak order (NaN is outside the model). Where the result depends on the
algorithm (introsort, introselect, heap select, quickselect, tensorflow's TopN heap),
``less`` is called exactly once per comparison the framework makes; where the pattern
alone fixes the result (a stable sort, a first-index scan, a stable top-k), at most
``n·⌈log2 n⌉`` times.

- ``torch_sort``, ``torch_argsort``, ``torch_msort``, ``jax_sort``, ``jax_argsort``,
  ``tf_sort``, ``tf_argsort``: the permutation ``p`` (output ``k`` is input ``p[k]``).
- ``torch_topk``, ``jax_top_k``, ``tf_top_k``: the ``k`` selected indices in output order.
- ``jax_partition``: the input index of each output (``n`` of them; not a permutation at
  ties); ``jax_argpartition``: its permutation.
- ``torch_kthvalue``, ``torch_median_dim``, ``torch_mode``, ``torch_max_dim``,
  ``torch_min_dim``, ``torch_argmax``, ``torch_argmin``: the one returned index.
- ``torch_median_all``: the entries equal to the lower median (``torch.median(x)``
  without ``dim`` splits its gradient evenly over them).
- ``indices(framework, op, n, less, **params)``: any of these by name, always a tuple;
  raises :class:`OrderNotModelled` for a combination that is not modelled exactly.
- ``ORDERS``: one :class:`OrderRule` row per (framework, op, parameters): rule, sizes,
  source and measurement; ``NOT_MODELLED``: what is refused, and why.
- ``less_from_values(values)``: a ``less`` on a list of exact values (for tests).

Examples (``z`` ties everything):

>>> z = lambda i, j: False
>>> torch_sort(4, z)                    # insertion sort up to 16 entries: input order
(0, 1, 2, 3)
>>> torch_sort(17, z)[:4]               # introsort from 17 entries on
(8, 16, 15, 14)
>>> torch_topk(4, 2, z)                 # nth_element: the last two, not the first two
(2, 3)
>>> jax_sort(3, z, descending=True)     # stable ascending sort, reversed
(2, 1, 0)

Notes (measured):

- torch runs the same kernels for every floating dtype and every CPU capability
  (``ATEN_CPU_CAPABILITY`` default, avx2, avx512); x86-simd-sort is not used. A dim of
  stride 0 (an expanded tensor) is returned as is, indices ``0..n-1``; its entries are
  one input entry, so no gradient changes.
- Only the pattern matters (other values of the same order give the same indices), with
  one exception: jax's ``lax.top_k`` (and ``partition``/``argpartition``, built on it)
  orders -0.0 below +0.0; ``jnp.sort``/``argsort`` treat them as tied.

The measured facts are in ``docs/reference/measured-orders.json``; re-run the comparison
with ``python benchmarks/measure_orders.py`` (torch 2.13.0, jax 0.10.2, tensorflow 2.21.0).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Sequence

from ..core.errors import UnsupportedError

Less = Callable[[int, int], bool]

__all__ = ["Less", "OrderRule", "OrderNotModelled", "ORDERS", "NOT_MODELLED", "indices", "rule",
           "less_from_values",
           "torch_sort", "torch_argsort", "torch_msort", "torch_topk", "torch_kthvalue",
           "torch_median_dim", "torch_median_all", "torch_mode", "torch_max_dim", "torch_min_dim",
           "torch_argmax", "torch_argmin",
           "jax_sort", "jax_argsort", "jax_top_k", "jax_partition", "jax_argpartition",
           "tf_sort", "tf_argsort", "tf_top_k",
           "std_sort", "std_nth_element", "std_partial_sort", "stable_sort"]


class OrderNotModelled(UnsupportedError):
    """The tie order of this op (or these parameters) is not modelled exactly."""


def less_from_values(values: Sequence) -> Less:
    """``less`` on exact values (ints, Fractions, ...).

    >>> less_from_values([Fraction(1, 2), 0])(1, 0)
    True
    """
    return lambda i, j: values[i] < values[j]


# --------------------------------------------------------------------------------------
# libstdc++ (GCC 12/13 <bits/stl_algo.h>, <bits/stl_heap.h>) on a list of input indices.
# ``comp(a, b)`` is the C++ comparator applied to the entries a and b. Every comparison
# the C++ code makes is one call; positions and moves follow the C++ code line by line.

_THRESHOLD = 16  # _S_threshold


def _lg(n: int) -> int:
    return n.bit_length() - 1


def _half(x: int) -> int:
    """C++ ``x / 2`` for a possibly negative int (truncation)."""
    return -((-x) // 2) if x < 0 else x // 2


def _push_heap(a: list, f: int, hole: int, top: int, value: int, comp) -> None:
    parent = _half(hole - 1)
    while hole > top and comp(a[f + parent], value):
        a[f + hole] = a[f + parent]
        hole = parent
        parent = _half(hole - 1)
    a[f + hole] = value


def _adjust_heap(a: list, f: int, hole: int, length: int, value: int, comp) -> None:
    top = hole
    second = hole
    while second < _half(length - 1):
        second = 2 * (second + 1)
        if comp(a[f + second], a[f + second - 1]):
            second -= 1
        a[f + hole] = a[f + second]
        hole = second
    if (length & 1) == 0 and second == _half(length - 2):
        second = 2 * (second + 1)
        a[f + hole] = a[f + second - 1]
        hole = second - 1
    _push_heap(a, f, hole, top, value, comp)


def _pop_heap(a: list, f: int, last: int, result: int, comp) -> None:
    value = a[result]
    a[result] = a[f]
    _adjust_heap(a, f, 0, last - f, value, comp)


def _make_heap(a: list, f: int, last: int, comp) -> None:
    length = last - f
    if length < 2:
        return
    parent = (length - 2) // 2
    while True:
        _adjust_heap(a, f, parent, length, a[f + parent], comp)
        if parent == 0:
            return
        parent -= 1


def _sort_heap(a: list, f: int, last: int, comp) -> None:
    while last - f > 1:
        last -= 1
        _pop_heap(a, f, last, last, comp)


def _heap_select(a: list, f: int, middle: int, last: int, comp) -> None:
    _make_heap(a, f, middle, comp)
    for i in range(middle, last):
        if comp(a[i], a[f]):
            _pop_heap(a, f, middle, i, comp)


def _std_push_heap(a: list, f: int, last: int, comp) -> None:
    """``std::push_heap(first, last, comp)``."""
    _push_heap(a, f, last - f - 1, 0, a[last - 1], comp)


def _std_pop_heap(a: list, f: int, last: int, comp) -> None:
    """``std::pop_heap(first, last, comp)``."""
    if last - f > 1:
        _pop_heap(a, f, last - 1, last - 1, comp)


def _unguarded_linear_insert(a: list, last: int, comp) -> None:
    value = a[last]
    nxt = last - 1
    while comp(value, a[nxt]):
        a[last] = a[nxt]
        last = nxt
        nxt -= 1
        if nxt < 0:
            raise ValueError("less is not a strict weak order")
    a[last] = value


def _insertion_sort(a: list, f: int, last: int, comp) -> None:
    if f == last:
        return
    for i in range(f + 1, last):
        if comp(a[i], a[f]):
            a[f + 1:i + 1], a[f] = a[f:i], a[i]
        else:
            _unguarded_linear_insert(a, i, comp)


def _final_insertion_sort(a: list, f: int, last: int, comp) -> None:
    if last - f > _THRESHOLD:
        _insertion_sort(a, f, f + _THRESHOLD, comp)
        for i in range(f + _THRESHOLD, last):
            _unguarded_linear_insert(a, i, comp)
    else:
        _insertion_sort(a, f, last, comp)


def _move_median_to_first(a: list, result: int, x: int, y: int, z: int, comp) -> None:
    if comp(a[x], a[y]):
        if comp(a[y], a[z]):
            m = y
        elif comp(a[x], a[z]):
            m = z
        else:
            m = x
    elif comp(a[x], a[z]):
        m = x
    elif comp(a[y], a[z]):
        m = z
    else:
        m = y
    a[result], a[m] = a[m], a[result]


def _unguarded_partition(a: list, f: int, last: int, pivot: int, comp) -> int:
    while True:
        while comp(a[f], a[pivot]):
            f += 1
        last -= 1
        while comp(a[pivot], a[last]):
            last -= 1
        if not f < last:
            return f
        a[f], a[last] = a[last], a[f]
        f += 1


def _unguarded_partition_pivot(a: list, f: int, last: int, comp) -> int:
    mid = f + (last - f) // 2
    _move_median_to_first(a, f, f + 1, mid, last - 1, comp)
    return _unguarded_partition(a, f + 1, last, f, comp)


def _introsort_loop(a: list, f: int, last: int, depth: int, comp) -> None:
    while last - f > _THRESHOLD:
        if depth == 0:
            _heap_select(a, f, last, last, comp)  # std::__partial_sort(f, last, last)
            _sort_heap(a, f, last, comp)
            return
        depth -= 1
        cut = _unguarded_partition_pivot(a, f, last, comp)
        _introsort_loop(a, cut, last, depth, comp)
        last = cut


def _sort_range(a: list, f: int, last: int, comp) -> None:
    if f != last:
        _introsort_loop(a, f, last, _lg(last - f) * 2, comp)
        _final_insertion_sort(a, f, last, comp)


def _nth_element_range(a: list, f: int, nth: int, last: int, comp) -> None:
    if f == last or nth == last:
        return
    depth = _lg(last - f) * 2
    while last - f > 3:
        if depth == 0:
            _heap_select(a, f, nth + 1, last, comp)
            a[f], a[nth] = a[nth], a[f]
            return
        depth -= 1
        cut = _unguarded_partition_pivot(a, f, last, comp)
        if cut <= nth:
            f = cut
        else:
            last = cut
    _insertion_sort(a, f, last, comp)


def std_sort(n: int, comp: Less) -> list[int]:
    """libstdc++ ``std::sort`` of the entries ``0..n-1`` under ``comp``: the final array.

    >>> std_sort(3, less_from_values([2, 0, 1]))
    [1, 2, 0]
    """
    a = list(range(n))
    _sort_range(a, 0, n, comp)
    return a


def std_nth_element(n: int, nth: int, comp: Less) -> list[int]:
    """libstdc++ ``std::nth_element(begin, begin + nth, end, comp)``: the final array.

    >>> std_nth_element(4, 1, lambda i, j: False)
    [2, 3, 0, 1]
    """
    a = list(range(n))
    _nth_element_range(a, 0, nth, n, comp)
    return a


def std_partial_sort(n: int, middle: int, comp: Less) -> list[int]:
    """libstdc++ ``std::partial_sort(begin, begin + middle, end, comp)``: the final array.

    >>> std_partial_sort(5, 2, lambda i, j: False)
    [0, 1, 2, 3, 4]
    """
    a = list(range(n))
    _heap_select(a, 0, middle, n, comp)
    _sort_heap(a, 0, middle, comp)
    return a


def stable_sort(n: int, comp: Less) -> list[int]:
    """The stable sort of ``0..n-1`` under ``comp`` (merge sort, ≤ n·⌈log2 n⌉ calls).

    >>> stable_sort(4, less_from_values([1, 0, 1, 0]))
    [1, 3, 0, 2]
    """
    a = list(range(n))
    width = 1
    while width < n:
        out = []
        for lo in range(0, n, 2 * width):
            left, right = a[lo:lo + width], a[lo + width:lo + 2 * width]
            i = j = 0
            while i < len(left) and j < len(right):
                if comp(right[j], left[i]):
                    out.append(right[j])
                    j += 1
                else:
                    out.append(left[i])
                    i += 1
            out.extend(left[i:])
            out.extend(right[j:])
        a = out
        width *= 2
    return a


def _stable_top(n: int, k: int, comp: Less) -> list[int]:
    """The first k entries of the stable sort under ``comp`` (binary insertion)."""
    top: list[int] = []
    if k == 0:
        return top
    for c in range(n):
        if len(top) == k and not comp(c, top[-1]):
            continue
        lo, hi = 0, len(top) - (len(top) == k)
        while lo < hi:  # first position whose entry c goes strictly before
            mid = (lo + hi) // 2
            if comp(c, top[mid]):
                hi = mid
            else:
                lo = mid + 1
        top.insert(lo, c)
        del top[k:]
    return top


def _greater(less: Less) -> Less:
    return lambda i, j: less(j, i)


def _first_extreme(n: int, better: Less) -> int:
    best = 0
    for i in range(1, n):
        if better(i, best):
            best = i
    return best


# --------------------------------------------------------------------------------------
# torch 2.13.0, CPU

def torch_sort(n: int, less: Less, *, descending: bool = False, stable: bool = False) -> tuple[int, ...]:
    """``torch.sort(x, descending=, stable=).indices`` on CPU.

    ``stable=False`` (the default) is libstdc++ ``std::sort`` on (value, index) pairs
    comparing values only (``aten/src/ATen/native/cpu/SortingKernel.cpp``,
    ``sort_kernel_impl``): input order up to 16 entries, introsort beyond. Descending
    compares with ``>``. ``stable=True`` is ``std::stable_sort``: input order.

    >>> z = lambda i, j: False
    >>> torch_sort(20, z)[:3], torch_sort(20, z, stable=True)[:3]
    ((10, 19, 18), (0, 1, 2))
    """
    comp = _greater(less) if descending else less
    return tuple(stable_sort(n, comp) if stable else std_sort(n, comp))


def torch_argsort(n: int, less: Less, *, descending: bool = False, stable: bool = False) -> tuple[int, ...]:
    """``torch.argsort``: the indices of :func:`torch_sort` (same kernel)."""
    return torch_sort(n, less, descending=descending, stable=stable)


def torch_msort(n: int, less: Less) -> tuple[int, ...]:
    """``torch.msort(x)``: ``torch.sort(x, dim=0)``, unstable."""
    return torch_sort(n, less)


def torch_topk(n: int, k: int, less: Less, *, largest: bool = True, sorted: bool = True) -> tuple[int, ...]:
    """``torch.topk(x, k, largest=, sorted=).indices`` on CPU.

    ``aten/src/ATen/native/TopKImpl.h``, ``topk_impl_loop``: if ``64·k <= n``,
    ``std::partial_sort`` of the first k; otherwise ``std::nth_element`` at ``k-1``,
    then, if sorted, ``std::sort`` of the first ``k-1`` (the k-th is already in place).

    >>> z = lambda i, j: False
    >>> torch_topk(4, 2, z), torch_topk(127, 2, z), torch_topk(128, 2, z)
    ((2, 3), (85, 84), (0, 1))
    """
    if not 0 <= k <= n:
        raise ValueError(f"k = {k} out of range for n = {n}")
    if k == 0:
        return ()
    comp = _greater(less) if largest else less
    a = list(range(n))
    if k * 64 <= n:
        _heap_select(a, 0, k, n, comp)
        _sort_heap(a, 0, k, comp)
    else:
        _nth_element_range(a, 0, k - 1, n, comp)
        if sorted:
            _sort_range(a, 0, k - 1, comp)
    return tuple(a[:k])


def torch_kthvalue(n: int, k: int, less: Less) -> int:
    """``torch.kthvalue(x, k).indices`` on CPU (k counts from 1).

    ``aten/src/ATen/native/Sorting.cpp``, ``quick_select_template`` (Sedgewick's
    median-of-three quickselect, comparing with ``>``).

    >>> z = lambda i, j: False
    >>> [torch_kthvalue(5, k, z) for k in range(1, 6)]
    [3, 2, 0, 1, 4]
    """
    if not 1 <= k <= n:
        raise ValueError(f"k = {k} out of range for n = {n}")
    gt = _greater(less)
    a = list(range(n))
    kk = k - 1
    lo, hi = 0, n - 1
    while True:
        if hi <= lo:
            break
        if hi == lo + 1:
            if gt(a[lo], a[hi]):
                a[lo], a[hi] = a[hi], a[lo]
            break
        p = (lo + hi) >> 1
        a[p], a[lo + 1] = a[lo + 1], a[p]
        if gt(a[lo + 1], a[hi]):
            a[lo + 1], a[hi] = a[hi], a[lo + 1]
        if gt(a[lo], a[hi]):
            a[lo], a[hi] = a[hi], a[lo]
        if gt(a[lo + 1], a[lo]):
            a[lo + 1], a[lo] = a[lo], a[lo + 1]
        i, j, piv = lo + 1, hi, a[lo]
        while True:
            i += 1
            while gt(piv, a[i]):
                i += 1
            j -= 1
            while gt(a[j], piv):
                j -= 1
            if j < i:
                break
            a[i], a[j] = a[j], a[i]
        a[lo], a[j] = a[j], a[lo]
        if j <= kk:
            lo = i
        if j >= kk:
            hi = j - 1
    return a[kk]


def _by_value_then_index(less: Less) -> Less:
    """``x[i] < x[j] || (x[i] == x[j] && i < j)`` with one ``less`` call."""
    return lambda i, j: (not less(j, i)) if i < j else less(i, j)


def torch_median_dim(n: int, less: Less) -> int:
    """``torch.median(x, dim).indices`` (and ``nanmedian`` without NaN) on CPU.

    ``Sorting.cpp``, ``median_with_indices_impl``: ``std::nth_element`` at ``(n-1)//2``
    under "value, then index", a strict total order, so the result is the entry at
    position ``(n-1)//2`` of the stable ascending sort.

    >>> torch_median_dim(4, lambda i, j: False), torch_median_dim(4, less_from_values([3, 1, 3, 3]))
    (1, 0)
    """
    a = list(range(n))
    _nth_element_range(a, 0, (n - 1) // 2, n, _by_value_then_index(less))
    return a[(n - 1) // 2]


def torch_median_all(n: int, less: Less) -> tuple[int, ...]:
    """``torch.median(x)`` without ``dim``: the entries equal to the lower median.

    The value is ``std::nth_element`` at ``(n-1)//2``; the backward
    (``evenly_distribute_backward``) splits the gradient evenly over these entries.

    >>> torch_median_all(5, less_from_values([1, 2, 2, 2, 3]))
    (1, 2, 3)
    """
    a = list(range(n))
    _nth_element_range(a, 0, (n - 1) // 2, n, less)
    m = a[(n - 1) // 2]
    return tuple(i for i in range(n) if i == m or not (less(i, m) or less(m, i)))


def torch_mode(n: int, less: Less) -> int:
    """``torch.mode(x).indices`` on CPU.

    ``aten/src/ATen/native/cpu/TensorCompareKernel.cpp``, ``mode_kernel_impl``:
    ``std::sort`` of (value, index) pairs by value, then a scan that keeps, for the
    first (smallest) most frequent value, the index at the END of its run in the
    sorted array: the last index of the mode up to 16 entries, the introsort's choice
    beyond.

    >>> torch_mode(4, less_from_values([2, 2, 1, 1])), torch_mode(17, lambda i, j: False)
    (3, 1)
    """
    a = std_sort(n, less)
    best, best_freq, freq = 0, 0, 0
    for i in range(n):
        freq += 1
        if i == n - 1 or less(a[i], a[i + 1]):
            if freq > best_freq:
                best, best_freq = a[i], freq
            freq = 0
    return best


def torch_max_dim(n: int, less: Less) -> int:
    """``torch.max(x, dim).indices``: the first index of the maximum.

    >>> torch_max_dim(4, less_from_values([1, 3, 3, 2]))
    1
    """
    return _first_extreme(n, _greater(less))


def torch_min_dim(n: int, less: Less) -> int:
    """``torch.min(x, dim).indices``: the first index of the minimum."""
    return _first_extreme(n, less)


def torch_argmax(n: int, less: Less) -> int:
    """``torch.argmax(x)``: the first index of the maximum."""
    return _first_extreme(n, _greater(less))


def torch_argmin(n: int, less: Less) -> int:
    """``torch.argmin(x)``: the first index of the minimum."""
    return _first_extreme(n, less)


# --------------------------------------------------------------------------------------
# jax 0.10.2 (XLA CPU)

def jax_sort(n: int, less: Less, *, descending: bool = False, stable: bool = True) -> tuple[int, ...]:
    """``jnp.sort(x, stable=, descending=)``: the input index of each output.

    ``jax/_src/numpy/sorting.py``, ``sort``: ``lax.sort`` ascending (XLA CPU: a stable
    sort, or libstdc++ ``std::sort`` when ``stable=False``), then ``lax.rev`` if
    descending, which puts tied entries in reverse input order.

    >>> z = lambda i, j: False
    >>> jax_sort(3, z), jax_sort(3, z, descending=True), jax_sort(17, z, stable=False)[:2]
    ((0, 1, 2), (2, 1, 0), (8, 16))
    """
    p = stable_sort(n, less) if stable else std_sort(n, less)
    return tuple(reversed(p)) if descending else tuple(p)


def jax_argsort(n: int, less: Less, *, descending: bool = False, stable: bool = True) -> tuple[int, ...]:
    """``jnp.argsort(x, stable=, descending=)``.

    ``sorting.py``, ``argsort``: a stable descending argsort reverses the array, sorts
    ascending and reverses the result, so ties keep input order; an unstable one is
    ``std::sort`` ascending, reversed if descending.

    >>> z = lambda i, j: False
    >>> jax_argsort(3, z, descending=True), jax_argsort(3, z, descending=True, stable=False)
    ((0, 1, 2), (2, 1, 0))
    """
    if not stable:
        p = std_sort(n, less)
        return tuple(reversed(p)) if descending else tuple(p)
    if descending:
        return tuple(stable_sort(n, lambda i, j: less(j, i)))
    return tuple(stable_sort(n, less))


def jax_top_k(n: int, k: int, less: Less) -> tuple[int, ...]:
    """``lax.top_k(x, k)[1]``: the k largest, ties by lower index first.

    >>> jax_top_k(4, 2, less_from_values([1, 3, 3, 2]))
    (1, 2)
    """
    if not 0 <= k <= n:
        raise ValueError(f"k = {k} out of range for n = {n}")
    return tuple(_stable_top(n, k, _greater(less)))


def jax_partition(n: int, kth: int, less: Less) -> tuple[int, ...]:
    """``jnp.partition(x, kth)``: the input index each output entry is gathered from.

    ``sorting.py``, ``partition``: ``-top_k(-x, kth+1)`` followed by
    ``top_k(x, n-kth-1)``, so at ties an entry can appear twice and another not at all.

    >>> jax_partition(3, 1, lambda i, j: False)
    (0, 1, 0)
    """
    if not 0 <= kth < n:
        raise ValueError(f"kth = {kth} out of range for n = {n}")
    bottom = _stable_top(n, kth + 1, less)
    top = _stable_top(n, n - kth - 1, _greater(less))
    return tuple(bottom + top)


def jax_argpartition(n: int, kth: int, less: Less) -> tuple[int, ...]:
    """``jnp.argpartition(x, kth)``: ``top_k(-x, kth+1)`` indices, then the others in
    increasing index order.

    >>> jax_argpartition(4, 1, less_from_values([5, 1, 0, 3]))
    (2, 1, 0, 3)
    """
    if not 0 <= kth < n:
        raise ValueError(f"kth = {kth} out of range for n = {n}")
    bottom = _stable_top(n, kth + 1, less)
    chosen = set(bottom)
    return tuple(bottom + [i for i in range(n) if i not in chosen])


# --------------------------------------------------------------------------------------
# tensorflow 2.21.0, CPU

def _tf_stable_greater(less: Less) -> Less:
    """``topk_op.cc`` ``stable_comp(a, b)``: ``x[b] < x[a]``, ties by lower index first."""
    return lambda a, b: (not less(a, b)) if a < b else less(b, a)


def tf_top_k(n: int, k: int, less: Less, *, sorted: bool = True) -> tuple[int, ...]:
    """``tf.math.top_k(x, k, sorted=).indices`` on CPU.

    ``tensorflow/core/kernels/topk_op.cc``, ``TopKFunctor<CPUDevice>``: k = 1 is the
    first index of the maximum; k = n a sort with tied runs put in index order; otherwise
    a ``gtl::TopN`` heap under "value, then lower index" (``tensorflow/core/lib/gtl/top_n.h``
    as shipped with 2.21: a heap of k entries, pop then push on each admission). So sorted
    output is the k largest, ties by lower index first; ``sorted=False`` returns the heap's
    array.

    >>> z = lambda i, j: False
    >>> tf_top_k(4, 2, z), tf_top_k(6, 3, z, sorted=False)
    ((0, 1), (2, 1, 0))
    """
    if not 0 <= k <= n:
        raise ValueError(f"k = {k} out of range for n = {n}")
    if k == 0:
        return ()
    gt = _greater(less)
    if k == 1:
        return (_first_extreme(n, gt),)
    if k == n:
        return tuple(stable_sort(n, gt))
    cmp = _tf_stable_greater(less)
    el: list[int] = []
    heap = False
    for c in range(n):  # gtl::TopN::PushInternal (tensorflow/core/lib/gtl/top_n.h of 2.21)
        if not heap:
            el.append(c)
            if len(el) == k + 1:
                _make_heap(el, 0, k + 1, cmp)
                _std_pop_heap(el, 0, k + 1, cmp)
                el.pop()
                heap = True
        elif cmp(c, el[0]):
            _std_pop_heap(el, 0, k, cmp)
            el[-1] = c
            _std_push_heap(el, 0, k, cmp)
    if not sorted:
        return tuple(el)
    if heap:  # TopN::Extract
        _sort_heap(el, 0, k, cmp)
    else:
        _sort_range(el, 0, k, cmp)
    return tuple(el)


def tf_sort(n: int, less: Less, *, descending: bool = False) -> tuple[int, ...]:
    """``tf.sort(x, direction=)``: ``top_k(x, n)``, or ``-top_k(-x, n)`` ascending;
    ties keep input order either way.

    >>> tf_sort(4, less_from_values([1, 3, 3, 2]), descending=True)
    (1, 2, 3, 0)
    """
    if descending:
        return tf_top_k(n, n, less) if n else ()
    return tf_top_k(n, n, _greater(less)) if n else ()


def tf_argsort(n: int, less: Less, *, descending: bool = False) -> tuple[int, ...]:
    """``tf.argsort(x, direction=, stable=)``: the indices of :func:`tf_sort` (the
    ``stable`` flag changes nothing: the sort is always stable)."""
    return tf_sort(n, less, descending=descending)


# --------------------------------------------------------------------------------------
# The table

@dataclass(frozen=True)
class OrderRule:
    """One row of :data:`ORDERS` (or of :data:`NOT_MODELLED`).

    ``params``: ``(key, value, default)`` triples; the row applies when
    ``params.get(key, default) == value`` for each (no triple for a key: any value).
    ``function``: the emulation in this module. ``rule``: the rule or algorithm.
    ``n_max``: the largest size measured (the emulation replays the algorithm, so it holds
    for every n; the measurement is the evidence). ``result``: "permutation", "selection"
    (k indices in output order), "index", "gather" (an input index per output, repeats
    possible) or "tied set" (the entries sharing an evenly split gradient).
    """

    framework: str
    op: str
    params: tuple = ()
    function: str = ""
    rule: str = ""
    n_max: int = 0
    source: str = ""
    measured: str = ""
    result: str = "permutation"
    exact: bool = True
    reason: str = ""

    def matches(self, framework: str, op: str, params: dict) -> bool:
        if self.framework not in (framework, "*") or self.op not in (op, "*"):
            return False
        return all(params.get(k, d) == v for k, v, d in self.params)


_T213 = ("torch 2.13.0 CPU float64 (the same with ATEN_CPU_CAPABILITY=default, avx2, avx512): "
         "every weak order up to n = 5, then n = 6..65, 100, 127..129, 200, 256, 257, 500, 1000, 2000; 0 mismatches")
_J = ("jax 0.10.2 CPU x64: every weak order up to n = 5, then n = 6..64, 100, 128, 129, 257, 1000 "
      "(gradients of value-only ops up to 257); 0 mismatches")
_TF = ("tensorflow 2.21.0 CPU float64: every weak order up to n = 5, then n = 6..65, 100, 127..129, 200, "
       "256, 257, 500, 1000, 2000; 0 mismatches")

# (key, value, default) triples: a row applies when params.get(key, default) == value.
_ASC = ("descending", False, False)
_DESC = ("descending", True, False)
_UNSTABLE = ("stable", False, False)
_STABLE = ("stable", True, False)
_JSTABLE = ("stable", True, True)
_JUNSTABLE = ("stable", False, True)

_MEASURED = {"torch": _T213, "jax": _J, "tensorflow": _TF}


def _row(framework, op, params, function, rule, source, n_max, result="permutation") -> OrderRule:
    return OrderRule(framework, op, params, function, rule, n_max, source, _MEASURED[framework], result)


_SK = "aten/src/ATen/native/cpu/SortingKernel.cpp sort_kernel_impl"
_JS = "jax/_src/numpy/sorting.py"
ORDERS: tuple[OrderRule, ...] = (
    _row("torch", "sort", (_UNSTABLE,), "torch_sort",
         "libstdc++ std::sort: introsort; insertion sort (so input order) for n <= 16",
         f"{_SK} -> std::sort; libstdc++ bits/stl_algo.h std::__sort", 2000),
    _row("torch", "sort", (_STABLE,), "torch_sort", "stable: ties keep input order (ascending and descending)",
         f"{_SK} -> std::stable_sort", 2000),
    _row("torch", "argsort", (_UNSTABLE,), "torch_argsort", "as torch.sort(stable=False)",
         f"{_SK} -> std::sort", 2000),
    _row("torch", "argsort", (_STABLE,), "torch_argsort", "stable: ties keep input order",
         f"{_SK} -> std::stable_sort", 2000),
    _row("torch", "msort", (), "torch_msort", "as torch.sort(stable=False)", f"msort = sort(dim=0); {_SK}", 2000),
    _row("torch", "topk", (), "torch_topk",
         "64k <= n: std::partial_sort (heap select); else std::nth_element at k-1, then std::sort of the "
         "first k-1 if sorted", "aten/src/ATen/native/TopKImpl.h topk_impl_loop", 2000, "selection"),
    _row("torch", "kthvalue", (), "torch_kthvalue", "Sedgewick median-of-three quickselect",
         "aten/src/ATen/native/Sorting.cpp kthvalue_out_impl_cpu -> quick_select_template", 2000, "index"),
    _row("torch", "median_dim", (), "torch_median_dim", "position (n-1)//2 of the stable ascending sort",
         "Sorting.cpp median_with_indices_impl: std::nth_element by (value, index)", 2000, "index"),
    _row("torch", "median_all", (), "torch_median_all",
         "value only: even split over the entries equal to the lower median",
         "Sorting.cpp median_impl; derivatives.yaml evenly_distribute_backward", 1000, "tied set"),
    _row("torch", "mode", (), "torch_mode",
         "std::sort by value, then the index at the end of the first longest run (the last index of the "
         "mode for n <= 16)", "aten/src/ATen/native/cpu/TensorCompareKernel.cpp mode_kernel_impl", 2000, "index"),
    _row("torch", "max_dim", (), "torch_max_dim", "first index of the maximum",
         "TensorCompareKernel.cpp max_kernel_impl", 2000, "index"),
    _row("torch", "min_dim", (), "torch_min_dim", "first index of the minimum",
         "TensorCompareKernel.cpp min_kernel_impl", 2000, "index"),
    _row("torch", "argmax", (), "torch_argmax", "first index of the maximum",
         "aten/src/ATen/native/cpu/ReduceOpsKernel.cpp argmax_kernel_impl", 1000, "index"),
    _row("torch", "argmin", (), "torch_argmin", "first index of the minimum",
         "ReduceOpsKernel.cpp argmin_kernel_impl", 1000, "index"),
    _row("jax", "sort", (_JSTABLE, _ASC), "jax_sort", "stable: ties keep input order",
         f"{_JS} sort -> lax.sort(is_stable=True)", 257),
    _row("jax", "sort", (_JSTABLE, _DESC), "jax_sort", "stable ascending sort reversed: ties in reverse input order",
         f"{_JS} sort: lax.rev(lax.sort(...))", 257),
    _row("jax", "sort", (_JUNSTABLE,), "jax_sort", "libstdc++ std::sort ascending (reversed if descending)",
         f"{_JS} sort -> lax.sort(is_stable=False); XLA CPU sort -> std::sort", 257),
    _row("jax", "argsort", (_JSTABLE,), "jax_argsort", "stable: ties keep input order (ascending and descending)",
         f"{_JS} argsort (descending: reverse, stable sort, reverse)", 1000),
    _row("jax", "argsort", (_JUNSTABLE,), "jax_argsort", "libstdc++ std::sort ascending (reversed if descending)",
         f"{_JS} argsort -> lax.sort_key_val(is_stable=False)", 1000),
    _row("jax", "top_k", (), "jax_top_k", "k largest, ties by lower index first (-0.0 below +0.0: see NOT_MODELLED)",
         "jax.lax.top_k (XLA TopK)", 1000, "selection"),
    _row("jax", "partition", (), "jax_partition", "-top_k(-x, kth+1) then top_k(x, n-kth-1): gathered indices",
         f"{_JS} partition", 257, "gather"),
    _row("jax", "argpartition", (), "jax_argpartition", "top_k(-x, kth+1) indices, then the rest in index order",
         f"{_JS} argpartition", 1000),
    _row("tensorflow", "sort", (), "tf_sort", "stable: ties keep input order (ascending and descending)",
         "tensorflow/python/ops/sort_ops.py _descending_sort / _ascending_sort via top_k(k=n)", 2000),
    _row("tensorflow", "argsort", (), "tf_argsort", "stable: ties keep input order (ascending and descending)",
         "sort_ops.py argsort via top_k(k=n)", 2000),
    _row("tensorflow", "top_k", (("sorted", True, True),), "tf_top_k", "k largest, ties by lower index first",
         "tensorflow/core/kernels/topk_op.cc TopKFunctor<CPUDevice>", 2000, "selection"),
    _row("tensorflow", "top_k", (("sorted", False, True),), "tf_top_k",
         "k = 1 or n: as sorted; else the array of a gtl::TopN heap (libstdc++ make/push/pop_heap)",
         "topk_op.cc TopKFunctor (TopN::unsorted_begin); tensorflow/core/lib/gtl/top_n.h PushInternal",
         2000, "selection"),
)

#: What is not modelled, and why: pwverify refuses these rather than guess. ``op`` "*"
#: stands for every op of the framework.
NOT_MODELLED: tuple[OrderRule, ...] = (
    OrderRule("torch", "*", (("device", "cuda", "cpu"),), exact=False,
              reason="CUDA kernels (segmented radix and bitonic sorts, different top-k) are not measured; "
                     "only the CPU kernels are modelled"),
    OrderRule("jax", "*", (("device", "gpu", "cpu"),), exact=False,
              reason="GPU/TPU sorts and top-k are not measured; only XLA CPU is modelled"),
    OrderRule("jax", "*", (("device", "tpu", "cpu"),), exact=False,
              reason="GPU/TPU sorts and top-k are not measured; only XLA CPU is modelled"),
    OrderRule("tensorflow", "*", (("device", "gpu", "cpu"),), exact=False,
              reason="the GPU top-k kernel is not measured; only the CPU kernel is modelled"),
    OrderRule("torch", "sort", (("dtype", "integer", "float"),), exact=False,
              reason="integer tensors of >= 32768 entries may use fbgemm's parallel radix sort (stable); "
                     "only floating dtypes are modelled"),
    OrderRule("torch", "argsort", (("dtype", "integer", "float"),), exact=False,
              reason="integer tensors of >= 32768 entries may use fbgemm's parallel radix sort (stable); "
                     "only floating dtypes are modelled"),
    OrderRule("jax", "top_k", (("signed_zero_ties", True, False),), exact=False,
              reason="XLA's TopK orders -0.0 before +0.0 (a total order on floats), so entries tied at zero "
                     "are ordered by their sign, which exact real values do not carry"),
    OrderRule("jax", "partition", (("signed_zero_ties", True, False),), exact=False,
              reason="built on lax.top_k, which orders -0.0 before +0.0"),
    OrderRule("jax", "argpartition", (("signed_zero_ties", True, False),), exact=False,
              reason="built on lax.top_k, which orders -0.0 before +0.0"),
    OrderRule("*", "*", (("nan", True, False),), exact=False,
              reason="NaN entries: the model covers real values only"),
)

_FUNCTIONS: dict[str, Callable] = {name: globals()[name] for name in __all__
                                   if name.startswith(("torch_", "jax_", "tf_"))}
_SIZED = {"topk", "top_k", "kthvalue", "partition", "argpartition"}
_SIZE_PARAM = {"topk": "k", "top_k": "k", "kthvalue": "k", "partition": "kth", "argpartition": "kth"}


def rule(framework: str, op: str, **params) -> OrderRule:
    """The :data:`ORDERS` row for these parameters, or :class:`OrderNotModelled`.

    >>> rule("torch", "sort", stable=True).rule
    'stable: ties keep input order (ascending and descending)'
    >>> rule("torch", "sort", device="cuda")
    Traceback (most recent call last):
    ...
    pwverify.primitives.orders.OrderNotModelled: error: tie order of torch.sort not modelled: CUDA kernels ...
    """
    framework = {"tf": "tensorflow"}.get(framework, framework)
    for r in NOT_MODELLED:
        if r.matches(framework, op, params):
            raise OrderNotModelled(f"tie order of {framework}.{op} not modelled: {r.reason}")
    for r in ORDERS:
        if r.matches(framework, op, params):
            return r
    raise OrderNotModelled(f"tie order of {framework}.{op} with {params or 'no parameters'} is not modelled")


def indices(framework: str, op: str, n: int, less: Less, **params) -> tuple[int, ...]:
    """The indices ``framework.op`` returns for ``n`` entries ordered by ``less``.

    ``params`` are the op's own (``descending``, ``stable``, ``k``, ``largest``,
    ``sorted``, ``kth``) plus ``device`` ("cpu"), ``dtype`` ("float"), ``nan`` and
    ``signed_zero_ties`` (False), so that what is not modelled is refused.

    >>> indices("torch", "topk", 4, lambda i, j: False, k=2)
    (2, 3)
    >>> indices("tf", "sort", 3, lambda i, j: False, descending=True)
    (0, 1, 2)
    """
    r = rule(framework, op, **params)
    fn = _FUNCTIONS[r.function]
    own = {k: v for k, v in params.items() if k not in ("device", "dtype", "nan", "signed_zero_ties")}
    size = own.pop(_SIZE_PARAM[op], None) if op in _SIZED else None
    out = fn(n, size, less, **own) if op in _SIZED else fn(n, less, **own)
    return out if isinstance(out, tuple) else (out,)
