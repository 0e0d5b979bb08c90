"""Differential fuzzing against the real frameworks: a bounded, reproducible slice.

The generator (``tests/fuzz/generator.py``) writes random programs covering every
registered call and construct; the harness compares pwverify's exact value and
Jacobian with the framework's, in float64, in both modes, at tie points and small
dyadic points. This module runs a fixed slice (fixed seeds) and requires **no
mismatch and no internal error**; ``benchmarks/bench_fuzz.py`` is the long run. The
distinct mismatches found so far are replayed from ``tests/fuzz/regressions.py``: those
pwverify still gets wrong are strict xfails naming what is wrong, so they turn into
failures the day they are fixed.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from dataclasses import replace

import pytest
import sympy

from fuzz.generator import DIALECTS, EXCLUDED, FRAMEWORKS, TEMPLATES, Options, coverage_gaps, generate
from fuzz.harness import Limits, agree, compare_one, run_seeds, summarize
from fuzz.regressions import CRASHES, REGRESSIONS

#: The CI slice: small programs, fixed seeds (about a minute for torch).
SLICE_OPTIONS = Options(statements=(1, 3), long=0.0)
SLICE_LIMITS = Limits(tie_points=3, random_points=4, read_seconds=20.0, compare_seconds=60.0)
SLICE = {"torch": range(0, 16), "jax": range(0, 6), "tensorflow": range(0, 5)}
#: Programs with detaching constructs (``.item()``, ``no_grad``, ``stop_gradient``, ...) in the slice.
DETACH_SLICE = {"torch": range(100, 106), "jax": range(100, 103), "tensorflow": range(104, 107)}
MODULES = {"torch": "torch", "jax": "jax", "tensorflow": "tensorflow"}


# -- the generator ------------------------------------------------------------------------------
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_same_seed_gives_the_same_program(framework):
    a, b = generate(framework, 11), generate(framework, 11)
    assert a.source == b.source and a.inputs == b.inputs and a.calls == b.calls
    assert len({generate(framework, s).source for s in range(20)}) == 20


def test_programs_do_not_depend_on_hash_randomisation():
    code = ("import sys; sys.path.insert(0, 'tests'); from fuzz.generator import generate; "
            "print(generate('torch', 5).source)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    outs = []
    for hashseed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hashseed, PYTHONPATH=root)
        outs.append(subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True,
                                   text=True, check=True).stdout)
    assert outs[0] == outs[1] == generate("torch", 5).source + "\n"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_every_registered_call_has_a_template_or_a_reason(framework):
    from pwverify.primitives import registry
    calls = registry.all_calls()
    assert coverage_gaps(framework) == []
    for name in TEMPLATES[framework]:
        assert name in calls and calls[name].framework in (framework, None), f"{name}: not a {framework} call"
        assert name not in EXCLUDED[framework] and name not in EXCLUDED[None], f"{name} is templated and excluded"
    for name, reason in {**EXCLUDED[framework], **EXCLUDED[None]}.items():
        assert name in calls and len(reason) > 20, name


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_generated_programs_reach_every_template_and_construct(framework):
    calls, constructs = set(), set()
    for seed in range(600):
        p = generate(framework, seed)
        tree = ast.parse(p.source)
        f = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "f")
        assert [a.arg for a in f.args.args] == list(p.inputs)
        calls |= set(p.calls)
        constructs |= set(p.constructs)
    assert set(TEMPLATES[framework]) <= calls, sorted(set(TEMPLATES[framework]) - calls)
    expected = {"arith", "if", "elif", "ifexp", "for", "while", "helper", "lambda", "reduce", "listcomp",
                "genexp", "zip", "enumerate", "iterate_tensor", "append", "slice", "stack", "cat", "index2d",
                "early_return", "nested_def", "list_item", "break_continue", "boolop", "not", "builtin_abs",
                "vector_output", "reshape", "weighted"}
    assert expected <= constructs, sorted(expected - constructs)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_detaching_constructs_only_when_asked(framework):
    import re
    marker = re.compile(r"detach\(\)|\.item\(\)|\bfloat\((?!'inf')|no_grad|stop_gradient|(?<![.\w])math\.(exp|tanh)\(")
    plain = [generate(framework, s) for s in range(60)]
    assert not any(p.detach for p in plain)
    assert not any(marker.search(p.source) for p in plain)
    asked = [generate(framework, s, Options(detach=True)) for s in range(60)]
    flagged = [p for p in asked if p.detach]
    assert len(flagged) > 30
    assert all(marker.search(p.source) for p in flagged)
    assert DIALECTS[framework].detach


# -- the comparison -----------------------------------------------------------------------------
def test_agreement_is_exact_up_to_float_rounding():
    half = sympy.Rational(1, 2)
    assert agree(half, 0.5) and agree(sympy.Integer(3), 3.0)
    assert agree(sympy.exp(1), 2.718281828459045) and agree(sympy.sqrt(2) / 3, 0.4714045207910317)
    assert agree(sympy.Rational(1, 3), 1 / 3 + 1e-17)
    assert not agree(half, 1.0) and not agree(sympy.Rational(1, 4), 1 / 3)     # split vs one-hot
    assert not agree(sympy.Integer(1), 1.0 + 1e-6)
    assert not agree(sympy.Integer(0), float("nan")) and not agree(sympy.Integer(0), float("inf"))
    assert agree(sympy.nan, float("nan")) and agree(sympy.oo, float("inf")) and not agree(sympy.oo, -float("inf"))


@pytest.mark.skipif(not __import__("importlib").util.find_spec("torch"), reason="torch is not installed")
def test_the_harness_reports_a_wrong_prediction(tmp_path):
    import pwverify
    from fuzz import frameworks
    predicted = tmp_path / "predicted.py"
    predicted.write_text("import torch\n\ndef f(a: float, b: float):\n    return torch.maximum(a, b)\n")
    actual = tmp_path / "actual.py"
    actual.write_text("def f(a: float, b: float):\n    return max(a, b)\n")
    program = pwverify.parse(f"{predicted}:f", framework="torch")
    fn = frameworks.load(str(actual))
    tie = {"a": sympy.Integer(1), "b": sympy.Integer(1)}
    out = compare_one(program, fn, "torch", {"a": (), "b": ()}, tie, "reverse", "")
    assert out.status == "mismatch" and out.mismatch.what == "gradient"
    assert out.mismatch.expected == [["1/2", "1/2"]] and out.mismatch.got == [[1.0, 0.0]]
    off = {"a": sympy.Integer(2), "b": sympy.Integer(1)}
    assert compare_one(program, fn, "torch", {"a": (), "b": ()}, off, "reverse", "").status == "agree"
    # a nan from the framework never matches a finite prediction
    nan = tmp_path / "nan.py"
    nan.write_text("import torch\n\ndef f(a: float, b: float):\n    return torch.log(a) + b\n")
    out = compare_one(program, frameworks.load(str(nan)), "torch", {"a": (), "b": ()},
                      {"a": sympy.Integer(-1), "b": sympy.Integer(0)}, "forward", "")
    assert out.status == "mismatch" and out.mismatch.what == "value"


def test_the_shrinker_keeps_what_the_predicate_asks_for():
    from fuzz.shrink import shrink
    source = generate("torch", 3).source
    point = {e: sympy.Integer(0) for e in generate("torch", 3).entries()}

    def still(src, pt):       # a stand-in for "still mismatches": keeps one return of a relu-free sum
        try:
            ast.parse(src)
        except SyntaxError:
            return False
        return "return" in src and "+" in src
    small, small_point = shrink(source, "torch", "reverse", point, "gradient", seconds=30, predicate=still)
    assert len(small) < len(source) and still(small, small_point)
    assert set(small_point) <= set(point)


# -- the slice ----------------------------------------------------------------------------------
def _slice(framework: str) -> None:
    pytest.importorskip(MODULES[framework], reason=f"{framework} is not installed: pip install -e '.[{framework}]' "
                                                   f"to run its differential fuzzing slice")
    results = run_seeds(framework, SLICE[framework], SLICE_OPTIONS, SLICE_LIMITS)
    detaching = run_seeds(framework, DETACH_SLICE[framework], replace(SLICE_OPTIONS, detach=True), SLICE_LIMITS)
    assert sum(r.detach for r in detaching) >= 2 and sum(r.comparisons for r in detaching) > 0
    results += detaching
    summary = summarize(results)
    problems = [f"seed {r.seed}: {m.describe()}\n{m.source}" for r in results for m in r.mismatches[:1]]
    problems += [f"seed {r.seed}: internal error\n{r.message or r.internal[0]}" for r in results
                 if r.status == "internal"]
    assert summary["comparisons"] > 0
    assert not problems, f"{summary}\n\n" + "\n\n".join(problems)


def test_fuzz_slice_torch():
    _slice("torch")


@pytest.mark.jax
def test_fuzz_slice_jax():
    _slice("jax")


@pytest.mark.tensorflow
def test_fuzz_slice_tensorflow():
    _slice("tensorflow")


# -- regressions --------------------------------------------------------------------------------
def _regression_params():
    out = []
    for r in REGRESSIONS:
        marks = [pytest.mark.xfail(strict=True, reason=r.failing)] if r.failing else []
        out.append(pytest.param(r, id=r.name, marks=marks))
    return out


@pytest.mark.parametrize("case", _regression_params())
def test_regression(case):
    """pwverify's prediction equals what the framework returned (recorded in the case)."""
    import pwverify
    from fuzz.harness import inputs_of, entries_of, parse_point, write_source
    import math
    path = write_source(case.source)
    undefined_gradient = any(math.isnan(g) for row in case.gradient for g in row)
    try:
        program = pwverify.parse(f"{path}:f", framework=case.framework, mode=case.mode)
        try:
            predicted = program.ad(parse_point(case.point), case.mode)
            value, gradient = predicted.value, predicted.gradient
        except pwverify.core.errors.DomainError:
            if not undefined_gradient:
                raise
            value, gradient = program.value_at(parse_point(case.point)), None
    finally:
        os.remove(path)
        os.rmdir(os.path.dirname(path))
    assert len(value) == len(case.value)
    assert all(agree(e, g) for e, g in zip(value, case.value)), (value, case.value)
    if gradient is None:
        return   # pwverify: no gradient here; the framework's is nan
    entries = entries_of(inputs_of(case.source))
    order = [list(program.inputs).index(e) for e in entries]
    jac = [[row[i] for i in order] for row in gradient]
    assert len(jac) == len(case.gradient)
    for row, expected in zip(jac, case.gradient):
        assert all(agree(e, g) for e, g in zip(row, expected)), (jac, case.gradient)


