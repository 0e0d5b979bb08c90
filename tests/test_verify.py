"""The verifier: compare two programs, check hand-written representations."""

import json

import pytest
import sympy

import pwverify
from pwverify.questions.compare import compare
from pwverify.core.errors import RepresentationFileError
from pwverify.model.reprfile import load_text
from pwverify.questions.wellformed import check_file
from conftest import case, requires_torch

R = sympy.Rational

# (A, B, function verdict, gradient verdict, witness point, disagreement set)
SEED_PAIRS = [
    (case("relu_family.py:relu"), case("relu_family.py:relu2"), "proved", "refuted", {"t": 0}, ["t == 0"]),
    (case("relu_family.py:relu"), case("relu_family.py:relu3"), "proved", "refuted", {"t": 0}, ["t == 0"]),
    (case("relu_family.py:zero"), "0 * t", "proved", "refuted", {"t": 0}, ["t == 0"]),
    (case("relu_family.py:identity_minus_zero"), "t", "proved", "refuted", {"t": 0}, ["t == 0"]),
    (case("murat_trombetti.py:max_xx"), case("murat_trombetti.py:python_max_xx"), "proved", "proved", None, []),
    (case("boustany.py:max1_t"), case("boustany.py:max2_t"), "proved", "refuted",
     {"x0": 0, "x1": 0, "x2": 0, "x3": 0}, None),
    (case("maxpool.py:pool_t_4t"), case("maxpool.py:pool_4t_t"), "proved", "refuted", {"t": 0}, ["t == 0"]),
    (case("upwind.py:flux_branch"), case("upwind.py:flux_relu"), "proved", "refuted",
     {"a": 0, "alpha": 0, "beta": 1}, ["a == 0 and beta != 0"]),
    (case("minmod.py:minmod_branch"), case("minmod.py:minmod_relu"), "proved", "refuted", {"x": 1, "y": 1},
     ["x == y and x + y != 0"]),
]


@pytest.mark.parametrize("a, b, function, gradient, point, disagreement", SEED_PAIRS)
def test_seed_pairs(a, b, function, gradient, point, disagreement):
    r = compare(a, b)
    assert r.function.status == function
    assert r.gradient.status == gradient
    if point is not None:
        assert r.gradient.witness.point == point
        ga, gb = r.gradient.witness.observed["gradient_a"], r.gradient.witness.observed["gradient_b"]
        assert ga == pwverify.parse(a).gradient_at(point) and gb == pwverify.parse(b).gradient_at(point)
        assert ga != gb
    if disagreement is not None:
        assert r.disagreement == disagreement
    if gradient == "refuted" and function == "proved":
        assert r.measure_zero is True  # Corollary 1, a check of the engine itself


def test_boustany_disagreement_set_is_every_tie_the_loop_breaks_differently():
    r = compare(case("boustany.py:max1_t"), case("boustany.py:max2_t"))
    assert len(r.disagreement) == 11  # the 11 tie sets of size >= 2 of four entries
    assert all("==" in region for region in r.disagreement) and r.measure_zero is True


@pytest.mark.parametrize("a, b", [(p[0], p[1]) for p in SEED_PAIRS] + [
    ("relu(t)", "abs(t)"), ("max(x, y)", "torch.maximum(x, y)"), ("x * y if x > 0 else 0", "relu(x) * y"),
    ("torch.clamp(x, 0, 1)", "min(max(x, 0), 1)"), ("sqrt(x * x + 1)", "sqrt(1 + x ** 2)"),
])
def test_the_two_engines_agree(a, b):
    direct = compare(a, b, engine="direct")
    pieces = compare(a, b, engine="pieces")
    assert direct.function.status == pieces.function.status
    assert direct.gradient.status == pieces.gradient.status
    both = compare(a, b, engine="both")
    assert not any("disagree" in n for n in both.notes)


def test_different_functions_are_refuted_with_exact_values():
    r = compare("relu(t)", "abs(t)")
    assert r.function.status == "refuted"
    w = r.function.witness
    assert w.point == {"t": -1} and w.observed == {"value_a": [0], "value_b": [1]}
    assert r.measure_zero is False


def test_different_domains_are_refuted():
    r = compare("log(x) if x > 0 else 0", "log(x)")
    assert r.function.status == "refuted"
    assert r.function.witness.observed == {"defined_a": True, "defined_b": False}


def test_transcendental_identities_are_proved_by_exact_algebra():
    r = compare("log(1 + exp(t))", "log(1 + exp(-t)) + t")
    assert r.function.is_proved and r.gradient.is_proved
    assert "algebra" in r.function.reason


UNDECIDED = ("x if sin(x) > 0.5 else 0 * x", "x if sin(x) >= 0.5 else 0 * x")  # differ only at x = pi/6 + ...


