"""Linear arithmetic in one canonical form: every sum of scaled terms as one ``affine`` node.

Two programs that compute the same layer seldom build the same chain of ``add`` and
``mul``: ``W @ x + b`` and a loop ``s = b[i]; s = s + W[i][j] * x[j]`` differ in the order
of the terms, where the bias joins, in how a mean divides. :func:`canonical` rewrites a
graph so that each maximal linear part becomes one node, ``c0 + c1 t1 + ... + ck tk``
over the nodes ``t`` that are not linear (inputs, relus, products of two inputs), terms
in node order, duplicates merged. Structural hashing then shares whatever two programs
compute the same affine way, which is what lets :mod:`pwverify.engines.sweep` match the
next layer of two formulations of a network.

Linear operations are ``add``, ``sub``, ``neg``, ``affine``, and ``mul``/``div`` by a
constant. The rewrite keeps the function, its domain and what autodiff computes (the
derivative of a sum is the same combination of the derivatives): a term whose
coefficient cancels to 0 is dropped only when its node is *tame* (defined everywhere, with
finite derivatives: built from inputs, constants and piecewise linear selections), since
``0 * sqrt(x)`` keeps the domain of ``sqrt`` and its nan derivative at 0.

Each root is expanded through the linear nodes below it once; a linear node shared by
several roots is expanded once and reused, so the cost is the size of the result.

>>> from pwverify import parse
>>> a = parse("relu(2*x - y + 1) - x")
>>> g = canonical(a.graph)
>>> print(g.to_text())
%0 = input x
%1 = input y
%2 = affine(%0, %1) [(2, -1), 1]    # <expr>:1:6
%3 = relu(%2)    # <expr>:1:1
%4 = affine(%0, %3) [(-1, 1), 0]    # <expr>:1:1
return %4
>>> b = parse("relu(1 + (x - y) + x) - x")
>>> canonical(b.graph).nodes == g.nodes
True
"""

from __future__ import annotations

from fractions import Fraction

from ..ir.graph import Graph, Node
from ..primitives.arith import affine_params
from .common import table_of

_LINEAR = frozenset({"add", "sub", "neg", "affine", "mul", "div"})


def canonical(graph: Graph) -> Graph:
    """``graph`` with its linear arithmetic in canonical affine nodes (see the module)."""
    if not any(node.op in _LINEAR for node in graph.nodes):
        return graph
    linear = [_is_linear(graph, node) for node in graph.nodes]
    uses = [0] * len(graph.nodes)
    feeds_other = [False] * len(graph.nodes)   # read by a node that is not linear
    for nid, node in enumerate(graph.nodes):
        for a in node.args:
            uses[a] += 1
            if not linear[nid]:
                feeds_other[a] = True
    outputs = set(graph.outputs)
    new = Graph()
    mapping: dict[int, int] = {}
    forms: dict[int, tuple[dict, Fraction]] = {}   # shared linear nodes, expanded once
    tame: dict[int, bool] = {}                     # by new id
    for nid, node in enumerate(graph.nodes):
        if linear[nid]:
            if uses[nid] == 1 and not feeds_other[nid] and nid not in outputs:
                continue  # expanded inside the one linear node that reads it
            terms, constant = _expand(graph, nid, linear, forms, mapping)
            forms[nid] = (terms, constant)
            if feeds_other[nid] or nid in outputs:
                mapping[nid] = _materialise(new, terms, constant, tame, graph.locations.get(nid))
            continue
        if node.op == "const" and nid not in outputs:
            continue  # made where a node that is not linear reads it
        if node.op == "input":
            mapping[nid] = new.input(node.params[0], graph.locations.get(nid))
            tame[mapping[nid]] = True
            continue
        args = tuple(mapping[a] if a in mapping else _constant(new, graph, a, tame) for a in node.args)
        out = new.add(Node(node.op, args, node.params, node.n_out), graph.locations.get(nid))
        mapping[nid] = out
        if out not in tame:
            tame[out] = node.op == "const" or (node.op == "get" or _tame_op(node)) and all(tame[a] for a in args)
    new.inputs = [mapping[i] for i in graph.inputs]
    new.outputs = [mapping[o] for o in graph.outputs]
    return new.pruned()  # a term that cancelled leaves its node unread


