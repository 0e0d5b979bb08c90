"""Running a program in a real framework, to compare with pwverify's prediction.

**This module executes the analysed code** (it imports the program's file, or evaluates
the expression, with the framework installed). Nothing in the verifier path imports
it; it serves ``pwverify crosscheck`` and the differential tests, explicitly.

Computation is in float64. A Jacobian has one row per output, one column per scalar
input, in the order of :attr:`pwverify.Program.inputs`.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import itertools
import os
import sys
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..primitives.conventions import _NEUTRAL, _SPELLINGS
from ..core.errors import Location, ProgramRunError, PwverifyError, UsageError

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

    import math
    import numpy

    class _Neutral:
        """numpy's and math's neutral names follow the framework; the rest (inf) is theirs."""

        def __init__(self, prefix: str, module):
            self.prefix, self.module = prefix, module

        def __getattr__(self, attr: str):
            spelled = f"{self.prefix}.{attr}"
            neutral = _SPELLINGS.get(spelled, attr)
            qualified = _NEUTRAL.get(neutral, {}).get(framework)
            if qualified is None:
                return getattr(self.module, attr)
            return _resolve(qualified, modules)

    import functools
    ns["functools"] = functools
    ns["np"] = ns["numpy"] = _Neutral("numpy", numpy)
    ns["math"] = _Neutral("math", math)
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
        import keras
        import tensorflow as tf
        return {"tf": tf, "tensorflow": tf, "keras": keras}
    raise UsageError(f"unknown framework {framework!r}")


def numpy_on_torch(name: str) -> Callable:
    """The torch function that computes numpy's ``name`` as pwverify reads it under torch
    (:data:`pwverify.primitives.conventions.NUMPY_ON_TORCH`)."""
    import torch

    def sort(a, axis=-1, kind=None, order=None, stable=None):
        if axis is None:
            a, axis = a.reshape(-1), -1
        return torch.sort(a, dim=axis, stable=bool(stable) or kind in ("stable", "mergesort")).values

    def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False,
                 interpolation=None):
        return torch.quantile(a, float(q), dim=axis, keepdim=keepdims, interpolation=interpolation or method)

    def percentile(a, q, *args, **kwargs):
        return quantile(a, float(q) / 100, *args, **kwargs)

    def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
        return torch.quantile(a, 0.5, dim=axis, keepdim=keepdims)

    return {"sort": sort, "quantile": quantile, "percentile": percentile, "median": median}[name.split(".")[-1]]


def _resolve(qualified: str, modules: Mapping[str, Any]):
    if qualified.startswith("numpy_on_torch."):
        return numpy_on_torch(qualified)
    head, *rest = qualified.split(".")
    roots = {"torch": "torch", "jax": "jax", "tensorflow": "tf"}
    obj = modules[roots.get(head, head)]
    for part in rest:
        obj = getattr(obj, part)
    return obj


def program_target(program, module=None) -> tuple[Callable, Any]:
    """The program as a Python callable taking one argument per declared input, and the
    object whose parameters it uses (an instance, or None).

    A file's target is evaluated in the imported file (``module``, imported here when not
    given) as pwverify reads it: a class is instantiated without arguments and its
    ``forward`` (an ``nn.Module``) or ``__call__`` is called, ``Class(args)`` likewise,
    ``Class.method`` calls the method of ``Class()``, and ``factory(args)`` calls the
    function the factory returns.
    """
    parsed = program.parsed
    if parsed.function is None:
        return _expression_callable(program), None
    if module is None:
        module = _import_file(parsed.filename)
    namespace = vars(module)
    tree = ast.parse(parsed.function, mode="eval").body
    if isinstance(tree, ast.Attribute):
        owner = eval(compile(ast.Expression(tree.value), "<target>", "eval"), namespace)  # noqa: S307
        if isinstance(owner, type):
            owner = owner()
        return getattr(owner, tree.attr), owner
    target = eval(parsed.function, namespace)  # noqa: S307 - crosscheck runs the program on purpose
    if isinstance(target, type):
        target = target()
    if inspect.isfunction(target):
        return target, None
    if inspect.ismethod(target):
        return target, target.__self__
    return target, target          # an instance: a module's forward, or __call__


def _expression_callable(program) -> Callable:
    parsed = program.parsed
    namespace = _expression_namespace(program.framework)
    names = list(parsed.input_shapes)
    code = compile(parsed.label, "<expr>", "eval")

    def call(*values):
        # the inputs are globals of the evaluation, so that lambdas in the expression see them
        return eval(code, {**namespace, **dict(zip(names, values))})  # noqa: S307 - explicit execution
    return call


def installed_version(framework: str) -> str | None:
    """The installed version of a framework (None when it is not installed)."""
    from importlib import metadata
    names = {"torch": ("torch",), "jax": ("jax",), "tensorflow": ("tensorflow-cpu", "tensorflow")}[framework]
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def _plain_target(program) -> Callable:
    """The program's callable, for a framework whose modules crosscheck does not give
    parameters to: the program must have none."""
    if program.parsed.weight_groups or program.checkpoint is not None:
        raise UsageError(f"{program.label} has module parameters: crosscheck gives parameters to torch "
                         f"modules only", hint="--framework torch")
    return program_target(program)[0]


def _arguments(program, point: Mapping[str, Any], make: Callable) -> list:
    """One float64 array per declared input, built by ``make(values, shape)``."""
    parsed = program.parsed
    flat = program.point(point)
    return [make([float(flat[e]) for e in parsed.input_groups[name]], shape)
            for name, shape in parsed.input_shapes.items()]


def run(framework: str, program, point: Mapping[str, Any], mode: str = "reverse") -> FrameworkResult:
    """Value and Jacobian that ``framework``'s autodiff returns at ``point`` (float64).

    An exception raised by the program itself (it calls numpy on tensors, say) is
    reported as a :class:`~pwverify.core.errors.ProgramRunError` naming the program.
    """
    runner = {"torch": run_torch, "jax": run_jax, "tensorflow": run_tensorflow}.get(framework)
    if runner is None:
        raise UsageError(f"unknown framework {framework!r}")
    try:
        return runner(program, point, mode)
    except PwverifyError:
        raise
    except Exception as exc:  # the user's code, run for real
        raise ProgramRunError(f"running {program.label} under {framework} raised {type(exc).__name__}: "
                              f"{str(exc).splitlines()[0] if str(exc) else ''}", _definition(program),
                              f"a program written with {framework} operations (crosscheck runs it on "
                              f"{framework} tensors)") from None


def _definition(program) -> Location:
    """Where the program's target is defined (line 1 for an expression)."""
    parsed = program.parsed
    if parsed.function:
        name = parsed.function.split("(")[0].split(".")[0].strip()
        for number, line in enumerate(parsed.source.splitlines(), 1):
            stripped = line.lstrip()
            if stripped.startswith((f"def {name}(", f"class {name}(", f"class {name}:")):
                return Location(parsed.filename, number, len(line) - len(stripped) + 1)
    return Location(parsed.filename, 1, 1)


