"""The one walk over a program's graph that every engine uses.

An engine is a :class:`Visitor`: it says what an input, a constant, a projection
(``get``) and an application of a primitive become in its domain (exact numbers for the
pointwise engine, z3 terms for the direct encoding, numpy arrays for numeric
evaluation, lists of pieces for the decomposition). :func:`walk` visits the nodes the
requested outputs depend on (their cone of influence), each once, in topological
order, and calls the visitor. The primitive's piece table is looked up by the
visitor's ``table`` (engines share :func:`pwverify.engines.common.table_of`), so a
primitive no engine knows fails by name.

>>> from fractions import Fraction
>>> from pwverify.ir import Graph
>>> g = Graph()
>>> t = g.input("t"); two = g.const(Fraction(2)); y = g.op("mul", (two, t)); g.outputs.append(y)
>>> class Show(Visitor):
...     def input(self, nid, name, index): print("input", name)
...     def const(self, nid, value): print("const", value)
...     def apply(self, nid, node): print(node.op, node.args)
>>> walk(g, Show())
input t
const 2
mul (1, 0)
"""

from __future__ import annotations

from typing import Iterable, Sequence

from .graph import Graph, Node


class Visitor:
    """What one engine does at each kind of node (override what you need)."""

    def input(self, nid: int, name: str, index: int) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no rule for inputs")

    def const(self, nid: int, value) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no rule for constants")

    def get(self, nid: int, node: Node) -> None:
        """``get``: output ``node.params[0]`` of the multi-output node ``node.args[0]``."""
        raise NotImplementedError(f"{type(self).__name__} has no rule for get")

    def apply(self, nid: int, node: Node) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no rule for {node.op}")


def cone(graph: Graph, outputs: Sequence[int] | None = None) -> list[int]:
    """Ids of the nodes ``outputs`` (default: the graph's outputs) depend on, in
    topological order (ids are created in topological order)."""
    outputs = graph.outputs if outputs is None else outputs
    keep = set(outputs)
    for i in range(max(keep, default=-1), -1, -1):
        if i in keep:
            keep.update(graph.nodes[i].args)
    return sorted(keep)


def walk(graph: Graph, visitor: Visitor, outputs: Sequence[int] | None = None,
         order: Iterable[int] | None = None) -> None:
    """Visit the cone of ``outputs`` in topological order (or the nodes of ``order``)."""
    index = {nid: k for k, nid in enumerate(graph.inputs)}
    for nid in (cone(graph, outputs) if order is None else order):
        node = graph.nodes[nid]
        if node.op == "input":
            visitor.input(nid, node.params[0], index[nid])
        elif node.op == "const":
            visitor.const(nid, node.params[0])
        elif node.op == "get":
            visitor.get(nid, node)
        else:
            visitor.apply(nid, node)