def test_what_nothing_decides_is_unknown_with_a_reason():
    r = compare(*UNDECIDED)
    assert r.function.status == "unknown" and "transcendental" in r.function.reason
    assert r.gradient.status == "unknown"
    assert r.exit_code == 3


def test_a_transcendental_tie_at_a_rational_point_is_refuted_exactly():
    r = compare("x if sin(x) > 0 else 0 * x", "x if sin(x) >= 0 else 0 * x")
    assert r.gradient.status == "refuted" and r.gradient.witness.point == {"x": 0}


def test_algebraic_witnesses_are_exact():
    r = compare("relu(x * x - 2)", "relu(x * x - 2) + relu(x - 1) - relu(x - 1)")
    assert r.function.is_proved
    r = compare("1 if x * x > 2 else 0 * x", "1 if x > 1 else 0 * x")
    assert r.function.status == "refuted"
    x = r.function.witness.point["x"]
    assert (x * x > 2) != (x > 1)


def test_wrt_restricts_the_gradient_comparison():
    a, b = case("upwind.py:flux_branch"), case("upwind.py:flux_relu")
    assert compare(a, b, wrt=["alpha", "beta"]).gradient.is_proved
    assert compare(a, b, wrt=["a"]).gradient.status == "refuted"


def test_inputs_are_matched_by_position_with_a_note():
    r = compare("relu(u)", "relu(v)")
    assert r.function.is_proved and r.gradient.is_proved
    assert r.notes and "position" in r.notes[0]


def test_different_input_counts_are_a_usage_error():
    with pytest.raises(pwverify.PwverifyError):
        compare("relu(u)", "relu(u) + v")


def test_testing_helpers_fail_with_the_witness():
    from pwverify.testing import assert_same_function, assert_same_gradient
    assert_same_function(case("boustany.py:max1_t"), case("boustany.py:max2_t"))
    with pytest.raises(AssertionError, match="x0 = 0"):
        assert_same_gradient(case("boustany.py:max1_t"), case("boustany.py:max2_t"))
    with pytest.raises(AssertionError, match="unknown"):
        assert_same_function(*UNDECIDED)


# -- representation files ---------------------------------------------------------------------------
def test_the_15_piece_table_of_torch_max_is_proved_against_torch_max():
    r = check_file(case("max2_table.toml"), case("boustany.py:torch_max4"))
    assert all(v.is_proved for v in r.verdicts())
    assert r.representation.empty_pieces == []


def test_the_max1_table_is_proved_against_the_loop():
    r = check_file(case("max1_table.toml"), case("boustany.py:max1_t"))
    assert all(v.is_proved for v in r.verdicts())


def test_the_even_split_table_is_not_the_loop_s_gradient():
    r = check_file(case("max2_table.toml"), case("boustany.py:max1_t"))
    assert r.agrees.is_proved and r.gradient.status == "refuted"
    assert r.gradient.witness.observed["piece"] == 15


def _table(pieces, inputs='["x", "y"]'):
    text = f"inputs = {inputs}\n"
    for where, value in pieces:
        text += f'\n[[piece]]\nwhere = {json.dumps(where)}\nvalue = {json.dumps(value)}\n'
    return text


MAX_XY = [("x > y", "x"), ("x < y", "y"), ("x == y", "(x + y) / 2")]


def test_a_correct_table():
    rep = load_text(_table(MAX_XY), "max.toml")
    r = check_file(rep, "torch.maximum(x, y)")
    assert all(v.is_proved for v in r.verdicts())


def test_a_missing_piece_is_caught_with_a_point():
    rep = load_text(_table(MAX_XY[:2]), "missing.toml")
    r = check_file(rep)
    assert r.representation.cover.status == "refuted"
    point = r.representation.cover.witness.point
    assert point["x"] == point["y"]


def test_an_overlapping_pair_is_caught_with_the_pieces_and_a_point():
    rep = load_text(_table([("x >= y", "x")] + MAX_XY[1:]), "overlap.toml")
    r = check_file(rep)
    assert r.representation.disjoint.status == "refuted"
    w = r.representation.disjoint.witness
    assert w.observed["pieces"] == [1, 3] and w.point["x"] == w.point["y"]


def test_a_wrong_formula_is_caught_against_the_program():
    rep = load_text(_table([("x > y", "x"), ("x < y", "x"), ("x == y", "(x + y) / 2")]), "wrong.toml")
    r = check_file(rep, "torch.maximum(x, y)")
    assert r.agrees.status == "refuted" and r.agrees.witness.observed["piece"] == 2


