"""Numeric evaluation (the graph walked over float64 arrays) agrees with the exact engines
and with torch, ties included.

The reference is the pointwise engine (``program.value_at``, ``program.gradient_at``): at
points float64 holds exactly (tie points, small dyadic points) every float comparison is
exact, so the numeric engine must take the same branch at every node. Values and
gradients are then compared exactly when the program is piecewise linear with dyadic
numbers throughout (nothing rounds), else to a relative 1e-9 (rounding in formulas);
inf and nan must match exactly (nan equals nan).
"""

import itertools
import random
from fractions import Fraction

import numpy as np
import pytest
import sympy

import pwverify
from pwverify.core.errors import PwverifyError
from pwverify.engines.common import piecewise_linear
from pwverify.engines.numeric import compile_graph
from pwverify.questions.tie_points import points_in_pieces, tie_points
from conftest import ROOT, case, requires_torch

from test_engine_agreement import CASES

PROGRAMS = [case("boustany.py:f"), case("maxpool.py:f"), case("boustany.py:torch_max4"),
            case("minmod.py:minmod_relu"), case("upwind.py:flux_branch"), "torch.where(x > 0, torch.log(x), 0)",
            "sqrt(x * x + y * y) + relu(x - y)"]


def _float(v) -> float:
    v = sympy.sympify(v)
    if v is sympy.nan:
        return float("nan")
    if v in (sympy.oo, -sympy.oo, sympy.zoo):
        return float("inf") if v == sympy.oo else float("-inf")
    return float(v)


def _dyadic(v) -> bool:
    v = sympy.sympify(v)
    return v.is_Rational and (int(v.q) & (int(v.q) - 1)) == 0 and abs(v) < 2 ** 40


def _grid(program, seed: int) -> list[dict]:
    """{-1, 0, 1}^p (p <= 3) or a random sample of it, random dyadic points, and tie points."""
    names = program.inputs
    rng = random.Random(seed)
    if len(names) <= 3:
        points = [dict(zip(names, combo)) for combo in itertools.product((-1, 0, 1), repeat=len(names))]
    else:
        points = [{n: rng.choice((-1, 0, 1)) for n in names} for _ in range(10)] + [{n: 0 for n in names}]
    points += [{n: Fraction(rng.randint(-16, 16), 8) for n in names} for _ in range(6)]
    try:
        points += [tp.point for tp in tie_points(program, count=8, seed=seed)]
    except PwverifyError:
        pass
    return points


def _check_agreement(program, points, label="") -> int:
    """Assert numeric == pointwise at ``points``; returns how many were compared."""
    names = program.inputs
    matrix = np.array([[_float(pt[n]) for n in names] for pt in points], dtype=float).reshape(len(points), len(names))
    values, grads = program.evaluate(matrix)
    linear = piecewise_linear(program.graph)
    compared = 0
    for k, pt in enumerate(points):
        try:
            exact_v = program.value_at(pt)
            exact_g = program.gradient_at(pt)
        except PwverifyError:
            assert np.isnan(values[k]).all() and np.isnan(grads[k]).all(), (label, pt, values[k])
            continue
        numbers = list(exact_v) + [g for row in exact_g for g in row]
        want_v = np.array([_float(v) for v in exact_v])
        want_g = np.array([[_float(g) for g in row] for row in exact_g]).reshape(grads[k].shape)
        if linear and all(_dyadic(v) for v in numbers if sympy.sympify(v).is_finite):
            assert np.array_equal(values[k], want_v, equal_nan=True), (label, pt, "value", values[k], want_v)
            assert np.array_equal(grads[k], want_g, equal_nan=True), (label, pt, "gradient", grads[k], want_g)
        else:
            assert np.allclose(values[k], want_v, rtol=1e-9, atol=1e-12, equal_nan=True), \
                (label, pt, "value", values[k], want_v)
            finite = np.isfinite(want_g)
            assert np.array_equal(np.isfinite(grads[k]), finite), (label, pt, "gradient", grads[k], want_g)
            assert np.array_equal(grads[k][~finite], want_g[~finite], equal_nan=True), (label, pt, grads[k], want_g)
            assert np.allclose(grads[k][finite], want_g[finite], rtol=1e-9, atol=1e-12), \
                (label, pt, "gradient", grads[k], want_g)
        compared += 1
    return compared