def run_torch(program, point: Mapping[str, Any], mode: str = "reverse", module=None) -> FrameworkResult:
    """Value and Jacobian that torch autograd returns at ``point`` (float64), with one
    column per input of ``program.inputs``: an ``nn.Module``'s parameters that are inputs
    are given to it by their state_dict names, and ``--weights`` values likewise.
    ``module``: the program's file, already imported (default: imported here).
    """
    import torch
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # constants and module parameters in float64 too
    try:
        return _run_torch(program, point, mode, module)
    finally:
        torch.set_default_dtype(previous)


def _run_torch(program, point: Mapping[str, Any], mode: str, imported) -> FrameworkResult:
    import torch
    fn, owner = program_target(program, imported)
    module = owner if isinstance(owner, torch.nn.Module) else None
    if module is not None:
        module.double().eval()      # float64, and dropout or batch norm as pwverify reads them
    elif program.parsed.weight_groups:
        raise UsageError(f"{program.label} has parameters but is not a torch.nn.Module",
                         hint="crosscheck substitutes parameters into an nn.Module by their state_dict names")
    parsed = program.parsed
    flat = program.point(point)
    names = program.inputs
    index = {n: i for i, n in enumerate(names)}
    base = torch.tensor([float(flat[n]) for n in names], dtype=torch.float64)
    fixed = _checkpoint(program, module)

    def call(v):
        # every input a copy taken from one vector: in-place operations in the program
        # act on non-leaf tensors, and one gradient covers data and parameters
        args = [v[[index[e] for e in parsed.input_groups[name]]].reshape(shape)
                for name, shape in parsed.input_shapes.items()]
        if module is None:
            out = fn(*args)
        else:
            from torch.nn.utils.stateless import _reparametrize_module   # what torch.func.functional_call uses
            params = dict(fixed)
            params.update({key: v[[index[e] for e in entries]].reshape(parsed.weight_shapes[key])
                           for key, entries in parsed.weight_groups.items()})
            with _reparametrize_module(module, params, strict=False):
                out = fn(*args)
        return torch.as_tensor(out, dtype=torch.float64).reshape(-1)

    if mode == "reverse":
        v = base.clone().requires_grad_(True)
        out = call(v)
        rows = []
        for k in range(out.numel()):
            if not out.requires_grad:
                # a constant there (builtin max(0, x) returned the int 0): no path to the
                # inputs, so within any larger graph it contributes a zero derivative
                rows.append([0.0] * len(names))
                continue
            (g,) = torch.autograd.grad(out[k], v, retain_graph=True, allow_unused=True)
            rows.append([0.0] * len(names) if g is None else g.tolist())
        return FrameworkResult(out.detach().tolist(), rows)
    import torch.autograd.forward_ad as fwAD
    columns, value = [], None
    for i in range(len(names)):
        tangent = torch.zeros_like(base)
        tangent[i] = 1.0
        with fwAD.dual_level():
            out = call(fwAD.make_dual(base.clone(), tangent))
            primal, t = fwAD.unpack_dual(out)
            value = primal.tolist()
            columns.append([0.0] * out.numel() if t is None else t.tolist())
    if not names:
        value = call(base).tolist()
    return FrameworkResult(value, [[columns[i][k] for i in range(len(names))] for k in range(len(value))])


