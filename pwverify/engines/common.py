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
    """
    import sympy
    from ..ir.walker import cone
    from ..primitives.registry import ARGS
    constant: dict[int, object] = {}
    for nid in cone(graph, outputs):
        node = graph.nodes[nid]
        if node.op == "const":
            value = node.params[0]
            constant[nid] = sympy.Rational(value.numerator, value.denominator)
            continue
        if node.op in ("input", "get"):
            continue
        table = table_of(node)
        if getattr(table, "encode_fast", None) is not None and getattr(table, "linear", True):
            continue
        free = [ARGS[i] for i, a in enumerate(node.args) if a not in constant]
        fixed = {ARGS[i]: constant[a] for i, a in enumerate(node.args) if a in constant}
        if not free:
            continue
        for branch in table.branches():
            for f in branch.value:
                if not _affine(f.xreplace(fixed), free):
                    return False
            if not all(_affine(a.expr.xreplace(fixed), free) for a in branch.where):
                return False
    return True


def _affine(expr, symbols) -> bool:
    import sympy
    try:
        return sympy.Poly(expr, *symbols).total_degree() <= 1 and all(
            c.is_number for c in sympy.Poly(expr, *symbols).coeffs())
    except sympy.PolynomialError:
        return False
