"""The intermediate representation: a hash-consed DAG of scalar nodes.

A program is a :class:`Graph`. Each :class:`Node` is an input, an exact constant, or
the application of a registered primitive (``pwverify.primitives``) to earlier nodes.
Primitives with several outputs (``sort``, a multi-valued ``select``) are read
through ``get`` nodes, so every edge of the DAG carries one real number.

Nodes are hash-consed: building the same node twice returns the same id, so common
subexpressions are shared, as they are in the traced graph of an autodiff framework.
Ids are assigned in creation order, which is a topological order (Algorithm 1 of
Bolte & Pauwels: every node comes after its predecessors).

>>> from fractions import Fraction
>>> g = Graph()
>>> t = g.input("t")
>>> two = g.const(Fraction(2))
>>> a = g.op("mul", (two, t))
>>> g.op("mul", (two, t)) == a
True
>>> print(g.to_text())
%0 = input t
%1 = const 2
%2 = mul(%1, %0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Iterable

from ..core.limits import check_nodes, current as _current_limits
from ..core.errors import Location


@dataclass(frozen=True)
class Node:
    """One node. ``op`` is ``"input"``, ``"const"`` or a primitive's name.

    ``params`` holds what is fixed at parse time (an input's name, a constant's
    value, a pooling window, a select's condition shape); it must be hashable.
    """

    op: str
    args: tuple[int, ...] = ()
    params: tuple[Any, ...] = ()
    n_out: int = 1


@dataclass
class Graph:
    """A DAG of :class:`Node` with source locations, inputs and outputs."""

    nodes: list[Node] = field(default_factory=list)
    locations: dict[int, Location] = field(default_factory=dict)
    inputs: list[int] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)
    _index: dict[Node, int] = field(default_factory=dict, repr=False)

    def add(self, node: Node, location: Location | None = None) -> int:
        """Return the id of ``node``, creating it if it is new (hash-consing)."""
        found = self._index.get(node)
        if found is not None:
            return found
        for a in node.args:
            if not 0 <= a < len(self.nodes):
                raise ValueError(f"argument %{a} does not exist yet")
        nid = len(self.nodes)
        if nid >= _current_limits().max_nodes:
            check_nodes(nid + 1)
        self.nodes.append(node)
        self._index[node] = nid
        if location is not None:
            self.locations[nid] = location
        return nid

    def input(self, name: str, location: Location | None = None) -> int:
        nid = self.add(Node("input", (), (name,)), location)
        if nid not in self.inputs:
            self.inputs.append(nid)
        return nid

    def const(self, value: Fraction | int, location: Location | None = None) -> int:
        return self.add(Node("const", (), (Fraction(value),)), location)

    def op(self, name: str, args: Iterable[int], params: tuple[Any, ...] = (),
           n_out: int = 1, location: Location | None = None) -> int:
        return self.add(Node(name, tuple(args), tuple(params), n_out), location)

    # -- queries -----------------------------------------------------------------
    def input_names(self) -> list[str]:
        return [self.nodes[i].params[0] for i in self.inputs]

    def const_value(self, nid: int) -> Fraction | None:
        node = self.nodes[nid]
        return node.params[0] if node.op == "const" else None

    def last_use(self) -> dict[int, int]:
        """For each node, the id of the last node that reads it (outputs live forever)."""
        last = {i: i for i in range(len(self.nodes))}
        for i, node in enumerate(self.nodes):
            for a in node.args:
                last[a] = max(last[a], i)
        for o in self.outputs:
            last[o] = len(self.nodes)
        return last

    def reachable(self) -> list[int]:
        """Ids of the nodes the outputs depend on, in topological order."""
        keep = set(self.outputs)
        for i in range(len(self.nodes) - 1, -1, -1):
            if i in keep:
                keep.update(self.nodes[i].args)
        keep.update(self.inputs)
        return sorted(keep)

    def pruned(self) -> "Graph":
        """A copy without the nodes the outputs do not depend on (inputs are kept)."""
        order = self.reachable()
        if len(order) == len(self.nodes):
            return self
        new = Graph()
        remap: dict[int, int] = {}
        for old in order:
            node = self.nodes[old]
            node = Node(node.op, tuple(remap[a] for a in node.args), node.params, node.n_out)
            remap[old] = new.add(node, self.locations.get(old))
        new.inputs = [remap[i] for i in self.inputs]
        new.outputs = [remap[o] for o in self.outputs]
        return new

    def joined(self, other: "Graph") -> tuple["Graph", list[int], list[int]]:
        """Both graphs in one, inputs matched by position: a sub-DAG the two share (same
        operations on the same arguments) becomes one node (structural hashing).

        Returns ``(joint graph, outputs of self, outputs of other)``.
        """
        if len(self.inputs) != len(other.inputs):
            raise ValueError("the graphs have different numbers of inputs")
        joint = Graph()
        remap: dict[int, int] = {}
        for old, node in enumerate(self.nodes):
            remap[old] = joint.add(Node(node.op, tuple(remap[a] for a in node.args), node.params, node.n_out),
                                   self.locations.get(old))
        joint.inputs = [remap[i] for i in self.inputs]
        mine = dict(zip(other.inputs, joint.inputs))
        other_map: dict[int, int] = {}
        for old, node in enumerate(other.nodes):
            if old in mine:
                other_map[old] = mine[old]
                continue
            if node.op == "input":  # an input of other that its outputs do not use
                continue
            other_map[old] = joint.add(Node(node.op, tuple(other_map[a] for a in node.args), node.params,
                                            node.n_out), other.locations.get(old))
        outs_a = [remap[o] for o in self.outputs]
        outs_b = [other_map[o] for o in other.outputs]
        joint.outputs = outs_a + outs_b
        return joint, outs_a, outs_b

    # -- rendering ---------------------------------------------------------------
    def label(self, nid: int) -> str:
        node = self.nodes[nid]
        if node.op == "input":
            return f"input {node.params[0]}"
        if node.op == "const":
            return f"const {node.params[0]}"
        args = ", ".join(f"%{a}" for a in node.args)
        params = ""
        if node.params:
            params = " [" + ", ".join(_param_str(p) for p in node.params) + "]"
        return f"{node.op}({args}){params}"

    def to_text(self) -> str:
        lines = []
        for nid in range(len(self.nodes)):
            loc = self.locations.get(nid)
            suffix = f"    # {loc}" if loc and self.nodes[nid].op not in ("input", "const") else ""
            lines.append(f"%{nid} = {self.label(nid)}{suffix}")
        if self.outputs:
            lines.append("return " + ", ".join(f"%{o}" for o in self.outputs))
        return "\n".join(lines)

    def to_networkx(self):
        """The DAG as a ``networkx.DiGraph`` (edges from argument to user)."""
        import networkx as nx

        dag = nx.DiGraph()
        for nid, node in enumerate(self.nodes):
            loc = self.locations.get(nid)
            dag.add_node(nid, op=node.op, label=self.label(nid),
                         location=str(loc) if loc else "",
                         output=nid in self.outputs)
            for pos, a in enumerate(node.args):
                dag.add_edge(a, nid, position=pos)
        return dag

    def to_dot(self) -> str:
        lines = ["digraph program {", "  rankdir=LR;", '  node [shape=box, fontname="monospace"];']
        for nid, node in enumerate(self.nodes):
            shape = {"input": "ellipse", "const": "plaintext"}.get(node.op, "box")
            style = ', style=bold' if nid in self.outputs else ''
            label = self.label(nid).replace('"', r'\"')
            lines.append(f'  n{nid} [label="%{nid}: {label}", shape={shape}{style}];')
        for nid, node in enumerate(self.nodes):
            for a in node.args:
                lines.append(f"  n{a} -> n{nid};")
        lines.append("}")
        return "\n".join(lines)


def _param_str(p: Any) -> str:
    if isinstance(p, tuple):
        return "(" + ", ".join(_param_str(q) for q in p) + ")"
    return str(p)
