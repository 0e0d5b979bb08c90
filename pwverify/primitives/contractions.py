"""Contractions written as index equations: ``einsum`` in every framework's spelling, and
``outer``.

Each output entry is a sum of products of operand entries, built with the program's own
arithmetic (:meth:`Builder.dot`: one ``affine`` node where a factor is a constant, a
``mul`` node for a product of two values that depend on the inputs). The function and its
autodiff are those of the sum of products, which is what every framework's einsum
computes (a contraction is linear in each operand: no tie, no kink).

>>> import pwverify
>>> p = pwverify.parse("torch.einsum('ij,j->i', W, v)", shapes={"W": (2, 2), "v": 2})
>>> p.value_at({"W0_0": 1, "W0_1": 2, "W1_0": 3, "W1_1": 4, "v0": 1, "v1": -1})
[-1, -1]
"""

from __future__ import annotations

import itertools
import math
import string
from typing import Any

from ..ir.values import Array, ShapeError
from .structural import NAMESPACES, guarded, structural

#: Index entries (output entries times summed terms) one einsum may build.
MAX_TERMS = 1_000_000


def _operand_labels(term: str, ndim: int, where: str) -> list[str]:
    """The labels of one operand's dims; the dims an ellipsis stands for are labelled from
    the right (``#0`` is the last), so that they broadcast across operands."""
    if term.count("...") > 1:
        raise ShapeError(f"{where}: an operand has more than one ellipsis")
    if "..." in term:
        before, after = term.split("...")
        hidden = ndim - len(before) - len(after)
        if hidden < 0:
            raise ShapeError(f"{where}: {term!r} names more dims than the operand has ({ndim})")
        labels = list(before) + [f"#{hidden - 1 - k}" for k in range(hidden)] + list(after)
    else:
        labels = list(term)
        if len(labels) != ndim:
            raise ShapeError(f"{where}: {term!r} names {len(labels)} dims, the operand has {ndim}")
    for label in labels:
        if not label.startswith("#") and label not in string.ascii_letters:
            raise ShapeError(f"{where}: {label!r} is not an index letter")
    return labels


def parse_equation(equation: str, shapes: list[tuple[int, ...]],
                   sum_ellipsis: bool = True) -> tuple[list[list[str]], list[str]]:
    """The labels of each operand and of the output. An explicit output without ``...``
    sums the dims an operand's ellipsis stands for (torch); numpy and jax refuse that
    (``sum_ellipsis=False``).

    >>> parse_equation("ij,jk->ik", [(2, 3), (3, 4)])
    ([['i', 'j'], ['j', 'k']], ['i', 'k'])
    >>> parse_equation("...i,i", [(2, 5, 3), (3,)])
    ([['#1', '#0', 'i'], ['i']], ['#1', '#0'])
    """
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ShapeError(f"einsum: the equation {equation!r} has {len(terms)} operands, the call {len(shapes)}")
    labels = [_operand_labels(t, len(s), "einsum") for t, s in zip(terms, shapes)]
    hidden = max((sum(1 for x in ls if x.startswith("#")) for ls in labels), default=0)
    ellipsis = [f"#{hidden - 1 - k}" for k in range(hidden)]
    if arrow:
        if "..." not in rhs and hidden and any("..." in t for t in terms):
            if not sum_ellipsis:
                raise ShapeError("einsum: the operands have '...' dims but the output does not name them "
                                 "(numpy and jax refuse this; write '...' in the output)")
            out = _operand_labels(rhs, len(rhs), "einsum output")   # the ellipsis dims are summed
        else:
            out = _operand_labels(rhs, len(rhs.replace("...", "")) + hidden, "einsum output")
        named = {x for ls in labels for x in ls}
        for label in out:
            if label not in named:
                raise ShapeError(f"einsum: the output index {label!r} is not an index of any operand")
        if len(set(out)) != len(out):
            raise ShapeError(f"einsum: an output index appears twice in {rhs!r}")
    else:   # implicit output: the ellipsis dims, then the letters used once, in alphabetical order
        counts: dict[str, int] = {}
        for ls in labels:
            for x in ls:
                if not x.startswith("#"):
                    counts[x] = counts.get(x, 0) + 1
        out = ellipsis + sorted(x for x, n in counts.items() if n == 1)   # A-Z before a-z
    return labels, out


