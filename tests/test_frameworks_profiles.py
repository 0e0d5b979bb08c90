"""Profiles: per-framework rules, custom tie rules, and the errors of the framework layer."""

from fractions import Fraction

import pytest
import sympy

import pwverify
from conftest import requires_torch
from pwverify.core.errors import DomainError, FrameworkError, UnsupportedError, UsageError

R = sympy.Rational


@pytest.mark.parametrize("framework, expected", [("torch", 0), ("jax", 1), ("tensorflow", 0)])
def test_abs_at_zero_follows_the_profile(framework, expected):
    assert pwverify.parse("abs(t)", framework=framework).gradient_at({"t": 0}) == [[expected]]


@pytest.mark.parametrize("text, point, gradient", [
    ("jax.nn.leaky_relu(t, 0.25)", {"t": 0}, [1]),
    ("F.leaky_relu(t, 0.25)", {"t": 0}, [R(1, 4)]),
    ("tf.nn.selu(t)", {"t": 0}, [R(10507009873554804934193349852946, 10**31)]),
    ("jnp.clip(a, b, 2.0)", {"a": 0, "b": 0}, [R(1, 2), R(1, 2)]),
    ("tf.clip_by_value(a, b, 2.0)", {"a": 0, "b": 0}, [1, 0]),
    ("lax.clamp(b, a, 2.0)", {"a": 0, "b": 0}, [0, 0]),
    ("jnp.fmax(a, b)", {"a": 0, "b": 0}, [0, 1]),
    ("jnp.sort(x, descending=True)[0]", {"x": [1, 1]}, [0, 1]),
    ("torch.sort(x, descending=True).values[0]", {"x": [1, 1]}, [1, 0]),
    ("jnp.linalg.norm(x, ord=jnp.inf)", {"x": [0, 0]}, [R(1, 4), R(1, 4)]),
    ("torch.norm(x)", {"x": [0, 0]}, [0, 0]),
    ("torch.median(x)", {"x": [1, 2, 2, 2, 3]}, [0, R(1, 3), R(1, 3), R(1, 3), 0]),
    ("jnp.median(x)", {"x": [2, 2, 1, 1]}, [R(1, 2), 0, 0, R(1, 2)]),
])
def test_measured_rules(text, point, gradient):
    shapes = {"x": len(point["x"])} if "x" in point else {}
    assert pwverify.parse(text, shapes=shapes).gradient_at(point) == [gradient]


def test_tensorflow_leaky_relu_slope_is_the_float32_alpha():
    (slope,) = pwverify.parse("tf.nn.leaky_relu(t)").gradient_at({"t": 0})[0]
    assert float(slope) == 0.20000000298023224 and Fraction(str(slope)) != Fraction(1, 5)


@pytest.mark.parametrize("text, framework", [("t ** 0", "torch"), ("t ** 0", "jax")])
def test_x_to_the_zero_is_defined_at_zero(text, framework):
    assert pwverify.parse(text, framework=framework).gradient_at({"t": 0}) == [[0]]


@pytest.mark.parametrize("text, framework", [("t ** 0.0", "jax"), ("t ** 0", "tensorflow"),
                                             ("jnp.linalg.norm(x)", "jax"), ("tf.norm(x)", "tensorflow")])
def test_nan_gradient_at_zero(text, framework):
    # defined at 0 (x ** 0 is 1, the norm is 0), but these frameworks return a nan derivative there
    import sympy
    program = pwverify.parse(text, framework=framework, shapes={"x": 2} if "x" in text else {})
    point = {"x": [0, 0]} if "x" in text else {"t": 0}
    assert program.value_at(point) == [1 if "**" in text else 0]
    assert all(g is sympy.nan for row in program.gradient_at(point) for g in row)


@pytest.mark.parametrize("mode, gradient", [("reverse", [1, 0]), ("forward", [0, 1])])
def test_torch_fmax_depends_on_the_mode(mode, gradient):
    assert pwverify.parse("torch.fmax(a, b)", mode=mode).gradient_at({"a": 1, "b": 1}) == [gradient]


@pytest.mark.parametrize("mode, gradient", [("reverse", [R(1, 4)]), ("forward", [1])])
def test_torch_prelu_depends_on_the_mode(mode, gradient):
    assert pwverify.parse("F.prelu(t, torch.tensor([0.25]))", mode=mode).gradient_at({"t": 0}) == [gradient]


