"""Differential tests against real jax and tensorflow, at every piece and kink, both modes.

Every jax and tensorflow call in the registry has a row in ``jax_cases.JAX_CASES`` /
``tf_cases.TF_CASES``. The tests skip, with the reason shown, when the framework is not
installed (``pip install -e '.[jax,tensorflow]'``).
"""

import pytest

from conftest import requires_jax, requires_tf
from framework_cases import check_case, missing_rows
from jax_cases import JAX_CASES
from tf_cases import TF_CASES


@pytest.mark.parametrize("framework, cases, table", [("jax", JAX_CASES, "jax_cases.py"),
                                                      ("tensorflow", TF_CASES, "tf_cases.py")])
def test_every_registered_call_has_a_differential_case(framework, cases, table):
    missing = missing_rows(framework, cases)
    assert not missing, f"add rows to tests/{table} for: {missing}"


@requires_jax
@pytest.mark.jax
@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("call", sorted(JAX_CASES))
def test_prediction_equals_jax(call, mode):
    check_case("jax", JAX_CASES[call], mode)


@requires_tf
@pytest.mark.tensorflow
@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("call", sorted(TF_CASES))
def test_prediction_equals_tensorflow(call, mode):
    check_case("tensorflow", TF_CASES[call], mode)