def _constant(new: Graph, graph: Graph, nid: int, tame: dict) -> int:
    out = new.const(graph.nodes[nid].params[0], graph.locations.get(nid))
    tame[out] = True
    return out


def _is_linear(graph: Graph, node: Node) -> bool:
    if node.op not in _LINEAR:
        return False
    if node.op == "mul":
        return any(graph.nodes[a].op == "const" for a in node.args)
    if node.op == "div":
        c = graph.const_value(node.args[1])
        return c is not None and c != 0
    return True


def _expand(graph: Graph, root: int, linear: list, forms: dict, mapping: dict) -> tuple[dict, Fraction]:
    """The form of linear node ``root``: ``({new id: coefficient}, constant)``."""
    terms: dict[int, Fraction | int] = {}
    constant: Fraction | int = 0
    stack: list = [(root, 1)]
    while stack:
        nid, c = stack.pop()
        node = graph.nodes[nid]
        if node.op == "const":
            constant += c * _small(node.params[0])
            continue
        if nid != root and nid in forms:
            inner, k = forms[nid]
            constant += c * k
            for t, w in inner.items():
                terms[t] = terms.get(t, 0) + c * w
            continue
        if not linear[nid]:
            terms[mapping[nid]] = terms.get(mapping[nid], 0) + c
            continue
        op, args = node.op, node.args
        if op == "add":
            stack += [(args[0], c), (args[1], c)]
        elif op == "sub":
            stack += [(args[0], c), (args[1], -c)]
        elif op == "neg":
            stack.append((args[0], -c))
        elif op == "mul":
            k = graph.const_value(args[0])
            if k is not None:
                stack.append((args[1], c * _small(k)))
            else:
                stack.append((args[0], c * _small(graph.const_value(args[1]))))
        elif op == "div":
            stack.append((args[0], _small(Fraction(c) / graph.const_value(args[1]))))
        else:  # affine
            coefficients, k = node.params
            constant += c * _small(k)
            if c == 1:
                stack += [(a, _small(w)) for a, w in zip(args, coefficients)]
            else:
                stack += [(a, c * _small(w)) for a, w in zip(args, coefficients)]
    return terms, constant


def _small(value: Fraction) -> Fraction | int:
    """An integral value as an int: sums of integer weights stay in fast int arithmetic."""
    return value.numerator if value.denominator == 1 else value


def _materialise(new: Graph, terms: dict, constant: Fraction, tame: dict, location) -> int:
    kept = sorted(t for t, w in terms.items() if w != 0 or not tame.get(t, False))
    if not kept:
        nid = new.const(constant)
        tame[nid] = True
        return nid
    if len(kept) == 1 and constant == 0 and terms[kept[0]] == 1:
        return kept[0]
    nid = new.op("affine", kept, affine_params([terms[t] for t in kept], constant), location=location)
    tame[nid] = all(tame.get(t, False) for t in kept)
    return nid


def _tame_op(node: Node) -> bool:
    """Is the primitive defined everywhere, with finite derivatives everywhere (``relu``,
    ``max``, ``exp``; not ``sqrt``, ``log``, ``/``)? When unsure: no."""
    try:
        table = table_of(node)
    except Exception:  # noqa: BLE001 - "not tame" is always safe
        return False
    if table.domain:
        return False
    if getattr(table, "linear", False) and getattr(table, "encode_fast", None) is not None:
        return True
    if table.implicit or table.count() > 64:
        return False
    import sympy
    return not any(d.has(sympy.oo, sympy.nan, sympy.zoo) for branch in table.branches()
                   for row in branch.local_jacobian(len(node.args)) for d in row)
