"""Sweeping: merge the nodes of two programs that compute the same thing, then compare.

The technique of hardware equivalence checkers (ABC's ``fraig``), on the joint graph of
two programs (:meth:`Graph.joined` already shares every sub-DAG that is written the same
way: structural hashing):

1. **simulate** every node exactly at a few points (the origin, where ties meet, and
   small dyadic points): nodes whose values agree at every point are candidates;
2. rebuild the graph in topological order; a node whose operation on its (already
   merged) arguments exists is that node (structural hashing again); otherwise it is
   compared with the first node of its candidate class: first exactly where their
   arguments tie (all 0, all 1, 1, 2, 3, ...), which tells apart without a solver the
   pairs that only differ at a kink (``relu(s)`` and ``clamp(s, min=0)`` in their
   tangents), then by a **local proof**: both nodes over fresh variables for their
   arguments (a cut), so the query is tiny and holds for every value the arguments can
   take. A proved pair becomes one node;
3. if each output of one program became the same node as the other's, the programs are
   equal, with nothing left to ask the solver.

``tangents=True`` merges only nodes whose forward tangents are equal too (for every
tangent of their arguments) and whose derivatives are finite at the same points, so a
merge keeps what autodiff returns: that is the gradient question's sweep. Value-only
sweeping (the function question) merges ``relu(s)`` with ``clamp(s, min=0)``, which differ
at ``s = 0`` in their tangents.

A merge needs a proof (``unsat``); an ``unknown`` local query, an abstraction (a tie order
an algorithm sets) or a function the solver has no theory for keeps the nodes apart.
Sweeping only ever proves; it never refutes.

>>> from pwverify import parse
>>> a, b = parse("relu(x) * 2"), parse("torch.clamp(x, min=0) * 2")
>>> joint, outs_a, outs_b = a.graph.joined(b.graph)
>>> swept, (sa, sb), stats = sweep(joint, [outs_a, outs_b], tangents=False)
>>> sa == sb, stats.proved
(True, 1)
>>> swept, (sa, sb), stats = sweep(joint, [outs_a, outs_b], tangents=True)
>>> sa == sb
False
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

import z3

from ..ir.graph import Graph, Node
from .direct import encode_sides
from ..core.errors import DomainError
from .pointwise import ad, evaluate
from ..solver.smt import decide
from ..solver.terms import TermContext

#: Points simulated besides the origin.
RANDOM_POINTS = 3
#: Milliseconds for one local proof.
LOCAL_TIMEOUT_MS = 500
#: Local proofs tried per candidate node (against the first members of its class).
TRIES_PER_NODE = 3
#: Local proofs after which a sweep that proves less than one in sixteen stops trying.
GIVE_UP_AFTER = 256
#: Pairs kept apart at a local tie whose place is recorded (see ``SweepStats.apart``).
MAX_APART = 8
#: Graphs larger than this are not swept (simulation is exact, so it costs per node).
MAX_NODES = 200_000


@dataclass
class SweepStats:
    """What a sweep did: candidate pairs tried, proved and merged, and its seconds."""
    candidates: int = 0     # pairs given to the solver
    screened: int = 0       # pairs told apart by exact evaluation where their arguments tie (no solver)
    #: for the first of those pairs: ``{argument node: value}`` (nodes of the swept graph)
    #: where they differ, a place to look for a witness (:attr:`graph` holds the nodes)
    apart: list = field(default_factory=list)
    graph: Graph | None = None
    proved: int = 0
    unknown: int = 0
    #: local questions answered by an earlier one of the same shape (a layer's relu(s_i)
    #: against max(0, s_i) is one question, asked once)
    reused: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def sweep(graph: Graph, sides: Sequence[Sequence[int]], *, tangents: bool, seed: int = 0,
          timeout_ms: int = LOCAL_TIMEOUT_MS) -> tuple[Graph, list[list[int]], SweepStats]:
    """The graph with its proved-equal nodes merged, the ``sides``' outputs in it, and stats."""
    start = time.perf_counter()
    stats = SweepStats()
    if len(graph.nodes) > MAX_NODES:
        stats.notes.append(f"not swept: more than {MAX_NODES} nodes")
        return graph, [list(s) for s in sides], stats
    signatures = _signatures(graph, seed)
    new = Graph()
    mapping: dict[int, int] = {}
    classes: dict[tuple, list[int]] = {}
    answers: dict[tuple, tuple] = {}     # local questions by shape (see _same)
    for nid, node in enumerate(graph.nodes):
        args = tuple(mapping[a] for a in node.args)
        key = Node(node.op, args, node.params, node.n_out)
        found = new._index.get(key)
        if found is not None:
            mapping[nid] = found
            continue
        signature = signatures.get(nid) if node.op not in ("input", "const", "get") and node.n_out == 1 else None
        if signature is not None:
            merged = None
            members = classes.get(signature, [])
            # nodes over the same arguments first (relu(s) and clamp(s, min=0)), then the oldest
            shared = [m for m in members if set(new.nodes[m].args) & set(args)]
            tries = shared[:TRIES_PER_NODE] or members[:1]
            if stats.candidates > GIVE_UP_AFTER and stats.proved * 16 < stats.candidates:
                tries = []  # the classes are mostly coincidences: stop paying for local proofs
                if "gave up" not in " ".join(stats.notes):
                    stats.notes.append(f"gave up after {stats.candidates} local proofs, {stats.proved} proved")
            for candidate in tries:
                verdict = _same(new, candidate, key, tangents, timeout_ms, stats, answers)
                if verdict == "proved":
                    stats.proved += 1
                    merged = candidate
                    break
                stats.unknown += verdict == "unknown"
            if merged is not None:
                mapping[nid] = merged
                continue
        mapping[nid] = new.add(key, graph.locations.get(nid))
        if signature is not None:
            classes.setdefault(signature, []).append(mapping[nid])
    new.inputs = [mapping[i] for i in graph.inputs]
    out_sides = [[mapping[o] for o in side] for side in sides]
    new.outputs = [o for side in out_sides for o in side]
    stats.graph = new
    stats.seconds = time.perf_counter() - start
    return new, out_sides, stats