def test_a_long_sort_uses_the_implicit_table_and_matches_the_oracle():
    from pwverify.primitives.sorting import SortTable
    program = pwverify.parse("torch.sort(torch.stack([t, 1 - t, 2 * t, 0 * t, -t, t + 1])).values[2]")
    table = [pwverify.primitives.get("sort").table(6, (False, "input"))][0]
    assert isinstance(table, SortTable)
    rep = program.representation()
    for p in [{"t": R(k, 4)} for k in range(-8, 9)]:
        assert rep.gradient_at(p) == program.gradient_at(p), p


def test_custom_tie_rules_replace_every_use():
    program = pwverify.parse("jax.nn.hard_swish(t) + relu(t)", ties=["relu0=1/2"])
    assert program.gradient_at({"t": 0}) == [[R(1, 2) + R(1, 2)]]
    assert pwverify.parse("abs(t)", ties=["abs0=1/3"]).gradient_at({"t": 0}) == [[R(1, 3)]]
    assert pwverify.parse("torch.maximum(a, b)", ties=["maxtie=1"]).gradient_at({"a": 0, "b": 0}) == [[1, 0]]
    assert pwverify.parse("tf.minimum(a, b)", ties=["maxtie=1/4"]).gradient_at({"a": 0, "b": 0}) == [[R(1, 4), R(3, 4)]]


def test_tie_file(tmp_path, cli):
    path = tmp_path / "ties.toml"
    path.write_text('# a lecture on relu\'(0)\n[ties]\nrelu0 = "1/2"\nabs0 = 1\n')
    code, out, err = cli("grad", "relu(t) + abs(t)", "--at", "t=0", "--ties", str(path))
    assert code == 0, err
    assert "[3/2]" in out and "custom(torch" in out


@pytest.mark.parametrize("text, words", [("relu0 = 0.5\n", "exact number"), ("relu0 = \n", "not valid TOML"),
                                         ("kink = \"1\"\n", "unknown tie rule"), ("[other]\nx = 1\n", "[other]")])
def test_bad_tie_files_are_usage_errors(tmp_path, cli, text, words):
    path = tmp_path / "ties.toml"
    path.write_text(text)
    code, _, err = cli("grad", "relu(t)", "--at", "t=0", "--ties", str(path))
    assert code == 2 and words in err and "Traceback" not in err


def test_missing_tie_file(cli):
    code, _, err = cli("grad", "relu(t)", "--at", "t=0", "--ties", "/nonexistent/ties.toml")
    assert code == 2 and "cannot read" in err


# -- errors of the framework layer ----------------------------------------------------------------
@pytest.mark.parametrize("text, framework, words", [
    ("fmax(a, b)", "tensorflow", "fmax has no rule under the tensorflow profile"),
    ("np.median(x)", "tensorflow", "numpy.median has no rule under the tensorflow profile"),
    ("hardtanh(a)", "tensorflow", "torch, jax"),
])
def test_a_neutral_name_a_profile_lacks_is_a_located_framework_error(text, framework, words):
    with pytest.raises(FrameworkError) as info:
        pwverify.parse(text, framework=framework, shapes={"x": 3} if "(x)" in text else {})
    assert words in str(info.value) and info.value.location is not None


def test_mixing_namespaces_is_a_located_error(tmp_path):
    with pytest.raises(FrameworkError) as info:
        pwverify.parse("torch.relu(a) + jnp.abs(a)")
    assert "both torch and jax" in str(info.value) and info.value.location.col == 17
    path = tmp_path / "mixed.py"
    path.write_text("import torch\nimport tensorflow as tf\n\ndef f(a):\n    return torch.relu(a) + tf.abs(a)\n")
    with pytest.raises(FrameworkError) as info:
        pwverify.parse(f"{path}:f")
    assert info.value.location.line == 5


def test_a_namespace_against_the_requested_framework(cli):
    code, _, err = cli("grad", "jnp.abs(a)", "--at", "a=0", "--framework", "torch")
    assert code == 2 and "--framework jax" in err and "<expr>:1:1" in err


