"""A pytest plugin: prove in your own test suite that a rewrite keeps the function and the
autodiff gradient (registered through the ``pytest11`` entry point when pwverify is
installed; ``-p pwverify.pytest_plugin`` loads it by hand).

Markers: the test passes only if pwverify *proves* the claim; a refutation fails the
test with the witness point and both gradients (or values), an undecided one with the
reason::

    @pytest.mark.pwverify_same_gradient("model.py:forward_old", "model.py:forward_new")
    def test_the_refactor_keeps_gradients():
        pass

    @pytest.mark.pwverify_same_function("relu(x)", "(x + abs(x)) / 2", framework="jax")
    def test_relu_by_abs():
        pass

Keyword arguments go to :func:`pwverify.compare` (``wrt=["x"]``, ``framework="jax"``,
``timeout_ms=...``). A relative ``path.py:function`` is looked up beside the test file
first. The ``pwverify`` fixture does the same inside a test body (with parametrize, say)::

    def test_each_layer(pwverify):
        pwverify.same_gradient("layers.py:dense_v1", "layers.py:dense_v2", wrt=["x"])
"""

from __future__ import annotations

import os

import pytest

MARKERS = {
    "pwverify_same_gradient": "gradient",
    "pwverify_same_function": "function",
}


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "pwverify_same_gradient(a, b, **options): the test passes only if "
                                       "pwverify proves that autodiff returns the same gradient for programs "
                                       "a and b everywhere (options go to pwverify.compare)")
    config.addinivalue_line("markers", "pwverify_same_function(a, b, **options): the test passes only if "
                                       "pwverify proves that programs a and b compute the same function")


def _beside(spec, folder: str):
    """``path.py:function`` relative to the test file's folder when it exists there."""
    if not isinstance(spec, str) or ".py:" not in spec:
        return spec
    path, _, function = spec.rpartition(":")
    candidate = os.path.join(folder, path)
    if not os.path.isabs(path) and not os.path.exists(path) and os.path.exists(candidate):
        return f"{candidate}:{function}"
    return spec


class Checker:
    """The ``pwverify`` fixture: ``same_gradient(a, b, **options)`` and
    ``same_function(a, b, **options)``, each returning the comparison or failing the test."""

    def __init__(self, folder: str):
        self.folder = folder

    def same_gradient(self, a, b, **options):
        from .testing import assert_same_gradient
        return assert_same_gradient(_beside(a, self.folder), _beside(b, self.folder), **options)

    def same_function(self, a, b, **options):
        from .testing import assert_same_function
        return assert_same_function(_beside(a, self.folder), _beside(b, self.folder), **options)


@pytest.fixture
def pwverify(request) -> Checker:
    """Checks that fail the test unless pwverify proves them (see :class:`Checker`)."""
    return Checker(os.path.dirname(str(request.node.path)))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item) -> None:
    """Run the checks of the test's pwverify markers before its body."""
    from .testing import check
    folder = os.path.dirname(str(item.path))
    for name, question in MARKERS.items():
        for marker in item.iter_markers(name):
            if len(marker.args) != 2:
                raise pytest.UsageError(f"@pytest.mark.{name} takes two programs, got {len(marker.args)} "
                                        f"arguments in {item.nodeid}")
            a, b = (_beside(p, folder) for p in marker.args)
            try:
                check(question, a, b, **marker.kwargs)
            except AssertionError as exc:
                exc.pwverify_marker = name   # reported without a traceback into pwverify
                raise


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A check that is not proved fails with pwverify's message, not a traceback into it."""
    outcome = yield
    report = outcome.get_result()
    from .testing import NotProved
    exc = call.excinfo.value if call.excinfo is not None else None
    if isinstance(exc, NotProved) and report.failed and getattr(exc, "pwverify_marker", None):
        report.longrepr = f"{item.nodeid}: @pytest.mark.{exc.pwverify_marker} not proved: {exc}"
