"""The case studies: every number of the source papers, asserted, so that no study drifts.

Three layers: (1) the papers' numbers, written here independently of the study
definitions, recomputed exactly by pwverify; (2) every study run end to end, its
verdicts, witnesses, tables and checks matching; (3) the expected numbers of every
table checked against the real frameworks' autograd where they are installed.
"""

import importlib.util
import inspect
import os
import sys
from dataclasses import replace
from fractions import Fraction

import pytest

import pwverify
from pwverify.questions.compare import compare

from conftest import CASES, HAS_JAX, HAS_TF, case, requires_torch


def _load_studies():
    spec = importlib.util.spec_from_file_location("casestudies_study", os.path.join(CASES, "_study.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


studies = _load_studies()
BY_KEY = {s.key: s for s in studies.STUDIES}
T = [-1, Fraction(-1, 2), Fraction(-1, 100), 0, Fraction(1, 100), Fraction(1, 2), 1]


def derivative(spec, t, **options):
    return Fraction(str(pwverify.parse(case(spec), **options).gradient_at([t])[0][0]))


# -- (1) the papers' numbers ------------------------------------------------------------------------
def test_table_2_boustany():
    assert [derivative("boustany.py:f", t) for t in T] == [0, 0, 0, Fraction(-3, 2), 0, 0, 0]


def test_table_3_maxpool():
    assert [derivative("maxpool.py:f", t) for t in T] == [0, 0, 0, -3, 0, 0, 0]


def test_relu_family_at_zero():
    got = [derivative(f"relu_family.py:{name}", 0) for name in ("relu", "relu2", "relu3", "zero", "identity_minus_zero")]
    assert got == [0, 1, Fraction(1, 2), 1, 0]


def test_murat_trombetti_derivative_is_one_whatever_the_tie_rule():
    for name in ("max_xx", "max_stack_xx", "python_max_xx"):
        assert [derivative(f"murat_trombetti.py:{name}", x) for x in (-1, 0, 1)] == [1, 1, 1]
    for z in ("0", "1", "1/2", "7"):
        assert derivative("murat_trombetti.py:relu_w0", 0, ties=[f"relu0={z}"]) == 0


def test_torch_max_has_fifteen_pieces_and_max1_four():
    assert len(pwverify.parse(case("torch_max_table.py:torch_max4")).representation()) == 2 ** 4 - 1
    assert len(pwverify.parse(case("torch_max_table.py:max1")).representation()) == 4


def test_the_study_definitions_carry_the_papers_numbers():
    tables = {(k, t.program): t for k, s in BY_KEY.items() for t in s.tables}
    assert tables["boustany", "f"].points == T
    assert tables["boustany", "f"].expected == [0, 0, 0, Fraction(-3, 2), 0, 0, 0]
    assert tables["maxpool", "f"].expected == [0, 0, 0, -3, 0, 0, 0]
    relu = [tables["relu", n].expected[tables["relu", n].points.index(0)]
            for n in ("relu", "relu2", "relu3", "zero", "identity_minus_zero")]
    assert relu == [0, 1, Fraction(1, 2), 1, 0]
    assert ("pieces", "max2_table.toml", 15) in BY_KEY["torch_max_table"].checks


# -- (2) every study, end to end ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def outcomes():
    return {o.study.key: o for o in studies.run_all(figures=None, disagreement=True)}


@pytest.mark.parametrize("key", list(BY_KEY))
def test_study_matches_its_expectations(outcomes, key):
    outcome = outcomes[key]
    assert outcome.ok, outcome.describe()
    assert all(t.ok for t in outcome.tables) and all(c.ok for c in outcome.checks)


def test_every_study_of_the_issue_is_there():
    assert set(BY_KEY) == {"relu", "max_xx", "boustany", "maxpool", "upwind", "minmod", "lax_wendroff",
                           "sorting", "torch_max_table", "frameworks"}
    for s in studies.STUDIES:
        assert os.path.exists(os.path.join(CASES, s.file)), s.file
        assert s.figures, f"{s.key} draws no figure"


@pytest.mark.parametrize("key, function, gradient, witness", [
    ("relu", "proved", "refuted", {"t": 0}),
    ("max_xx", "proved", "proved", None),
    ("boustany", "proved", "refuted", {"x0": 0, "x1": 0, "x2": 0, "x3": 0}),
    ("maxpool", "proved", "refuted", {"t": 0}),
    ("upwind", "proved", "refuted", {"a": 0, "alpha": 0, "beta": 1}),
    ("minmod", "proved", "refuted", {"x": 1, "y": 1}),
    ("lax_wendroff", "proved", "refuted", {"u0": 0, "u1": 0, "u2": 1, "u3": 2}),
    ("sorting", "proved", "refuted", {"x0": 0, "x1": 0, "x2": 0}),
    ("torch_max_table", "proved", "proved", None),
    ("frameworks", "proved", "refuted", {"a": 0, "b": 0}),
])
def test_verdicts_and_exact_witnesses(outcomes, key, function, gradient, witness):
    o = outcomes[key]
    assert (o.function.status, o.gradient.status) == (function, gradient)
    if witness is None:
        assert o.gradient.witness is None
    else:
        assert {k: Fraction(str(v)) for k, v in o.gradient.witness.point.items()} == witness


def test_witness_gradients_are_exact(outcomes):
    w = outcomes["boustany"].gradient.witness
    assert [[Fraction(str(v)) for v in row] for row in w.observed["gradient_a"]] == [[1, 0, 0, 0]]
    assert [[Fraction(str(v)) for v in row] for row in w.observed["gradient_b"]] == [[Fraction(1, 4)] * 4]
    w = outcomes["frameworks"].gradient.witness
    assert [[Fraction(str(v)) for v in row] for row in w.observed["gradient_a"]] == [[Fraction(1, 2)] * 2]
    assert [[Fraction(str(v)) for v in row] for row in w.observed["gradient_b"]] == [[1, 0]]


def test_disagreement_sets_are_thin(outcomes):
    assert outcomes["relu"].disagreement == ["t == 0"]
    assert outcomes["frameworks"].disagreement == ["a == b"]
    for key in ("relu", "boustany", "maxpool", "upwind", "minmod", "lax_wendroff", "sorting", "frameworks"):
        assert outcomes[key].comparison.measure_zero is True, key


def test_a_wrong_number_makes_the_study_fail():
    wrong = replace(BY_KEY["boustany"], tables=[studies.Table("f", [0], [Fraction(-1)], "wrong")], checks=[])
    outcome = studies.run(wrong, figures=None)
    assert not outcome.ok and outcome.numbers == "0/1 match" and "DIFFERS" in outcome.describe()


def test_a_wrong_verdict_or_witness_makes_the_study_fail():
    wrong = replace(BY_KEY["maxpool"], tables=[], expect={"function": "proved", "gradient": "proved"})
    assert not studies.run(wrong, figures=None).ok
    wrong = replace(BY_KEY["maxpool"], tables=[], witness={"t": 1})
    assert not studies.run(wrong, figures=None).ok


def test_running_a_study_file_prints_its_story(tmp_path):
    import subprocess
    r = subprocess.run([sys.executable, os.path.join(CASES, "frameworks.py")], cwd=tmp_path,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "Claim:" in r.stdout and "gradient: refuted at a = 0, b = 0" in r.stdout
    assert "max_abs (jax): autodiff at [0, 0]" in r.stdout
    assert (tmp_path / "figures" / "frameworks.png").exists()


def test_the_framework_story_is_the_same_source_under_two_rule_sets():
    torch_, jax_ = (pwverify.parse(case("frameworks.py:max_abs"), framework=f) for f in ("torch", "jax"))
    c = compare(torch_, jax_)
    assert c.function.status == "proved" and c.gradient.status == "refuted"


# -- (3) the expected numbers against the real frameworks -----------------------------------------------
def _module(file):
    spec = importlib.util.spec_from_file_location(f"case_{file[:-3]}", os.path.join(CASES, file))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(study, framework_wanted):
    for s in studies.STUDIES:
        for t in s.tables:
            name, _, framework = t.program.partition("@")
            if (framework or "torch") == framework_wanted and not t.ties and name.isidentifier():
                yield pytest.param(s, name, t, id=f"{s.key}-{t.program}")


def _arguments(fn, point):
    """Positional arguments: one vector for a ``"float[n]"`` parameter, else one scalar each."""
    params = [p for p in inspect.signature(fn).parameters.values() if p.default is inspect.Parameter.empty]
    vector = len(params) == 1 and isinstance(params[0].annotation, str) and "[" in params[0].annotation
    values = point if isinstance(point, list) else [point]
    return vector, [float(v) for v in values]


def _as_fractions(jacobian):
    return [[Fraction(v).limit_denominator(1 << 20) for v in row] for row in jacobian]


@requires_torch
@pytest.mark.torch
@pytest.mark.parametrize("study, name, table", list(_rows(studies, "torch")))
def test_expected_numbers_are_what_torch_autograd_returns(study, name, table):
    import torch
    fn = getattr(_module(study.file), name)
    for point, expected in zip(table.points, table.expected):
        vector, values = _arguments(fn, point)
        if vector:
            x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
            inputs = [x]
            out = fn(x)
        else:
            inputs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
            out = fn(*inputs)
        out = out.reshape(-1)
        jacobian = []
        for k in range(out.shape[0]):
            grads = torch.autograd.grad(out[k], inputs, retain_graph=True, allow_unused=True)
            row = []
            for g, inp in zip(grads, inputs):
                g = torch.zeros_like(inp) if g is None else g
                row.extend(g.reshape(-1).tolist())
            jacobian.append(row)
        want = expected if isinstance(expected, list) else [[expected]]
        assert _as_fractions(jacobian) == [[Fraction(v) for v in row] for row in want], (point, jacobian)


@pytest.mark.jax
@pytest.mark.skipif(not HAS_JAX, reason="jax is not installed: pip install -e '.[jax]' to run this differential test")
@pytest.mark.parametrize("study, name, table", list(_rows(studies, "jax")))
def test_expected_numbers_are_what_jax_returns(study, name, table):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    fn = getattr(_module(study.file), name)
    for point, expected in zip(table.points, table.expected):
        _, values = _arguments(fn, point)
        grads = jax.grad(fn, argnums=tuple(range(len(values))))(*[jnp.float64(v) for v in values])
        want = expected if isinstance(expected, list) else [[expected]]
        assert _as_fractions([[float(g) for g in grads]]) == [[Fraction(v) for v in row] for row in want]


@pytest.mark.tensorflow
@pytest.mark.skipif(not HAS_TF, reason="tensorflow is not installed: pip install -e '.[tensorflow]' to run this test")
@pytest.mark.parametrize("study, name, table", list(_rows(studies, "tensorflow")))
def test_expected_numbers_are_what_tensorflow_returns(study, name, table):
    import tensorflow as tf
    fn = getattr(_module(study.file), name)
    for point, expected in zip(table.points, table.expected):
        _, values = _arguments(fn, point)
        xs = [tf.Variable(v, dtype=tf.float64) for v in values]
        with tf.GradientTape() as tape:
            y = fn(*xs)
        grads = tape.gradient(y, xs)
        want = expected if isinstance(expected, list) else [[expected]]
        assert _as_fractions([[float(g) for g in grads]]) == [[Fraction(v) for v in row] for row in want]