def _signatures(graph: Graph, seed: int) -> dict[int, tuple]:
    """Each node's exact values at the simulation points (nodes undefined somewhere: none)."""
    names = graph.input_names()
    rng = random.Random(seed)
    points = [{n: Fraction(0) for n in names}]
    points += [{n: Fraction(rng.randint(-8, 8), 4) for n in names} for _ in range(RANDOM_POINTS)]
    points += [{n: Fraction((-1) ** k * (k + 1), 3) for k, n in enumerate(names)}]
    columns: dict[int, list] = {}
    for point in points:
        values, _ = evaluate(graph, point)
        for nid, value in values.items():
            columns.setdefault(nid, []).append(value)
    out = {}
    for nid, column in columns.items():
        if len(column) == len(points):
            try:
                out[nid] = tuple(tuple(v) for v in column)
                hash(out[nid])
            except TypeError:  # a value that cannot be hashed is not a candidate
                out.pop(nid, None)
    return out


def _same(graph: Graph, existing: int, node: Node, tangents: bool, timeout_ms: int,
          stats: SweepStats, answers: dict | None = None) -> str:
    """``proved`` if ``node`` (not yet in ``graph``) equals node ``existing`` for every value
    (and tangent, with ``tangents``) of their arguments; else ``refuted`` or ``unknown``.

    The question is about the two nodes over their cut arguments only, so it is the same
    question for every pair of the same shape (the same operations, parameters and
    constants over the same pattern of arguments): ``answers`` keeps each shape's answer."""
    other = graph.nodes[existing]
    leaves = list(dict.fromkeys(other.args + node.args))
    sub = Graph()
    leaf_of = {}
    for i, leaf in enumerate(leaves):
        below = graph.nodes[leaf]
        # constants stay constants (clamp(s, min=0) is relu only with its 0); the rest is cut
        leaf_of[leaf] = sub.const(below.params[0]) if below.op == "const" else sub.input(f"leaf{i}")
    a = sub.add(Node(other.op, tuple(leaf_of[x] for x in other.args), other.params, other.n_out))
    b = sub.add(Node(node.op, tuple(leaf_of[x] for x in node.args), node.params, node.n_out))
    if a == b:
        return "proved"
    sub.outputs = [a, b]
    shape = (tuple(sub.nodes), a, b, tangents)
    known = answers.get(shape) if answers is not None else None
    if known is None:
        tie = _differ_at_local_ties(sub, tangents)
        known = (tie, None if tie is not None else _decide_local(sub, a, b, tangents, timeout_ms))
        if answers is not None:
            answers[shape] = known
    else:
        stats.reused += 1
    tie, verdict = known
    if tie is not None:
        stats.screened += 1
        if len(stats.apart) < MAX_APART and _same_arguments(graph, other, node):  # apart only at a tie
            name_of = {f"leaf{i}": leaf for i, leaf in enumerate(leaves)}
            stats.apart.append({name_of[n]: v for n, v in tie.items()})
        return "refuted"
    stats.candidates += 1
    return verdict