@pytest.mark.parametrize("framework, call, spec", CASES, ids=[f"{f}:{c}" for f, c, _ in CASES])
def test_numeric_equals_pointwise_on_every_call(framework, call, spec):
    text, shapes = spec
    for mode in ("reverse", "forward"):
        program = pwverify.parse(text, framework=framework, shapes=shapes, mode=mode)
        points = _grid(program, seed=len(text))
        assert _check_agreement(program, points, (call, mode)), "no point in the domain"


@pytest.mark.parametrize("spec", PROGRAMS)
def test_numeric_equals_exact_on_every_piece(spec):
    program = pwverify.parse(spec)
    points = [p.point for p in points_in_pieces(program.representation())]
    points = [pt for pt in points if all(_dyadic(v) for v in pt.values())]
    points += [{n: sympy.Rational(k, 4) for n in program.inputs} for k in (-5, 3)]
    assert _check_agreement(program, points, spec)


@pytest.mark.parametrize("direction", ["forward", "reverse"])
def test_both_accumulations_agree(direction):
    program = pwverify.parse(case("boustany.py:f"))
    rng = np.random.default_rng(0)
    points = np.concatenate([rng.integers(-2, 3, size=(200, 1)).astype(float), rng.uniform(-2, 2, (200, 1))])
    values, grads = compile_graph(program.graph, direction=direction)(points)
    want_v, want_g = program.evaluate(points)
    assert np.array_equal(values, want_v) and np.array_equal(grads, want_g)
    assert grads[points[:, 0] == 0, 0, 0].tolist() == [-1.5] * int((points[:, 0] == 0).sum())


def test_ieee_where_a_derivative_is_infinite():
    """sqrt at 0: inf times a zero tangent is nan in forward mode; reverse mode passes inf
    to x and 1 to y; a masked zero stays zero (torch.where's nan gradient)."""
    pts = np.array([[0.0, 1.0], [4.0, 1.0]])
    _, rev = pwverify.parse("sqrt(x) + y").evaluate(pts)
    _, fwd = pwverify.parse("sqrt(x) + y", mode="forward").evaluate(pts)
    assert rev[0, 0].tolist() == [np.inf, 1.0] and rev[1, 0].tolist() == [0.25, 1.0]
    assert np.isinf(fwd[0, 0, 0]) and np.isnan(fwd[0, 0, 1])
    _, g = pwverify.parse("torch.where(x > 0, torch.sqrt(x), 0)").evaluate(np.array([0.0, -1.0, 4.0]))
    assert np.isnan(g[0, 0, 0]) and np.isnan(g[1, 0, 0]) and g[2, 0, 0] == 0.25
    _, g = pwverify.parse("torch.sqrt(x**2)").evaluate(np.array([0.0, -3.0]))
    assert np.isnan(g[0, 0, 0]) and g[1, 0, 0] == -1.0


def test_undefined_points_are_nan():
    values, grads = pwverify.parse("log(x) if x > 0 else 0").evaluate(np.array([-1.0, 0.0, 1.0]))
    assert values[:, 0].tolist() == [0.0, 0.0, 0.0] and grads[:, 0, 0].tolist() == [0.0, 0.0, 1.0]
    values, grads = pwverify.parse("torch.where(x > 0, torch.log(x), 0)").evaluate(np.array([-1.0, 1.0]))
    assert np.isnan(values[0, 0]) and np.isnan(grads[0, 0, 0]) and grads[1, 0, 0] == 1.0


def test_vectorised_over_many_points():
    values, grads = pwverify.parse("relu(x) * y").evaluate(np.array([[1.0, 2.0], [-1.0, 3.0], [0.0, 5.0]]))
    assert values[:, 0].tolist() == [2.0, 0.0, 0.0]
    assert grads[:, 0, :].tolist() == [[2.0, 1.0], [0.0, 0.0], [0.0, 0.0]]


