"""The frontend reads Python syntax into the DAG without running it."""

from fractions import Fraction

import pytest
import sympy

import pwverify
from pwverify.frontend import parse_program

R = sympy.Rational


def value(source, **point):
    return pwverify.parse(source).value_at(point)


def write(tmp_path, text, name="prog.py"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_float_constants_are_exact_rationals():
    p = parse_program("0.1 * t + 1e-3")
    consts = [n.params[0] for n in p.graph.nodes if n.op == "const"]
    assert Fraction(1, 10) in consts and Fraction(1, 1000) in consts
    assert value("0.1 + 0.2 - t", t=R(3, 10)) == [0]  # not 5.55e-17


def test_expression_inputs_in_order_of_first_appearance():
    assert pwverify.parse("relu(b) * a + exp(c) - b").inputs == ["b", "a", "c"]


def test_vector_parameters_from_annotations(tmp_path):
    path = write(tmp_path, 'def f(x: "float[3]", y: "R^2", t: float, w=2.0):\n'
                           '    return x[0] * w + y[1] + t + len(x)\n')
    p = pwverify.parse(f"{path}:f")
    assert p.inputs == ["x0", "x1", "x2", "y0", "y1", "t"]
    assert p.value_at({"x": [1, 0, 0], "y": [0, 5], "t": 0}) == [10]


def test_matrix_parameter_and_shape_option(tmp_path):
    path = write(tmp_path, 'def f(X: "float[2, 3]"):\n    return X[1, 2] - X[0][0]\n')
    assert pwverify.parse(f"{path}:f").inputs == ["X0_0", "X0_1", "X0_2", "X1_0", "X1_1", "X1_2"]
    assert pwverify.parse("torch.max(x)", shapes={"x": 3}).inputs == ["x0", "x1", "x2"]


def test_loops_branches_and_early_return(tmp_path):
    path = write(tmp_path, '''
def clip01(v):
    if v < 0:
        return 0 * v
    elif v > 1:
        return 0 * v + 1
    return v

def f(x: "float[4]"):
    total = 0
    for i in range(len(x)):
        if i % 2 == 0:
            total += clip01(x[i])
        else:
            total -= x[i] ** 2
    for w in [1, 2]:
        total = total + w
    return total
''')
    p = pwverify.parse(f"{path}:f")
    assert p.value_at({"x": [2, 3, R(1, 2), -1]}) == [1 - 9 + R(1, 2) - 1 + 3]
    assert p.gradient_at({"x": [2, 3, R(1, 2), -1]}) == [[0, -6, 1, 2]]


def test_early_return_under_a_symbolic_condition(tmp_path):
    path = write(tmp_path, '''
def f(a, b):
    if a > b:
        return a - b
    c = b - a
    if c > 1:
        return 2 * c
    return c
''')
    p = pwverify.parse(f"{path}:f")
    assert p.value_at({"a": 3, "b": 1}) == [2]
    assert p.value_at({"a": 0, "b": 5}) == [10]
    assert p.value_at({"a": 0, "b": R(1, 2)}) == [R(1, 2)]
    assert len(p.representation().pieces) == 3


def test_conditional_expressions_and_boolean_operators():
    assert value("x if x > 0 and not y > 0 else y", x=1, y=-1) == [1]
    assert value("x if x > 0 and not y > 0 else y", x=1, y=2) == [2]
    assert value("1 if 0 < x <= 2 else 0", x=2) == [1]
    assert value("1 if 0 < x <= 2 else 0", x=R(5, 2)) == [0]
    assert value("x if x == 0 or y != 1 else 5", x=3, y=1) == [5]


def test_comprehensions_sum_and_matrix_products(tmp_path):
    path = write(tmp_path, '''
W = [[1.0, -1.0], [0.5, 2.0]]
b = [0.0, -1.0]

def net(x: "float[2]"):
    h = [relu(sum(W[i][j] * x[j] for j in range(2)) + b[i]) for i in range(2)]
    return torch.tensor(W) @ torch.stack(h)
''')
    p = pwverify.parse(f"{path}:net")
    assert p.output_shape == (2,)
    assert p.value_at({"x": [2, 1]}) == [1 - 2, R(1, 2) + 4]


def test_python_max_keeps_the_first_argument_on_a_tie():
    assert pwverify.parse("max(a, b)").gradient_at({"a": 1, "b": 1}) == [[1, 0]]
    assert pwverify.parse("0 * a + max(b, a)").gradient_at({"a": 1, "b": 1}) == [[0, 1]]
    assert pwverify.parse("min([a, b, c])").gradient_at({"a": 2, "b": 1, "c": 1}) == [[0, 1, 0]]


def test_namespaces_follow_their_framework():
    at_tie = {"a": 1, "b": 1}
    assert pwverify.parse("torch.maximum(a, b)").gradient_at(at_tie) == [[R(1, 2), R(1, 2)]]
    assert pwverify.parse("tf.maximum(a, b)").gradient_at(at_tie) == [[1, 0]]
    assert pwverify.parse("jnp.maximum(a, b)").gradient_at(at_tie) == [[R(1, 2), R(1, 2)]]


def test_bare_names_follow_the_profile():
    assert pwverify.parse("abs(t)").gradient_at({"t": 0}) == [[0]]
    assert pwverify.parse("abs(t)", framework="jax").gradient_at({"t": 0}) == [[1]]
    assert pwverify.parse("np.abs(t)", framework="jax").gradient_at({"t": 0}) == [[1]]
    assert pwverify.parse("jnp.abs(t)").framework == "jax"


def test_torch_api_shapes_and_methods(tmp_path):
    path = write(tmp_path, '''
import torch
import torch.nn.functional as F

def f(x: "float[4]"):
    y = x.view(2, 2)
    top = y.max(dim=1).values
    pooled = F.max_pool1d(x.unsqueeze(0), 2, stride=2)
    return top.sum() + pooled[0, 1] + x.clamp(min=0).abs().sum() + torch.where(x > 1, x, 0)[0]
''')
    p = pwverify.parse(f"{path}:f")
    pt = {"x": [3, -1, 2, 2]}
    assert p.value_at(pt) == [3 + 2 + 2 + 7 + 3]
    # x1 < 0: clamp gives 0; max(dim) gives the first of the tie (2, 2); pooling too
    assert p.gradient_at(pt) == [[1 + 1 + 1, 0, 1 + 1 + 1, 1]]


def test_where_is_eager_and_if_is_lazy():
    eager = pwverify.parse("torch.where(x > 0, torch.log(x), 0)").representation()
    lazy = pwverify.parse("torch.log(x) if x > 0 else 0").representation()
    assert len(eager.outside) == 1 and len(lazy.outside) == 0


def test_domains_of_log_sqrt_and_division():
    rep = pwverify.parse("sqrt(x) + log(y) + 1 / z").representation()
    # sqrt is defined at 0, where its derivative is infinite: a piece of its own
    assert sorted(sorted(map(str, p.where)) for p in rep.pieces) == [
        ["x == 0", "y > 0", "z != 0"], ["x > 0", "y > 0", "z != 0"]]
    assert {str(a) for w in rep.outside for a in w} >= {"x < 0"} or any(
        "x < 0" in str(a) for w in rep.outside for a in w)


def test_hash_consing_shares_subexpressions():
    g = parse_program("relu(2*t) + relu(2*t) * relu(2*t)").graph
    assert sum(1 for n in g.nodes if n.op == "relu") == 1


def test_the_program_is_never_executed(tmp_path):
    marker = tmp_path / "ran"
    path = write(tmp_path, f'''
open({str(marker)!r}, "w").write("executed")

def f(t):
    print(open({str(marker)!r}, "w"))
    return relu(t)
''')
    program = pwverify.parse(f"{path}:f")
    program.representation()
    program.gradient_at({"t": 0})
    assert not marker.exists()


def test_functools_reduce_over_maximum_compounds_the_split():
    p = pwverify.parse("functools.reduce(torch.maximum, [a, b, c, d])")
    assert p.gradient_at({"a": 0, "b": 0, "c": 0, "d": 0}) == [[R(1, 8), R(1, 8), R(1, 4), R(1, 2)]]


def test_sort_keeps_tied_entries_in_input_order():
    p = pwverify.parse("torch.sort(torch.stack([a, b, c])).values")
    assert p.gradient_at({"a": 1, "b": 3, "c": 1}) == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