def test_a_contradictory_condition_is_an_empty_piece():
    rep = load_text(_table(MAX_XY + [("x > y and y > x", "0")]), "empty.toml")
    assert check_file(rep).representation.empty_pieces == [4]


def test_a_tie_rule_differing_from_the_program_is_a_gradient_refutation():
    rep = load_text(_table([("x >= y", "x"), ("x < y", "y")]), "first.toml")
    r = check_file(rep, "torch.maximum(x, y)")
    assert r.agrees.is_proved and r.gradient.status == "refuted"
    assert r.gradient.witness.observed["gradient_a"] == [[1, 0]]


def test_a_domain_restricts_coverage():
    text = 'inputs = ["x"]\ndomain = "x > 0"\n\n[[piece]]\nwhere = "x > 0"\nvalue = "log(x)"\n'
    assert check_file(load_text(text, "log.toml"), "log(x)").representation.cover.is_proved


@pytest.mark.parametrize("text, line, words", [
    ('inputs = ["x"]\n[[piece]]\nwhere = "x >"\nvalue = "x"\n', 3, ["invalid Python syntax"]),
    ('inputs = ["x"]\n[[piece]]\nwhere = "x > 0"\nvalue = "x"\n[[piece]]\nwhere = "z < 0"\nvalue = "0"\n', 6,
     ["piece 2", "unknown name 'z'"]),
    ('inputs = ["x"]\n[[piece]]\nwhere = "x > 0"\nvalue = ["x", "1"]\n[[piece]]\nwhere = "x <= 0"\nvalue = "0"\n',
     5, ["piece 2", "1 values"]),
    ('inputs = ["x"]\n[[piece]]\nvalue = "x"\n', 2, ["needs `where`"]),
    ('inputs = "x"\n[[piece]]\nwhere = "x > 0"\nvalue = "x"\n', 1, ["inputs"]),
    ('inputs = ["x"\n', 1, ["invalid TOML"]),
    ('inputs = ["x"]\n[[piece]]\nwhere = "x > 0"\nvalue = "foo(x)"\n', 4, ["unsupported expression"]),
])
def test_file_errors_name_the_line(text, line, words):
    with pytest.raises(RepresentationFileError) as info:
        load_text(text, "bad.toml")
    message = str(info.value)
    assert message.startswith(f"bad.toml:{line}:"), message
    for word in words:
        assert word in message, message


# -- the CLI -----------------------------------------------------------------------------------------------
def test_cli_compare_output_and_exit_codes(cli):
    code, out, _ = cli("compare", "relu(t)", "relu(-t) + t")
    assert code == 1
    assert out.splitlines()[:3] == [
        "function: proved equal",
        "gradient: refuted at t = 0: d/dt relu(t) = 0, d/dt (relu(-t) + t) = 1",
        "          disagreement set: {t == 0} (measure zero)"]
    code, _, _ = cli("compare", case("murat_trombetti.py:max_xx"), case("murat_trombetti.py:python_max_xx"))
    assert code == 0
    code, _, _ = cli("compare", *UNDECIDED)
    assert code == 3


def test_cli_compare_disagreement_budget(cli, monkeypatch):
    from pwverify.questions import compare as compare_module
    code, out, _ = cli("compare", "relu(t)", "relu(-t) + t", "--no-disagreement")
    assert code == 1 and "disagreement set" not in out
    # the default budget is small: a pair whose decomposition needs more says so, and how to get it
    monkeypatch.setattr(compare_module, "DEFAULT_DISAGREEMENT_BUDGET", 2)
    a, b = "relu(x) + relu(y) + relu(x - y)", "relu(x) + relu(y) + torch.clamp(x - y, min=0)"
    code, out, _ = cli("compare", a, b)
    assert code == 1 and "more than 2 pieces" in out and "--disagreement" in out
    code, out, _ = cli("compare", a, b, "--disagreement")
    assert code == 1 and "disagreement set: {x == y" in out and "(measure zero)" in out
    code, _, err = cli("compare", a, b, "--disagreement", "--no-disagreement")
    assert code == 2 and "not allowed with" in err


def test_cli_compare_summarises_a_wide_witness(cli):
    inputs = ", ".join(f"x{i}" for i in range(16))
    a = f"torch.relu(torch.stack([{inputs}])).sum()"
    b = f"torch.clamp(torch.stack([{inputs}]), min=0).sum()"
    code, out, _ = cli("compare", a, b, "--no-disagreement")
    line = out.splitlines()[1]
    assert code == 1 and "all 16 coordinates = 0" in line and "differ in 16 of 16 entries" in line, line