def test_chunks_do_not_change_the_result():
    program = pwverify.parse("torch.sort(x).values.sum() * torch.max(x)", shapes={"x": 5})
    rng = np.random.default_rng(1)
    points = rng.integers(-1, 2, size=(300, 5)).astype(float)
    whole = compile_graph(program.graph, chunk=1000)(points)
    split = compile_graph(program.graph, chunk=7)(points)
    assert all(np.array_equal(a, b) for a, b in zip(whole, split))


@pytest.mark.parametrize("direction", ["forward", "reverse"])
def test_threads_do_not_change_the_result(direction):
    """Batches run on threads give the serial numbers, replayed points (sqrt at 0) and
    undefined points (log below 0) included."""
    program = pwverify.parse("torch.sqrt(x[0] ** 2) + torch.max(x) + torch.where(x[1] > 0, torch.log(x[1]), 0)",
                             shapes={"x": 4})
    rng = np.random.default_rng(3)
    points = rng.integers(-1, 2, size=(2000, 4)).astype(float)
    serial = compile_graph(program.graph, direction=direction, chunk=64, threads=1)(points)
    threaded = compile_graph(program.graph, direction=direction, chunk=64, threads=2)(points)
    for a, b in zip(serial, threaded):
        assert np.array_equal(a, b, equal_nan=True)
    replayed = (points[:, 0] == 0) & (points[:, 1] > 0)     # 2 x * inf at 0: nan, point by point
    assert np.isnan(serial[0][:, 0]).any() and np.isnan(serial[1][replayed, 0, 0]).all()


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_thread_count_is_a_clear_error(value, monkeypatch):
    monkeypatch.setenv("PWVERIFY_THREADS", value)
    with pytest.raises(PwverifyError, match="PWVERIFY_THREADS must be a positive integer"):
        pwverify.parse("relu(x)").evaluate(np.zeros(10))


@pytest.mark.parametrize("direction", ["forward", "reverse"])
def test_selections_reaching_one_input_add_up(direction):
    """Two selections of the same input are two 0/1 masks: their sum is 2 where both
    pass (a logical "or" of the masks would give 1)."""
    program = pwverify.parse("relu(x) + max(x, y) + relu(x)")
    points = np.array([[1.0, 0.0], [1.0, 2.0], [-1.0, -2.0], [0.0, 0.0]])
    _, grads = compile_graph(program.graph, direction=direction)(points)
    assert grads[:, 0, :].tolist() == [[3.0, 0.0], [2.0, 1.0], [1.0, 0.0], [1.0, 0.0]]


@pytest.mark.parametrize("kind", ["max", "min"])
def test_a_scanned_extremum_is_the_first_one_with_many_ties_and_nan(kind):
    """The one-pass extremum and winner index of Python's max/min against numpy's
    argmax/argmin (the first extremal entry) over many tied entries; an entry that is nan
    makes the value nan."""
    program = pwverify.parse(f"{kind}(" + ", ".join(f"x[{i}]" for i in range(12)) + ")", shapes={"x": 12})
    rng = np.random.default_rng(4)
    points = rng.integers(-1, 2, size=(3000, 12)).astype(float)
    points[::97, 5] = np.nan
    values, grads = program.evaluate(points)
    clean = ~np.isnan(points).any(axis=1)
    winner = (np.argmax if kind == "max" else np.argmin)(points[clean], axis=1)
    assert np.array_equal(values[clean, 0], points[clean][np.arange(clean.sum()), winner])
    want = np.zeros((clean.sum(), 12))
    want[np.arange(clean.sum()), winner] = 1.0
    assert np.array_equal(grads[clean, 0, :], want)
    assert np.isnan(values[~clean, 0]).all()


# -- against torch's batched autograd, at random and tie points ------------------------------
def _net_program(tmp_path):
    import os
    import sys
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    from networks import integer_network_source
    path = tmp_path / "net.py"
    path.write_text(integer_network_source((2, 8, 8, 1)))
    return pwverify.parse(f"{path}:net")