@pytest.mark.parametrize("text, words", [
    ("torch.mode(x).values", "not a continuous selection"),
    ("lax.reduce_window(x, 0.0, lax.max, (2,), (1,), 'VALID')", "-inf"),
    ("lax.reduce_window(x, -jnp.inf, lax.add, (2,), (1,), 'VALID')", "lax.max"),
    ("torch.norm(x, p=3)", "order 3"),
    ("x[0] + math.inf", "infinite constant"),
    ("F.rrelu(x[0], training=True)", "random slopes"),
    ("torch.topk(x, 5).values", "larger than the dimension"),
    ("x[x[0].argmax()]", "arg"),
])
def test_unsupported_uses_are_located_errors(text, words):
    with pytest.raises(pwverify.PwverifyError) as info:
        pwverify.parse(text, shapes={"x": 3})
    assert words in str(info.value), str(info.value)
    assert info.value.location is not None


def test_indexing_another_tensor_with_an_argmax_gathers_by_the_keys():
    program = pwverify.parse("y[x.argmax()]", shapes={"x": 2, "y": 2})
    assert program.inputs == ["y0", "y1", "x0", "x1"]
    assert program.gradient_at({"x": [1, 1], "y": [5, 7]}) == [[1, 0, 0, 0]]
    with pytest.raises(UnsupportedError):
        pwverify.parse("y[x.argmax()]", shapes={"x": 2, "y": 3})


@pytest.mark.parametrize("framework", ["torch", "jax"])
def test_numpy_functions_keep_numpy_values_under_every_profile(framework):
    """torch.median is the lower median and torch.sort returns (values, indices): numpy's
    median, quantile, percentile and sort read under torch compute numpy's functions."""
    median = pwverify.parse("np.median(x)", shapes={"x": 4}, framework=framework)
    assert median.value_at({"x": [4, 1, 3, 2]}) == [R(5, 2)]
    assert median.gradient_at({"x": [4, 1, 3, 2]}) == [[0, 0, R(1, 2), R(1, 2)]]
    assert median.value_at({"x": [1, 2, 2, 9]}) == [2]
    spread = pwverify.parse("np.sort(x)[-1] - np.sort(x, axis=None)[0] + np.quantile(x, 0.25) + "
                            "np.percentile(x, 75, method='lower')", shapes={"x": 4}, framework=framework)
    assert spread.value_at({"x": [1, 2, 3, 4]}) == [3 + R(7, 4) + 3]
    assert spread.gradient_at({"x": [1, 2, 3, 4]}) == [[R(-3, 4), R(3, 4), 1, 1]]


def test_jax_control_flow_reads_as_the_python_it_stands_for():
    # cond: only the branch taken reaches the gradient (no nan from the sqrt it skips at 0)
    cond = pwverify.parse("lax.cond(a > 0, lambda t: jnp.sqrt(t), lambda t: 3.0 * t, a)")
    assert cond.gradient_at({"a": 0}) == [[3]] and cond.value_at({"a": 4}) == [2]
    step = "lambda c, v: (jnp.maximum(c, v), c + v)"
    ys = pwverify.parse(f"lax.scan({step}, a, x, reverse=True)[1]", shapes={"x": 3})
    carry = pwverify.parse(f"lax.scan({step}, a, x, reverse=True)[0]", shapes={"x": 3})
    # reversed: carries a, max(a, x2), max(a, x2, x1) and ys back in the order of xs
    assert ys.value_at({"a": 0, "x": [5, -1, 2]}) == [7, 1, 2] and carry.value_at({"a": 0, "x": [5, -1, 2]}) == [5]
    vmap = pwverify.parse("jax.vmap(lambda r, v: jnp.dot(r, v), in_axes=(0, None))(X, x)", shapes={"X": (2, 2), "x": 2})
    assert vmap.value_at({"X": [[1, 2], [3, 4]], "x": [1, -1]}) == [-1, -1]
    loop = pwverify.parse("lax.fori_loop(1, 3, lambda i, acc: acc * x[i], x[0])", shapes={"x": 3})
    assert loop.value_at({"x": [2, 3, 4]}) == [24]
    with pytest.raises(pwverify.PwverifyError, match="lax.cond inside jax.vmap"):
        pwverify.parse("jax.vmap(lambda t: lax.cond(t > 0, lambda s: s, lambda s: -s, t))(x)", shapes={"x": 2})
    with pytest.raises(pwverify.PwverifyError, match="constant integer"):
        pwverify.parse("lax.fori_loop(0, n, lambda i, acc: acc + i, 0.0)")


