"""What every engine shares: the table of a node, and which arguments a node needs.

>>> from pwverify import parse
>>> p = parse("log(t) if t > 0 else 0")
>>> [n.op for n in p.graph.nodes if n.op not in ("input", "const")]
['log', 'select']
"""

from __future__ import annotations

from ..ir.graph import Node
from ..primitives import registry
from ..primitives.registry import Branch, PieceTable


class MissingRule(RuntimeError):
    """An engine met a primitive it has no rule for: a bug in pwverify, reported by name."""


def table_of(node: Node) -> PieceTable:
    """The piece table of a primitive application (its arity and parameters)."""
    try:
        primitive = registry.get(node.op)
    except KeyError:
        raise MissingRule(f"no primitive named {node.op!r} is registered") from None
    return primitive.table(len(node.args), node.params)


def required(table: PieceTable, branch: Branch, n_args: int) -> range | tuple:
    """Indices of the arguments that must be defined for ``branch`` to be."""
    needed = table.required_args(branch)
    return range(n_args) if needed is None else needed


def piecewise_linear(graph, outputs=None) -> bool:
    """Is every formula on the way affine in the inputs (a ReLU network, a max, a sort)?

    Then the gradient question is linear arithmetic whatever direction it is asked in.

    >>> from pwverify import parse
    >>> piecewise_linear(parse("relu(2*x - y) + max(x, 3)").graph), piecewise_linear(parse("x*y").graph)
    (True, False)
    """
    from ..ir.walker import cone
    constant: set[int] = set()
    for nid in cone(graph, outputs):
        node = graph.nodes[nid]
        if node.op == "const":
            constant.add(nid)
            continue
        if node.op in ("input", "get"):
            continue
        fixed = frozenset(i for i, a in enumerate(node.args) if a in constant)
        if len(fixed) == len(node.args):
            constant.add(nid)
            continue
        if not _linear_in(table_of(node), fixed):
            return False
    return True


def _linear_in(table, fixed: frozenset) -> bool:
    """Are the table's formulas and atoms affine once the arguments in ``fixed`` are numbers?"""
    if getattr(table, "encode_fast", None) is not None:
        return getattr(table, "linear", True)
    if table.implicit and table.count() > IMPLICIT_SHAPES_UP_TO:
        # order statistics and their kin: every formula selects or averages arguments
        return getattr(table, "linear", True)
    return _check(_shapes(table), fixed)


#: Implicit tables with more branches than this are not scanned for their monomials.
IMPLICIT_SHAPES_UP_TO = 4096


def _check(shapes, fixed: frozenset) -> bool:
    for monomial in shapes:
        if monomial is None:      # a function of the arguments (exp, sqrt, ...): never affine
            return False
        free = [i for i in monomial if i not in fixed]
        if len(free) > 1:
            return False
    return True


_SHAPES: dict = {}


def _shapes(table) -> list:
    """The monomials of every formula and atom of a table, each as the list of argument
    indices it multiplies (with repetition); None for a non-polynomial term."""
    key = id(table)
    hit = _SHAPES.get(key)
    if hit is not None and hit[0] is table:
        return hit[1]
    import sympy
    from ..primitives.registry import ARGS
    index = {a: i for i, a in enumerate(ARGS[:table.n_args])}
    out = []
    exprs = [f for b in table.branches() for f in b.value] + [a.expr for b in table.branches() for a in b.where]
    exprs += [a.expr for a in table.domain]
    for expr in exprs:
        for term in sympy.Add.make_args(sympy.expand(expr)):
            monomial = []
            for factor in sympy.Mul.make_args(term):
                if factor.is_number:
                    continue
                base, exp = factor.as_base_exp()
                if base in index and exp.is_Integer and exp > 0:
                    monomial += [index[base]] * int(exp)
                else:
                    monomial = None
                    break
            out.append(None if monomial is None else tuple(monomial))
    _SHAPES[key] = (table, out)
    return out
