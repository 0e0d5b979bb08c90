"""The pytest plugin: markers and a fixture that fail a user's test unless pwverify proves
the claim, with the witness point and both gradients in pytest's own failure output."""

import os
import tomllib

from conftest import ROOT, case

def _installed() -> bool:
    from importlib.metadata import entry_points
    return any(ep.value == "pwverify.pytest_plugin" for ep in entry_points(group="pytest11"))


#: Installed (pip install -e .), the entry point loads the plugin; from a bare checkout, -p does
PLUGIN = () if _installed() else ("-p", "pwverify.pytest_plugin")


def _lines(*patterns):
    """fnmatch patterns in which ``[`` is a bracket, not a character class."""
    return [p.replace("[", "[[]") for p in patterns]


def test_the_plugin_is_registered_as_a_pytest11_entry_point():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as handle:
        project = tomllib.load(handle)["project"]
    assert project["entry-points"]["pytest11"] == {"pwverify": "pwverify.pytest_plugin"}


def test_a_proved_marker_passes_and_a_refuted_one_fails_with_its_witness(pytester):
    pytester.makepyfile(test_refactor=f'''
        import pytest

        @pytest.mark.pwverify_same_function("relu(t)", "relu(-t) + t")
        def test_same_function():
            pass

        @pytest.mark.pwverify_same_gradient("torch.maximum(a, b)", "torch.maximum(b, a)")
        def test_same_gradient_proved():
            pass

        @pytest.mark.pwverify_same_gradient("{case('boustany.py:max1_t')}", "{case('boustany.py:max2_t')}")
        def test_boustany():
            pass
    ''')
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(_lines(
        "*test_boustany*@pytest.mark.pwverify_same_gradient not proved*gradients of A and B differ (refuted)*",
        "*at the witness point x0 = 0, x1 = 0, x2 = 0, x3 = 0:*",
        "*∇A = [1, 0, 0, 0]*",
        "*∇B = [1/4, 1/4, 1/4, 1/4]*",
        "*to see it again: pwverify compare*max1_t*max2_t*",
    ))
    out = result.stdout.str()
    assert "raise NotProved" not in out and "pwverify/testing.py" not in out  # no traceback into pwverify
    assert "… (8 more regions)" in out  # the disagreement set, shortened


def test_markers_take_options_and_programs_beside_the_test_file(pytester):
    pytester.makepyfile(model='''
        import torch

        def old(x: "float[2]"):
            return torch.max(x)

        def new(x: "float[2]"):
            return torch.maximum(x[0], x[1])
    ''')
    pytester.makepyfile(test_model='''
        import pytest

        @pytest.mark.pwverify_same_gradient("model.py:old", "model.py:new")
        def test_torch():
            pass

        @pytest.mark.pwverify_same_gradient("abs(t)", "relu(t) + relu(-t)", framework="jax")
        def test_abs_under_jax():
            pass
    ''')
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(_lines("*test_abs_under_jax*not proved*", "*at the witness point t = 0:*",
                                       "*∇A = [1]*", "*∇B = [0]*"))


def test_the_fixture_fails_inside_the_test_body(pytester):
    pytester.makepyfile(test_body='''
        import pytest

        @pytest.mark.parametrize("b", ["torch.maximum(b, a)", "max(a, b)"])
        def test_rewrites(pwverify, b):
            pwverify.same_gradient("torch.maximum(a, b)", b)
    ''')
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(_lines("*NotProved: the autodiff gradients of A and B differ (refuted)*",
                                       "*∇A = [1/2, 1/2]*", "*∇B = [1, 0]*"))


def test_a_marker_needs_two_programs(pytester):
    pytester.makepyfile(test_bad='''
        import pytest

        @pytest.mark.pwverify_same_gradient("relu(t)")
        def test_one():
            pass
    ''')
    result = pytester.runpytest(*PLUGIN)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*takes two programs*"]) if "takes two programs" in result.stdout.str() else \
        result.stderr.fnmatch_lines(["*takes two programs*"])


def test_the_markers_are_declared(pytester):
    result = pytester.runpytest(*PLUGIN, "--markers")
    result.stdout.fnmatch_lines(["*pwverify_same_gradient(a, b, **options)*", "*pwverify_same_function*"])