def test_cli_compare_json_contract(cli):
    code, out, _ = cli("compare", case("boustany.py:max1_t"), case("boustany.py:max2_t"), "--json")
    data = json.loads(out)
    assert data["function"] == {"verdict": "proved", "reason": None, "witness": None}
    g = data["gradient"]
    assert g["verdict"] == "refuted" and g["measure_zero"] is True and len(g["disagreement"]) == 11
    assert g["witness"]["point"] == {"x0": "0", "x1": "0", "x2": "0", "x3": "0"}
    assert g["witness"]["gradient_a"] == [["1", "0", "0", "0"]]
    assert g["witness"]["gradient_b"] == [["1/4", "1/4", "1/4", "1/4"]]
    code, out, _ = cli("compare", "relu(t)", "abs(t)", "--json")
    f = json.loads(out)["function"]
    assert f["witness"] == {"point": {"t": "-1"}, "value_a": ["0"], "value_b": ["1"]}


def test_cli_check_json_contract(cli):
    code, out, _ = cli("check", case("max2_table.toml"), "--against", case("boustany.py:torch_max4"), "--json")
    data = json.loads(out)
    assert code == 0
    assert data["disjoint"]["verdict"] == data["cover"]["verdict"] == "proved"
    assert data["empty_pieces"] == [] and data["agrees"]["verdict"] == data["gradient"]["verdict"] == "proved"
    code, out, _ = cli("check", case("max2_table.toml"), "--against", case("boustany.py:max1_t"), "--json")
    assert code == 1 and json.loads(out)["gradient"]["verdict"] == "refuted"


def test_cli_check_file_errors(cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('inputs = ["x"]\n[[piece]]\nwhere = "x >"\nvalue = "x"\n')
    code, _, err = cli("check", str(bad))
    assert code == 2 and err.startswith(f"{bad}:3:") and "Traceback" not in err
    code, _, err = cli("check", str(tmp_path / "missing.toml"))
    assert code == 2 and "cannot read" in err


# -- witnesses are real: torch agrees ------------------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("a, b, function, gradient, point, disagreement", [p for p in SEED_PAIRS if p[3] == "refuted"])
def test_every_gradient_witness_is_confirmed_by_torch(a, b, function, gradient, point, disagreement):
    from pwverify.frameworks.crosscheck import run_torch
    r = compare(a, b)
    w = r.gradient.witness
    for spec, key in ((a, "gradient_a"), (b, "gradient_b")):
        program = pwverify.parse(spec)
        own = dict(zip(program.inputs, w.point.values()))
        measured = run_torch(program, own).gradient
        assert measured == [[float(g) for g in row] for row in w.observed[key]]


def test_cli_check_of_a_program_reports_a_jump_with_a_witness(cli):
    code, out, _ = cli("check", "1 if t > 0 else 0 * t", "--json")
    data = json.loads(out)
    assert code == 1 and data["continuity"]["verdict"] == "refuted"
    assert data["continuity"]["witness"]["point"] == {"t": "0"}
    code, out, _ = cli("check", case("minmod.py:minmod_relu"))
    assert code == 0


def test_a_solver_time_out_is_never_taken_for_no_model():
    """simplest_model answers None only when there is no model; a time-out raises, so
    no caller can read it as "no point left" (and prove on that ground)."""
    import sympy
    from pwverify.solver.smt import Smt, SolverUnknown
    x, y, z = sympy.symbols("x y z")
    smt = Smt([x, y, z], timeout_ms=1)
    X, Y, Z = (smt.var(s) for s in (x, y, z))
    with pytest.raises(SolverUnknown):
        smt.simplest_model([X * X * X + Y * Y * Y == 9 * Z * Z * Z + 1, X > 100, Y * X > Z * Z * Z + 7])
    assert Smt([x], timeout_ms=1000).simplest_model([smt.var(x) > 1, smt.var(x) < 0]) is None


def test_compare_with_erf_decides_without_unbounded_algebra():
    """gelu's erf form against its tanh form: two different functions, refuted with exact
    witnesses. The gradients' difference is a large transcendental expression: it is shown
    nonzero at a probe point (ball arithmetic) instead of by ``simplify``, which ran for
    minutes and out of memory on it. The direct encoding bounds erf's sqrt(pi) by rationals."""
    a = "torch.nn.functional.gelu(torch.relu(x)) + torch.nn.functional.gelu(torch.relu(y))"
    b = ("torch.nn.functional.gelu(torch.relu(x), approximate='tanh') + "
         "torch.nn.functional.gelu(torch.relu(y), approximate='tanh')")
    r = compare(a, b)
    assert (r.function.status, r.gradient.status) == ("refuted", "refuted")
    same = compare(a, "torch.nn.functional.gelu(torch.relu(y)) + torch.nn.functional.gelu(torch.relu(x))")
    assert (same.function.status, same.gradient.status) == ("proved", "proved")
