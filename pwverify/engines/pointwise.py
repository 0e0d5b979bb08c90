"""The pointwise engine: a program's exact value and autodiff gradient at one point.

Algorithms 1 and 2 of Bolte & Pauwels 2020: every node is evaluated exactly, the branch
of its primitive that holds at its arguments is found (:meth:`PieceTable.branch_at`),
and that branch's local derivative is the node's ``d_k``. Forward mode pushes tangents
from the inputs, reverse mode pulls adjoints from the outputs; they agree (their
Lemma 1) and equal the associated gradient of the representation (Theorem 2).

Arithmetic is exact (:mod:`pwverify.core.exact`): rationals, exact irrationals, and,
for derivatives, IEEE's non-finite values. A derivative entry that is 0 by the branch's
formula is a mask (the framework's ``where``: nothing flows), while a computed
derivative multiplies, so ``0 * inf`` is ``nan`` exactly where a framework's backward
formula produces it (``sqrt(x**2)`` at 0).

>>> from pwverify import parse
>>> r = ad(parse("relu(-t) + t").graph, {"t": 0})
>>> r.value, r.gradient
([0], [[1]])
>>> ad(parse("torch.sqrt(x**2)").graph, {"x": 0}).gradient
[[nan]]
"""

from __future__ import annotations

import heapq

from dataclasses import dataclass
from typing import Any, Mapping

from ..core.errors import DomainError
from ..core.exact import NonFinite, UndecidedSign, exact, to_sympy
from ..ir.graph import Graph
from ..ir.walker import Visitor, cone, walk
from ..primitives.registry import Branch
from .common import required, table_of


class _Undefined:
    def __repr__(self) -> str:
        return "UNDEF"


#: The value of a node outside its primitive's domain.
UNDEF = _Undefined()


@dataclass
class ADResult:
    """Exact value and Jacobian (rows: outputs, columns: inputs) at one point."""

    point: dict[str, Any]
    value: list[Any]
    gradient: list[list[Any]]
    branches: dict[int, str]      # node id -> label of the branch taken (selection nodes)
    mode: str


class _Values(Visitor):
    """Exact values of the nodes, and the branch each primitive application took."""

    def __init__(self, graph: Graph, point: Mapping[str, Any]):
        self.graph = graph
        self.point = point
        self.values: dict[int, tuple] = {}
        self.taken: dict[int, tuple[Branch, tuple]] = {}

    def input(self, nid, name, index):
        self.values[nid] = (exact(self.point[name]),)

    def const(self, nid, value):
        self.values[nid] = (exact(value),)

    def get(self, nid, node):
        self.values[nid] = (self.values[node.args[0]][node.params[0]],)

    def apply(self, nid, node):
        table = table_of(node)
        args = [self.values[a][0] for a in node.args]
        n_out = table.n_out
        if any(v is UNDEF for v in args) and not _lazy(table):
            self.values[nid] = (UNDEF,) * n_out
            return
        try:
            defined = [v for v in args if v is not UNDEF]
            if len(defined) == len(args) and not table.in_domain(args):
                self.values[nid] = (UNDEF,) * n_out
                return
            local = table.at(_placeholders(args))
        except UndecidedSign as exc:
            raise DomainError(f"cannot decide a comparison exactly at this point: {exc}") from None
        if local.branch is not None and any(args[i] is UNDEF for i in required(table, local.branch, len(args))):
            self.values[nid] = (UNDEF,) * n_out
            return
        self.values[nid] = local.values
        self.taken[nid] = (local, tuple(args))


def _lazy(table) -> bool:
    return getattr(table, "lazy", False)


_FILLER = exact(0)


def _placeholders(args: list) -> list:
    """Undefined arguments (of a lazy ``if``, in the branch not taken) as 0: never read."""
    return [_FILLER if v is UNDEF else v for v in args]


def evaluate(graph: Graph, point: Mapping[str, Any]) -> tuple[dict[int, tuple], dict[int, tuple]]:
    """Exact values of the nodes the outputs need (UNDEF outside a domain) and what each
    primitive application was there: ``(values, taken)``, ``taken[node] = (Local, args)``."""
    visitor = _Values(graph, point)
    walk(graph, visitor)
    return visitor.values, visitor.taken


def value(graph: Graph, point: Mapping[str, Any]) -> list:
    """The exact output values at ``point`` (DomainError where the program is undefined)."""
    values, _ = evaluate(graph, point)
    return [to_sympy(v) for v in _outputs(graph, values)]


def _outputs(graph: Graph, values: dict) -> list:
    out = [values[o][0] for o in graph.outputs]
    if any(v is UNDEF for v in out):
        raise DomainError("the program is undefined at this point (an argument leaves the domain "
                          "of log, sqrt or a division)")
    return out