def _decide_local(sub: Graph, a: int, b: int, tangents: bool, timeout_ms: int) -> str:
    """The solver's answer on nodes ``a`` and ``b`` of ``sub`` over free arguments."""
    ctx = TermContext()
    ea, eb = encode_sides(sub, [[a], [b]], channels="direction", tangents=tangents, ctx=ctx)
    if not ctx.exact or ea.abstractions or eb.abstractions:
        return "unknown"
    differ = [ea.defined != eb.defined,
              z3.And(ea.defined, eb.defined, ea.values[0] != eb.values[0])]
    if tangents:
        both = z3.And(ea.defined, eb.defined)
        differ += [z3.And(both, ea.bad != eb.bad),
                   z3.And(both, z3.Not(ea.bad), ea.tangents[0][0] != eb.tangents[0][0])]
    answer = decide([*ctx.side, z3.Or(differ)], timeout_ms)
    return {"unsat": "proved", "sat": "refuted"}.get(answer, "unknown")


def _same_arguments(graph: Graph, a: Node, b: Node) -> bool:
    """Do ``a`` and ``b`` read the same nodes, constants aside (``relu(s)``, ``clamp(s, 0)``)?"""
    def inputs(n: Node) -> set:
        return {x for x in n.args if graph.nodes[x].op != "const"}
    return inputs(a) == inputs(b)


def _differ_at_local_ties(sub: Graph, tangents: bool) -> dict | None:
    """Do the two outputs of ``sub`` differ (in value, or with ``tangents`` in their
    autodiff derivatives) where their cut arguments tie: all 0 (every relu, max and clamp
    at its kink), all 1, or 1, 2, 3, ...? Exact evaluation: no solver needed for the pairs
    that only autodiff tells apart (``relu(s)`` and ``clamp(s, min=0)`` at s = 0).
    Returns the point (by input name of ``sub``) where they differ, or None."""
    names = sub.input_names()
    for pattern in ([0] * len(names), [1] * len(names), list(range(1, len(names) + 1))):
        point = {n: Fraction(v) for n, v in zip(names, pattern)}
        try:
            result = ad(sub, point, "reverse")  # two outputs: one pass each, whatever the leaves
        except (DomainError, ArithmeticError):
            continue
        if str(result.value[0]) != str(result.value[1]):
            return point
        if tangents and [str(g) for g in result.gradient[0]] != [str(g) for g in result.gradient[1]]:
            return point
    return None


__all__ = ["SweepStats", "sweep"]
