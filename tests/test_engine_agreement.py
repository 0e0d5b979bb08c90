"""Every engine reads a primitive's meaning from its piece table; here they must agree exactly.

For every registered call of every framework (one program per call: the case tables of
the differential tests), in both modes, at every tie pattern of small integer inputs
(all points of {-1, 0, 1}^p for p <= 3 inputs, the kinks and a sample beyond):

* the pointwise engine (exact evaluation and autodiff, using ``branch_at``, which large
  tables override with a direct rule),
* the direct encoding (the z3 terms, evaluated at the point; large tables use their
  compact ``encode_fast``), and
* the piece engine (the decomposition, from the branches),

give the same value and the same gradient. A second test checks each compact encoding
against the ``If`` chain of its table's branches, and each ``branch_at`` override against
the default search over branches.
"""

from __future__ import annotations

import itertools
import random

import pytest
import sympy
import z3

import pwverify
from pwverify.core.errors import PwverifyError
from pwverify.core.exact import NonFinite, exact
from pwverify.engines.direct import encode_graph
from pwverify.primitives import registry
from pwverify.primitives.registry import ARGS, PieceTable
from pwverify.questions.tie_points import tie_points

from jax_cases import JAX_CASES
from tf_cases import TF_CASES
from torch_cases import TORCH_CASES

CASES = [("torch", k, v) for k, v in TORCH_CASES.items()] + [("jax", k, v) for k, v in JAX_CASES.items()] + [
    ("tensorflow", k, v) for k, v in TF_CASES.items()]
CASES = [c for c in CASES if len(c[2]) == 2]   # the refused calls have nothing to agree on


def _points(program, seed: int = 0) -> list[dict]:
    names = program.inputs
    if len(names) <= 3:
        grid = [dict(zip(names, combo)) for combo in itertools.product((-1, 0, 1), repeat=len(names))]
    else:
        rng = random.Random(seed)
        grid = [dict(zip(names, [rng.choice((-1, 0, 1)) for _ in names])) for _ in range(12)]
        grid.append({n: 0 for n in names})
    try:
        kinks = [tp.point for tp in tie_points(program, count=6)]
    except PwverifyError:
        kinks = []
    return grid + kinks


def _z3_number(term) -> object:
    term = z3.simplify(term)
    if z3.is_rational_value(term):
        return exact(f"{term.numerator_as_long()}/{term.denominator_as_long()}")
    if z3.is_algebraic_value(term):
        from pwverify.solver.smt import z3_to_sympy
        return exact(z3_to_sympy(term))
    return None  # an uninterpreted function's value: not checked here


def _uninterpreted(term) -> bool:
    """Does ``term`` apply an uninterpreted function (exp, log, ...) or hold a fresh constant
    that stands for one (``sqrt!0``)?"""
    if z3.is_app(term) and term.decl().kind() == z3.Z3_OP_UNINTERPRETED and \
            (term.num_args() > 0 or "!" in term.decl().name()):
        return True
    return any(_uninterpreted(c) for c in term.children())


def _same(a, b) -> bool:
    a, b = exact(a), exact(b)
    if isinstance(a, NonFinite) or isinstance(b, NonFinite):
        return a == b
    return a == b


@pytest.mark.parametrize("framework, call, case", CASES, ids=[f"{f}:{c}" for f, c, _ in CASES])
def test_three_engines_agree_on_every_call(framework, call, case):
    text, shapes = case
    for mode in ("reverse", "forward"):
        program = pwverify.parse(text, framework=framework, shapes=shapes, mode=mode)
        graph = program.graph
        enc = encode_graph(graph, channels="basis")
        try:
            rep = program.representation(max_pieces=100)
        except PwverifyError:
            rep = None
        checked = 0
        for point in _points(program):
            try:
                pointwise = program.ad(point)
            except PwverifyError:
                continue
            flat = program.point(point)
            sub = [(v, z3.RealVal(str(flat[n]))) for v, n in zip(enc.inputs, program.inputs)]
            defined = z3.simplify(z3.substitute(enc.defined, *sub))
            # exp and log are uninterpreted in z3: a condition on them is left undecided here
            assert z3.is_true(defined) or not z3.is_false(defined) and _uninterpreted(defined), (mode, point)
            nonfinite = z3.is_true(z3.simplify(z3.substitute(enc.bad, *sub)))
            for k, value in enumerate(pointwise.value):
                direct = _z3_number(z3.substitute(enc.values[k], *sub))
                assert direct is None or _same(direct, value), (mode, point, "value", direct, value)
                if nonfinite:
                    continue
                for j, g in enumerate(pointwise.gradient[k]):
                    d = _z3_number(z3.substitute(enc.tangent(k, j), *sub))
                    assert d is None or _same(d, g), (mode, point, "gradient", k, j, d, g)
            finite = all(not isinstance(exact(g), NonFinite) for row in pointwise.gradient for g in row)
            if rep is not None and finite and mode == "reverse":
                index = rep.piece_index_at(flat)
                if rep.pieces[index].consistent or True:
                    assert [[exact(g) for g in row] for row in rep.gradient_at(flat)] == \
                        [[exact(g) for g in row] for row in pointwise.gradient], (point, "pieces")
            checked += 1
        assert checked, "no point in the domain"