def _checkpoint(program, module) -> dict:
    """The parameters ``--weights`` fixed, as float64 tensors (their exact values)."""
    import torch
    source = program.checkpoint
    if source is None or module is None:
        return {}
    from ..frontend.weights import weight_arrays
    return {key: torch.tensor([float(v) for v in arr.items], dtype=torch.float64).reshape(arr.shape)
            for key, arr in weight_arrays(source).items()}


def run_jax(program, point: Mapping[str, Any], mode: str = "reverse") -> FrameworkResult:
    """Value and Jacobian that jax returns at ``point`` (float64, x64 enabled).

    Reverse mode is one ``jax.vjp`` pull per output, forward mode one ``jax.jvp`` per
    input entry (no ``vmap``, as the rules were measured).
    """
    jnp = _framework_modules("jax")["jnp"]
    fn = _plain_target(program)
    args = _arguments(program, point, lambda values, shape: jnp.asarray(values, dtype=jnp.float64).reshape(shape))

    def flat(*xs):
        return jnp.ravel(jnp.asarray(fn(*xs), dtype=jnp.float64))

    return FrameworkResult(*jax_jacobian(flat, args, mode))


def jax_jacobian(flat: Callable, args: list, mode: str) -> tuple[list[float], list[list[float]]]:
    """Values and Jacobian rows of ``flat`` (arrays -> a flat float64 array) at ``args``:
    one ``jax.vjp`` pull per output (reverse) or one ``jax.jvp`` per input entry (forward)."""
    modules = _framework_modules("jax")
    jax, jnp = modules["jax"], modules["jnp"]
    if mode == "reverse":
        out, pull = jax.vjp(flat, *args)
        rows = []
        for k in range(out.size):
            grads = pull(jnp.zeros_like(out).at[k].set(1.0))
            rows.append([float(v) for g in grads for v in jnp.ravel(g)])
        return [float(v) for v in out], rows
    columns, value = [], None
    for which, a in enumerate(args):
        for j in range(max(1, a.size)):
            tangents = [jnp.zeros_like(b) for b in args]
            tangents[which] = jnp.ravel(tangents[which]).at[j].set(1.0).reshape(a.shape)
            primal, tangent = jax.jvp(flat, tuple(args), tuple(tangents))
            value = [float(v) for v in primal]
            columns.append([float(v) for v in tangent])
    return value, [list(r) for r in zip(*columns)]


