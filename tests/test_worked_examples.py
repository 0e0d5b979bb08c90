"""The worked examples of the primer (§4), through the API and the CLI."""

import json
from fractions import Fraction

import pytest
import sympy

import pwverify
from conftest import case

R = sympy.Rational


def grad(spec, **point):
    return pwverify.parse(spec).gradient_at(point)


# -- Bolte & Pauwels: the relu family (Bolte & Pauwels 2020, Figure 1) --------------------------------
@pytest.mark.parametrize("name, at_zero", [
    ("relu", 0), ("relu2", 1), ("relu3", R(1, 2)), ("zero", 1), ("identity_minus_zero", 0),
])
def test_relu_family_at_zero(name, at_zero):
    assert grad(case(f"relu_family.py:{name}"), t=0) == [[at_zero]]


@pytest.mark.parametrize("t", [-2, R(-1, 3), R(1, 7), 5])
def test_relu_family_away_from_zero(t):
    positive = 1 if t > 0 else 0
    expected = {"relu": positive, "relu2": positive, "relu3": positive, "zero": 0,
                "identity_minus_zero": 1}
    for name, value in expected.items():
        assert grad(case(f"relu_family.py:{name}"), t=t) == [[value]], name


def test_relu_family_pieces():
    rep = pwverify.parse(case("relu_family.py:relu3")).representation()
    assert [p.describe() for p in rep.pieces] == ["t < 0", "t > 0", "t == 0"]
    assert [p.gradient[0][0] for p in rep.pieces] == [0, 1, R(1, 2)]


# -- Murat–Trombetti: max(x, x) ------------------------------------------------------------
@pytest.mark.parametrize("name", ["max_xx", "max_stack_xx", "python_max_xx"])
@pytest.mark.parametrize("x", [0, 1, R(-3, 2)])
def test_max_of_a_point_on_the_tie_line_has_derivative_one(name, x):
    assert grad(case(f"murat_trombetti.py:{name}"), x=x) == [[1]]


def test_max_xx_representation_is_the_identity():
    rep = pwverify.parse(case("murat_trombetti.py:max_xx")).representation()
    assert len(rep.pieces) == 1 and rep.pieces[0].value == (sympy.Symbol("x"),)


@pytest.mark.parametrize("z", ["0", "1/2", "1", "7"])
def test_relu_of_zero_weight_has_zero_derivative_for_every_relu_prime(z):
    program = pwverify.parse(case("murat_trombetti.py:relu_w0"), ties=[f"relu0={z}"])
    for x in (0, 1, -1):
        assert program.gradient_at({"x": x}) == [[0]]


def test_custom_relu_prime_changes_relu2():
    # relu2(t) = relu(-t) + t: d/dt at 0 is 1 - relu'(0)
    program = pwverify.parse(case("relu_family.py:relu2"), ties=["relu0=1/4"])
    assert program.gradient_at({"t": 0}) == [[R(3, 4)]]


# -- Boustany (Després 2024b, Table 2) -------------------------------------------------------------
TABLE_2 = {-1: 0, R(-1, 2): 0, R(-1, 100): 0, 0: R(-3, 2), R(1, 100): 0, R(1, 2): 0, 1: 0}


@pytest.mark.parametrize("t, expected", TABLE_2.items())
def test_boustany_table_2(t, expected):
    program = pwverify.parse(case("boustany.py:f"))
    assert program.gradient_at({"t": t}) == [[expected]]
    assert program.in_mode("forward").gradient_at({"t": t}) == [[expected]]
    assert program.representation().gradient_at({"t": t}) == [[expected]]


def test_boustany_representation():
    rep = pwverify.parse(case("boustany.py:f")).representation()
    assert [(p.describe(), p.gradient[0][0]) for p in rep.pieces] == [("t != 0", 0), ("t == 0", R(-3, 2))]


def test_max1_loop_has_one_piece_per_winner():
    rep = pwverify.parse(case("boustany.py:max1_t")).representation()
    assert [p.describe() for p in rep.pieces] == [
        "x0 >= x1 and x0 >= x2 and x0 >= x3",
        "x0 < x1 and x1 >= x2 and x1 >= x3",
        "x1 < x2 and x0 < x2 and x2 >= x3",
        "x2 < x3 and x1 < x3 and x0 < x3",
    ]
    x = sympy.symbols("x0:4")
    assert [p.value for p in rep.pieces] == [(x[0],), (x[1],), (x[2],), (x[3],)]


