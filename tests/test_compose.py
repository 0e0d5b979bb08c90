"""Composition: piece counts, disjoint and covering pieces, and agreement with the oracle.

Theorem 2 of Bolte & Pauwels: autodiff (the exact oracle) returns the associated
gradient of the representation at every point; their Lemma 1: forward and backward
modes agree. Both are checked on fixed programs and on random ones, at random
rational points and at points on every piece (the thin ones included).
"""

import random

import pytest
import sympy
from hypothesis import HealthCheck, given, settings, strategies as st

import pwverify
from pwverify.questions.tie_points import points_in_pieces
from pwverify.questions.wellformed import check_representation
from conftest import case

R = sympy.Rational


@pytest.mark.parametrize("n", range(2, 7))
def test_torch_max_over_n_entries_has_one_piece_per_tie_set(n):
    rep = pwverify.parse("torch.max(x)", shapes={"x": n}).representation()
    assert len(rep.pieces) == 2 ** n - 1
    for piece in rep.pieces:
        tied = [g for g in piece.gradient[0] if g != 0]
        assert len(set(tied)) == 1 and tied[0] == R(1, len(tied))


@pytest.mark.parametrize("n", range(2, 7))
def test_the_max1_loop_has_n_pieces_first_index_winning(tmp_path, n):
    path = tmp_path / "m.py"
    path.write_text(f'def max1(x: "float[{n}]"):\n    res = x[0]\n    for i in range(1, len(x)):\n'
                    f'        if x[i] > res:\n            res = x[i]\n    return res\n')
    rep = pwverify.parse(f"{path}:max1").representation()
    assert len(rep.pieces) == n
    for i, piece in enumerate(rep.pieces):
        assert piece.gradient[0] == tuple(int(j == i) for j in range(n))
    assert pwverify.parse(f"{path}:max1").gradient_at({"x": [0] * n}) == [[1] + [0] * (n - 1)]


@pytest.mark.parametrize("n", range(2, 6))
def test_python_max_has_n_pieces(n):
    rep = pwverify.parse("max(x)", shapes={"x": n}).representation()
    assert len(rep.pieces) == n


def test_pruning_happens_as_pieces_form():
    # t*(1, 2, 3, 4): only three of the 15 tie sets of torch.max are feasible
    rep = pwverify.parse(case("boustany.py:f")).representation()
    steps = {s.op: s for s in rep.stats.steps}
    assert steps["max_even"].pieces_out <= 3 * 2
    assert rep.stats.solver_calls < 40


PROGRAMS = [
    case("boustany.py:f"), case("boustany.py:max1_t"), case("boustany.py:torch_max4"),
    case("maxpool.py:f"), case("upwind.py:flux_branch"), case("upwind.py:flux_relu"),
    case("minmod.py:minmod_relu"), case("minmod.py:minmod_branch"), case("relu_family.py:relu3"),
    case("relu_family.py:identity_minus_zero"), "torch.clamp(x, -1, 1) * y + abs(x - y)",
    "torch.sort(torch.stack([a, b, c])).values[1]", "F.relu6(2 * t - 1) + F.hardtanh(t)",
    "torch.where(x > y, (x - y) * y, 0 * x) + max(x, 0.5)",
]


@pytest.mark.parametrize("spec", PROGRAMS)
def test_pieces_are_disjoint_cover_and_are_not_empty(spec):
    rep = pwverify.parse(spec).representation()
    report = check_representation(rep)
    assert report.disjoint.is_proved and report.cover.is_proved
    assert report.empty_pieces == []
    assert report.continuity.is_proved


def _agree(program, point):
    # Lemma 1 of Bolte & Pauwels 2020: forward and reverse accumulation of the same graph agree
    from pwverify.engines.pointwise import ad
    reverse = ad(program.graph, program.point(point), "reverse").gradient
    forward = ad(program.graph, program.point(point), "forward").gradient
    rep = program.representation()
    assert reverse == forward, point
    assert rep.gradient_at(point) == reverse, point
    assert rep.value_at(point) == program.value_at(point), point


@pytest.mark.parametrize("spec", PROGRAMS)
def test_oracle_equals_the_associated_gradient_everywhere(spec):
    program = pwverify.parse(spec)
    rng = random.Random(0)
    points = [p.point for p in points_in_pieces(program.representation())]
    points += [{n: R(rng.randint(-9, 9), rng.randint(1, 4)) for n in program.inputs} for _ in range(5)]
    for point in points:
        _agree(program, point)


# -- random programs -----------------------------------------------------------------------------
_LEAVES = st.sampled_from(["x", "y", "1", "-2", "0.5"])


def _node(children):
    unary = st.sampled_from(["relu({})", "abs({})", "torch.clamp({}, -1, 1)", "-({})", "2 * ({})",
                             "F.relu6({})", "torch.clamp({}, min=0)"])
    binary = st.sampled_from(["({}) + ({})", "({}) - ({})", "torch.maximum({}, {})", "torch.minimum({}, {})",
                              "max({}, {})", "min({}, {})", "({}) * ({})"])
    return st.one_of(
        st.builds(lambda f, a: f.format(a), unary, children),
        st.builds(lambda f, a, b: f.format(a, b), binary, children, children),
        st.builds(lambda a, b, c, d: f"(({a}) if ({b}) > ({c}) else ({d}))", children, children, children, children),
        st.builds(lambda a, b, c: f"torch.max(torch.stack([{a}, {b}, {c}]))", children, children, children),
    )


PROGRAM_TEXT = st.recursive(_LEAVES, _node, max_leaves=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROGRAM_TEXT, st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3)), min_size=2, max_size=4))
def test_random_programs(text, coords):
    program = pwverify.parse(f"0 * (x + y) + {text}")
    rep = program.representation()
    report = check_representation(rep)
    assert report.disjoint.is_proved and report.cover.is_proved, text
    assert report.empty_pieces == [], text
    points = [p.point for p in points_in_pieces(rep)] + [{"x": R(a, 2), "y": R(b, 2)} for a, b in coords]
    for point in points:
        _agree(program, point)