def run_tensorflow(program, point: Mapping[str, Any], mode: str = "reverse") -> FrameworkResult:
    """Value and Jacobian that tensorflow returns at ``point`` (float64).

    Reverse mode is one ``GradientTape`` pull per output, forward mode one
    ``ForwardAccumulator`` per input entry.
    """
    tf = _framework_modules("tensorflow")["tf"]
    fn = _plain_target(program)
    args = _arguments(program, point, lambda values, shape: tf.reshape(tf.constant(values, dtype=tf.float64), shape))

    def flat(*xs):
        return tf.reshape(tf.convert_to_tensor(fn(*xs), dtype=tf.float64), [-1])
    return FrameworkResult(*tensorflow_jacobian(flat, args, mode))


def tensorflow_jacobian(flat: Callable, args: list, mode: str) -> tuple[list[float], list[list[float]]]:
    """Values and Jacobian rows of ``flat`` at ``args``: one ``GradientTape`` pull per output
    (reverse) or one ``ForwardAccumulator`` per input entry (forward); an input the output
    does not reach gets zeros."""
    tf = _framework_modules("tensorflow")["tf"]
    zero = tf.UnconnectedGradients.ZERO
    if mode == "reverse":
        with tf.GradientTape(persistent=True) as tape:
            for a in args:
                tape.watch(a)
            out = flat(*args)
        rows = []
        for k in range(int(out.shape[0])):
            seed = tf.one_hot(k, int(out.shape[0]), dtype=tf.float64)
            grads = tape.gradient(out, args, output_gradients=seed, unconnected_gradients=zero)
            rows.append([float(v) for g in grads for v in tf.reshape(g, [-1]).numpy()])
        del tape
        return [float(v) for v in out.numpy()], rows
    columns, value = [], None
    for which, a in enumerate(args):
        size = max(1, int(tf.size(a)))
        for j in range(size):
            tangents = [tf.zeros_like(b) for b in args]
            tangents[which] = tf.reshape(tf.one_hot(j, size, dtype=tf.float64), a.shape)
            with tf.autodiff.ForwardAccumulator(args, tangents) as acc:
                out = flat(*args)
            tangent = acc.jvp(out, unconnected_gradients=zero)
            value = [float(v) for v in out.numpy()]
            columns.append([float(v) for v in tangent.numpy()])
    return value, [list(r) for r in zip(*columns)]


# -- comparing the prediction with the framework -----------------------------------------------
#: Relative tolerance of a comparison in float64 (constants such as SELU's scale are
#: exact rationals in pwverify and rounded doubles in the frameworks).
RTOL = 1e-12


@dataclass
class Mismatch:
    """A point where the framework and pwverify's prediction differ: a pwverify bug."""

    point: dict
    mode: str
    what: str                 # "value" or "gradient"
    predicted: list
    measured: list
    sites: list = None

    def describe(self) -> str:
        import sympy
        coords = ", ".join(f"{k} = {sympy.sstr(v)}" for k, v in self.point.items())
        ties = "; ".join(s.describe() for s in self.sites or []) or "no tie"
        return (f"{self.mode} mode at {coords} ({ties}): {self.what} predicted {self.predicted}, "
                f"framework returned {self.measured}")


@dataclass
class CrosscheckReport:
    """What :func:`crosscheck` compared, and every mismatch it found."""

    framework: str
    version: str | None
    checked_version: str
    modes: tuple
    tie_points: int = 0
    random_points: int = 0
    comparisons: int = 0
    outside_domain: int = 0
    mismatches: list = None

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def to_json(self) -> dict:
        import sympy
        return {"framework": self.framework, "version": self.version, "checked_version": self.checked_version,
                "modes": list(self.modes), "tie_points": self.tie_points, "random_points": self.random_points,
                "comparisons": self.comparisons, "outside_domain": self.outside_domain,
                "mismatches": [{"point": {k: sympy.sstr(v) for k, v in m.point.items()}, "mode": m.mode,
                                "what": m.what, "predicted": m.predicted, "measured": m.measured}
                               for m in self.mismatches or []]}


