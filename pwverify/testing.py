"""Assertions for your own test suite: keep a rewrite's function and gradients exact.

>>> from pwverify.testing import assert_same_function, assert_same_gradient
>>> _ = assert_same_function("relu(t)", "relu(-t) + t")
>>> assert_same_gradient("relu(t)", "relu(-t) + t")
Traceback (most recent call last):
...
AssertionError: gradient: refuted at t = 0: d/dt relu(t) = 0, d/dt (relu(-t) + t) = 1
          disagreement set: {t == 0} (measure zero)

Each assertion passes only on a proof; a refutation fails with its exact witness, and
an unknown verdict fails too (with the solver's reason), never silently passes.
"""

from __future__ import annotations

from typing import Sequence

from .model.comparison import Comparison
from .questions.compare import compare


def _check(result: Comparison, which: str, extra: Sequence[str] = ()) -> None:
    verdict = getattr(result, which)
    if verdict.is_proved:
        return
    lines = result.describe().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(which))
    text = [lines[start]] + [line for line in lines[start + 1:] if line.startswith(" ")]
    raise AssertionError("\n".join(text + list(extra)))


def assert_same_function(a, b, **options) -> Comparison:
    """Fail unless ``a`` and ``b`` are proved to compute the same function."""
    result = compare(a, b, disagreement=False, **options)
    _check(result, "function")
    return result


def assert_same_gradient(a, b, **options) -> Comparison:
    """Fail unless autodiff is proved to return the same gradient for ``a`` and ``b``
    everywhere (``wrt=[...]`` to restrict to some inputs, ``framework=`` to choose)."""
    result = compare(a, b, **options)
    _check(result, "gradient")
    return result