# -- compact encodings and direct rules against the branches they stand for ------------------
def _tables_with_overrides():
    out = []
    for name, prim in sorted(registry.primitives().items()):
        if prim.arity is not None:
            continue
        for n in (1, 2, 3, 4):
            try:
                table = prim.table(n)
            except (TypeError, ValueError, IndexError):
                continue
            if getattr(table, "encode_fast", None) is not None or type(table).branch_at is not PieceTable.branch_at:
                out.append((f"{name}/{n}", table))
    from pwverify.primitives.sorting import SortTable
    for n in (2, 3, 4):
        for descending in (False, True):
            for ties in ("input", "reversed"):
                out.append((f"sort/{n}/{descending}/{ties}", SortTable(n, descending, ties)))
    return out


OVERRIDES = _tables_with_overrides()


@pytest.mark.parametrize("name, table", OVERRIDES, ids=[n for n, _ in OVERRIDES])
def test_overrides_agree_with_the_branches(name, table):
    n = table.n_args
    for combo in itertools.product((-1, 0, 1), repeat=n):
        values = [exact(v) for v in combo]
        default = next(b for b in table.branches() if b.holds(values))
        chosen = table.branch_at(values)
        assert chosen.values_at(values) == default.values_at(values), (name, combo)
        assert chosen.jacobian_at(values) == default.jacobian_at(values), (name, combo)
    fast = getattr(table, "encode_fast", None)
    if fast is None:
        return
    from pwverify.engines.direct import Z
    args = [z3.Real(f"x{i}") for i in range(n)]
    seeds = [[z3.RealVal(int(i == j)) for j in range(n)] for i in range(n)]
    values, tangents = fast(Z, args, seeds)
    # the If chain of the branches, built here from the table alone
    chain_vals = [z3.RealVal(0)] * table.n_out
    chain_tans = [[z3.RealVal(0)] * n for _ in range(table.n_out)]
    for branch in reversed(list(table.branches())):
        cond = z3.And([{">": lambda t: t > 0, ">=": lambda t: t >= 0, "<": lambda t: t < 0,
                        "<=": lambda t: t <= 0, "==": lambda t: t == 0, "!=": lambda t: t != 0}[a.rel](
            _term(a.expr, args)) for a in branch.where])
        chain_vals = [z3.If(cond, _term(f, args), c) for f, c in zip(branch.value, chain_vals)]
        rows = [[_term(d, args) for d in row] for row in branch.local_jacobian(n)]
        chain_tans = [[z3.If(cond, d, c) for d, c in zip(row, crow)] for row, crow in zip(rows, chain_tans)]
    differ = [Z.term(v) != c for v, c in zip(values, chain_vals)]
    differ += [Z.term(t) != c for trow, crow in zip(tangents, chain_tans) for t, c in zip(trow, crow)]
    solver = z3.Solver()
    solver.add(z3.Or(differ))
    assert solver.check() == z3.unsat, (name, solver.model() if solver.check() == z3.sat else None)


def _term(expr, args):
    expr = sympy.sympify(expr)
    mapping = {ARGS[i]: sympy.Symbol(f"x{i}") for i in range(len(args))}
    text = str(expr.xreplace(mapping))
    env = {f"x{i}": a for i, a in enumerate(args)}
    return z3.RealVal(text) if not expr.free_symbols else eval(text, {}, env)  # noqa: S307 (test-built)
