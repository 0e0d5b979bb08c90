"""Assertions for your own test suite: keep a rewrite's function and gradients exact.

>>> from pwverify.testing import assert_same_function, assert_same_gradient
>>> _ = assert_same_function("relu(t)", "relu(-t) + t")
>>> assert_same_gradient("relu(t)", "relu(-t) + t")
Traceback (most recent call last):
...
pwverify.testing.NotProved: the autodiff gradients of A and B differ (refuted)
  A: relu(t)
  B: relu(-t) + t
  at the witness point t = 0:
    ∇A = [0]
    ∇B = [1]
  disagreement set: {t == 0} (measure zero)
  to see it again: pwverify compare 'relu(t)' 'relu(-t) + t'

Each assertion passes only on a proof; a refutation fails with its exact witness, and
an unknown verdict fails too (with the solver's reason), never silently passes. With
pytest, the plugin :mod:`pwverify.pytest_plugin` (installed with pwverify) offers the
same checks as markers, ``@pytest.mark.pwverify_same_gradient(a, b)``, and as the
``pwverify`` fixture.
"""

from __future__ import annotations

import shlex
from typing import Sequence

from .core.formatting import gradient_str, vector_str
from .model.comparison import Comparison
from .questions.compare import compare


#: How many regions of a disagreement set a failure message lists.
SHOWN_REGIONS = 3


class NotProved(AssertionError):
    """A check that did not end in a proof. ``comparison`` holds the verdicts and
    ``question`` is ``"function"`` or ``"gradient"``; the message names the witness point
    and what each side computes there."""

    def __init__(self, message: str, comparison: Comparison, question: str):
        super().__init__(message)
        self.comparison = comparison
        self.question = question


def _spec(program) -> str:
    label = getattr(program, "label", program)
    return shlex.quote(str(label))


def failure_message(result: Comparison, question: str, a=None, b=None) -> str:
    """The message of a verdict that is not a proof: the witness point and both sides'
    values or gradients there, the disagreement set, and the command that shows it again."""
    verdict = getattr(result, question)
    what = "the autodiff gradients of A and B" if question == "gradient" else "A and B as functions"
    status = str(verdict.status)
    head = (f"{what} differ (refuted)" if status == "refuted" else
            f"pwverify could not decide whether {what} agree (unknown: {verdict.reason})")
    lines = [head, f"  A: {result.label('a')}", f"  B: {result.label('b')}"]
    w = verdict.witness
    if w is not None:
        lines.append(f"  at the witness point {w.point_str()}:")
        observed = w.observed
        if "gradient_a" in observed:
            lines += [f"    ∇A = {gradient_str(w.gradient_a)}", f"    ∇B = {gradient_str(w.gradient_b)}"]
        elif "value_a" in observed:
            lines += [f"    A = {vector_str(w.value_a)}", f"    B = {vector_str(w.value_b)}"]
        elif "defined_a" in observed:
            lines += [f"    A is {'defined' if w.defined_a else 'undefined'}",
                      f"    B is {'defined' if w.defined_b else 'undefined'}"]
    if question == "gradient" and result.regions:
        zero = {True: "measure zero", False: "positive measure", None: "measure not decided"}[result.measure_zero]
        regions = result.disagreement
        text = " ∪ ".join("{" + r + "}" for r in regions[:SHOWN_REGIONS])
        if len(regions) > SHOWN_REGIONS:
            text += f" ∪ … ({len(regions) - SHOWN_REGIONS} more regions)"
        lines.append(f"  disagreement set: {text} ({zero})")
    for note in result.notes:
        lines.append(f"  note: {note}")
    if a is not None and b is not None:
        lines.append(f"  to see it again: pwverify compare {_spec(a)} {_spec(b)}")
    return "\n".join(lines)


def _check(result: Comparison, which: str, a=None, b=None) -> None:
    if not getattr(result, which).is_proved:
        raise NotProved(failure_message(result, which, a, b), result, which)


def assert_same_function(a, b, **options) -> Comparison:
    """Fail (:class:`NotProved`) unless ``a`` and ``b`` are proved to compute the same
    function. ``options`` go to :func:`pwverify.compare` (``framework=``, ``timeout_ms=``)."""
    result = compare(a, b, disagreement=False, **options)
    _check(result, "function", a, b)
    return result


def assert_same_gradient(a, b, **options) -> Comparison:
    """Fail (:class:`NotProved`) unless autodiff is proved to return the same gradient for
    ``a`` and ``b`` everywhere (``wrt=[...]`` to restrict to some inputs, ``framework=`` to
    choose the rules)."""
    result = compare(a, b, **options)
    _check(result, "gradient", a, b)
    return result


def check(question: str, a, b, **options) -> Comparison:
    """``assert_same_function`` or ``assert_same_gradient`` by name (``"function"`` or ``"gradient"``)."""
    if question not in ("function", "gradient"):
        raise ValueError(f"unknown question {question!r}: 'function' or 'gradient'")
    return (assert_same_gradient if question == "gradient" else assert_same_function)(a, b, **options)


__all__: Sequence[str] = ("NotProved", "assert_same_function", "assert_same_gradient", "check",
                          "failure_message")