def _close(predicted: list, measured: list) -> bool:
    from .recorded import close
    return close(predicted, measured, RTOL)


def compare_at(program, framework: str, point: Mapping[str, Any], mode: str) -> Mismatch | None:
    """Run ``framework`` at ``point`` and compare with the exact prediction.

    Raises :class:`~pwverify.core.errors.DomainError` where the program is undefined.
    """
    predicted = program.ad(point, mode)
    measured = run(framework, program, point, mode)
    if not _close(predicted.value, measured.value):
        return Mismatch(dict(program.point(point)), mode, "value", [str(v) for v in predicted.value],
                        measured.value)
    flat_p = [g for row in predicted.gradient for g in row]
    flat_m = [g for row in measured.gradient for g in row]
    if not _close(flat_p, flat_m):
        return Mismatch(dict(program.point(point)), mode, "gradient",
                        [[str(g) for g in row] for row in predicted.gradient], measured.gradient)
    return None


def crosscheck(program, framework: str | None = None, count: int = 20, random_count: int = 10, seed: int = 0,
               modes: tuple = ("reverse", "forward"), tie_points_: list | None = None) -> CrosscheckReport:
    """**Runs the program** in ``framework`` at tie points and random points, in each
    mode, and compares the framework's value and Jacobian with pwverify's prediction.

    Any mismatch is a pwverify bug (the prediction is meant to be exactly what the
    framework computes). Points where the program is undefined are skipped and counted.
    """
    from ..primitives.conventions import CHECKED_VERSIONS
    from ..core.errors import DomainError
    from ..questions.tie_points import random_points, tie_points, tie_sites
    framework = framework or program.framework
    if program.profile.overrides:
        raise UsageError("crosscheck compares with a real framework, but the program uses a custom profile",
                         hint="drop --tie/--ties")
    report = CrosscheckReport(framework, installed_version(framework), CHECKED_VERSIONS[framework],
                              tuple(modes), mismatches=[])
    ties = tie_points_ if tie_points_ is not None else tie_points(program, count=count, seed=seed)
    randoms = random_points(program, random_count, seed)
    report.tie_points, report.random_points = len(ties), len(randoms)
    points = [(t.point, t.sites) for t in ties] + [(p, None) for p in randoms]
    for mode in modes:
        moded = program.in_mode(mode)
        for point, sites in points:
            try:
                found = compare_at(moded, framework, point, mode)
            except DomainError:
                report.outside_domain += 1
                continue
            report.comparisons += 1
            if found is not None:
                found.sites = sites if sites is not None else tie_sites(moded, point)
                report.mismatches.append(found)
    return report


