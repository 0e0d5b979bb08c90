import importlib.util
import os
import sys

import pytest

#: pytester runs pytest on generated test files (the pwverify pytest plugin's tests)
pytest_plugins = ["pytester"]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = os.path.join(ROOT, "casestudies")


def case(spec: str) -> str:
    """``"boustany.py:f"`` -> the path of the bundled case study program."""
    return os.path.join(CASES, spec)


def _missing(module: str, extra: str) -> str:
    return f"{module} is not installed: pip install -e '.[{extra}]' to run these differential tests"


HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_JAX = importlib.util.find_spec("jax") is not None
HAS_TF = importlib.util.find_spec("tensorflow") is not None
requires_torch = pytest.mark.skipif(not HAS_TORCH, reason=_missing("torch", "torch"))
requires_jax = pytest.mark.skipif(not HAS_JAX, reason=_missing("jax", "jax"))
requires_tf = pytest.mark.skipif(not HAS_TF, reason=_missing("tensorflow", "tensorflow"))


@pytest.fixture
def cli():
    """Run the CLI in-process: returns (exit code, stdout, stderr)."""
    import io
    from pwverify.cli import main

    def run(*argv):
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), out, err)
        return code, out.getvalue(), err.getvalue()
    return run
