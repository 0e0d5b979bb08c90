"""From a program's graph to its representation, node by node (Lemma 1 of Després).

(One module of about 900 lines: the walk, the depth-first decision of a layer, the branch
selection, the merging of pieces and the pruning share the composer's state and its solver
contexts; split, they would pass them around in every call. What needs no solver, the
exact facts about regions at points, is in ``regions.py``.)

The composition walks the DAG in topological order and keeps a list of pieces of
the input space. On each piece it knows a smooth formula (over the inputs) for every
node computed so far that is still needed. A node of a smooth primitive extends the
formulas; a node whose primitive has several branches is composed with the pieces
(Lemma 1: ``R^{αβ} = P^α ∩ (u^α)^{-1}(Q^β)``, formulas ``v^β ∘ u^α``), which is also
how sums and products of selections meet (Lemma 3: both operands are already
formulas on the same pieces).

Pruning is output-sensitive. For each piece only the branches that are feasible on
it are formed: a branch contradicted syntactically costs nothing, the others cost one
solver check each, and tables with many branches (``torch.max`` over n entries has
2**n - 1) are enumerated by the solver itself, which proposes the feasible branches
one model at a time (calls = feasible branches + 1). A branch that is the only
feasible one covers the whole piece and adds no condition.

The nodes of a layer (ReLUs reading sums computed before them) are independent: a
run of them is decided together, each piece depth first in one incremental solver
context, and a node whose branch is decided on the whole piece is not asked again on
its sub-pieces. The pieces are those node by node gives. Formulas and atoms that are
sums of scaled inputs are composed in integer arithmetic (``core/affine.py``), not by
sympy.

After each split, pieces on which every live value has the same formula are merged
when their union is again a conjunction of atoms (proved by the solver; two pieces
that differ in one atom and its negation need no proof, and a union whose midpoint
between two pieces lies in neither is not convex, so it is not tried), so the loop
``max1`` of Després 2024b yields its n pieces, not 2**(n-1). Pieces are disjoint and
cover the domain by construction; emptiness the solver cannot decide keeps the
piece, flagged ``possibly_empty``.
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass
from typing import Any, Sequence

import sympy
import z3

from ..core.affine import Form
from ..core.atoms import Atom, canonical, conjoin
from .regions import (exact_point, facets_with_a_neighbour, false_at, holding_at, substitute,
                      union_not_convex, weakened)
from ..core.errors import PwverifyError
from ..ir.graph import Graph
from ..model.representation import CompositionStats, Piece, Representation
from ..primitives import registry
from ..primitives.registry import ARGS, PieceTable
from ..solver.smt import DEFAULT_TIMEOUT_MS, Smt


#: Candidates beyond this many times ``max_pieces`` are not merged: the budget is exceeded.
MERGE_HOPE = 4

class _Undefined:
    """The value of a node outside its domain (log of a non-positive number, ...)."""

    def __repr__(self) -> str:
        return "UNDEF"


UNDEF = _Undefined()

#: Explicit tables with more candidate branches than this are enumerated by the solver.
SELECTOR_THRESHOLD = 4
#: Independent nodes decided together on a piece, at most (the depth of its walk).
MAX_RUN = 128
#: Pair attempts allowed when merging one group of pieces with equal formulas.
MERGE_BUDGET = 400


class DecompositionUnknown(PwverifyError):
    """The solver could not decide which branches are feasible (exit code 3)."""

    exit_code = 3


class DecompositionTooLarge(DecompositionUnknown):
    """The decomposition exceeded its piece budget."""


@dataclass
class _State:
    where: tuple[Atom, ...]
    env: dict[int, tuple]
    trace: tuple = ()
    possibly_empty: bool = False
    #: nodes whose branches added atoms (-1: a merge). Atoms of one table row are
    #: irredundant by construction, so only pieces with several sources are simplified.
    sources: frozenset = frozenset()
    #: an exact rational point of the piece (a solver model), or None: a branch whose
    #: atoms hold there is feasible without asking the solver
    point: dict | None = None

    def key(self) -> tuple:
        return tuple(sorted(self.env.items(), key=lambda kv: kv[0]))


@dataclass
class Step:
    """One composition step, kept for ``explain``."""

    node: int
    op: str
    location: Any
    pieces_in: int
    candidates: int
    pruned: int
    pieces_out: int
    merged: int
    snapshot: list | None = None   # (where, formulas, gradients) of the node on each piece after the step
    events: list | None = None     # per incoming piece: its condition and what each branch became


def compose(graph: Graph, inputs: Sequence[sympy.Symbol] | None = None, *,
            timeout_ms: int = DEFAULT_TIMEOUT_MS, merge: bool = True, simplify: bool = True,
            record: bool = False, output_shape: tuple = (), groups: dict | None = None,
            label: str = "", max_pieces: int | None = None, max_seconds: float | None = None) -> Representation:
    """The representation of the function computed by ``graph``.

    ``max_pieces``: give up (DecompositionTooLarge) when more pieces are alive at once;
    ``max_seconds``: when the decomposition takes longer.
    """
    composer = _Composer(graph, inputs, timeout_ms, merge, simplify, record)
    composer.max_pieces = max_pieces
    if max_seconds is not None:
        composer.deadline = (time.monotonic() + max_seconds, max_seconds)
    rep = composer.run()
    rep.output_shape, rep.groups, rep.label = output_shape, dict(groups or {}), label
    return rep


class _Composer:
    def __init__(self, graph: Graph, inputs, timeout_ms: int, merge: bool, simplify: bool, record: bool):
        self.graph = graph.pruned()
        names = self.graph.input_names()
        self.inputs = tuple(inputs) if inputs is not None else tuple(sympy.Symbol(n) for n in names)
        self.symbol_of = dict(zip(names, self.inputs))
        self.smt = Smt(self.inputs, timeout_ms)
        self.merge_enabled = merge
        self.simplify_enabled = simplify
        self.record = record
        self.stats = CompositionStats()
        self.fixed: dict[int, tuple] = {}
        self._memo: dict = {}
        self.max_pieces: int | None = None
        self.deadline: tuple[float, float] | None = None   # (monotonic time, the seconds allowed)
        self._failed_merges: set[frozenset] = set()
        self._events: list | None = None

    # -- the walk ----------------------------------------------------------------------
    def run(self) -> Representation:
        start = time.perf_counter()
        graph = self.graph
        last = graph.last_use()
        # Merging only pays before a node that can split pieces (and at the end): a run of
        # smooth nodes never splits, so its merges can wait until it ends.
        splits = [self._splits(node) for node in graph.nodes] + [True]
        states = [_State((), {}, point={x: sympy.Integer(0) for x in self.inputs})]
        nid = 0
        while nid < len(graph.nodes):
            node = graph.nodes[nid]
            self._check_deadline(nid, node)
            run = self._independent_run(nid)
            if run:
                # (node, pieces in, candidates, pruned) per node of the run
                states, counts = self._decide_run(states, run)
                nid, node = run[-1], graph.nodes[run[-1]]
            else:
                before, pruned_before = len(states), self.stats.pruned
                self._events = [] if self.record else None
                states = self._step(nid, node, states)
                pruned = self.stats.pruned - pruned_before
                counts = [(nid, before, len(states) + pruned, pruned)]
            dead = [k for k in (states[0].env if states else {}) if last[k] <= nid]
            for st in states:
                for k in dead:
                    st.env.pop(k, None)
            merged = 0
            if self.max_pieces is not None and len(states) > MERGE_HOPE * self.max_pieces:
                # merging is quadratic in the candidates and rarely shrinks them this much
                raise DecompositionTooLarge(f"the decomposition has more than {self.max_pieces} pieces "
                                            f"({len(states)} candidates at node %{nid}, {node.op})")
            if self.merge_enabled and len(states) > 1 and nid not in self.fixed and splits[nid + 1]:
                self._check_deadline(nid, node)
                states, merged = self._merge(states)
            if self.max_pieces is not None and len(states) > self.max_pieces:
                raise DecompositionTooLarge(f"the decomposition has more than {self.max_pieces} pieces "
                                            f"(at node %{nid}, {node.op})")
            for k, (step_nid, before, candidates, pruned) in enumerate(counts):
                step_node = graph.nodes[step_nid]
                if step_node.op in ("input", "const") or step_nid in self.fixed:
                    continue
                final = k == len(counts) - 1
                self.stats.steps.append(Step(
                    step_nid, step_node.op, graph.locations.get(step_nid), before, candidates, pruned,
                    len(states) if final else counts[k + 1][1], merged if final else 0,
                    [self._snapshot(st, step_nid) for st in states] if self.record else None, self._events))
            nid += 1
        pieces, outside = [], []
        for st in states:
            outs = [self._value(st, o) for o in graph.outputs]
            if any(v[0][0] is UNDEF for v in outs):
                outside.append(st)
            else:
                pieces.append(st)
        if self.merge_enabled and len(outside) > 1:
            for st in outside:
                st.env = {}
            outside, _ = self._merge(outside)
        if self.simplify_enabled:
            needed = facets_with_a_neighbour(pieces + outside)
            pieces = [self._drop_redundant(st, needed[k]) for k, st in enumerate(pieces)]
            outside = [self._drop_redundant(st, needed[len(pieces) + k]) for k, st in enumerate(outside)]
        pieces.sort(key=_display_order)
        result = []
        for st in pieces:
            outs = [self._value(st, o) for o in graph.outputs]
            explicit = None
            if any(v[1] is not None for v in outs):
                explicit = tuple(v[1][0] if v[1] is not None else self._derived(v[0][0]) for v in outs)
            result.append(Piece(st.where, tuple(v[0][0] for v in outs), self.inputs, st.possibly_empty,
                                st.trace, explicit))
        self.stats.kept = len(result)
        self.stats.solver_calls = self.smt.stats.checks
        self.stats.unknown = self.smt.stats.unknown
        self.stats.seconds = time.perf_counter() - start
        return Representation(self.inputs, result, [st.where for st in outside], stats=self.stats)

    @staticmethod
    def _splits(node) -> bool:
        """Can this node give a piece more than one child (or an undefined part)?"""
        if node.op in ("input", "const", "get"):
            return False
        table = registry.get(node.op).table(len(node.args), node.params)
        return table.implicit or table.count() != 1 or bool(table.domain)

    def _value(self, st: _State, nid: int) -> tuple:
        """``(formulas, gradients)`` of a node on a piece; gradients is None when they are
        the gradients of the formulas (always, unless a framework rule overrides one)."""
        hit = self.fixed.get(nid)
        return hit if hit is not None else st.env[nid]

    def _subst(self, expr, mapping: dict):
        """``canonical(expr.xreplace(mapping))``, memoised: pieces share argument formulas."""
        key = (expr, tuple(mapping.items()))  # mappings are built in ARGS order
        hit = self._memo.get(key)
        if hit is None:
            form = Form.of(expr)
            form = form.substitute(mapping) if form is not None else None
            hit = form.expr() if form is not None else canonical(expr.xreplace(mapping))
            self._memo[key] = hit
        return hit

    def _subst_atoms(self, atoms, mapping: dict):
        """Atoms with arguments substituted (None if one is False), memoised."""
        key = (atoms, tuple(mapping.items()))
        if key not in self._memo:
            self._memo[key] = substitute(atoms, mapping)
        return self._memo[key]

    def _derived(self, formula) -> tuple:
        return tuple(canonical(sympy.diff(formula, x)) for x in self.inputs)

    def _gradients(self, branch, n_args: int, entries: list, mapping: dict):
        """Chain rule through a branch whose framework derivative is not ∇formula, or
        whose arguments carry such derivatives; None when nothing is overridden."""
        if branch.jacobian is None and all(e[1] is None for e in entries):
            return None
        rows_in = [e[1][0] if e[1] is not None else self._derived(e[0][0]) for e in entries]
        out = []
        for row in branch.local_jacobian(n_args):
            acc = [sympy.Integer(0)] * len(self.inputs)
            for i, d in enumerate(row):
                d = self._subst(d, mapping)
                if d != 0:
                    acc = [a + d * g for a, g in zip(acc, rows_in[i])]
            out.append(tuple(canonical(a) for a in acc))
        return tuple(out)

    def _snapshot(self, st: _State, nid: int):
        formulas, grads = self._value(st, nid)
        if grads is None and all(f is not UNDEF for f in formulas):
            grads = tuple(self._derived(f) for f in formulas)
        return (st.where, formulas, grads)

    def _step(self, nid: int, node, states: list[_State]) -> list[_State]:
        if node.op == "input":
            self.fixed[nid] = ((self.symbol_of[node.params[0]],), None)
            return states
        if node.op == "const":
            v = node.params[0]
            self.fixed[nid] = ((sympy.Rational(v.numerator, v.denominator),), None)
            return states
        if node.op == "get":
            (arg,), k = node.args, node.params[0]

            def pick(entry):
                return ((entry[0][k],), (entry[1][k],) if entry[1] is not None else None)
            if arg in self.fixed:
                self.fixed[nid] = pick(self.fixed[arg])
            else:
                for st in states:
                    st.env[nid] = pick(st.env[arg])
            return states
        table = registry.get(node.op).table(len(node.args), node.params)
        if all(a in self.fixed for a in node.args) and not table.implicit and table.count() == 1:
            entries = [self.fixed[a] for a in node.args]
            mapping = dict(zip(ARGS, [e[0][0] for e in entries]))
            if not table.domain or all(atom.subs(mapping) is True for atom in table.domain):
                branch = table.branches()[0]
                self.fixed[nid] = (tuple(self._subst(f, mapping) for f in branch.value),
                                   self._gradients(branch, len(entries), entries, mapping))
                return states
        out: list[_State] = []
        for st in states:
            self._check_deadline(nid, node)
            out.extend(self._apply(st, nid, node, table))
        return out

    def _check_deadline(self, nid: int, node) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline[0]:
            raise DecompositionTooLarge(f"the decomposition takes more than {self.deadline[1]:g} s "
                                        f"(at node %{nid}, {node.op})")

    # -- a run of independent choices, depth first -------------------------------------------
    def _independent_run(self, start: int) -> list[int]:
        """The nodes from ``start`` on, up to the last of at least two (at most MAX_RUN)
        that each choose among a few branches by atoms on arguments computed outside the
        run (the ReLUs of one layer), with the smooth nodes between them that do not read
        such a choice (``relu(a) + relu(b)`` computes ``b`` between the two ReLUs):
        :meth:`_decide_run` decides the choices together on each piece."""
        if self.record:    # explain shows what each node did to each piece, node by node
            return []
        nodes, span, choosing = self.graph.nodes, [], set()
        last = None
        for nid in range(start, len(nodes)):
            node = nodes[nid]
            if len(choosing) >= MAX_RUN or any(a in choosing for a in node.args):
                break
            if node.op not in ("input", "const", "get"):
                table = self._table(node)
                if table.implicit or table.domain or table.count() > SELECTOR_THRESHOLD:
                    break
                if table.count() > 1:
                    choosing.add(nid)
                    last = nid
            span.append(nid)
        if len(choosing) < 2:
            return []
        return span[:span.index(last) + 1]

    def _decide_run(self, states: list[_State], span: list[int]) -> tuple[list[_State], list[tuple]]:
        """Apply the nodes of an independent run to every piece: the smooth ones first (they
        read no choice of the run), then the choices, each piece's depth first in one
        incremental solver context; a node whose branch is decided on the whole piece is
        never asked again on its sub-pieces. The pieces are those node by node would give.
        Returns them and ``(node, pieces in, candidates, pruned)`` per node (merges wait
        for the end of the run: independent choices rarely allow any)."""
        smooth_counts = []
        run = []
        for nid in span:
            node = self.graph.nodes[nid]
            if node.op in ("input", "const", "get") or self._table(node).count() == 1:
                smooth_counts.append((nid, len(states), len(states), 0))
                states = self._step(nid, node, states)
            else:
                run.append(nid)
        nodes = [(nid, self.graph.nodes[nid], self._table(self.graph.nodes[nid])) for nid in run]
        tally = [[nid, 0, 0, 0] for nid in run]
        out: list[_State] = []
        for st in states:
            self._check_deadline(run[0], nodes[0][1])
            leaves = self._decide_on_piece(st, nodes, tally)
            if leaves is None:   # an undefined argument or a nonlinear atom: node by node
                leaves = [st]
                for k, (nid, node, table) in enumerate(nodes):
                    pruned_before = self.stats.pruned
                    tally[k][1] += len(leaves)
                    leaves = [child for leaf in leaves for child in self._apply(leaf, nid, node, table)]
                    tally[k][3] += self.stats.pruned - pruned_before
                    tally[k][2] += len(leaves) + self.stats.pruned - pruned_before
            out.extend(leaves)
            if self.max_pieces is not None and len(out) > MERGE_HOPE * self.max_pieces:
                raise DecompositionTooLarge(f"the decomposition has more than {self.max_pieces} pieces "
                                            f"({len(out)} candidates at node %{run[-1]}, {nodes[-1][1].op})")
        counts = sorted(smooth_counts + [tuple(t) for t in tally])
        return out, counts

    @staticmethod
    def _table(node) -> PieceTable:
        return registry.get(node.op).table(len(node.args), node.params)

    def _decide_on_piece(self, st: _State, nodes: list, tally: list) -> list[_State] | None:
        """The leaves of the run on one piece, or None when this piece needs the node-by-node
        path (an undefined argument, a nonlinear atom)."""
        choices = []   # per node: (entries, mapping, [(branch, new atoms), ...])
        for nid, node, table in nodes:
            entries = [self._value(st, a) for a in node.args]
            values = [e[0][0] for e in entries]
            if any(v is UNDEF for v in values):
                return None
            mapping = dict(zip(ARGS, values))
            options = []
            for branch in table.branches():
                atoms = self._subst_atoms(branch.where, mapping)
                if atoms is None or conjoin(st.where, atoms) is None:
                    continue
                new = tuple(a for a in atoms if a not in st.where)
                if not new:   # implied by the piece: by disjointness every other branch is empty
                    options = [(branch, ())]
                    break
                options.append((branch, new))
            choices.append((entries, mapping, options, len(table.branches())))
        wanted = [a for _, _, options, _ in choices for _, atoms in options for a in atoms]
        scope = self.smt.linear_scope(st.where)
        if scope is None or not scope.accepts(wanted):
            return None
        leaves: list[_State] = []
        with scope:
            # decided on the whole piece: asked once here, never again on its sub-pieces
            for k, (entries, mapping, options, count) in enumerate(choices):
                if len(options) > 1:
                    kept = self._feasible_in(scope, options, st.point)
                    options = [(branch, atoms if len(kept) > 1 else ()) for branch, atoms, *_ in kept]
                tally[k][3] += count - len(options)
                choices[k] = (entries, mapping, options)
            self._descend(st, nodes, choices, scope, 0, (), st.point, [], False, leaves, tally)
        return leaves

    def _feasible_in(self, scope, options: list, point: dict | None) -> list[tuple]:
        """The options feasible in the scope's current sub-piece (they cover it):
        ``(branch, atoms, unsure, point)``; the one holding at ``point`` needs no question,
        and the last needs none when all the others are empty."""
        seen = holding_at(options, point)
        kept = []
        for i, (branch, atoms) in enumerate(options):
            if i == seen:
                kept.append((branch, atoms, False, point))
            elif seen is None and i == len(options) - 1 and not kept:
                kept.append((branch, atoms, False, point))
            else:
                r = scope.check(atoms)
                if r.unsat:
                    self.stats.pruned += 1
                else:
                    kept.append((branch, atoms, r.status == "unknown", exact_point(r)))
        return kept

    def _descend(self, st: _State, nodes: list, choices: list, scope, k: int, added: tuple,
                 point: dict | None, chosen: list, unsure: bool, leaves: list, tally: list) -> None:
        """Choose a branch of node ``k`` on the sub-piece ``st.where + added`` (asserted in
        ``scope``), then the next nodes on each choice; the last node's choices are leaves."""
        if k == len(nodes):
            leaves.append(self._leaf(st, nodes, choices, added, point, chosen, unsure))
            return
        tally[k][1] += 1
        options = choices[k][2]
        if len(options) == 1:
            tally[k][2] += 1
            self._descend(st, nodes, choices, scope, k + 1, added, point, chosen + [options[0]], unsure,
                          leaves, tally)
            return
        here = st.where + added
        narrowed = []
        for branch, atoms in options:
            new = tuple(a for a in atoms if a not in added)
            if conjoin(here, new) is None:
                self.stats.pruned += 1
                tally[k][3] += 1
                continue
            if not new:
                narrowed = [(branch, ())]
                break
            narrowed.append((branch, new))
        pruned_before = self.stats.pruned
        kept = self._feasible_in(scope, narrowed, point) if len(narrowed) > 1 else \
            [(narrowed[0][0], (), False, point)]
        tally[k][3] += self.stats.pruned - pruned_before
        tally[k][2] += len(kept) + self.stats.pruned - pruned_before
        if len(kept) == 1:
            branch, _, maybe, _ = kept[0]
            self._descend(st, nodes, choices, scope, k + 1, added, point, chosen + [(branch, ())],
                          unsure or maybe, leaves, tally)
            return
        for branch, atoms, maybe, child_point in kept:
            scope.push(atoms)
            try:
                self._descend(st, nodes, choices, scope, k + 1, added + atoms, child_point,
                              chosen + [(branch, atoms)], unsure or maybe, leaves, tally)
            finally:
                scope.pop()

    def _leaf(self, st: _State, nodes: list, choices: list, added: tuple, point: dict | None,
              chosen: list, unsure: bool) -> _State:
        env, trace, sources = dict(st.env), st.trace, set(st.sources)
        for (nid, _, _), (entries, mapping, _), (branch, atoms) in zip(nodes, choices, chosen):
            formulas = tuple(self._subst(f, mapping) for f in branch.value)
            env[nid] = (formulas, self._gradients(branch, len(entries), entries, mapping))
            trace += ((nid, branch.order, branch.label),)
            if atoms:
                sources.add(nid)
        if not added:
            return _State(st.where, env, trace, st.possibly_empty or unsure, st.sources, st.point)
        return _State(conjoin(st.where, added) or (), env, trace, st.possibly_empty or unsure,
                      frozenset(sources), point)

    # -- one node on one piece -------------------------------------------------------------
    def _apply(self, st: _State, nid: int, node, table: PieceTable) -> list[_State]:
        entries = [self._value(st, a) for a in node.args]
        values = [e[0][0] for e in entries]
        n_out = table.n_out
        undefined = [i for i, v in enumerate(values) if v is UNDEF]
        if undefined:
            lazy_select = node.op == "select" and node.params[3] and all(i >= node.params[1] for i in undefined)
            if not lazy_select:
                return [self._child(st, nid, (UNDEF,) * n_out, (), st.where, st.possibly_empty)]
        mapping = {ARGS[i]: v for i, v in enumerate(values) if v is not UNDEF}
        out: list[_State] = []
        inside = self._domain_split(st, table, mapping, nid, n_out, out)
        if inside is None:
            return out
        kept = self._feasible(inside, table, mapping, values)
        if self._events is not None:
            self._record(st, inside, table, mapping, values, kept)
        for k in kept:
            branch, atoms, unsure = k[:3]
            if any(v is UNDEF and ARGS[i] in f.free_symbols for f in branch.value for i, v in enumerate(values)):
                formulas, grads = (UNDEF,) * n_out, None
            else:
                formulas = tuple(self._subst(f, mapping) for f in branch.value)
                used = [e if v is not UNDEF else ((sympy.Integer(0),), None) for e, v in zip(entries, values)]
                grads = self._gradients(branch, len(values), used, mapping)
            point = inside.point if not atoms else (k[3] if len(k) > 3 else None)
            out.append(self._child(inside, nid, formulas, ((nid, branch.order, branch.label),),
                                   inside.where + atoms, inside.possibly_empty or unsure, grads, point))
        return out

    def _record(self, st: _State, inside: _State, table: PieceTable, mapping: dict, values: list, kept: list):
        """For explain: what became of each branch of the node on this piece."""
        chosen = {k[0].label: (k[1], k[2]) for k in kept}
        rows = []
        branches = list(table.branches()) if table.count() <= 64 else [k[0] for k in kept]
        for branch in branches:
            raw = tuple(a.subs(mapping) for a in branch.where)
            if branch.label in chosen:
                atoms, unsure = chosen[branch.label]
                outcome = "the whole piece" if not atoms and len(kept) == 1 else (
                    "kept (emptiness undecided)" if unsure else "kept")
            else:
                atoms = self._subst_atoms(branch.where, mapping)
                contradiction = atoms is None or conjoin(inside.where, atoms) is None
                outcome = "pruned: contradicts the piece" if contradiction else "pruned: empty (solver)"
            rows.append((branch, raw, outcome))
        if table.count() > 64:
            rows.append((None, (), f"the other {table.count() - len(kept)} branches: none feasible (solver)"))
        self._events.append({"where": st.where, "arguments": tuple(values), "branches": rows,
                             "domain": inside.where[len(st.where):] if inside is not st else ()})

    def _child(self, st: _State, nid: int, formulas: tuple, trace: tuple, where: tuple, unsure: bool,
               grads=None, point: dict | None = None) -> _State:
        env = dict(st.env)
        env[nid] = (formulas, grads)
        if len(where) == len(st.where):   # no new atom: the piece's condition is already conjoined
            return _State(st.where, env, st.trace + trace, unsure, st.sources, st.point)
        return _State(conjoin(where) or (), env, st.trace + trace, unsure, st.sources | {nid}, point)

    def _domain_split(self, st: _State, table: PieceTable, mapping: dict, nid: int, n_out: int,
                      out: list[_State]) -> _State | None:
        """Split off the parts of the piece outside the primitive's domain (as UNDEF)."""
        if not table.domain:
            return st
        substituted = self._subst_atoms(table.domain, mapping)
        if substituted is None:  # some domain atom is False on the whole piece
            out.append(self._child(st, nid, (UNDEF,) * n_out, ((nid, (), "outside domain"),), st.where,
                                   st.possibly_empty))
            return None
        atoms = [a for a in substituted if a not in st.where]
        if not atoms:
            return st
        self.smt.push()
        try:
            self.smt.assert_atoms(st.where)
            for i in range(len(atoms)):
                cube = tuple(atoms[:i]) + (atoms[i].negated(),)
                if conjoin(st.where, cube) is None:
                    continue
                r = self.smt.check(cube, want_model=False)
                if r.unsat:
                    self.stats.pruned += 1
                    continue
                out.append(self._child(st, nid, (UNDEF,) * n_out, ((nid, (), "outside domain"),),
                                       st.where + cube, st.possibly_empty or r.status == "unknown"))
            r = self.smt.check(atoms, want_model=False)
        finally:
            self.smt.pop()
        if r.unsat:
            self.stats.pruned += 1
            return None
        if not out:
            return st  # the whole piece is inside the domain
        return _State(conjoin(st.where, atoms) or (), st.env, st.trace, st.possibly_empty or r.status == "unknown",
                      st.sources | {nid})

    def _feasible(self, st: _State, table: PieceTable, mapping: dict, values: list):
        """The branches of ``table`` feasible on piece ``st``: (branch, new atoms, unsure)."""
        if table.implicit:
            return self._enumerate_implicit(st, table, values)
        if table.count() == 1:
            only = next(iter(table.branches()))
            if not only.where:     # a smooth node: the piece stays as it is
                return [(only, (), False)]
        candidates = []
        for branch in table.branches():
            atoms = self._subst_atoms(branch.where, mapping)
            if atoms is None or conjoin(st.where, atoms) is None:
                self.stats.pruned += 1
                continue
            new = tuple(a for a in atoms if a not in st.where)
            if not new:
                # implied by the piece: by disjointness every other branch is empty
                self.stats.pruned += len(candidates)
                return [(branch, (), False)]
            candidates.append((branch, new))
        if len(candidates) == 1:
            return [(candidates[0][0], (), False)]
        if not candidates:
            return []
        if len(candidates) > SELECTOR_THRESHOLD:
            return self._enumerate_explicit(st, candidates)
        kept = self._check_each(st, candidates, covering=True)
        if len(kept) == 1 and not kept[0][2]:
            kept = [(kept[0][0], (), False)]
        return kept

    def _fresh_name(self, stem: str) -> z3.ArithRef:
        return z3.Real(self.smt.fresh(stem))

    def _enumerate_explicit(self, st: _State, candidates: list):
        selector = z3.Int(self.smt.fresh("branch"))
        encoded, options = [], []
        for i, (_, atoms) in enumerate(candidates):
            term, side, enc = self.smt.conj(atoms)
            encoded.extend(enc)
            options.append(z3.And(selector == i, term, *side))
        self.smt.push()
        try:
            self.smt.assert_atoms(st.where)
            models, complete, reason = self.smt.enumerate([z3.Or(options)], [selector], encoded)
        finally:
            self.smt.pop()
        if not complete:
            return self._check_each(st, candidates)
        chosen = sorted(m.eval(selector, model_completion=True).as_long() for m in models)
        self.stats.pruned += len(candidates) - len(chosen)
        if len(chosen) == 1:
            return [(candidates[chosen[0]][0], (), False)]
        return [(candidates[i][0], candidates[i][1], False) for i in chosen]

    def _check_each(self, st: _State, candidates: list, covering: bool = False) -> list:
        """One solver check per candidate branch on the piece: ``(branch, atoms, unsure,
        point)``. A branch whose atoms hold at the piece's point needs no check, and the
        solver's model of another becomes that branch's point. ``covering``: the
        candidates cover the piece, so if all but one are empty, that one is the whole
        piece and needs no check."""
        seen = holding_at(candidates, st.point)
        kept = []
        pushed = False      # the piece is asserted in the general solver only if a question needs it
        try:
            for i, (branch, atoms) in enumerate(candidates):
                if i == seen:
                    kept.append((branch, atoms, False, st.point))
                    continue
                if covering and seen is None and i == len(candidates) - 1 and not kept:
                    kept.append((branch, (), False))
                    break
                r = self.smt.check_linear(st.where + tuple(atoms)) if not pushed else None
                if r is None:
                    if not pushed:
                        self.smt.push()
                        pushed = True
                        self.smt.assert_atoms(st.where)
                    r = self.smt.check(atoms, want_model=True)
                if r.unsat:
                    self.stats.pruned += 1
                    continue
                kept.append((branch, atoms, r.status == "unknown", exact_point(r)))
        finally:
            if pushed:
                self.smt.pop()
        if covering and len(kept) == 1 and seen is not None:
            kept = [(kept[0][0], (), False, st.point)]
        return kept

    def _enumerate_implicit(self, st: _State, table: PieceTable, values: list):
        encoded = [self.smt.encode(v) for v in values]
        constraints, keys, decode = table.encode_choice([e.term for e in encoded], self._fresh_name)
        self.smt.push()
        try:
            self.smt.assert_atoms(st.where)
            limit = self.max_pieces + 1 if self.max_pieces is not None else None
            models, complete, reason = self.smt.enumerate(constraints, keys, encoded, limit=limit)
        finally:
            self.smt.pop()
        mapping = dict(zip(ARGS, values))
        branches = [decode(m) for m in models]
        if limit is not None and len(models) >= limit:
            raise DecompositionTooLarge(f"the decomposition has more than {self.max_pieces} pieces "
                                        f"(a selection with {table.count()} cases)")
        if not complete:
            if table.count() > 4096:
                raise DecompositionUnknown(
                    f"the solver could not enumerate the cases of a {table.count()}-branch selection "
                    f"({reason})")
            candidates = []
            for branch in table.branches():
                atoms = self._subst_atoms(branch.where, mapping)
                if atoms is not None and conjoin(st.where, atoms) is not None:
                    candidates.append((branch, tuple(a for a in atoms if a not in st.where)))
            return self._check_each(st, candidates)
        self.stats.pruned += 1  # the final check that found no further branch
        if len(branches) == 1:
            return [(branches[0], (), False)]
        out = []
        for branch in branches:
            atoms = self._subst_atoms(branch.where, mapping) or ()
            out.append((branch, tuple(a for a in atoms if a not in st.where), False))
        return out

    # -- merging ---------------------------------------------------------------------------
    def _merge(self, states: list[_State]) -> tuple[list[_State], int]:
        groups: dict[tuple, list[_State]] = {}
        order = []
        for st in states:
            key = st.key()
            if key not in groups:
                groups[key] = []
                order.append(key)
            groups[key].append(st)
        out, merged = [], 0
        self._merge_budget = MERGE_BUDGET  # pair attempts, shared by the node's groups
        for key in order:
            group = groups[key]
            if len(group) > 1:
                group, m = self._merge_group(group)
                merged += m
            out.extend(group)
        self.stats.merged += merged
        return out, merged

    def _merge_group(self, group: list[_State]) -> tuple[list[_State], int]:
        """Join pieces with equal formulas: the whole group at once if its union is a
        conjunction (the pieces where x3 wins in max1), else pairs, greedily."""
        pieces = self._join_complements(list(group))
        merged = len(group) - len(pieces)
        if len(pieces) == 1:
            return pieces, merged
        whole = self._try_merge([p.where for p in pieces], [p.point for p in pieces])
        if whole is not None:
            return [self._joined(pieces, whole)], len(group) - 1
        i = 0
        while i < len(pieces) and self._merge_budget > 0:
            j = i + 1
            joined = False
            while j < len(pieces) and self._merge_budget > 0:
                self._merge_budget -= 1
                where = self._try_merge([pieces[i].where, pieces[j].where], [pieces[i].point, pieces[j].point])
                if where is not None:
                    pieces[i] = self._joined([pieces[i], pieces[j]], where)
                    del pieces[j]
                    merged += 1
                    joined = True
                    break
                j += 1
            if not joined:
                i += 1
        return pieces, merged

    def _join_complements(self, pieces: list[_State]) -> list[_State]:
        """Join, while any, two pieces ``C and a`` and ``C and not a`` into ``C`` (no solver
        question: the union is C whatever C is). A layer's ReLU whose output no longer
        matters leaves such pairs: its two sides have the same formulas."""
        slots: list = list(pieces)
        index: dict = {}      # (the other atoms, one atom) -> the slot of a piece with them
        work = collections.deque(range(len(slots)))
        while work:
            i = work.popleft()
            piece = slots[i]
            if piece is None:
                continue
            atoms = frozenset(piece.where)
            for a in piece.where:
                rest = atoms - {a}
                j = index.get((rest, a.negated()))
                if j is not None and j != i and slots[j] is not None and \
                        frozenset(slots[j].where) == rest | {a.negated()}:
                    first, second = min(i, j), max(i, j)
                    where = tuple(b for b in slots[first].where if b != a and b != a.negated())
                    slots[first] = self._joined([slots[first], slots[second]], where)
                    slots[second] = None
                    work.append(first)
                    break
            else:
                for a in piece.where:
                    index[(atoms - {a}, a)] = i
        return [p for p in slots if p is not None]

    @staticmethod
    def _joined(pieces: list[_State], where: tuple[Atom, ...]) -> _State:
        trace = min(p.trace for p in pieces)
        return _State(where, pieces[0].env, trace, any(p.possibly_empty for p in pieces), frozenset({-1}),
                      pieces[0].point)

    def _valid(self, where: tuple[Atom, ...], atom: Atom) -> bool:
        if atom in where:
            return True
        if atom.negated() in where:
            return False
        r = self.smt.check_linear(where + (atom.negated(),), want_model=False)
        return (r if r is not None else self.smt.check(where + (atom.negated(),), want_model=False)).unsat

    def _valid_on(self, where: tuple[Atom, ...], atoms: list[Atom]) -> list[Atom]:
        """The ``atoms`` valid on the piece ``where``, in one solver scope when linear."""
        undecided = [a for a in atoms if a not in where and a.negated() not in where]
        scope = self.smt.linear_scope(where) if undecided else None
        if scope is None or not scope.accepts([a.negated() for a in undecided]):
            return [a for a in atoms if self._valid(where, a)]
        with scope:
            return [a for a in atoms if a in where or (a.negated() not in where and
                                                        scope.check([a.negated()], want_model=False).unsat)]

    def _try_merge(self, wheres: list[tuple[Atom, ...]], points: list) -> tuple[Atom, ...] | None:
        """A conjunction equal to the union of the pieces, if the atoms at hand give one
        (an atom false at a piece's point is not valid on it: no solver call)."""
        key = frozenset(wheres)
        if key in self._failed_merges:
            return None
        if len(wheres) == 2:
            apart = set(wheres[0]).symmetric_difference(wheres[1])
            if len(apart) == 2 and next(iter(apart)).negated() in apart:
                # C and a, C and not a: the union is C, whatever C is
                return tuple(a for a in wheres[0] if a not in apart)
        everything = tuple(a for w in wheres for a in w)
        if union_not_convex(wheres, points, everything):
            self._failed_merges.add(key)
            return None
        # the atoms valid on every piece; an atom's weakened forms (t >= 0 for t > 0) only
        # when it is not valid itself (else they add nothing to the conjunction)
        originals = self._valid_everywhere(wheres, points, everything, ())
        failed = [a for a in dict.fromkeys(everything) if a not in originals]
        union = conjoin(originals + self._valid_everywhere(wheres, points, weakened(failed), originals))
        if union is not None and self.smt.check_not_any(union, wheres).unsat:
            return union
        self._failed_merges.add(key)
        return None

    def _valid_everywhere(self, wheres: list, points: list, atoms, known: list) -> list[Atom]:
        """The ``atoms`` (not in ``known``, without repeats) valid on every piece, asked
        piece by piece; an atom false at a piece's point is not asked."""
        candidates: list[Atom] = []
        for atom in atoms:
            if atom in candidates or atom in known:
                continue
            if any(p is not None and false_at(atom, p) for p in points):
                continue
            candidates.append(atom)
        for where in wheres:
            if not candidates:
                break
            candidates = self._valid_on(where, candidates)
        return candidates

    def _drop_redundant(self, st: _State, needed: frozenset = frozenset()) -> _State:
        """The piece without the atoms its other atoms imply (greedily, in order); the
        ``needed`` atoms are known not to be implied and are not asked about."""
        if len(st.sources) < 2 and -1 not in st.sources:
            return st
        fast = self.smt.irredundant(st.where, needed)
        if fast is not None:
            return _State(fast, st.env, st.trace, st.possibly_empty, st.sources, st.point)
        where = list(st.where)
        i = 0
        while i < len(where) and len(where) > 0:
            rest = tuple(where[:i] + where[i + 1:])
            if where[i] not in needed and self._valid(rest, where[i]):
                del where[i]
            else:
                i += 1
        return _State(tuple(where), st.env, st.trace, st.possibly_empty, st.sources, st.point)


def _display_order(st: _State) -> tuple:
    """Full-dimensional pieces first, then by the branches taken (latest choice first),
    which lists torch.max's pieces as Després 2024b does (eq. 19) and max1's by index."""
    thin = sum(1 for a in st.where if a.rel == "==")
    return (thin, tuple(reversed([entry[1] for entry in st.trace])))