@pytest.mark.parametrize("case", [pytest.param(r, id=r.name) for r in REGRESSIONS])
def test_regression_data_is_what_the_framework_returns(case):
    """The recorded framework numbers are still what the installed framework computes."""
    pytest.importorskip(MODULES[case.framework], reason=f"{case.framework} is not installed")
    from fuzz import frameworks
    from fuzz.harness import inputs_of, parse_point, write_source
    path = write_source(case.source)
    try:
        frameworks.prepare(case.framework)
        value, jac = frameworks.run(case.framework, frameworks.load(path), inputs_of(case.source),
                                    parse_point(case.point), case.mode)
    finally:
        os.remove(path)
        os.rmdir(os.path.dirname(path))
    assert value == pytest.approx(case.value, rel=1e-12, abs=1e-15, nan_ok=True)
    assert [pytest.approx(r, rel=1e-12, abs=1e-15, nan_ok=True) for r in case.gradient] == jac


def _crash_params():
    return [pytest.param(c, id=c.name, marks=[pytest.mark.xfail(strict=True, reason=c.failing)] if c.failing else [])
            for c in CRASHES]


@pytest.mark.parametrize("case", _crash_params())
def test_crash_regression(case):
    """pwverify reads the program and finds its tie points without an internal error."""
    import pwverify
    from fuzz.harness import write_source
    from pwverify.questions.tie_points import tie_points
    path = write_source(case.source)
    try:
        for mode in ("reverse", "forward"):
            program = pwverify.parse(f"{path}:f", framework=case.framework, mode=mode)
        points = tie_points(program, count=6)
    finally:
        os.remove(path)
        os.rmdir(os.path.dirname(path))
    assert points
