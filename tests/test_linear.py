"""Linear arithmetic as canonical ``affine`` nodes: the same function and autodiff, shared
across two formulations of a layer."""

import itertools
import sys
from fractions import Fraction

import numpy as np
import pytest
import z3

import pwverify
from conftest import ROOT
from pwverify.core.exact import NonFinite, exact
from pwverify.engines.direct import Z
from pwverify.engines.linear import canonical
from pwverify.engines.numeric import compile_graph, directional
from pwverify.engines.pointwise import ad
from pwverify.core.errors import DomainError
from pwverify.primitives.arith import AffineTable

sys.path.insert(0, f"{ROOT}/benchmarks")
from networks import integer_network_source  # noqa: E402

#: Sums that cancel, scale, divide, repeat a term, or reach a node with a domain or an
#: infinite derivative (whose zero-coefficient term must stay: domain and nan gradient).
PROGRAMS = [
    "relu(2*x - y + 1) - x",
    "x + sqrt(y) - sqrt(y)",
    "x + 0 * sqrt(y)",
    "x - x + relu(y) * 0 + y",
    "(x + y) / 4 - (x - 3 * y) / 2",
    "relu(x + y) - relu(y + x) + abs(x - y)",
    "log(1 + x * x) * 2 - log(1 + x * x) + y",
    "torch.stack([x, y]).mean() * 2 - x",
    "max(x, y) + max(x, y) - 2 * max(y, x)",
    "sqrt(relu(x) + relu(-x)) * 0 + y",
]
POINTS = [dict(zip("xy", map(Fraction, p))) for p in itertools.product((-1, 0, Fraction(1, 2), 2), repeat=2)]


def _numbers(row):
    return [("nan" if exact(v).kind == "nan" else str(exact(v))) if isinstance(exact(v), NonFinite) else exact(v)
            for v in row]


@pytest.mark.parametrize("source", PROGRAMS)
def test_the_canonical_graph_has_the_same_values_domain_and_autodiff(source):
    graph = pwverify.parse(source).graph
    rewritten = canonical(graph)
    assert rewritten.input_names() == graph.input_names()
    for point in POINTS:
        for mode in ("forward", "reverse"):
            try:
                before = ad(graph, point, mode)
            except DomainError:
                with pytest.raises(DomainError):
                    ad(rewritten, point, mode)
                continue
            after = ad(rewritten, point, mode)
            assert _numbers(after.value) == _numbers(before.value), (source, point)
            assert [_numbers(r) for r in after.gradient] == [_numbers(r) for r in before.gradient], (source, point, mode)


def test_a_cancelled_term_with_a_domain_is_kept():
    rewritten = canonical(pwverify.parse("x + sqrt(y) - sqrt(y)").graph)
    assert any(n.op == "sqrt" for n in rewritten.nodes)        # its domain and its inf derivative
    rewritten = canonical(pwverify.parse("x + relu(y) - relu(y)").graph)
    assert not any(n.op == "relu" for n in rewritten.nodes)   # defined everywhere, finite: dropped


def test_a_loop_sum_and_a_matrix_product_become_the_same_nodes(tmp_path):
    (tmp_path / "loop.py").write_text(integer_network_source((3, 5, 5, 1), "max0"))
    (tmp_path / "matmul.py").write_text(integer_network_source((3, 5, 5, 1), "relu"))
    loop, matmul = (pwverify.parse(f"{tmp_path / n}.py:net") for n in ("loop", "matmul"))
    joint, outs_a, outs_b = loop.linear_graph.joined(matmul.linear_graph)
    joint = canonical(joint)
    affine = [n for n in joint.nodes if n.op == "affine"]
    # the first layer's five pre-activations are written two ways and are five nodes
    first = [n for n in affine if all(joint.nodes[a].op == "input" for a in n.args)]
    assert len(first) == 5


def test_a_matrix_product_is_one_node_per_entry():
    p = pwverify.parse("torch.tensor([[1, 2, 0], [0.5, -1, 3]]) @ torch.stack([x, y, z]) + torch.tensor([1, 2])")
    affine = [n for n in p.graph.nodes if n.op == "affine"]
    assert len(affine) == 2
    assert [list(n.params[0]) for n in affine] == [[1, 2, 0], [Fraction(1, 2), -1, 3]]


def test_the_affine_table_agrees_with_its_formula_in_every_engine():
    table = AffineTable(3, (2, Fraction(-1, 2), 0), Fraction(3, 4))
    branch = table.branches()[0]
    rng = np.random.default_rng(1)
    for combo in itertools.product((-1, 0, Fraction(2, 3)), repeat=3):
        values = [exact(v) for v in combo]
        local = table.at(values)
        assert local.values == branch.values_at(values)
        assert local.jacobian == branch.jacobian_at(values)
    arrays = [rng.uniform(-2, 2, 50) for _ in range(3)]
    numeric = table.numeric(arrays)
    expected = 0.75 + 2 * arrays[0] - 0.5 * arrays[1]
    assert np.allclose(numeric.values[0], expected)
    assert numeric.rows[0] == (2.0, -0.5, 0.0)
    args = [z3.Real(f"a{i}") for i in range(3)]
    seeds = [[z3.RealVal(int(i == j)) for j in range(3)] for i in range(3)]
    values, tangents = table.encode_fast(Z, args, seeds)
    solver = z3.Solver()
    solver.add(z3.Or(values[0] != z3.RealVal("3/4") + 2 * args[0] - args[1] / 2,
                     Z.term(tangents[0][0]) != 2, Z.term(tangents[0][1]) != z3.RealVal("-1/2"),
                     Z.term(tangents[0][2]) != 0))
    assert solver.check() == z3.unsat


def test_evaluation_from_the_canonical_graph_matches_the_program_graph():
    p = pwverify.parse("relu(2*x - y + 1) - x + max(x, y) / 3")
    x = np.array([[0.0, 1.0], [1.0, 3.0], [-1.0, -1.0], [0.25, 0.5]])
    v1, j1 = compile_graph(p.graph)(x)
    v2, j2 = p.evaluate(x)
    assert np.array_equal(v1, v2) and np.array_equal(j1, j2)
    values, slopes, flagged = directional(p.linear_graph, x, [1.0, -2.0])
    assert np.allclose(values, v1) and np.allclose(slopes[:, 0], j1[:, 0, :] @ np.array([1.0, -2.0]))
    assert not flagged.any()
