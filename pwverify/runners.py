"""Running a program in a real framework, to compare with pwverify's prediction.

**This module executes the analysed code** (it imports the program's file, or evaluates
the expression, with the framework installed). Nothing in the verifier path imports
it; it serves ``pwverify crosscheck`` and the differential tests, explicitly.

Computation is in float64. A Jacobian has one row per output, one column per scalar
input, in the order of :attr:`pwverify.Program.inputs`.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import sys
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .conventions import _NEUTRAL, _SPELLINGS
from .errors import UsageError

_MODULE_COUNTER = itertools.count()


@dataclass
class FrameworkResult:
    value: list[float]
    gradient: list[list[float]]


def _import_file(path: str):
    name = f"pwverify_program_{next(_MODULE_COUNTER)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(folder)
    return module


def _expression_namespace(framework: str) -> dict:
    """Names an expression program may use, bound to the framework's functions."""
    import builtins
    modules = _framework_modules(framework)
    ns: dict[str, Any] = dict(modules)
    for neutral, per_fw in _NEUTRAL.items():
        qualified = per_fw.get(framework)
        if qualified:
            ns[neutral] = _resolve(qualified, modules)
    ns["abs"] = _resolve(_NEUTRAL["abs"][framework], modules)
    ns["max"], ns["min"], ns["sorted"] = builtins.max, builtins.min, builtins.sorted

    class _Neutral:
        def __init__(self, prefix: str):
            self.prefix = prefix

        def __getattr__(self, attr: str):
            spelled = f"{self.prefix}.{attr}"
            neutral = _SPELLINGS.get(spelled, attr)
            qualified = _NEUTRAL.get(neutral, {}).get(framework)
            if qualified is None:
                raise AttributeError(spelled)
            return _resolve(qualified, modules)

    ns["np"] = ns["numpy"] = _Neutral("numpy")
    ns["math"] = _Neutral("math")
    return ns


def _framework_modules(framework: str) -> dict:
    if framework == "torch":
        import torch
        import torch.nn.functional as F
        return {"torch": torch, "F": F, "nn": torch.nn}
    if framework == "jax":
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        return {"jax": jax, "jnp": jnp, "lax": jax.lax}
    if framework == "tensorflow":
        import tensorflow as tf
        return {"tf": tf, "tensorflow": tf}
    raise UsageError(f"unknown framework {framework!r}")


def _resolve(qualified: str, modules: Mapping[str, Any]):
    head, *rest = qualified.split(".")
    roots = {"torch": "torch", "jax": "jax", "tensorflow": "tf"}
    obj = modules[roots.get(head, head)]
    for part in rest:
        obj = getattr(obj, part)
    return obj


def program_callable(program) -> Callable:
    """The program as a Python callable taking one argument per declared input."""
    parsed = program.parsed
    if parsed.function is not None:
        return getattr(_import_file(parsed.filename), parsed.function)
    namespace = _expression_namespace(program.framework)
    names = list(parsed.input_shapes)
    code = compile(parsed.label, "<expr>", "eval")

    def call(*values):
        return eval(code, dict(namespace), dict(zip(names, values)))  # noqa: S307 - explicit execution
    return call


def run_torch(program, point: Mapping[str, Any], mode: str = "reverse") -> FrameworkResult:
    """Value and Jacobian that torch autograd returns at ``point`` (float64)."""
    import torch
    fn = program_callable(program)
    parsed = program.parsed
    flat = program.point(point)
    args, leaves = [], []
    for name, shape in parsed.input_shapes.items():
        entries = parsed.input_groups[name]
        data = torch.tensor([float(flat[e]) for e in entries], dtype=torch.float64)
        args.append(data.reshape(shape) if shape else data.reshape(()))
    if mode == "reverse":
        for a in args:
            a.requires_grad_(True)
        out = torch.as_tensor(fn(*args)).reshape(-1)
        rows = []
        for k in range(out.numel()):
            grads = torch.autograd.grad(out[k], args, retain_graph=True, allow_unused=True)
            row = []
            for a, g in zip(args, grads):
                row.extend((g if g is not None else torch.zeros_like(a)).reshape(-1).tolist())
            rows.append(row)
        return FrameworkResult(out.detach().tolist(), rows)
    import torch.autograd.forward_ad as fwAD
    sizes = [max(1, a.numel()) for a in args]
    columns, value = [], None
    for which, a in enumerate(args):
        for j in range(sizes[which]):
            with fwAD.dual_level():
                duals = []
                for i, b in enumerate(args):
                    tangent = torch.zeros_like(b).reshape(-1)
                    if i == which:
                        tangent[j] = 1.0
                    duals.append(fwAD.make_dual(b, tangent.reshape(b.shape)))
                out = torch.as_tensor(fn(*duals)).reshape(-1)
                primal, tangent = fwAD.unpack_dual(out)
                value = primal.tolist()
                columns.append(tangent.tolist() if tangent is not None else [0.0] * out.numel())
    rows = [list(r) for r in zip(*columns)]
    return FrameworkResult(value, rows)