def ad(graph: Graph, point: Mapping[str, Any], mode: str = "reverse") -> ADResult:
    """Value and autodiff Jacobian at an exact point, in forward or reverse mode."""
    if mode not in ("forward", "reverse"):
        raise ValueError(f"mode must be 'forward' or 'reverse', not {mode!r}")
    values, taken = evaluate(graph, point)
    out = _outputs(graph, values)
    local = {nid: loc.jacobian for nid, (loc, args) in taken.items()}
    structural = {nid: _edges(loc) for nid, (loc, args) in taken.items()}
    accumulate = _forward if mode == "forward" else _reverse
    gradient = accumulate(graph, local, structural)
    labels = {nid: loc.label for nid, (loc, _) in taken.items() if table_of(graph.nodes[nid]).selection}
    return ADResult(dict(point), [to_sympy(v) for v in out],
                    [[to_sympy(g) for g in row] for row in gradient], labels, mode)


#: How a gradient passes along one edge: multiplied by the local derivative, masked (a zero
#: passes), or not at all (no autodiff edge: Python control flow, detach).
#: ABSORB: a product, except that a zero cotangent gives zero in reverse mode.
MULTIPLY, MASK, DETACHED, ABSORB = 0, 1, 2, 3


def _edges(local) -> list[list[int]]:
    detached = set(local.detached)
    product = ABSORB if local.absorbs_zero else MULTIPLY
    return [[DETACHED if i in detached else MASK if zero else product for i, zero in enumerate(row)]
            for row in local.structural_zero]


def _times(adjoint, d, edge: int, reverse: bool = False):
    """What passes along an edge: ``adjoint * d`` (IEEE), an exact 0 (a mask), or nothing
    (a detached edge, or no tangent to pass: a symbolic zero, which never meets an inf)."""
    if edge == DETACHED or adjoint is None:
        return None
    if edge == MASK:
        return _FILLER
    if edge == ABSORB and reverse and (adjoint is _FILLER or not isinstance(adjoint, NonFinite) and adjoint == 0):
        return _FILLER
    if isinstance(d, NonFinite) or isinstance(adjoint, NonFinite):
        return adjoint * d  # IEEE: 0 * inf is nan
    if adjoint == 0 or d == 0:
        return _FILLER
    return adjoint * d


def _plus(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, NonFinite):
        return a + b
    if isinstance(b, NonFinite):
        return b + a
    return a + b


def _forward(graph: Graph, local: dict, structural: dict) -> list[list]:
    p = len(graph.inputs)
    order = cone(graph)
    position = {nid: k for k, nid in enumerate(graph.inputs)}
    one, zero = exact(1), exact(0)
    rows = []
    for j in range(p):
        # None: no tangent (a constant, a detached value, what only they feed), the
        # symbolic zero of jax and the undefined tangent of torch: an inf never multiplies it
        tangent: dict[int, tuple] = {}
        for nid in order:
            node = graph.nodes[nid]
            if node.op == "input":
                tangent[nid] = (one if position[nid] == j else zero,)
            elif node.op == "const":
                tangent[nid] = (None,)
            elif node.op == "get":
                tangent[nid] = (tangent[node.args[0]][node.params[0]],)
            elif nid not in local:  # a lazy branch not taken: undefined and unused
                tangent[nid] = (None,) * node.n_out
            else:
                out = []
                for row, mask in zip(local[nid], structural[nid]):
                    acc = None
                    for i, a in enumerate(node.args):
                        acc = _plus(acc, _times(tangent[a][0], row[i], mask[i]))
                    out.append(acc)
                tangent[nid] = tuple(out)
        rows.append([_FILLER if tangent[o][0] is None else tangent[o][0] for o in graph.outputs])
    return [[rows[j][k] for j in range(p)] for k in range(len(graph.outputs))]


def _reverse(graph: Graph, local: dict, structural: dict) -> list[list]:
    """Reverse mode, one output at a time; each pass visits only the nodes its output
    depends on (a max-heap of node ids: every consumer of a node comes before it)."""
    index = {nid: k for k, nid in enumerate(graph.inputs)}
    out = []
    for o in graph.outputs:
        adjoint: dict[tuple[int, int], Any] = {(o, 0): exact(1)}
        heap, queued = [-o], {o}

        def reach(a: int) -> None:
            if a not in queued:
                queued.add(a)
                heapq.heappush(heap, -a)
        while heap:
            nid = -heapq.heappop(heap)
            node = graph.nodes[nid]
            if node.op in ("input", "const"):
                continue
            if node.op == "get":
                v = adjoint.get((nid, 0))
                if v is not None:
                    key = (node.args[0], node.params[0])
                    adjoint[key] = _plus(adjoint.get(key), v)
                    reach(node.args[0])
                continue
            if nid not in local:
                continue
            for j, (row, mask) in enumerate(zip(local[nid], structural[nid])):
                v = adjoint.get((nid, j))
                if v is None:
                    continue
                for i, a in enumerate(node.args):
                    c = _times(v, row[i], mask[i], reverse=True)
                    if c is not None:
                        adjoint[(a, 0)] = _plus(adjoint.get((a, 0)), c)
                        reach(a)
        row = [_FILLER] * len(graph.inputs)
        for nid, k in index.items():
            v = adjoint.get((nid, 0))
            if v is not None:
                row[k] = v
        out.append(row)
    return out


__all__ = ["ADResult", "UNDEF", "ad", "evaluate", "value"]
