"""The exact AD oracle: evaluate a program at a point and differentiate it as autodiff does.

Algorithm 1 and 2 of Bolte & Pauwels 2020: every node is evaluated exactly, the
branch of its primitive that holds at its arguments is found, and the gradient of
that branch's formula is the node's local derivative ``d_k``. Forward mode pushes
tangents from the inputs, backward mode pulls adjoints from the outputs; they agree
(their Lemma 1) and equal the associated gradient of the representation (Theorem 2):
both facts are tested.

>>> from pwverify import parse
>>> r = ad(parse("relu(-t) + t").graph, {"t": 0})
>>> r.value, r.gradient
([0], [[1]])
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Mapping

import sympy

from ..core.errors import DomainError
from ..core.exact import UndecidedSign
from ..ir.graph import Graph
from ..primitives import registry
from ..primitives.registry import ARGS, Branch, PieceTable


class _Undef:
    def __repr__(self) -> str:
        return "UNDEF"


UNDEF = _Undef()
_PLACEHOLDER = sympy.Symbol("undefined_argument")


@dataclass
class ADResult:
    """Exact value and Jacobian (rows: outputs, columns: inputs) at one point."""

    point: dict[str, Any]
    value: list[Any]
    gradient: list[list[Any]]
    branches: dict[int, str]      # node id -> label of the branch taken (selection nodes)
    mode: str


@functools.lru_cache(maxsize=None)
def _local_gradient(branch: Branch, n_args: int) -> tuple[tuple[sympy.Expr, ...], ...]:
    return branch.local_jacobian(n_args)


def _simplify(value: Any) -> Any:
    if isinstance(value, sympy.Rational):
        return value
    value = sympy.sympify(value)
    if value.is_Rational:
        return value
    simpler = sympy.nsimplify(value) if value.is_number and value.is_algebraic else value
    return sympy.simplify(simpler) if simpler.is_number and not simpler.is_Rational else simpler


def evaluate(graph: Graph, point: Mapping[str, Any]) -> tuple[list, dict[int, tuple[Branch, tuple]]]:
    """Exact values of every node (UNDEF outside a domain) and the branch each took."""
    values: list[Any] = [None] * len(graph.nodes)
    taken: dict[int, tuple[Branch, tuple]] = {}
    for nid, node in enumerate(graph.nodes):
        if node.op == "input":
            values[nid] = (sympy.sympify(point[node.params[0]]),)
            continue
        if node.op == "const":
            v = node.params[0]
            values[nid] = (sympy.Rational(v.numerator, v.denominator),)
            continue
        if node.op == "get":
            values[nid] = (values[node.args[0]][node.params[0]],)
            continue
        table = registry.get(node.op).table(len(node.args), node.params)
        args = [values[a][0] for a in node.args]
        values[nid], branch = _apply(node, table, args)
        if branch is not None:
            taken[nid] = (branch, tuple(args))
    return values, taken


def _apply(node, table: PieceTable, args: list) -> tuple[tuple, Branch | None]:
    undefined = [i for i, v in enumerate(args) if v is UNDEF]
    if undefined:
        lazy = node.op == "select" and node.params[3] and all(i >= node.params[1] for i in undefined)
        if not lazy:
            return (UNDEF,) * table.n_out, None
    concrete = [_PLACEHOLDER if v is UNDEF else v for v in args]
    point = dict(zip(ARGS, concrete))
    try:
        for atom in table.domain:
            if not atom.holds_at(point):
                return (UNDEF,) * table.n_out, None
        branch = table.branch_at(concrete)
    except UndecidedSign as exc:
        raise DomainError(f"cannot decide a comparison exactly at this point: {exc}") from None
    out = []
    for f in branch.value:
        if any(args[i] is UNDEF and ARGS[i] in f.free_symbols for i in range(len(args))):
            out.append(UNDEF)
        else:
            out.append(_simplify(f.xreplace(point)))
    return tuple(out), branch


def value(graph: Graph, point: Mapping[str, Any]) -> list:
    """The exact output values at ``point`` (DomainError where the program is undefined)."""
    values, _ = evaluate(graph, point)
    out = [values[o][0] for o in graph.outputs]
    if any(v is UNDEF for v in out):
        raise DomainError("the program is undefined at this point (an argument leaves the domain "
                          "of log, sqrt or a division)")
    return out


def ad(graph: Graph, point: Mapping[str, Any], mode: str = "reverse") -> ADResult:
    """Value and autodiff Jacobian at an exact point, in forward or reverse mode."""
    values, taken = evaluate(graph, point)
    names = graph.input_names()
    for o in graph.outputs:
        if values[o][0] is UNDEF:
            raise DomainError("the program is undefined at this point (an argument leaves the domain "
                              "of log, sqrt or a division)")
    local = _local_derivatives(graph, values, taken)
    if mode == "forward":
        gradient = _forward(graph, local, names)
    elif mode == "reverse":
        gradient = _backward(graph, local, names)
    else:
        raise ValueError(f"mode must be 'forward' or 'reverse', not {mode!r}")
    value = [values[o][0] for o in graph.outputs]
    labels = {nid: b.label for nid, (b, _) in taken.items() if registry.get(graph.nodes[nid].op).table(
        len(graph.nodes[nid].args), graph.nodes[nid].params).count() > 1}
    return ADResult(dict(point), value, gradient, labels, mode)


def _local_derivatives(graph: Graph, values: list, taken: dict) -> dict[int, list[list[Any]]]:
    """For each node, d(output j)/d(argument i) at the point, as a matrix."""
    local: dict[int, list[list[Any]]] = {}
    for nid, node in enumerate(graph.nodes):
        if node.op in ("input", "const"):
            continue
        if node.op == "get":
            local[nid] = [[sympy.Integer(1)]]
            continue
        if nid not in taken:  # undefined here, and unused: a lazy branch not taken
            local[nid] = [[sympy.Integer(0)] * len(node.args) for _ in range(node.n_out)]
            continue
        branch, args = taken[nid]
        point = {ARGS[i]: (_PLACEHOLDER if v is UNDEF else v) for i, v in enumerate(args)}
        rows = []
        for row in _local_gradient(branch, len(args)):
            rows.append([_simplify(d.xreplace(point)) if d != 0 else sympy.Integer(0) for d in row])
        local[nid] = rows
    return local


def _forward(graph: Graph, local: dict, names: list[str]) -> list[list[Any]]:
    p = len(graph.inputs)
    tangent: dict[int, list[list[Any]]] = {}  # node -> per output, a row over inputs
    for k, nid in enumerate(graph.inputs):
        tangent[nid] = [[sympy.Integer(int(j == k)) for j in range(p)]]
    for nid, node in enumerate(graph.nodes):
        if node.op == "input":
            continue
        if node.op == "const":
            tangent[nid] = [[sympy.Integer(0)] * p]
            continue
        if node.op == "get":
            tangent[nid] = [tangent[node.args[0]][node.params[0]]]
            continue
        rows = []
        for row in local[nid]:
            acc = [sympy.Integer(0)] * p
            for i, a in enumerate(node.args):
                if row[i] != 0:
                    acc = [x + row[i] * t for x, t in zip(acc, tangent[a][0])]
            rows.append(acc)
        tangent[nid] = rows
    return [[_simplify(v) for v in tangent[o][0]] for o in graph.outputs]


def _backward(graph: Graph, local: dict, names: list[str]) -> list[list[Any]]:
    out = []
    index = {nid: k for k, nid in enumerate(graph.inputs)}
    for o in graph.outputs:
        adjoint: dict[tuple[int, int], Any] = {(o, 0): sympy.Integer(1)}
        for nid in range(len(graph.nodes) - 1, -1, -1):
            node = graph.nodes[nid]
            if node.op in ("input", "const"):
                continue
            if node.op == "get":
                v = adjoint.get((nid, 0))
                if v is not None and v != 0:
                    key = (node.args[0], node.params[0])
                    adjoint[key] = adjoint.get(key, 0) + v
                continue
            for j, row in enumerate(local[nid]):
                v = adjoint.get((nid, j))
                if v is None or v == 0:
                    continue
                for i, a in enumerate(node.args):
                    if row[i] != 0:
                        adjoint[(a, 0)] = adjoint.get((a, 0), 0) + v * row[i]
        row = [sympy.Integer(0)] * len(graph.inputs)
        for nid, k in index.items():
            row[k] = _simplify(adjoint.get((nid, 0), sympy.Integer(0)))
        out.append(row)
    return out


__all__ = ["ADResult", "UNDEF", "ad", "evaluate", "value"]
