"""Tie points: exact points on the kinks, labelled, usable as framework arrays."""

import json
from fractions import Fraction

import pytest
import sympy

import pwverify
from conftest import requires_torch
from pwverify.questions.tie_points import float_exact, tie_points, tie_sites


def test_the_kink_of_a_relu_on_a_fat_piece_is_found_and_labelled():
    program = pwverify.parse("relu(-t) + t")
    (tp,) = tie_points(program)
    assert tp.point == {"t": 0}
    assert [s.op for s in tp.sites] == ["relu"]
    assert tp.sites[0].location == "<expr>:1:1"


def test_every_point_is_on_a_tie_exact_in_float64_and_distinct():
    program = pwverify.parse("torch.max(x) + F.relu(x[0] - x[1]) + torch.clamp(x[2], -1, 1)", shapes={"x": 3})
    points = tie_points(program, count=25, seed=3)
    assert len(points) == 25
    assert len({tuple(sorted(tp.point.items())) for tp in points}) == 25
    for tp in points:
        assert float_exact(tp.point)
        assert tp.sites and tie_sites(program, tp.point) == tp.sites
    rep = program.representation()
    for tp in tie_points(program, count=10, seed=3, rep=rep):
        assert rep.piece_index_at(tp.point) == tp.piece - 1
    ops = {s.op for tp in points for s in tp.sites}
    assert ops == {"max_even", "relu", "clamp_torch"}


def test_the_seed_makes_the_points_reproducible_and_changes_them():
    program = pwverify.parse("torch.maximum(a, b) + relu(c)")
    same = [tp.point for tp in tie_points(program, count=8, seed=1)]
    assert same == [tp.point for tp in tie_points(program, count=8, seed=1)]
    assert same != [tp.point for tp in tie_points(program, count=8, seed=2)]


def test_a_smooth_program_has_no_tie_points():
    assert tie_points(pwverify.parse("a * b + exp(a)")) == []


def test_arrays_follow_the_declared_inputs():
    program = pwverify.parse("torch.max(x) * t", shapes={"x": (2, 2)})
    tp = tie_points(program)[0]
    x, t = tp.arrays("numpy")
    assert x.shape == (2, 2) and t.shape == () and str(x.dtype) == "float64"
    assert [float(v) for v in x.reshape(-1)] == [float(tp.point[f"x{i}_{j}"]) for i in (0, 1) for j in (0, 1)]
    with pytest.raises(pwverify.PwverifyError):
        tp.arrays("cupy")


@requires_torch
def test_torch_arrays_reproduce_the_predicted_gradient():
    import torch
    program = pwverify.parse("torch.max(x) + F.relu(x[0])", shapes={"x": 3})
    for tp in tie_points(program, count=6):
        (x,) = tp.arrays("torch", requires_grad=True)
        y = torch.max(x) + torch.nn.functional.relu(x[0])
        (grad,) = torch.autograd.grad(y, x)
        # torch rounds 1/3 (a three-way tie) to float64; the prediction is exact
        assert grad.tolist() == [float(v) for v in program.gradient_at(tp.point)[0]]


def test_ties_command_lists_points_and_the_primitives_they_exercise(cli):
    code, out, err = cli("ties", "torch.maximum(a, b) + relu(a)")
    assert code == 0, err
    assert "maximum_split" in out and "relu" in out and "a=0, b=0" in out


def test_ties_command_json(cli):
    code, out, _ = cli("ties", "torch.max(x)", "--shape", "x=3", "--count", "5", "--seed", "2", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["framework"] == "torch" and len(data["points"]) == 5
    for p in data["points"]:
        values = [sympy.Rational(p["point"][f"x{i}"]) for i in range(3)]
        assert values.count(max(values)) >= 2
        assert p["ties"][0]["op"] == "max_even"


def test_ties_command_rejects_a_negative_count(cli):
    code, _, err = cli("ties", "relu(t)", "--count", "-1")
    assert code == 2 and "--count" in err