def _torch_points(program, n_random: int, n_ties: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    p = len(program.inputs)
    ties = [tp.point for tp in tie_points(program, count=n_ties, seed=seed)]
    tie_matrix = np.array([[_float(pt[n]) for n in program.inputs] for pt in ties]).reshape(-1, p)
    return np.concatenate([rng.uniform(-2, 2, (n_random // 2, p)),
                           rng.integers(-2, 3, (n_random - n_random // 2, p)).astype(float), tie_matrix])


def _same_as_torch(points, values, torch_values, grads, torch_grads):
    """Gradients equal exactly; values exactly at integer and tie points (every sum is
    exact there), to rounding elsewhere (torch sums in another order)."""
    assert np.array_equal(grads, torch_grads)
    exact_rows = (points == np.round(points * 64) / 64).all(axis=1)
    assert exact_rows.sum() > len(points) // 2
    assert np.array_equal(values[exact_rows], torch_values[exact_rows])
    assert np.allclose(values, torch_values, rtol=1e-12, atol=1e-12)


@requires_torch
def test_relu_network_equals_torch_at_random_and_tie_points(tmp_path):
    import torch
    program = _net_program(tmp_path)
    from networks import integer_network
    layers = [(torch.tensor(w, dtype=torch.float64), torch.tensor(b, dtype=torch.float64))
              for w, b in integer_network((2, 8, 8, 1))]
    points = _torch_points(program, 1000, 60)
    x = torch.tensor(points, requires_grad=True)
    h = x
    for w, b in layers[:-1]:
        h = torch.relu(h @ w.T + b)
    out = (h @ layers[-1][0].T + layers[-1][1])[:, 0]
    out.sum().backward()
    values, grads = program.evaluate(points)
    _same_as_torch(points, values[:, 0], out.detach().numpy(), grads[:, 0, :], x.grad.numpy())


@requires_torch
def test_max_pooling_equals_torch_at_random_and_tie_points():
    import torch
    program = pwverify.parse("torch.nn.functional.max_pool2d(x.reshape(1, 1, 6, 6), 3).sum()", shapes={"x": 36})
    points = _torch_points(program, 1000, 12)
    points = np.concatenate([points, np.zeros((1, 36)), np.ones((1, 36))])
    x = torch.tensor(points, requires_grad=True)
    out = torch.nn.functional.max_pool2d(x.reshape(-1, 1, 6, 6), 3).sum(dim=(1, 2, 3))
    out.sum().backward()
    values, grads = program.evaluate(points)
    _same_as_torch(points, values[:, 0], out.detach().numpy(), grads[:, 0, :], x.grad.numpy())


@requires_torch
def test_max_reduction_equals_torch_at_ties():
    import torch
    program = pwverify.parse("torch.max(x)", shapes={"x": 8})
    rng = np.random.default_rng(2)
    points = np.concatenate([rng.integers(-1, 2, (500, 8)).astype(float), rng.uniform(-1, 1, (500, 8))])
    x = torch.tensor(points, requires_grad=True)
    torch.amax(x, dim=1).sum().backward()
    values, grads = program.evaluate(points)
    assert np.array_equal(values[:, 0], x.detach().numpy().max(axis=1))
    assert np.array_equal(grads[:, 0, :], x.grad.numpy())


def test_a_max_over_arrays_keeps_the_winners_own_zero():
    """Python's max returns its first maximal argument: -0.0 or 0.0 as that argument is;
    the one-pass scan must not take IEEE maximum's choice."""
    import numpy as np
    import pwverify
    program = pwverify.parse("max(x, y, z)")
    points = np.array([[-0.0, 0.0, -1.0], [0.0, -0.0, -1.0], [-1.0, -0.0, 0.0], [-2.0, 0.0, -0.0]] * 50)
    values, _ = program.evaluate(points)
    assert np.signbit(values[:, 0]).tolist() == [True, False, True, False] * 50