# -- composed programs, for cross-checking the rules together ------------------------------------
#: Per framework: unary forms, binary forms and reductions of the vector ``V`` (shape 3),
#: with ``{}`` for the operands. The composed programs of :func:`composed_program` use
#: them; every call is one the differential tests check on its own.
GRAMMAR = {
    "torch": {
        "unary": ["torch.relu({})", "torch.abs({})", "F.relu6({})", "F.leaky_relu({}, 0.25)", "F.hardtanh({})",
                  "F.hardswish({})", "F.elu({})", "torch.clamp({}, -1.0, 1.0)", "({0}) * torch.sign({0})",
                  "F.hardsigmoid({})"],
        "binary": ["({}) + ({})", "({}) - ({})", "torch.maximum({}, {})", "torch.minimum({}, {})",
                   "torch.fmax({}, {})", "torch.clamp({}, min={})", "torch.where(({0}) > ({1}), {0}, {1})"],
        "reduce": ["torch.max({})", "torch.max({}, dim=0).values", "torch.amin({})", "torch.median({})",
                   "torch.sort({}).values[1]", "F.max_pool1d(({}).unsqueeze(0), 2, stride=1).sum()",
                   "torch.norm({}, p=1)", "torch.topk({}, 2).values.sum()"],
    },
    "jax": {
        "unary": ["jax.nn.relu({})", "jnp.abs({})", "jax.nn.relu6({})", "jax.nn.leaky_relu({}, 0.25)",
                  "jax.nn.hard_tanh({})", "jax.nn.hard_swish({})", "jax.nn.elu({})", "jnp.clip({}, -1.0, 1.0)",
                  "lax.clamp(-1.0, {}, 1.0)", "({0}) * jnp.sign({0})"],
        "binary": ["({}) + ({})", "({}) - ({})", "jnp.maximum({}, {})", "jnp.minimum({}, {})", "jnp.fmax({}, {})",
                   "jnp.clip({}, min={})", "jnp.where(({0}) > ({1}), {0}, {1})"],
        "reduce": ["jnp.max({})", "jnp.min({})", "jnp.median({})", "jnp.sort({}, descending=True)[1]",
                   "lax.reduce_window({}, -jnp.inf, lax.max, (2,), (1,), 'VALID').sum()",
                   "jnp.linalg.norm({}, ord=1)", "lax.top_k({}, 2)[0].sum()"],
    },
    "tensorflow": {
        "unary": ["tf.nn.relu({})", "tf.abs({})", "tf.nn.relu6({})", "tf.nn.leaky_relu({}, alpha=0.25)",
                  "tf.nn.elu({})", "tf.nn.selu({})", "tf.clip_by_value({}, -1.0, 1.0)", "({0}) * tf.sign({0})",
                  "keras.activations.hard_silu({})"],
        "binary": ["({}) + ({})", "({}) - ({})", "tf.maximum({}, {})", "tf.minimum({}, {})",
                   "tf.clip_by_value({}, {}, 4.0)", "tf.where(({0}) > ({1}), {0}, {1})"],
        "reduce": ["tf.reduce_max({})", "tf.reduce_min({})", "tf.sort({})[1]", "tf.norm({}, ord=1)",
                   "tf.reduce_sum(tf.nn.max_pool1d(tf.reshape({}, [1, 3, 1]), 2, 1, 'VALID'))",
                   "tf.reduce_sum(tf.math.top_k({}, 2).values)"],
    },
}
_LEAVES = ["a", "b", "c", "x[0]", "x[1]"]
_SHIFTS = ["({}) - 1.0", "({}) + 0.5", "2.0 * ({})", "-({})"]
#: Vectors fed to the reductions. None of them can hold a negative zero (inputs are +0.0
#: at 0): jax sorts by a total order that puts -0.0 before 0.0 (see sorting.py), an IEEE
#: effect outside pwverify's real-number semantics.
_VECTORS = {"torch": ["x", "x - a", "torch.relu(x)", "x + b"], "jax": ["x", "x - a", "jax.nn.relu(x)", "x + b"],
            "tensorflow": ["x", "x - a", "tf.nn.relu(x)", "x + b"]}


def composed_program(framework: str, rng, depth: int = 2) -> tuple[str, dict]:
    """A random expression over scalars ``a, b, c`` and a vector ``x`` of 3 entries, built
    from :data:`GRAMMAR` (``rng``: a ``random.Random`` or a hypothesis ``randoms()``).

    >>> import random
    >>> composed_program("torch", random.Random(3))[0]
    '(x[1]) * torch.sign(x[1])'
    """
    grammar = GRAMMAR[framework]

    def scalar(d: int, top: bool = False) -> str:
        roll = 0.15 + 0.85 * rng.random() if top else rng.random()
        if d == 0 or roll < 0.15:
            return rng.choice(_LEAVES)
        if roll < 0.35:
            return rng.choice(grammar["reduce"]).format(rng.choice(_VECTORS[framework]))
        if roll < 0.45:
            return rng.choice(grammar["unary"]).format(scalar(d - 1))
        if roll < 0.6:
            return rng.choice(_SHIFTS).format(scalar(d - 1))
        return rng.choice(grammar["binary"]).format(scalar(d - 1), scalar(d - 1))

    import re
    text = scalar(depth, top=True)
    return text, ({"x": 3} if re.search(r"\bx\b", text) else {})
