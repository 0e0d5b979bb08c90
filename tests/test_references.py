"""The hand-written z3 references of benchmarks/bench_scale.py give the known verdicts.

Only verdicts are checked (the times are what the benchmark prints). Each question
also has a variant whose answer flips, so an encoding that always says the same thing
fails here.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))

import references as R  # noqa: E402
from networks import integer_network  # noqa: E402

#: relu(x) with one input, one neuron: the tie s = 0 is at x = 0 and reaches the output.
IDENTITY = [([[1]], [0]), ([[1]], [0])]
#: s = 0*x + 1 > 0 everywhere: no tie, so every formulation has the same gradient.
NO_TIE = [([[0]], [1]), ([[2]], [0])]
#: three outputs and two inputs (forward and reverse mode), ties at x0 = x1.
WIDE = [([[1, -1], [2, 1]], [0, 0]), ([[1, 0], [0, -1], [3, 2]], [0, 1, 0])]


@pytest.mark.parametrize("n", [2, 3, 5])
def test_max_loop_and_torch_max_same_function_different_gradient(n):
    assert R.max_function(n)[1] == {"function": "proved"}
    assert R.max_gradient(n)[1] == {"gradient": "refuted"}       # even split 1/k at a tie


@pytest.mark.parametrize("n", [2, 4])
def test_max_loop_and_first_index_max_same_gradient(n):
    # torch.max(x, dim=0).values: the first maximal entry, as the loop
    assert R.max_gradient(n, rule="first")[1] == {"gradient": "proved"}


def test_relu_against_max0_and_where_is_proved():
    for layers in (IDENTITY, WIDE, integer_network((2, 4, 4, 1))):
        for other in ("max0", "where"):
            assert R.net_function(layers, "relu", other)[1] == {"function": "proved"}
            assert R.net_gradient(layers, "relu", other)[1] == {"gradient": "proved"}


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_relu_against_clamp_gradient_refuted(mode):
    for layers in (IDENTITY, WIDE, integer_network((2, 4, 4, 1))):
        assert R.net_function(layers, "relu", "clamp")[1] == {"function": "proved"}
        assert R.net_gradient(layers, "relu", "clamp", mode=mode)[1] == {"gradient": "refuted"}


def test_relu_against_clamp_without_a_tie_is_proved():
    assert R.net_gradient(NO_TIE, "relu", "clamp")[1] == {"gradient": "proved"}


def test_conv_layer_pooled_two_ways():
    weights, bias = [[[1, -1, 0], [0, 2, 1], [-1, 0, 1]]], [0]
    assert R.conv_function(weights, bias, size=6)[1] == {"function": "proved"}
    assert R.conv_gradient(weights, bias, size=6)[1] == {"gradient": "proved"}
    # an even split over a tied window (amax) is a different gradient
    assert R.conv_gradient(weights, bias, size=6, rule="even")[1] == {"gradient": "refuted"}


def test_max_tangent_rules_at_ties():
    z3 = pytest.importorskip("z3")
    xs = [z3.RealVal(v) for v in (2, 5, 5, 5)]
    even = [z3.simplify(t) for t in R.max_tangent(xs, z3.RealVal(5))]
    first = [z3.simplify(t) for t in R.max_tangent(xs, z3.RealVal(5), "first")]
    assert [str(t) for t in even] == ["0", "1/3", "1/3", "1/3"]
    assert [str(t) for t in first] == ["0", "1", "0", "0"]
