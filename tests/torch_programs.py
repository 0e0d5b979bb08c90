"""Running a program pwverify read from a file in real torch (float64), for the tests.

**This runs the analysed code.** The PROGRAM's target (``Net``, ``Net.forward``,
``quantile_loss(0.9)``, ``f``) is evaluated in the imported module; an ``nn.Module``
gets its parameters from the point through torch's stateless reparametrization (by their
state_dict keys), so the Jacobian covers the inputs and the weights, in the order of
``program.inputs``. Reverse mode uses ``torch.autograd.grad``, forward mode
``torch.autograd.forward_ad`` one direction at a time. numpy programs run with ``np``
replaced by torch's functions of the same names (the torch profile's reading of them).
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import os
import random
import sys

import pwverify
from pwverify.core.errors import PwverifyError
from pwverify.questions.tie_points import tie_points, tie_sites

_COUNTER = itertools.count()


def import_file(path: str):
    name = f"pwverify_test_program_{next(_COUNTER)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(folder)
    return module


class NumpyAsTorch:
    """``np`` for numpy programs run on torch tensors (float64)."""

    def __init__(self):
        import numpy
        import torch
        self.torch, self.numpy = torch, numpy

    def __getattr__(self, name):
        torch = self.torch
        f64 = torch.float64
        table = {
            "zeros": lambda s, dtype=None: torch.zeros(s, dtype=f64),
            "ones": lambda s, dtype=None: torch.ones(s, dtype=f64),
            "empty": lambda s, dtype=None: torch.empty(s, dtype=f64),
            "zeros_like": lambda a, dtype=None: torch.zeros_like(a),
            "ones_like": lambda a, dtype=None: torch.ones_like(a),
            "empty_like": lambda a, dtype=None: torch.empty_like(a),
            "full": lambda s, v, dtype=None: torch.full(s if isinstance(s, tuple) else (s,), float(v), dtype=f64),
            "array": lambda a, dtype=None: a if isinstance(a, torch.Tensor) else torch.stack(
                [x if isinstance(x, torch.Tensor) else torch.tensor(float(x), dtype=f64) for x in a]),
            "asarray": lambda a, dtype=None: a if isinstance(a, torch.Tensor) else torch.tensor(a, dtype=f64),
            "maximum": lambda a, b: torch.maximum(*_tensors(a, b)),
            "minimum": lambda a, b: torch.minimum(*_tensors(a, b)),
            "where": lambda c, *ab: torch.where(c, *_tensors(*ab)) if ab else torch.where(c),
            "absolute": torch.abs, "amax": torch.amax, "amin": torch.amin, "power": torch.pow,
            "concatenate": torch.cat, "clip": torch.clamp, "inf": float("inf"), "pi": float(self.numpy.pi),
            "max": lambda a, axis=None: torch.amax(_stack(a), dim=axis) if axis is not None else torch.max(_stack(a)),
            "min": lambda a, axis=None: torch.amin(_stack(a), dim=axis) if axis is not None else torch.min(_stack(a)),
            "sum": lambda a, axis=None: torch.sum(a, dim=axis) if axis is not None else torch.sum(a),
            "mean": lambda a, axis=None: torch.mean(a, dim=axis) if axis is not None else torch.mean(a),
            "ndarray": torch.Tensor, "float64": f64, "float32": f64,
            "errstate": lambda **kw: contextlib.nullcontext(),
            "iscomplexobj": lambda x: False,
        }
        if name in table:
            return table[name]
        if name in ("sort", "median", "quantile", "percentile"):   # numpy's functions, as pwverify reads them
            from pwverify.frameworks.crosscheck import numpy_on_torch
            return numpy_on_torch(name)
        return getattr(torch, name)


def _tensors(*values):
    import torch
    return [v if isinstance(v, torch.Tensor) else torch.tensor(float(v), dtype=torch.float64) for v in values]


def _stack(a):
    import torch
    if isinstance(a, torch.Tensor):
        return a
    return torch.stack([x if isinstance(x, torch.Tensor) else torch.tensor(float(x), dtype=torch.float64)
                        for x in a])


def torch_jacobian(program, point, mode: str) -> tuple[list[float], list[list[float]]]:
    """Value and Jacobian (rows per output, columns per ``program.inputs``) from torch, by
    ``pwverify crosscheck``'s runner, with numpy programs run on torch tensors."""
    from pwverify.frameworks.crosscheck import run_torch
    module = None
    if program.parsed.function is not None:
        module = import_file(program.parsed.filename)
        for alias in ("np", "numpy"):
            if getattr(module, alias, None) is not None and getattr(module, alias).__name__ == "numpy":
                setattr(module, alias, NumpyAsTorch())
    result = run_torch(program, point, mode, module)
    return result.value, result.gradient


def close(predicted, measured, tol: float = 1e-9) -> bool:
    """Equal up to ``tol``; a nan matches only a nan, an infinity only the same one."""
    from pwverify.frameworks.recorded import close as recorded_close
    return recorded_close(predicted, measured, tol)


# -- points on kinks, and the comparison ---------------------------------------------------------
def kink_points(program, count: int = 6, seed: int = 0) -> list[dict]:
    """Exact points on kinks: the solver's tie points for small programs, else small-integer
    points (which land on ties often) kept when some primitive sits on a tie there."""
    if len(program.inputs) <= 4:
        points = [tp.point for tp in tie_points(program, count=count)]
        if points:
            return points
    rng = random.Random(seed)
    points: list[dict] = []
    for _ in range(400):
        point = {n: rng.choice((-2, -1, 0, 0, 1, 1, 2, 3)) for n in program.inputs}
        try:
            if tie_sites(program, point):
                program.gradient_at(point)  # inside the domain
                points.append(point)
        except PwverifyError:
            continue
        if len(points) >= count:
            break
    for _ in range(200):  # a smooth program, or kinks outside the domain: points in it
        if len(points) >= 2:
            break
        point = {n: rng.choice((-2, -1, 1, 2, 3)) for n in program.inputs}
        try:
            program.gradient_at(point)
            points.append(point)
        except PwverifyError:
            continue
    return points


MODES = ("reverse", "forward")


class TorchCannotRun(Exception):
    """torch itself cannot run the program as written (say numpy code that reuses a buffer
    autograd saved, or calls a numpy-only function)."""


def check_against_torch(program, points, modes=MODES, lenient: bool = False) -> int:
    """The program (read again in each mode, as the mode is fixed when reading) against torch.

    ``lenient``: a mode in which torch itself raises on the program is left out (raising
    :class:`TorchCannotRun` when no mode can run)."""
    checked = 0
    read = {mode: pwverify.parse(program.label, shapes=_shapes(program), mode=mode) for mode in modes}
    failures = []
    for point in points:
        for mode in modes:
            program = read[mode]
            try:
                predicted = program.gradient_at(point, mode)
            except PwverifyError:
                continue  # outside the program's domain
            try:
                value, measured = torch_jacobian(program, point, mode)
            except (RuntimeError, AttributeError, TypeError, ImportError) as exc:
                if not lenient:
                    raise
                failures.append(f"{mode}: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
                continue
            assert close([float(v) for v in program.value_at(point)], value), (point, mode)
            for row_p, row_m in zip(predicted, measured):
                assert close(row_p, row_m), (program.label, point, mode, row_p, row_m)
            checked += 1
    if not checked and failures:
        raise TorchCannotRun("; ".join(sorted(set(failures))))
    assert checked
    return checked


def _shapes(program) -> dict:
    return {k: v for k, v in program.parsed.input_shapes.items() if v}