def einsum(b, equation: str, operands: list, framework: str | None) -> Any:
    """The contraction ``equation`` of ``operands`` (arrays or scalars) built on ``b``."""
    if not isinstance(equation, str):
        b.fail("einsum's first argument must be the equation written as a string (the sublist form "
               "einsum(a, [0, 1], b, [1, 2]) is not read)", "torch.einsum('ij,jk->ik', a, b)")
    arrays = [b.to_array(b.number(b.unmask(op))) for op in operands]
    labels, out = parse_equation(equation, [a.shape for a in arrays], sum_ellipsis=framework == "torch")
    sizes: dict[str, int] = {}
    for arr, ls in zip(arrays, labels):
        for label, n in zip(ls, arr.shape):
            known = sizes.get(label, 1)
            if n != known and 1 not in (n, known):
                raise ShapeError(f"einsum: index {label!r} has size {known} in one operand and {n} in another")
            sizes[label] = max(known, n)
    summed = [x for x in dict.fromkeys(x for ls in labels for x in ls) if x not in out]
    out_shape = tuple(sizes[x] for x in out)
    terms = math.prod(out_shape) * math.prod(sizes[x] for x in summed)
    if terms > MAX_TERMS:
        b.fail(f"einsum {equation!r} has {terms} products, more than {MAX_TERMS}",
               "smaller shapes (pwverify builds every product)")
    position = {x: k for k, x in enumerate(out + summed)}
    # for each operand, how to find its entry from the joint index (a broadcast dim reads entry 0)
    readers = [[(position[x], n == 1 and sizes[x] != 1) for x, n in zip(ls, arr.shape)]
               for arr, ls in zip(arrays, labels)]
    summed_ranges = [range(sizes[x]) for x in summed]
    items = []
    for index in itertools.product(*[range(n) for n in out_shape]):
        factors = [[] for _ in arrays]
        for rest in itertools.product(*summed_ranges):
            joint = index + rest
            for k, (arr, reader) in enumerate(zip(arrays, readers)):
                factors[k].append(arr.item(tuple(0 if broadcast else joint[p] for p, broadcast in reader)))
        if len(arrays) == 1:
            items.append(b.dot([1] * len(factors[0]), factors[0]))
            continue
        left = factors[0]
        for more in factors[1:-1]:
            left = [b.arith("*", u, v) for u, v in zip(left, more)]
        items.append(b.dot(left, factors[-1]))
    framework = framework or next((a.framework for a in arrays if a.framework), None)
    return Array(out_shape, tuple(items), framework)


def _einsum(framework: str | None):
    def build(b, bd):
        operands = list(bd["operands"])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):   # torch.einsum(eq, [a, b])
            operands = list(operands[0])
        return einsum(b, bd["equation"], operands, framework)
    return build


def _outer(framework: str | None, flatten: bool):
    def build(b, bd):
        u, v = (b.to_array(b.number(b.unmask(bd[k]))) for k in ("input", "vec2"))
        if flatten:     # numpy and jax flatten their arguments
            u, v = u.reshape((u.size,)), v.reshape((v.size,))
        elif u.ndim != 1 or v.ndim != 1:
            raise ShapeError(f"outer takes two 1-D tensors, got shapes {u.shape} and {v.shape}")
        return einsum(b, "i,j->ij", [u, v], framework)
    return build


for _fw, _ns in NAMESPACES:
    structural(f"{_ns}.einsum", "equation, *operands, out=None, optimize=None, precision=None, "
               "preferred_element_type=None, name=None, dtype=None, order=None, casting=None",
               guarded(_einsum(_fw), "einsum"), "a sum of products given by an index equation")
structural("torch.outer", "input, vec2", guarded(_outer("torch", False), "outer"), "the outer product u v^T")
structural("torch.ger", "input, vec2", guarded(_outer("torch", False), "ger"), "the outer product u v^T")
structural("torch.Tensor.outer", "self:input, vec2", guarded(_outer("torch", False), "outer"),
           "the outer product u v^T")
structural("numpy.outer", "a:input, b:vec2, out=None", guarded(_outer(None, True), "outer"),
           "the outer product of the flattened arguments")
structural("jax.numpy.outer", "a:input, b:vec2, out=None", guarded(_outer("jax", True), "outer"),
           "the outer product of the flattened arguments")
structural("tensorflow.experimental.numpy.outer", "a:input, b:vec2", guarded(_outer("tensorflow", True), "outer"),
           "the outer product of the flattened arguments")
