"""Running a generated program in the real framework, in float64 (independently of pwverify).

The fuzzer does not use ``pwverify.frameworks.crosscheck``: it builds the arguments from the generator's
own declaration of the inputs, so a mistake in pwverify's bookkeeping (input order,
shapes) shows up as a mismatch instead of cancelling out.

Reverse mode pulls one output at a time (``torch.autograd.grad``, ``jax.vjp``,
``tf.GradientTape``); forward mode pushes one basis tangent at a time
(``torch.autograd.forward_ad``, ``jax.jvp``, ``tf.autodiff.ForwardAccumulator``).
A Jacobian has one row per output and one column per scalar input entry, in the
order of :meth:`GeneratedProgram.entries`.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import os
import sys
from typing import Any, Callable

from pwverify.frameworks.crosscheck import jax_jacobian, tensorflow_jacobian

_COUNTER = itertools.count()


def load(path: str, function: str = "f") -> Callable:
    """Import the module at ``path`` (a fresh module each time) and return its function."""
    name = f"fuzz_program_{os.getpid()}_{next(_COUNTER)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return getattr(module, function)


def prepare(framework: str) -> None:
    """One-time framework set-up (x64 for jax)."""
    if framework == "jax":
        import jax
        jax.config.update("jax_enable_x64", True)
    elif framework == "tensorflow":
        import tensorflow  # noqa: F401


def _flat_values(inputs: dict, point: dict) -> list[list[float]]:
    out = []
    for name, shape in inputs.items():
        if not shape:
            out.append([float(point[name])])
        else:
            keys = [name + "_".join(str(i) for i in idx) for idx in itertools.product(*[range(n) for n in shape])]
            out.append([float(point[k]) for k in keys])
    return out


def run(framework: str, fn: Callable, inputs: dict, point: dict, mode: str) -> tuple[list[float], list[list[float]]]:
    """Value (flattened) and Jacobian of ``fn`` at ``point`` under ``framework``."""
    values = _flat_values(inputs, point)
    shapes = list(inputs.values())
    if framework == "torch":
        return _torch(fn, values, shapes, mode)
    if framework == "jax":
        return _jax(fn, values, shapes, mode)
    if framework == "tensorflow":
        return _tf(fn, values, shapes, mode)
    raise ValueError(framework)


def _torch(fn, values, shapes, mode):
    import torch

    def call(*xs):   # a returned list of tensors is a vector output (as pwverify reads it)
        out = fn(*xs)
        if isinstance(out, (list, tuple)):
            out = torch.stack([torch.as_tensor(o, dtype=torch.float64).reshape(()) for o in out])
        return out
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        args = [torch.tensor(v, dtype=torch.float64).reshape(s) for v, s in zip(values, shapes)]
        sizes = [len(v) for v in values]
        if mode == "reverse":
            for a in args:
                a.requires_grad_(True)
            out = torch.as_tensor(call(*args), dtype=torch.float64).reshape(-1)
            rows = []
            for k in range(out.numel()):
                if not out.requires_grad:
                    rows.append([0.0] * sum(sizes))
                    continue
                grads = torch.autograd.grad(out[k], args, retain_graph=True, allow_unused=True)
                row = []
                for a, g in zip(args, grads):
                    row.extend((g if g is not None else torch.zeros_like(a)).reshape(-1).tolist())
                rows.append(row)
            return out.detach().tolist(), rows
        import torch.autograd.forward_ad as fwAD
        columns, value = [], None
        for which, size in enumerate(sizes):
            for j in range(size):
                with fwAD.dual_level():
                    duals = []
                    for i, b in enumerate(args):
                        tangent = torch.zeros(b.numel(), dtype=torch.float64)
                        if i == which:
                            tangent[j] = 1.0
                        duals.append(fwAD.make_dual(b, tangent.reshape(b.shape)))
                    out = torch.as_tensor(call(*duals), dtype=torch.float64).reshape(-1)
                    primal, tangent = fwAD.unpack_dual(out)
                    value = primal.tolist()
                    zero = tangent is None or tangent._is_zerotensor()   # no tangent flowed to the output
                    columns.append([0.0] * out.numel() if zero else tangent.tolist())
        return value, [list(r) for r in zip(*columns)]
    finally:
        torch.set_default_dtype(previous)


def _jax(fn, values, shapes, mode):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    args = [jnp.asarray(v, dtype=jnp.float64).reshape(s) for v, s in zip(values, shapes)]

    def flat(*xs):
        out = fn(*xs)
        if isinstance(out, (list, tuple)):
            out = jnp.stack([jnp.reshape(o, ()) for o in out])
        return jnp.ravel(jnp.asarray(out, dtype=jnp.float64))

    return jax_jacobian(flat, args, mode)


def _tf(fn, values, shapes, mode):
    import tensorflow as tf
    args = [tf.reshape(tf.constant(v, dtype=tf.float64), s) for v, s in zip(values, shapes)]

    def flat(*xs):
        out = fn(*xs)
        if isinstance(out, (list, tuple)):
            out = tf.stack([tf.reshape(tf.convert_to_tensor(o, dtype=tf.float64), []) for o in out])
        return tf.reshape(tf.convert_to_tensor(out, dtype=tf.float64), [-1])

    return tensorflow_jacobian(flat, args, mode)


def finite(values: list[Any]) -> bool:
    return all(math.isfinite(v) for v in values)