def test_torch_max_over_four_entries_is_seed_001_eq_19():
    rep = pwverify.parse(case("boustany.py:torch_max4")).representation()
    assert len(rep.pieces) == 15
    x = sympy.symbols("x0:4")
    assert rep.pieces[0].describe() == "x0 > x1 and x0 > x2 and x0 > x3"
    assert rep.pieces[4].describe() == "x0 == x1 and x0 > x2 and x0 > x3"
    assert rep.pieces[4].value == ((x[0] + x[1]) / 2,)
    assert rep.pieces[-1].value == (sum(x) / 4,)
    assert rep.pieces[-1].gradient == ((R(1, 4),) * 4,)


# -- MaxPool1d (Després 2024b, Table 3) --------------------------------------------------------------
@pytest.mark.parametrize("t, expected", {-1: 0, R(-1, 2): 0, R(-1, 100): 0, 0: -3, R(1, 100): 0,
                                         R(1, 2): 0, 1: 0}.items())
def test_maxpool_table_3(t, expected):
    assert grad(case("maxpool.py:f"), t=t) == [[expected]]


# -- upwind flux (Després 2024a) -------------------------------------------------------------------
def test_upwind_flux_gradients_differ_only_on_a_equal_zero():
    branch = pwverify.parse(case("upwind.py:flux_branch"))
    relu_form = pwverify.parse(case("upwind.py:flux_relu"))
    at_zero = {"a": 0, "alpha": 2, "beta": 3}
    assert branch.gradient_at(at_zero) == [[3, 0, 0]]
    assert relu_form.gradient_at(at_zero) == [[0, 0, 0]]
    for a in (-1, R(1, 3)):
        pt = {"a": a, "alpha": 2, "beta": 3}
        assert branch.gradient_at(pt) == relu_form.gradient_at(pt)
        assert branch.value_at(pt) == relu_form.value_at(pt)


# -- minmod (Després 2024a) --------------------------------------------------------------------------
def _minmod(x, y):
    if x * y <= 0:
        return 0
    return min(x, y) if x > 0 else max(x, y)


@pytest.mark.parametrize("x, y", [(1, 2), (2, 1), (-1, -2), (-2, -1), (1, -1), (-1, 1), (0, 3),
                                  (R(1, 2), R(1, 2)), (-3, -3), (0, 0)])
def test_minmod_relu_form_is_minmod(x, y):
    for name in ("minmod_relu", "minmod_branch"):
        assert pwverify.parse(case(f"minmod.py:{name}")).value_at({"x": x, "y": y}) == [_minmod(x, y)]


def test_minmod_gradients_at_a_tie():
    # torch.maximum splits a tie evenly; Python's min/max give it to the first argument
    assert grad(case("minmod.py:minmod_relu"), x=1, y=1) == [[R(1, 2), R(1, 2)]]
    assert grad(case("minmod.py:minmod_branch"), x=1, y=1) == [[1, 0]]


# -- the CLI reproduces the commands ------------------------------------------------------
def test_cli_grad_boustany(cli):
    code, out, _ = cli("grad", case("boustany.py:f"), "--at", "t=0")
    assert code == 0
    assert "value     0" in out and "gradient  [-3/2]" in out


def test_cli_grad_json_contract(cli):
    code, out, _ = cli("grad", case("boustany.py:f"), "--at", "t=0", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["inputs"] == ["t"] and data["point"] == {"t": "0"}
    assert data["value"] == ["0"] and data["gradient"] == [["-3/2"]]


def test_cli_pieces_json_contract(cli):
    code, out, _ = cli("pieces", case("boustany.py:f"), "--json")
    data = json.loads(out)
    assert code == 0 and data["inputs"] == ["t"]
    assert [(p["where"], p["value"], p["gradient"]) for p in data["pieces"]] == [
        (["t != 0"], ["0"], [["0"]]), (["t == 0"], ["-3*t/2"], [["-3/2"]])]
    for piece in data["pieces"]:
        for text in piece["value"] + [g for row in piece["gradient"] for g in row]:
            sympy.sympify(text)  # exact values are sympy-parsable


def test_cli_pieces_of_an_expression(cli):
    code, out, _ = cli("pieces", "relu(-t) + t")
    assert code == 0
    assert "t < 0" in out and "t >= 0" in out