def test_numpy_select_takes_the_first_condition_that_holds():
    program = pwverify.parse("np.select([x < 0, x < 1, x < 2], [-x, 2 * x, 3 * x], default=5 * x)", shapes={"x": 4})
    point = {"x": [-1, 0, 1, 2]}
    assert program.value_at(point) == [1, 0, 3, 10]
    assert program.gradient_at(point) == [[-1, 0, 0, 0], [0, 2, 0, 0], [0, 0, 3, 0], [0, 0, 0, 5]]
    with pytest.raises(pwverify.PwverifyError, match="2 conditions but 1 choices"):
        pwverify.parse("np.select([x < 0, x < 1], [x])", shapes={"x": 2})


@requires_torch
def test_numpy_functions_under_torch_match_the_torch_construction_at_ties(cli):
    code, out, err = cli("crosscheck", "np.median(x) + np.quantile(x, 0.3) + np.sort(x)[1]", "--shape", "x=4",
                         "--count", "10", "--random", "2")
    assert code == 0 and "0 mismatch" in out, out + err


# -- crosscheck ------------------------------------------------------------------------------------
@requires_torch
def test_crosscheck_command_reports_no_mismatch(cli):
    code, out, err = cli("crosscheck", "torch.max(x) + F.relu6(x[0])", "--shape", "x=3", "--count", "6")
    assert code == 0, err
    assert "0 mismatch" in out and "6 tie point" in out


@requires_torch
def test_crosscheck_warns_about_another_installed_version(cli, monkeypatch):
    from pwverify.primitives import conventions
    monkeypatch.setitem(conventions.CHECKED_VERSIONS, "torch", "1.0.0")
    code, _, err = cli("crosscheck", "relu(t)", "--count", "1", "--random", "0", "--mode", "reverse")
    assert code == 0 and "warning: torch" in err and "1.0.0" in err


@requires_torch
def test_crosscheck_reports_a_mismatch_as_a_pwverify_bug(cli, monkeypatch):
    from pwverify.frameworks import crosscheck as runners
    real = runners.run

    def off_by_one(framework, program, point, mode="reverse"):
        result = real(framework, program, point, mode)
        result.gradient = [[g + 1 for g in row] for row in result.gradient]
        return result
    monkeypatch.setattr(runners, "run", off_by_one)
    code, out, _ = cli("crosscheck", "relu(t)", "--count", "1", "--random", "0", "--json")
    assert code == 1
    import json
    data = json.loads(out)
    assert data["mismatches"][0]["point"] == {"t": "0"} and data["mismatches"][0]["what"] == "gradient"


@requires_torch
def test_crosscheck_runs_modules_with_their_parameters_as_inputs_or_from_a_checkpoint(cli, tmp_path):
    import json
    import os
    import torch
    from conftest import ROOT
    from torch_programs import import_file
    modules = os.path.join(ROOT, "tests", "reading", "modules.py")
    code, out, err = cli("crosscheck", f"{modules}:MLP", "--shape", "x=2", "--count", "4", "--random", "2", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["mismatches"] == [] and report["comparisons"] >= 8
    torch.manual_seed(1)
    state = {k: torch.randn_like(v) for k, v in import_file(modules).MLP().state_dict().items()}
    path = str(tmp_path / "mlp.pt")
    torch.save(state, path)
    code, out, err = cli("crosscheck", f"{modules}:MLP", "--shape", "x=2", "--weights", path, "--count", "4",
                         "--random", "2", "--json")
    assert code == 0, err
    assert json.loads(out)["mismatches"] == []
    # the checkpoint's values are the ones torch runs: a different one is a mismatch
    program = pwverify.parse(f"{modules}:MLP", shapes={"x": 2}, weights=path)
    from pwverify.frameworks.crosscheck import run_torch
    measured = run_torch(program, {"x": [1, -1]}).value
    assert measured == pytest.approx([float(v) for v in program.value_at({"x": [1, -1]})], rel=1e-12)
    code, _, err = cli("crosscheck", f"{modules}:MLP", "--shape", "x=2", "--framework", "jax", "--count", "1")
    assert code == 2 and "--framework torch" in err


def test_crosscheck_refuses_a_custom_profile(cli):
    code, _, err = cli("crosscheck", "relu(t)", "--tie", "relu0=1")
    assert code == 2 and "custom profile" in err


def test_help_stays_free_of_framework_imports():
    import subprocess
    import sys
    code = ("import sys; from pwverify.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('torch', 'jax', 'tensorflow', 'sympy', 'z3') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
