"""A seeded generator of random Python programs for one framework (torch, jax, tensorflow).

Each program is the source of a module defining ``def f(x: "float[4]", a: float, ...)``
(and sometimes helper functions), written as a user would write it: framework calls,
arithmetic, ``if``/``elif``/``else`` on comparisons, conditional expressions, ``for``
and ``while`` loops over ranges and tensors, helper functions, lambdas with
``functools.reduce``, comprehensions, indexing and slicing, Python's ``max``/``min``/
``sorted``. Every registered call of the framework is reached through a *template*
(:data:`TEMPLATES`: how to call it, with which operands and parameters) or is listed in
:data:`EXCLUDED` with the reason; ``tests/test_fuzz.py`` checks that this table is
complete. Detaching constructs (``.detach()``, ``.item()``, ``float(t)``,
``torch.no_grad()``, ``stop_gradient``, ``math.*`` on tensors) are generated only with
``Options(detach=True)``, so that a program's flag says whether it detaches; the long run
(``benchmarks/bench_fuzz.py --detach-share``) and the CI slice mix both kinds.

Programs are meant to be defined everywhere: ``log`` and ``sqrt`` see positive
arguments (``log(1 + t*t)``, ``sqrt(1 + relu(t))``), divisions positive denominators,
``exp`` bounded arguments. Weights are small integers and halves, so that ties are
reachable at small dyadic points.

>>> p = generate("torch", 7)
>>> p.source == generate("torch", 7).source
True
>>> p.function, sorted(p.inputs) == sorted(set(p.inputs))
('f', True)
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Callable

FRAMEWORKS = ("torch", "jax", "tensorflow")

S = ("s",)


def V(n: int) -> tuple:
    return ("v", n)


def M(r: int, c: int) -> tuple:
    return ("m", r, c)


# -- options and results ------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    """How large and what kind of programs to generate."""

    #: number of statements in ``f`` before the ``return`` (inclusive range)
    statements: tuple[int, int] = (2, 5)
    #: maximal nesting of calls and operators in one expression
    depth: int = 2
    #: generate detaching constructs (``.detach()``, ``.item()``, ``no_grad``, ``stop_gradient``, ...)
    detach: bool = False
    #: length of the input vector ``x``
    lengths: tuple[int, ...] = (3, 4)
    #: probability that ``x`` is long instead (17 to 20 entries: torch's sort changes algorithm past 16)
    long: float = 0.05
    #: probability of a matrix input ``X`` of shape (2, 3)
    matrix: float = 0.2
    #: probability that ``f`` returns a vector
    vector_output: float = 0.15
    #: probability of each helper function being generated when an expression could use one
    helpers: float = 0.08
    #: registered calls not to generate (e.g. one with a known mismatch, to look for others)
    exclude: tuple = ()
    #: a call every program uses (and prefers when it can): a call name, None, or "cycle"
    #: (program ``seed`` focuses on the templated calls in turn, every third program on none),
    #: so that each call and its parameters meet ties as often as the others
    focus: str | None = "cycle"


@dataclass
class GeneratedProgram:
    """A generated program: its source and what it exercises."""

    framework: str
    seed: int
    source: str
    inputs: dict                          # parameter name -> shape (() for a scalar)
    calls: tuple = ()                     # registered call names it uses
    constructs: tuple = ()                # construct tags (if, for, helper, ...)
    detach: bool = False                  # uses a detaching construct
    function: str = "f"

    def entries(self) -> list[str]:
        """The scalar input names in pwverify's convention (``x0``, ``X0_1``), in order."""
        import itertools
        out = []
        for name, shape in self.inputs.items():
            if not shape:
                out.append(name)
            else:
                out.extend(name + "_".join(str(i) for i in idx)
                           for idx in itertools.product(*[range(n) for n in shape]))
        return out


# -- per-framework spellings ---------------------------------------------------------------------
@dataclass(frozen=True)
class Dialect:
    imports: tuple
    weights: str        # a 1-d constant tensor; {} is the list literal
    stack: str          # {} is the list literal
    sum: str
    mean: str
    reshape: str        # {0} operand, {1} shape as a tuple literal
    sum_dim: str        # {0} operand, {1} dim
    cat: str
    abs: str
    relu: str
    tanh: str
    maximum: str
    minimum: str
    inf: str
    detach: tuple = ()  # forms of detaching expressions ({0} an operand); "s:" prefix: scalars only


DIALECTS = {
    "torch": Dialect(("import functools", "import math", "import operator", "import torch",
                      "import torch.nn.functional as F"),
                     "torch.tensor({})", "torch.stack({})", "{}.sum()", "{}.mean()", "{0}.reshape{1}",
                     "{0}.sum(dim={1})", "torch.cat({})", "torch.abs", "torch.relu", "torch.tanh",
                     "torch.maximum", "torch.minimum", "math.inf",
                     ("{0}.detach()", "s:{0}.item()", "s:float({0})", "s:math.exp({0})", "s:math.tanh({0})")),
    "jax": Dialect(("import functools", "import math", "import operator", "import jax", "import jax.numpy as jnp",
                    "from jax import lax"),
                   "jnp.array({})", "jnp.stack({})", "jnp.sum({})", "jnp.mean({})", "jnp.reshape({0}, {1})",
                   "jnp.sum({0}, axis={1})", "jnp.concatenate({})", "jnp.abs", "jax.nn.relu", "jnp.tanh",
                   "jnp.maximum", "jnp.minimum", "jnp.inf",
                   ("jax.lax.stop_gradient({0})", "lax.stop_gradient({0})")),
    "tensorflow": Dialect(("import functools", "import math", "import operator", "import keras",
                           "import numpy as np", "import tensorflow as tf"),
                          "tf.constant({}, dtype=tf.float64)", "tf.stack({})", "tf.reduce_sum({})",
                          "tf.reduce_mean({})", "tf.reshape({0}, {1})", "tf.reduce_sum({0}, axis={1})",
                          "tf.concat({}, 0)", "tf.abs", "tf.nn.relu", "tf.tanh", "tf.maximum", "tf.minimum",
                          "np.inf",
                          # a Python float given alone to a tf call becomes a float32 tensor: the
                          # Python-number forms go back to float64 as a careful user writes them
                          ("tf.stop_gradient({0})", "s:tf.constant(float({0}), dtype=tf.float64)",
                           "s:tf.constant(math.exp({0}), dtype=tf.float64)")),
}


# -- templates ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class T:
    """How to call one function.

    ``sig``: one letter per operand: ``e`` elementwise (a scalar or a tensor; the first
    operand fixes the shape, the others are that shape or scalars), ``s`` scalar,
    ``v`` vector (all ``v`` operands of one template have the same length), ``m`` matrix.
    ``out``: ``e`` (the broadcast shape of the operands), ``s``, ``v`` or ``m``; the length
    or shape of a ``v``/``m`` result is the operand's unless ``params`` says (key ``_out``).
    ``params(rng, operand_type)`` returns the extra format fields, or None when the
    operand does not suit the template.
    """

    form: str
    sig: str = "e"
    out: str = "e"
    params: Callable | None = None
    smooth: bool = False
    same: bool = False      # elementwise operands must all have the first one's shape


def ew(form, n=1, **kw):
    return T(form, "e" * n, "e", **kw)


def sm(form, n=1, **kw):
    return T(form, "e" * n, "e", smooth=True, **kw)


def red(form, n=1, params=None):
    return T(form, "v" * n, "s", params)


def vec(form, n=1, params=None):
    return T(form, "v" * n, "v", params)


def mat(form, out, params=None):
    return T(form, "m", out, params)


def py(form, n):
    return T(form, "s" * n, "s")


def _pick(rng, *choices):
    return rng.choice(choices)


def p_bounds(rng, _t):
    lo, hi = _pick(rng, (-1.0, 1.0), (-0.5, 2.0), (0.0, 1.0), (-2.0, 0.5), (0.0, 3.0), (1.0, 1.0), (1.0, -1.0))
    return {"lo": lo, "hi": hi}


def p_proper_bounds(rng, _t):
    lo, hi = _pick(rng, (-1.0, 1.0), (-0.5, 2.0), (0.0, 1.0), (-2.0, 0.5), (-3.0, 3.0))
    return {"lo": lo, "hi": hi}


def p_const(rng, _t):
    return {"c": _pick(rng, 0.0, 0.5, -1.0, 1.0, 2.0)}


def p_slope(rng, _t):
    return {"slope": _pick(rng, 0.25, 0.5, 0.125, 0.01, 2.0)}


def p_slope32(rng, _t):     # tensorflow stores alpha in float32: keep it exact there
    return {"slope": _pick(rng, 0.25, 0.5, 0.125, 2.0)}


def p_alpha(rng, _t):
    return {"alpha": _pick(rng, 1.0, 2.0, 0.5)}


def p_threshold(rng, _t):
    return {"th": _pick(rng, 0.0, 0.5, 1.0, -1.0), "val": _pick(rng, 0.0, 0.5, -1.0, 2.0)}


def p_lambda(rng, _t):
    return {"lam": _pick(rng, 0.5, 0.25, 1.0)}


def p_cmp(rng, _t):
    return {"cmp": _pick(rng, ">", ">=", "<", "<=")}


def p_topk(rng, t):
    n = t[1]
    k = rng.randint(1, n)
    return {"k": k, "j": rng.randrange(k), "_out": V(k)}


def p_index(rng, t):
    return {"j": rng.randrange(t[1])}


def p_q(rng, _t):
    return {"q": _pick(rng, 0.5, 0.25, 0.75, 0.0, 1.0, 0.3, 0.6),
            "interp": _pick(rng, "linear", "lower", "higher", "midpoint", "nearest")}


def p_pct(rng, _t):
    return {"pct": _pick(rng, 50.0, 25.0, 75.0, 0.0, 100.0, 30.0),
            "interp": _pick(rng, "linear", "lower", "higher", "midpoint", "nearest")}


def p_pool1d(rng, t):
    n = t[1]
    k = rng.randint(1, min(3, n))
    s = rng.randint(1, k)
    p = rng.randint(0, k // 2)
    m = (n + 2 * p - k) // s + 1
    return {"k": k, "s": s, "p": p, "_out": V(m)}


def p_pool1d_tf(rng, t):
    n = t[1]
    k = rng.randint(1, min(3, n))
    s = rng.randint(1, k)
    pad = rng.choice(["VALID", "SAME"])
    m = (n - k) // s + 1 if pad == "VALID" else -(-n // s)
    return {"n": n, "k": k, "s": s, "pad": pad, "_out": V(m)}


def p_adaptive1d(rng, t):
    o = rng.randint(1, t[1])
    return {"o": o, "_out": V(o)}


def p_pool2d(rng, t):
    r, c = t[1], t[2]
    k = rng.randint(1, min(2, r, c))
    s = rng.randint(1, k)
    p = rng.randint(0, k // 2)
    return {"k": k, "s": s, "p": p, "_out": M((r + 2 * p - k) // s + 1, (c + 2 * p - k) // s + 1)}


def p_pool2d_tf(rng, t):
    r, c = t[1], t[2]
    k = rng.randint(1, min(2, r, c))
    s = rng.randint(1, k)
    pad = rng.choice(["VALID", "SAME"])
    size = (lambda n: (n - k) // s + 1) if pad == "VALID" else (lambda n: -(-n // s))
    return {"r": r, "c": c, "k": k, "s": s, "pad": pad, "r2": size(r), "c2": size(c), "_out": M(size(r), size(c))}


def p_window_jax(rng, t):
    if t[0] == "v":
        n = t[1]
        k = rng.randint(1, min(3, n))
        s = rng.randint(1, k)
        pad = rng.choice(["VALID", "SAME"])
        m = (n - k) // s + 1 if pad == "VALID" else -(-n // s)
        return {"win": f"({k},)", "strides": f"({s},)", "pad": pad, "_out": V(m)}
    r, c = t[1], t[2]
    kh, kw = rng.randint(1, r), rng.randint(1, min(3, c))
    sh, sw = rng.randint(1, kh), rng.randint(1, kw)
    pad = rng.choice(["VALID", "SAME"])
    if pad == "VALID":
        out = M((r - kh) // sh + 1, (c - kw) // sw + 1)
    else:
        out = M(-(-r // sh), -(-c // sw))
    return {"win": f"({kh}, {kw})", "strides": f"({sh}, {sw})", "pad": pad, "_out": out}


def p_adaptive2d(rng, t):
    oh, ow = rng.randint(1, t[1]), rng.randint(1, t[2])
    return {"oh": oh, "ow": ow, "_out": M(oh, ow)}


def p_dim_v(rng, t):       # a reduction along a matrix dimension, giving a vector
    d = rng.randint(0, 1)
    return {"d": d, "_out": V(t[2] if d == 0 else t[1])}


def p_rows(rng, t):
    return {"_out": V(t[1])}


def p_cols(rng, t):
    return {"_out": V(t[2])}


def p_norm_ord_torch(rng, _t):
    return {"ord": _pick(rng, "1", "2", "math.inf", "-math.inf", "float('inf')")}


def p_norm_p_torch(rng, _t):
    return {"p": _pick(rng, "1", "2", "float('inf')", "'fro'")}


def p_dist_p(rng, _t):      # torch.dist takes a number only
    return {"p": _pick(rng, "1", "2", "float('inf')", "0.5")}


def p_norm_ord_jax(rng, _t):
    return {"ord": _pick(rng, "1", "2", "None", "jnp.inf", "-jnp.inf")}


def p_norm_ord_tf(rng, _t):
    return {"ord": _pick(rng, "1", "2", "'euclidean'", "np.inf")}


def p_init(rng, _t):
    return {"init": _pick(rng, -1.0, 0.0, 0.5, 3.0)}


def _with(*fns):
    def params(rng, t):
        out = {}
        for fn in fns:
            got = fn(rng, t)
            if got is None:
                return None
            out.update(got)
        return out
    return params


def _tensor_pairs(prefix: str, names: list[str], form: str, **kw):
    return {f"{prefix}.{n}": [T(form.format(fn=f"{prefix}.{n}"), **kw)] for n in names}


TORCH = {
    # elementwise kinks
    "torch.relu": [ew("torch.relu({0})")],
    "torch.kthvalue": [red("torch.kthvalue({0}, 1).values")],
    "torch.Tensor.kthvalue": [red("{0}.kthvalue(1).values")],
    "torch.nn.functional.relu": [ew("F.relu({0})")],
    "torch.Tensor.relu": [ew("{0}.relu()")],
    "torch.nn.ReLU": [ew("torch.nn.ReLU()({0})")],
    "torch.abs": [ew("torch.abs({0})")],
    "torch.absolute": [ew("torch.absolute({0})")],
    "torch.Tensor.abs": [ew("{0}.abs()")],
    "torch.clamp": [ew("torch.clamp({0}, {lo}, {hi})", params=p_bounds), ew("torch.clamp({0}, min={1})", 2),
                    ew("torch.clamp({0}, max={1})", 2), ew("torch.clamp({0}, {1}, {2})", 3),
                    ew("torch.clamp({0}, min={c})", params=p_const)],
    "torch.clip": [ew("torch.clip({0}, {1}, {2})", 3), ew("torch.clip({0}, {lo}, {hi})", params=p_bounds)],
    "torch.Tensor.clamp": [ew("{0}.clamp(min={c})", params=p_const), ew("{0}.clamp(max={1})", 2),
                           ew("{0}.clamp({1}, {2})", 3)],
    "torch.Tensor.clip": [ew("{0}.clip({lo}, {hi})", params=p_bounds)],
    "torch.clamp_min": [ew("torch.clamp_min({0}, {1})", 2), ew("torch.clamp_min({0}, {c})", params=p_const)],
    "torch.clamp_max": [ew("torch.clamp_max({0}, {1})", 2), ew("torch.clamp_max({0}, {c})", params=p_const)],
    "torch.Tensor.clamp_min": [ew("{0}.clamp_min({1})", 2)],
    "torch.Tensor.clamp_max": [ew("{0}.clamp_max({1})", 2)],
    "torch.nn.functional.hardtanh": [ew("F.hardtanh({0})"), ew("F.hardtanh({0}, {lo}, {hi})", params=p_proper_bounds)],
    "torch.nn.Hardtanh": [ew("torch.nn.Hardtanh({lo}, {hi})({0})", params=p_proper_bounds)],
    "torch.nn.functional.relu6": [ew("F.relu6({0})")],
    "torch.nn.ReLU6": [ew("torch.nn.ReLU6()({0})")],
    "torch.nn.functional.leaky_relu": [ew("F.leaky_relu({0}, {slope})", params=p_slope), ew("F.leaky_relu({0})")],
    "torch.nn.LeakyReLU": [ew("torch.nn.LeakyReLU({slope})({0})", params=p_slope)],
    "torch.nn.functional.elu": [ew("F.elu({0})"), ew("F.elu({0}, {alpha})", params=p_alpha)],
    "torch.nn.ELU": [ew("torch.nn.ELU(alpha={alpha})({0})", params=p_alpha)],
    "torch.nn.functional.selu": [ew("F.selu({0})")],
    "torch.selu": [ew("torch.selu({0})")],
    "torch.nn.SELU": [ew("torch.nn.SELU()({0})")],
    "torch.nn.functional.celu": [ew("F.celu({0}, {alpha})", params=p_alpha)],
    "torch.nn.CELU": [ew("torch.nn.CELU()({0})")],
    "torch.nn.functional.prelu": [ew("F.prelu({0}, torch.tensor([{slope}]))", params=p_slope)],
    "torch.nn.PReLU": [ew("torch.nn.PReLU()({0})"), ew("torch.nn.PReLU(init={slope})({0})", params=p_slope)],
    "torch.nn.functional.rrelu": [ew("F.rrelu({0})")],
    "torch.nn.functional.threshold": [ew("F.threshold({0}, {th}, {val})", params=p_threshold)],
    "torch.nn.Threshold": [ew("torch.nn.Threshold({th}, {val})({0})", params=p_threshold)],
    "torch.nn.functional.hardshrink": [ew("F.hardshrink({0})"), ew("F.hardshrink({0}, {lam})", params=p_lambda)],
    "torch.nn.Hardshrink": [ew("torch.nn.Hardshrink({lam})({0})", params=p_lambda)],
    "torch.nn.functional.softshrink": [ew("F.softshrink({0})"), ew("F.softshrink({0}, {lam})", params=p_lambda)],
    "torch.nn.Softshrink": [ew("torch.nn.Softshrink({lam})({0})", params=p_lambda)],
    "torch.nn.functional.hardsigmoid": [ew("F.hardsigmoid({0})")],
    "torch.nn.Hardsigmoid": [ew("torch.nn.Hardsigmoid()({0})")],
    "torch.nn.functional.hardswish": [ew("F.hardswish({0})")],
    "torch.nn.Hardswish": [ew("torch.nn.Hardswish()({0})")],
    "torch.sign": [ew("{0} * torch.sign({0})"), ew("torch.sign({0})")],
    "torch.sgn": [ew("{0} * torch.sgn({1})", 2)],
    "torch.Tensor.sign": [ew("{0} * {0}.sign()")],
    "torch.Tensor.sgn": [ew("{1} * {0}.sgn()", 2)],
    "torch.maximum": [ew("torch.maximum({0}, {1})", 2)],
    "torch.minimum": [ew("torch.minimum({0}, {1})", 2)],
    "torch.fmax": [ew("torch.fmax({0}, {1})", 2)],
    "torch.fmin": [ew("torch.fmin({0}, {1})", 2)],
    "torch.where": [ew("torch.where({0} {cmp} {1}, {2}, {3})", 4, params=p_cmp),
                    ew("torch.where({0} {cmp} {1}, {0}, {1})", 2, params=p_cmp)],
    # reductions
    "torch.max": [red("torch.max({0})"), red("torch.max({0}, dim=0).values"), red("torch.max({0}, 0)[0]"),
                  ew("torch.max({0}, {1})", 2), mat("torch.max({0}, dim={d}).values", "v", p_dim_v),
                  mat("torch.max({0})", "s")],
    "torch.min": [red("torch.min({0})"), red("torch.min({0}, dim=0).values"), ew("torch.min({0}, {1})", 2),
                  mat("torch.min({0}, {d})[0]", "v", p_dim_v)],
    "torch.Tensor.max": [red("{0}.max()"), red("{0}.max(0).values"), red("{0}.max(dim=0)[0]")],
    "torch.Tensor.min": [red("{0}.min()"), red("{0}.min(0).values")],
    "torch.amax": [red("torch.amax({0})"), red("torch.amax({0}, dim=0)"), mat("torch.amax({0}, dim={d})", "v", p_dim_v)],
    "torch.amin": [red("torch.amin({0})"), red("torch.amin({0}, dim=0)"), mat("torch.amin({0})", "s")],
    "torch.Tensor.amax": [red("{0}.amax()"), mat("{0}.amax(dim={d})", "v", p_dim_v)],
    "torch.Tensor.amin": [red("{0}.amin()")],
    "torch.argmax": [red("{0}[torch.argmax({0})]"), red("{1}[torch.argmax({0})]", 2)],
    "torch.Tensor.argmax": [red("{0}[{0}.argmax()]"), red("{1}[{0}.argmax()]", 2)],
    "torch.argmin": [red("{0}[torch.argmin({0})]"), red("{1}[torch.argmin({0})]", 2)],
    "torch.Tensor.argmin": [red("{0}[{0}.argmin()]")],
    "torch.gather": [mat("torch.gather({0}, 1, {0}.argmax(1, keepdim=True)).squeeze(1)", "v", p_rows),
                     mat("torch.gather({0}, 0, {0}.argmin(0, keepdim=True)).squeeze(0)", "v", p_cols)],
    "torch.topk": [vec("torch.topk({0}, {k}).values", params=p_topk),
                   vec("torch.topk({0}, {k}, largest=False).values", params=p_topk),
                   red("torch.topk({0}, {k})[0][{j}]", params=p_topk)],
    "torch.Tensor.topk": [vec("{0}.topk({k}).values", params=p_topk),
                          red("{0}.topk({k}, largest=False)[0][{j}]", params=p_topk)],
    "torch.sort": [vec("torch.sort({0}).values"), vec("torch.sort({0}, descending=True).values"),
                   red("torch.sort({0})[0][{j}]", params=p_index)],
    "torch.Tensor.sort": [vec("{0}.sort(descending=True).values"), vec("{0}.sort()[0]")],
    "torch.msort": [vec("torch.msort({0})")],
    "torch.median": [red("torch.median({0})"), mat("torch.median({0})", "s")],
    "torch.Tensor.median": [red("{0}.median()")],
    "torch.nanmedian": [red("torch.nanmedian({0})")],
    "torch.Tensor.nanmedian": [red("{0}.nanmedian()")],
    "torch.quantile": [red("torch.quantile({0}, {q})", params=p_q),
                       red("torch.quantile({0}, {q}, interpolation='{interp}')", params=p_q)],
    "torch.Tensor.quantile": [red("{0}.quantile({q})", params=p_q)],
    "torch.norm": [red("torch.norm({0})"), red("torch.norm({0}, p={p})", params=p_norm_p_torch)],
    "torch.Tensor.norm": [red("{0}.norm(p={p})", params=p_norm_p_torch)],
    "torch.linalg.norm": [red("torch.linalg.norm({0})"), red("torch.linalg.norm({0}, ord={ord})",
                                                            params=p_norm_ord_torch)],
    "torch.linalg.vector_norm": [red("torch.linalg.vector_norm({0})"),
                                 red("torch.linalg.vector_norm({0}, ord={ord})", params=p_norm_ord_torch)],
    "torch.dist": [red("torch.dist({0}, {1})", 2), red("torch.dist({0}, {1}, p={p})", 2, params=p_dist_p)],
    # pooling
    "torch.nn.functional.max_pool1d": [vec("F.max_pool1d({0}.unsqueeze(0), {k}, stride={s}, padding={p}).squeeze(0)",
                                           params=p_pool1d)],
    "torch.nn.MaxPool1d": [vec("torch.nn.MaxPool1d({k}, stride={s}, padding={p})({0}.unsqueeze(0)).squeeze(0)",
                               params=p_pool1d)],
    "torch.nn.functional.adaptive_max_pool1d": [vec("F.adaptive_max_pool1d({0}.unsqueeze(0), {o}).squeeze(0)",
                                                    params=p_adaptive1d)],
    "torch.nn.AdaptiveMaxPool1d": [vec("torch.nn.AdaptiveMaxPool1d({o})({0}.unsqueeze(0)).squeeze(0)",
                                       params=p_adaptive1d)],
    "torch.nn.functional.max_pool2d": [mat("F.max_pool2d({0}.unsqueeze(0), {k}, stride={s}, padding={p}).squeeze(0)",
                                           "m", p_pool2d)],
    "torch.nn.MaxPool2d": [mat("torch.nn.MaxPool2d({k}, stride={s}, padding={p})({0}.unsqueeze(0)).squeeze(0)",
                               "m", p_pool2d)],
    "torch.nn.functional.adaptive_max_pool2d": [mat("F.adaptive_max_pool2d({0}.unsqueeze(0), ({oh}, {ow})).squeeze(0)",
                                                    "m", p_adaptive2d)],
    "torch.nn.AdaptiveMaxPool2d": [mat("torch.nn.AdaptiveMaxPool2d(({oh}, {ow}))({0}.unsqueeze(0)).squeeze(0)",
                                       "m", p_adaptive2d)],
    # 3-D pooling of a (1, 1, r, c) volume: windows (1, k, k)
    "torch.nn.functional.max_pool3d": [mat("F.max_pool3d({0}[None, None], (1, {k}, {k}), stride=(1, {s}, {s}), "
                                           "padding=(0, {p}, {p}))[0, 0]", "m", p_pool2d)],
    "torch.nn.MaxPool3d": [mat("torch.nn.MaxPool3d((1, {k}, {k}), stride=(1, {s}, {s}), padding=(0, {p}, {p}))"
                               "({0}[None, None])[0, 0]", "m", p_pool2d)],
    "torch.nn.functional.adaptive_max_pool3d": [mat("F.adaptive_max_pool3d({0}[None, None], (1, {oh}, {ow}))[0, 0]",
                                                    "m", p_adaptive2d)],
    "torch.nn.AdaptiveMaxPool3d": [mat("torch.nn.AdaptiveMaxPool3d((1, {oh}, {ow}))({0}[None, None])[0, 0]",
                                       "m", p_adaptive2d)],
    # smooth (on arguments where they are defined and finite)
    "torch.exp": [sm("torch.exp(torch.tanh({0}))"), sm("torch.exp(-{0} * {0})"),
                  sm("torch.exp(torch.clamp({0}, -3.0, 3.0))")],
    "torch.Tensor.exp": [sm("torch.sin({0}).exp()")],
    "torch.log": [sm("torch.log(1.0 + {0} * {0})"), sm("torch.log(1.0 + torch.relu({0}))")],
    "torch.Tensor.log": [sm("(2.0 + torch.tanh({0})).log()")],
    "torch.sqrt": [sm("torch.sqrt(1.0 + {0} * {0})"), sm("torch.sqrt(1.0 + torch.relu({0}))")],
    "torch.Tensor.sqrt": [sm("(1.0 + torch.abs({0})).sqrt()")],
    "torch.sin": [sm("torch.sin({0})")],
    "torch.Tensor.sin": [sm("{0}.sin()")],
    "torch.cos": [sm("torch.cos({0})")],
    "torch.Tensor.cos": [sm("{0}.cos()")],
    "torch.tanh": [sm("torch.tanh({0})")],
    "torch.Tensor.tanh": [sm("{0}.tanh()")],
    "torch.log1p": [sm("torch.log1p({0} * {0})"), sm("torch.log1p(torch.relu({0}))")],
    "torch.Tensor.log1p": [sm("({0} * {0}).log1p()")],
    "torch.expm1": [sm("torch.expm1(torch.tanh({0}))")],
    "torch.Tensor.expm1": [sm("torch.sin({0}).expm1()")],
    "torch.sigmoid": [sm("torch.sigmoid({0})")],
    "torch.erf": [sm("torch.erf({0})")],
    "torch.special.erf": [sm("torch.special.erf({0})")],
    "torch.Tensor.erf": [sm("{0}.erf()")],
    "torch.erfc": [sm("torch.erfc({0})")],
    "torch.special.erfc": [sm("torch.special.erfc({0})")],
    "torch.Tensor.erfc": [sm("{0}.erfc()")],
    "torch.xlogy": [sm("torch.xlogy({0}, 1.0 + {1} * {1})", 2)],
    "torch.special.xlogy": [sm("torch.special.xlogy({0}, torch.exp(torch.clamp({1}, -3.0, 3.0)))", 2)],
    "torch.Tensor.xlogy": [sm("{0}.xlogy(1.0 + torch.abs({1}))", 2)],
    "torch.Tensor.sigmoid": [sm("{0}.sigmoid()")],
    "torch.nn.functional.sigmoid": [sm("F.sigmoid({0})")],
    "torch.square": [sm("torch.square({0})")],
    "torch.add": [sm("torch.add({0}, {1})", 2)],
    "torch.sub": [sm("torch.sub({0}, {1})", 2)],
    "torch.subtract": [sm("torch.subtract({0}, {1})", 2)],
    "torch.mul": [sm("torch.mul({0}, {1})", 2)],
    "torch.multiply": [sm("torch.multiply({0}, {1})", 2)],
    "torch.div": [sm("torch.div({0}, 1.0 + {1} * {1})", 2), sm("torch.div({0}, 4.0)")],
    "torch.true_divide": [sm("torch.true_divide({0}, 2.0 + torch.abs({1}))", 2)],
    "torch.neg": [sm("torch.neg({0})")],
    "torch.negative": [sm("torch.negative({0})")],
}

JAX = {
    "jax.nn.relu": [ew("jax.nn.relu({0})")],
    "jax.nn.relu6": [ew("jax.nn.relu6({0})")],
    "jax.nn.leaky_relu": [ew("jax.nn.leaky_relu({0})"), ew("jax.nn.leaky_relu({0}, {slope})", params=p_slope),
                          ew("jax.nn.leaky_relu({0}, negative_slope={slope})", params=p_slope)],
    "jax.nn.elu": [ew("jax.nn.elu({0})"), ew("jax.nn.elu({0}, {alpha})", params=p_alpha)],
    "jax.nn.selu": [ew("jax.nn.selu({0})")],
    "jax.nn.celu": [ew("jax.nn.celu({0})"), ew("jax.nn.celu({0}, {alpha})", params=p_alpha)],
    "jax.nn.hard_tanh": [ew("jax.nn.hard_tanh({0})")],
    "jax.nn.hard_sigmoid": [ew("jax.nn.hard_sigmoid({0})")],
    "jax.nn.hard_swish": [ew("jax.nn.hard_swish({0})")],
    "jax.nn.hard_silu": [ew("jax.nn.hard_silu({0})")],
    "jax.numpy.abs": [ew("jnp.abs({0})")],
    "jax.numpy.absolute": [ew("jnp.absolute({0})")],
    "jax.lax.abs": [ew("lax.abs({0})")],
    "jax.numpy.sign": [ew("{0} * jnp.sign({0})"), ew("jnp.sign({0})")],
    "jax.lax.sign": [ew("{1} * lax.sign({0})", 2)],
    "jax.numpy.clip": [ew("jnp.clip({0}, {lo}, {hi})", params=p_bounds), ew("jnp.clip({0}, {1}, {2})", 3),
                       ew("jnp.clip({0}, min={1})", 2), ew("jnp.clip({0}, max={1})", 2)],
    "jax.lax.clamp": [ew("lax.clamp({lo}, {0}, {hi})", params=p_proper_bounds), ew("lax.clamp({1}, {0}, {2})", 3)],
    "jax.numpy.maximum": [ew("jnp.maximum({0}, {1})", 2)],
    "jax.numpy.minimum": [ew("jnp.minimum({0}, {1})", 2)],
    "jax.lax.max": [ew("lax.max({0}, {1})", 2, same=True)],
    "jax.lax.min": [ew("lax.min({0}, {1})", 2, same=True)],
    "jax.numpy.fmax": [ew("jnp.fmax({0}, {1})", 2)],
    "jax.numpy.fmin": [ew("jnp.fmin({0}, {1})", 2)],
    "jax.numpy.max": [red("jnp.max({0})"), red("jnp.max({0}, axis=0)"), red("jnp.max({0}, initial={c})", params=p_const),
                      mat("jnp.max({0}, axis={d})", "v", p_dim_v), mat("jnp.max({0})", "s")],
    "jax.numpy.min": [red("jnp.min({0})"), mat("jnp.min({0}, axis={d})", "v", p_dim_v)],
    "jax.numpy.amax": [red("jnp.amax({0})")],
    "jax.numpy.amin": [red("jnp.amin({0})"), red("jnp.amin({0}, initial={c})", params=p_const)],
    "jax.Array.max": [red("{0}.max()"), mat("{0}.max(axis={d})", "v", p_dim_v)],
    "jax.Array.min": [red("{0}.min()")],
    "jax.lax.reduce_max": [red("lax.reduce_max({0}, (0,))"), mat("lax.reduce_max({0}, ({d},))", "v", p_dim_v)],
    "jax.lax.reduce_min": [red("lax.reduce_min({0}, (0,))")],
    "jax.numpy.argmax": [red("{0}[jnp.argmax({0})]"), red("{1}[jnp.argmax({0})]", 2)],
    "jax.Array.argmax": [red("{0}[{0}.argmax()]")],
    "jax.numpy.argmin": [red("{0}[jnp.argmin({0})]"), red("{1}[jnp.argmin({0})]", 2)],
    "jax.Array.argmin": [red("{0}[{0}.argmin()]")],
    "jax.numpy.take_along_axis": [mat("jnp.take_along_axis({0}, jnp.argmax({0}, axis=1, keepdims=True), axis=1)[:, 0]",
                                      "v", p_rows)],
    "jax.lax.top_k": [vec("lax.top_k({0}, {k})[0]", params=p_topk), red("lax.top_k({0}, {k})[0][{j}]", params=p_topk)],
    "jax.numpy.sort": [vec("jnp.sort({0})"), vec("jnp.sort({0}, descending=True)"),
                       red("jnp.sort({0})[{j}]", params=p_index)],
    "jax.numpy.median": [red("jnp.median({0})")],
    "jax.numpy.nanmedian": [red("jnp.nanmedian({0})")],
    "jax.numpy.quantile": [red("jnp.quantile({0}, {q})", params=p_q),
                           red("jnp.quantile({0}, {q}, method='{interp}')", params=p_q)],
    "jax.numpy.percentile": [red("jnp.percentile({0}, {pct})", params=p_pct),
                             red("jnp.percentile({0}, {pct}, method='{interp}')", params=p_pct)],
    "jax.numpy.linalg.norm": [red("jnp.linalg.norm({0})"), red("jnp.linalg.norm({0}, ord={ord})",
                                                              params=p_norm_ord_jax)],
    "jax.numpy.linalg.vector_norm": [red("jnp.linalg.vector_norm({0}, ord={ord})", params=p_norm_ord_jax)],
    "jax.lax.reduce_window": [vec("lax.reduce_window({0}, -jnp.inf, lax.max, {win}, {strides}, '{pad}')",
                                  params=p_window_jax),
                              mat("lax.reduce_window({0}, -jnp.inf, lax.max, {win}, {strides}, '{pad}')", "m",
                                  p_window_jax)],
    "jax.numpy.where": [ew("jnp.where({0} {cmp} {1}, {2}, {3})", 4, params=p_cmp),
                        ew("jnp.where({0} {cmp} {1}, {0}, {1})", 2, params=p_cmp)],
    "jax.nn.sigmoid": [sm("jax.nn.sigmoid({0})")],
    "jax.scipy.special.erf": [sm("jax.scipy.special.erf({0})")],
    "jax.lax.erf": [sm("jax.lax.erf({0})")],
    "jax.scipy.special.erfc": [sm("jax.scipy.special.erfc({0})")],
    "jax.lax.erfc": [sm("jax.lax.erfc({0})")],
    "jax.scipy.special.xlogy": [sm("jax.scipy.special.xlogy({0}, 1.0 + {1} * {1})", 2)],
    "jax.nn.tanh": [sm("jax.nn.tanh({0})")],
    "jax.numpy.tanh": [sm("jnp.tanh({0})")],
    "jax.numpy.exp": [sm("jnp.exp(jnp.tanh({0}))"), sm("jnp.exp(-{0} * {0})")],
    "jax.numpy.expm1": [sm("jnp.expm1(jnp.sin({0}))")],
    "jax.numpy.log": [sm("jnp.log(1.0 + {0} * {0})"), sm("jnp.log(1.0 + jax.nn.relu({0}))")],
    "jax.numpy.log1p": [sm("jnp.log1p({0} * {0})")],
    "jax.numpy.sqrt": [sm("jnp.sqrt(1.0 + {0} * {0})"), sm("jnp.sqrt(1.0 + jax.nn.relu({0}))")],
    "jax.numpy.sin": [sm("jnp.sin({0})")],
    "jax.numpy.cos": [sm("jnp.cos({0})")],
    "jax.numpy.square": [sm("jnp.square({0})")],
    "jax.numpy.add": [sm("jnp.add({0}, {1})", 2)],
    "jax.numpy.subtract": [sm("jnp.subtract({0}, {1})", 2)],
    "jax.numpy.multiply": [sm("jnp.multiply({0}, {1})", 2)],
    "jax.numpy.divide": [sm("jnp.divide({0}, 1.0 + {1} * {1})", 2)],
    "jax.numpy.true_divide": [sm("jnp.true_divide({0}, 2.0 + jnp.abs({1}))", 2)],
    "jax.numpy.negative": [sm("jnp.negative({0})")],
}

TF = {
    "tensorflow.nn.relu": [ew("tf.nn.relu({0})")],
    "keras.activations.relu": [ew("keras.activations.relu({0})")],
    "tensorflow.nn.relu6": [ew("tf.nn.relu6({0})")],
    "keras.activations.relu6": [ew("keras.activations.relu6({0})")],
    "tensorflow.nn.leaky_relu": [ew("tf.nn.leaky_relu({0})"), ew("tf.nn.leaky_relu({0}, alpha={slope})",
                                                                 params=p_slope32)],
    "tensorflow.nn.elu": [ew("tf.nn.elu({0})")],
    "tensorflow.nn.selu": [ew("tf.nn.selu({0})")],
    "keras.activations.hard_sigmoid": [ew("keras.activations.hard_sigmoid({0})")],
    "keras.activations.hard_silu": [ew("keras.activations.hard_silu({0})")],
    "keras.activations.hard_swish": [ew("keras.activations.hard_swish({0})")],
    "tensorflow.abs": [ew("tf.abs({0})")],
    "tensorflow.math.abs": [ew("tf.math.abs({0})")],
    "tensorflow.sign": [ew("{0} * tf.sign({0})"), ew("tf.sign({0})")],
    "tensorflow.math.sign": [ew("{1} * tf.math.sign({0})", 2)],
    "tensorflow.clip_by_value": [ew("tf.clip_by_value({0}, {lo}, {hi})", params=p_proper_bounds),
                                 ew("tf.clip_by_value({0}, {1}, {2})", 3)],
    "tensorflow.maximum": [ew("tf.maximum({0}, {1})", 2)],
    "tensorflow.math.maximum": [ew("tf.math.maximum({0}, {1})", 2)],
    "tensorflow.minimum": [ew("tf.minimum({0}, {1})", 2)],
    "tensorflow.math.minimum": [ew("tf.math.minimum({0}, {1})", 2)],
    "tensorflow.reduce_max": [red("tf.reduce_max({0})"), red("tf.reduce_max({0}, axis=0)"),
                              mat("tf.reduce_max({0}, axis={d})", "v", p_dim_v), mat("tf.reduce_max({0})", "s")],
    "tensorflow.math.reduce_max": [red("tf.math.reduce_max({0})")],
    "tensorflow.reduce_min": [red("tf.reduce_min({0})"), mat("tf.reduce_min({0}, axis={d})", "v", p_dim_v)],
    "tensorflow.math.reduce_min": [red("tf.math.reduce_min({0}, axis=0)")],
    "tensorflow.argmax": [red("tf.gather({0}, tf.argmax({0}))"), red("tf.gather({1}, tf.argmax({0}))", 2)],
    "tensorflow.math.argmax": [red("tf.gather({0}, tf.math.argmax({0}))")],
    "tensorflow.argmin": [red("tf.gather({0}, tf.argmin({0}))")],
    "tensorflow.math.argmin": [red("tf.gather({1}, tf.math.argmin({0}))", 2)],
    "tensorflow.gather": [red("tf.gather({1}, tf.argmin({0}))", 2), red("{0}[tf.argmax({0})]")],
    "tensorflow.math.top_k": [vec("tf.math.top_k({0}, {k}).values", params=p_topk),
                              red("tf.math.top_k({0}, {k}).values[{j}]", params=p_topk)],
    "tensorflow.nn.top_k": [vec("tf.nn.top_k({0}, {k})[0]", params=p_topk)],
    "tensorflow.sort": [vec("tf.sort({0})"), vec("tf.sort({0}, direction='DESCENDING')"),
                        red("tf.sort({0})[{j}]", params=p_index)],
    "tensorflow.norm": [red("tf.norm({0})"), red("tf.norm({0}, ord={ord})", params=p_norm_ord_tf)],
    "tensorflow.linalg.norm": [red("tf.linalg.norm({0}, ord={ord})", params=p_norm_ord_tf)],
    "tensorflow.nn.max_pool1d": [vec("tf.reshape(tf.nn.max_pool1d(tf.reshape({0}, [1, {n}, 1]), {k}, {s}, '{pad}'), [-1])",
                                     params=p_pool1d_tf)],
    "tensorflow.nn.max_pool2d": [mat("tf.reshape(tf.nn.max_pool2d(tf.reshape({0}, [1, {r}, {c}, 1]), {k}, {s}, "
                                     "'{pad}'), [{r2}, {c2}])", "m", p_pool2d_tf)],
    "tensorflow.where": [ew("tf.where({0} {cmp} {1}, {2}, {3})", 4, params=p_cmp, same=True),
                         ew("tf.where({0} {cmp} {1}, {0}, {1})", 2, params=p_cmp, same=True)],
    "tensorflow.sigmoid": [sm("tf.sigmoid({0})")],
    "tensorflow.math.erf": [sm("tf.math.erf({0})")],
    "tensorflow.math.erfc": [sm("tf.math.erfc({0})")],
    "tensorflow.math.sigmoid": [sm("tf.math.sigmoid({0})")],
    "tensorflow.nn.sigmoid": [sm("tf.nn.sigmoid({0})")],
    "tensorflow.tanh": [sm("tf.tanh({0})")],
    "tensorflow.math.tanh": [sm("tf.math.tanh({0})")],
    "tensorflow.nn.tanh": [sm("tf.nn.tanh({0})")],
    "tensorflow.exp": [sm("tf.exp(tf.tanh({0}))"), sm("tf.exp(-{0} * {0})")],
    "tensorflow.math.exp": [sm("tf.math.exp(tf.sin({0}))")],
    "tensorflow.math.expm1": [sm("tf.math.expm1(tf.tanh({0}))")],
    "tensorflow.math.log": [sm("tf.math.log(1.0 + {0} * {0})"), sm("tf.math.log(1.0 + tf.nn.relu({0}))")],
    "tensorflow.math.log1p": [sm("tf.math.log1p({0} * {0})")],
    "tensorflow.sqrt": [sm("tf.sqrt(1.0 + {0} * {0})"), sm("tf.sqrt(1.0 + tf.nn.relu({0}))")],
    "tensorflow.math.sqrt": [sm("tf.math.sqrt(2.0 + tf.sin({0}))")],
    "tensorflow.sin": [sm("tf.sin({0})")],
    "tensorflow.math.sin": [sm("tf.math.sin({0})")],
    "tensorflow.cos": [sm("tf.cos({0})")],
    "tensorflow.math.cos": [sm("tf.math.cos({0})")],
    "tensorflow.square": [sm("tf.square({0})")],
    "tensorflow.math.square": [sm("tf.math.square({0})")],
    "tensorflow.add": [sm("tf.add({0}, {1})", 2)],
    "tensorflow.math.add": [sm("tf.math.add({0}, {1})", 2)],
    "tensorflow.subtract": [sm("tf.subtract({0}, {1})", 2)],
    "tensorflow.math.subtract": [sm("tf.math.subtract({0}, {1})", 2)],
    "tensorflow.multiply": [sm("tf.multiply({0}, {1})", 2)],
    "tensorflow.math.multiply": [sm("tf.math.multiply({0}, {1})", 2)],
    "tensorflow.divide": [sm("tf.divide({0}, 1.0 + {1} * {1})", 2)],
    "tensorflow.math.divide": [sm("tf.math.divide({0}, 2.0 + tf.abs({1}))", 2)],
    "tensorflow.truediv": [sm("tf.truediv({0}, 1.0 + {1} * {1})", 2)],
    "tensorflow.negative": [sm("tf.negative({0})")],
    "tensorflow.math.negative": [sm("tf.math.negative({0})")],
}


def _shared(fw: str) -> dict:
    """Python's own functions on the framework's tensors (framework-neutral calls)."""
    return {
        "builtins.max": [py("max({0}, {1})", 2), py("max({0}, {1}, {2})", 3), red("max({0})")],
        "builtins.min": [py("min({0}, {1})", 2), py("min({0}, {1}, {2})", 3), red("min({0})")],
        "builtins.sorted": [red("sorted({0})[{j}]", params=p_index), py("sorted([{0}, {1}, {2}])[1]", 3),
                            red("sorted({0}, reverse=True)[{j}]", params=p_index)],
        "operator.add": [sm("operator.add({0}, {1})", 2)],
        "operator.sub": [sm("operator.sub({0}, {1})", 2)],
        "operator.mul": [sm("operator.mul({0}, {1})", 2)],
        "operator.truediv": [sm("operator.truediv({0}, 2.0)")],
        "operator.neg": [sm("operator.neg({0})")],
    }


#: Per framework, every registered call the generator writes, with how to call it.
TEMPLATES = {"torch": {**TORCH, **_shared("torch")}, "jax": {**JAX, **_shared("jax")},
             "tensorflow": {**TF, **_shared("tensorflow")}}

_NUMPY_REASON = ("in an imported file numpy.* runs NumPy itself: torch refuses tensors that require grad, jax "
                 "tracers leave the trace, tensorflow returns NumPy arrays; pwverify reads np.* as the framework's "
                 "op, which only an expression program (crosscheck's namespace) means")
_MATH_REASON = ("math.* on a tensor converts it to a Python float (torch, tensorflow: the gradient is cut; jax "
                "raises under tracing): a detaching construct, generated with Options(detach=True) for torch and "
                "tensorflow")
#: Registered calls the generator does not write, with the reason.
DETACHING = ("generated only by the detaching constructs (generate(..., detach=True)), so that plain "
             "programs never detach")
EXCLUDED = {
    "torch": {
        "torch.detach": DETACHING,
        "torch.Tensor.detach": DETACHING,
        "torch.mode": "pwverify refuses it on purpose: torch.mode takes the last index of the mode",
        "torch.cummax": "pwverify refuses it on purpose: cummax takes the last index at a tie",
    },
    "jax": {"jax.lax.stop_gradient": DETACHING},
    "tensorflow": {"tensorflow.stop_gradient": DETACHING},
    None: {},
}


def _fill_excluded():
    from pwverify.primitives import registry
    for name, call in registry.all_calls().items():
        if call.framework is None and name.startswith("numpy."):
            EXCLUDED[None][name] = _NUMPY_REASON
        elif call.framework is None and name.startswith("scipy."):
            EXCLUDED[None][name] = _NUMPY_REASON.replace("numpy.*", "scipy.*").replace("NumPy itself", "SciPy itself")
        elif call.framework is None and name.startswith("math."):
            EXCLUDED[None][name] = _MATH_REASON
        elif name.startswith("numpy_on_torch."):
            EXCLUDED["torch"][name] = ("numpy's spelling read under the torch profile (np.median, np.sort, ...): "
                                       "generated programs write torch; tests/torch_cases.py checks it")


try:
    _fill_excluded()
except ImportError:  # pragma: no cover - pwverify always importable in its own tests
    pass


def coverage_gaps(framework: str) -> list[str]:
    """Registered calls of ``framework`` (and framework-neutral ones) that reach a
    primitive, with neither a template nor an exclusion reason; empty when the tables
    are complete."""
    from pwverify.primitives import registry
    gaps = []
    for name, call in registry.all_calls().items():
        if call.framework not in (framework, None) or not call.primitive:
            continue  # structural calls (reshape, stack, layers) are read by the reading tests
        if name in TEMPLATES[framework] or name in EXCLUDED[framework] or name in EXCLUDED[None]:
            continue
        gaps.append(name)
    return sorted(gaps)


# -- the generator ---------------------------------------------------------------------------------
_ATOM = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^\[\]]*\])?$")


def _fmt(x: float) -> str:
    return repr(float(x))


class _Scope:
    def __init__(self, scalars=(), vectors=None, matrices=None, recent=()):
        self.scalars = list(scalars)
        self.vectors = dict(vectors or {})
        self.matrices = dict(matrices or {})
        self.recent = list(recent)       # names assigned in the function, newest last

    def copy(self) -> "_Scope":
        return _Scope(self.scalars, self.vectors, self.matrices, self.recent)

    def add(self, name: str, typ: tuple) -> None:
        if typ == S:
            self.scalars.append(name)
        elif typ[0] == "v":
            self.vectors[name] = typ[1]
        else:
            self.matrices[name] = (typ[1], typ[2])
        self.recent.append(name)

    def typeof(self, name: str) -> tuple | None:
        if name in self.scalars:
            return S
        if name in self.vectors:
            return V(self.vectors[name])
        if name in self.matrices:
            return M(*self.matrices[name])
        return None


class _Block:
    def __init__(self, indent: int):
        self.indent = indent
        self.lines: list[str] = []

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.indent + line)


class _Gen:
    def __init__(self, framework: str, rng: random.Random, options: Options, focus: str | None = None):
        if framework not in FRAMEWORKS:
            raise ValueError(f"framework must be one of {FRAMEWORKS}")
        self.focus = focus
        self.fw = framework
        self.d = DIALECTS[framework]
        self.rng = rng
        self.o = options
        self.calls: set[str] = set()
        self.constructs: set[str] = set()
        self.detached = False
        self.counter = 0
        self.helpers: list[tuple[str, tuple, list[str]]] = []   # (name, argument types, source lines)
        table = TEMPLATES[framework]
        self.by_kind: dict[str, list[tuple[str, T]]] = {}
        for name, templates in table.items():
            if name in options.exclude:
                continue
            for t in templates:
                kind = self._kind(t)
                self.by_kind.setdefault(kind, []).append((name, t))
        self.call_names = {k: sorted({n for n, _ in v}) for k, v in self.by_kind.items()}
        #: two-argument functions that can be passed by name (functools.reduce)
        self.binary_fns = sorted({(n, t.form.split("(")[0]) for k in ("kink", "smooth") for n, t in self.by_kind[k]
                                  if re.match(r"^[\w.]+\(\{0\}, \{1\}\)$", t.form)})

    @staticmethod
    def _kind(t: T) -> str:
        if t.sig[0] == "e":
            return "smooth" if t.smooth else "kink"
        if t.sig[0] == "s":
            return "py"
        if t.sig[0] == "v":
            return "red" if t.out == "s" else "vec"
        return {"s": "m2s", "v": "m2v", "m": "m2m"}[t.out]

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    # -- choosing templates -------------------------------------------------------------------------
    def template(self, kind: str, operand: tuple | None = None) -> tuple[str, T, dict] | None:
        names = self.call_names.get(kind)
        if not names:
            return None
        for attempt in range(8):
            name = self.rng.choice(names)
            if attempt < 2 and self.focus in names and self.rng.random() < 0.4:
                name = self.focus
            options = [t for n, t in self.by_kind[kind] if n == name]
            t = self.rng.choice(options)
            params = {}
            if t.params is not None:
                params = t.params(self.rng, operand)
                if params is None:
                    continue
            return name, t, params
        return None

    # -- expressions --------------------------------------------------------------------------------
    def hoist(self, code: str, typ: tuple, ctx) -> str:
        """A name for ``code`` when it is used more than once (inline when there is no block)."""
        if _ATOM.match(code) or ctx is None:
            return _wrap(code)
        block, scope = ctx
        name = self.fresh({"s": "t", "v": "v", "m": "m"}[typ[0]])
        block.emit(f"{name} = {code}")
        return name

    def apply(self, name: str, t: T, params: dict, operands: list[tuple[str, tuple]], ctx) -> str:
        codes = []
        for i, (code, typ) in enumerate(operands):
            uses = t.form.count("{" + str(i) + "}")
            codes.append(self.hoist(code, typ, ctx) if uses > 1 else _wrap(code))
        self.calls.add(name)
        fields = {k: (_fmt(v) if isinstance(v, float) else v) for k, v in params.items() if not k.startswith("_")}
        return _wrap(t.form.format(*codes, **fields))

    def leaf(self, typ: tuple, scope: _Scope, ctx) -> str:
        rng = self.rng
        if typ == S:
            choices = []
            recent = [n for n in scope.recent[-4:] if n in scope.scalars]
            choices += [("name", n) for n in scope.scalars] + [("name", n) for n in recent] * 2
            choices += [("vi", n) for n in scope.vectors]
            choices += [("mi", n) for n in scope.matrices]
            if not choices:
                raise RuntimeError("no input in scope")
            kind, name = rng.choice(choices)
            if kind == "name":
                return name
            if kind == "vi":
                n = scope.vectors[name]
                i = rng.randrange(n)
                return f"{name}[{i - n if rng.random() < 0.2 else i}]"
            r, c = scope.matrices[name]
            i, j = rng.randrange(r), rng.randrange(c)
            self.constructs.add("index2d")
            return f"{name}[{i}, {j}]" if self.fw != "tensorflow" or rng.random() < 0.5 else f"{name}[{i}][{j}]"
        if typ[0] == "v":
            n = typ[1]
            names = [v for v, m in scope.vectors.items() if m == n]
            if names and rng.random() < 0.85:
                return rng.choice(names)
            longer = [(v, m) for v, m in scope.vectors.items() if m > n]
            if longer and rng.random() < 0.6:
                v, m = rng.choice(longer)
                self.constructs.add("slice")
                start = rng.randint(0, m - n)
                if n > 1 and m >= 2 * n - 1 and rng.random() < 0.3:
                    return f"{v}[::2]" if (m + 1) // 2 == n else f"{v}[{start}:{start + n}]"
                return f"{v}[{start}:{start + n}]" if start + n < m or start == 0 else f"{v}[{start}:]"
            self.constructs.add("stack")
            return self.d.stack.format("[" + ", ".join(self.expr(S, scope, 0, ctx) for _ in range(n)) + "]")
        r, c = typ[1], typ[2]
        names = [m for m, sh in scope.matrices.items() if sh == (r, c)]
        if names and rng.random() < 0.8:
            return rng.choice(names)
        self.constructs.add("stack")
        if rng.random() < 0.8:   # entries stacked, then reshaped
            self.constructs.add("reshape")
            flat = self.d.stack.format("[" + ", ".join(self.expr(S, scope, 0, ctx) for _ in range(r * c)) + "]")
            return self.d.reshape.format(flat, str((r, c)) if self.fw != "tensorflow" else str([r, c]))
        return self.d.stack.format("[" + ", ".join(self.expr(V(c), scope, 0, ctx) for _ in range(r)) + "]")

    def any_vector(self, scope: _Scope, depth: int, ctx) -> tuple[str, tuple]:
        """A vector expression of whatever length suits."""
        lengths = list(scope.vectors.values()) or [self.rng.choice(self.o.lengths)]
        if depth > 0 and self.rng.random() < 0.35:
            kind = self.rng.choice(["vec", "vec", "m2v", "slice", "cat", "comp"] if scope.matrices
                                   else ["vec", "vec", "slice", "cat", "comp"])
            got = self.vector_op(kind, scope, depth, ctx)
            if got is not None:
                return got
        n = self.rng.choice(lengths)
        return self.expr(V(n), scope, depth, ctx), V(n)

    def any_matrix(self, scope: _Scope, depth: int, ctx) -> tuple[str, tuple]:
        rng = self.rng
        if scope.matrices and rng.random() < 0.6:
            name = rng.choice(list(scope.matrices))
            typ = M(*scope.matrices[name])
            if depth > 0 and rng.random() < 0.4:
                return self.expr(typ, scope, depth, ctx), typ
            return name, typ
        fours = [v for v, n in scope.vectors.items() if n in (4, 6)]
        if fours and rng.random() < 0.5:
            v = rng.choice(fours)
            n = scope.vectors[v]
            shape = (2, n // 2)
            self.constructs.add("reshape")
            return self.d.reshape.format(v, str(shape) if self.fw != "tensorflow" else str(list(shape))), M(*shape)
        c = rng.choice(self.o.lengths)
        return self.leaf(M(2, c), scope, ctx), M(2, c)

    def vector_op(self, kind: str, scope: _Scope, depth: int, ctx) -> tuple[str, tuple] | None:
        rng = self.rng
        if kind == "vec":
            code, typ = self.any_vector(scope, depth - 1, ctx)
            got = self.template("vec", typ)
            if got is None:
                return code, typ
            name, t, params = got
            operands = [(code, typ)] + [(self.expr(typ, scope, depth - 1, ctx), typ) for _ in t.sig[1:]]
            return self.apply(name, t, params, operands, ctx), params.get("_out", typ)
        if kind == "m2v":
            code, typ = self.any_matrix(scope, depth - 1, ctx)
            got = self.template("m2v", typ)
            if got is None:
                return f"{_wrap(code)}[0]", V(typ[2])
            name, t, params = got
            return self.apply(name, t, params, [(code, typ)], ctx), params["_out"]
        if kind == "slice":
            vs = [(v, n) for v, n in scope.vectors.items() if n >= 2]
            if not vs:
                return None
            v, n = rng.choice(vs)
            self.constructs.add("slice")
            lo = rng.randint(0, n - 1)
            hi = rng.randint(lo + 1, n)
            form = rng.choice([f"{v}[{lo}:{hi}]", f"{v}[{lo}:]", f"{v}[:{hi}]", f"{v}[::2]", f"{v}[:-1]"])
            length = len(range(n)[_slice(form[len(v):])])
            return form, V(length)
        if kind == "cat":
            (a, ta), (b, tb) = self.any_vector(scope, depth - 1, ctx), self.any_vector(scope, depth - 1, ctx)
            if ta[1] + tb[1] > 6:
                return a, ta
            self.constructs.add("cat")
            return self.d.cat.format(f"[{a}, {b}]"), V(ta[1] + tb[1])
        if kind == "comp":
            vs = list(scope.vectors.items())
            if not vs:
                return None
            v, n = rng.choice(vs)
            inner = scope.copy()
            inner.scalars = inner.scalars + ["e"]
            inner.recent = inner.recent + ["e"]
            body = self.expr(S, inner, max(0, depth - 1), None)
            self.constructs.add("listcomp")
            return self.d.stack.format(f"[{body} for e in {v}]"), V(n)
        return None

    def expr(self, typ: tuple, scope: _Scope, depth: int, ctx) -> str:
        rng = self.rng
        if depth <= 0 or rng.random() < 0.18:
            return self.leaf(typ, scope, ctx)
        if typ == S:
            return self.scalar_expr(scope, depth, ctx)
        if typ[0] == "v":
            return self.vector_expr(typ, scope, depth, ctx)
        return self.matrix_expr(typ, scope, depth, ctx)

    def elementwise(self, typ: tuple, scope: _Scope, depth: int, ctx, smooth: bool) -> str | None:
        got = self.template("smooth" if smooth else "kink")
        if got is None:
            return None
        name, t, params = got
        operands = [(self.expr(typ, scope, depth - 1, ctx), typ)]
        for _ in t.sig[1:]:
            other = typ if t.same or typ == S or rng_bool(self.rng, 0.6) else S
            operands.append((self.expr(other, scope, depth - 1, ctx), other))
        return self.apply(name, t, params, operands, ctx)

    def arith(self, typ: tuple, scope: _Scope, depth: int, ctx) -> str:
        rng = self.rng
        a = self.expr(typ, scope, depth - 1, ctx)
        other = typ if typ == S or rng.random() < 0.6 else S
        form = rng.choice(["+", "-", "c*", "c*", "*", "neg", "/c", "**2", "div", "+c"])
        self.constructs.add("arith")
        if form in ("+", "-"):
            return f"({a} {form} {self.expr(other, scope, depth - 1, ctx)})"
        if form == "c*":
            return f"({_fmt(rng.choice([2.0, -1.0, 0.5, 3.0, -2.0]))} * {a})"
        if form == "*":
            return f"({a} * {self.expr(other, scope, max(0, depth - 2), ctx)})"
        if form == "neg":
            return f"(-{a})"
        if form == "/c":
            return f"({a} / {_fmt(rng.choice([2.0, 4.0, -2.0]))})"
        if form == "**2":
            return f"({a} ** {rng.choice([2, 3])})"
        if form == "+c":
            return f"({a} + {_fmt(rng.choice([1.0, -1.0, 0.5, -2.0]))})"
        b = self.expr(other, scope, max(0, depth - 2), ctx)
        b = _wrap(b)
        return f"({a} / (1.0 + {b} * {b}))"

    def cond(self, scope: _Scope, depth: int, ctx) -> str:
        rng = self.rng
        op = rng.choice([">", ">=", "<", "<=", ">", "<"] + (["=="] if rng.random() < 0.1 else []))
        a = self.expr(S, scope, depth, ctx)
        b = self.expr(S, scope, max(0, depth - 1), ctx) if rng.random() < 0.7 else \
            _fmt(rng.choice([0.0, 1.0, -1.0, 0.5]))
        text = f"{a} {op} {b}"
        roll = rng.random()
        if roll < 0.12:
            self.constructs.add("boolop")
            c = self.expr(S, scope, 0, ctx)
            d = self.expr(S, scope, 0, ctx)
            return f"{text} {rng.choice(['and', 'or'])} {c} {rng.choice(['>', '<=', '>='])} {d}"
        if roll < 0.17:
            self.constructs.add("not")
            return f"not ({text})"
        return text

    def scalar_expr(self, scope: _Scope, depth: int, ctx) -> str:
        rng = self.rng
        kinds = ["arith"] * 16 + ["kink"] * 16 + ["red"] * 14 + ["smooth"] * 5 + ["ifexp"] * 4 + ["py"] * 6 + \
                ["fold"] * 3 + ["sum"] * 3 + ["helper"] * 3 + ["builtin_abs"]
        if scope.matrices:
            kinds += ["m2s"] * 3
        if self.o.detach:
            kinds += ["detach"] * 14
        kind = rng.choice(kinds)
        if kind == "arith":
            return self.arith(S, scope, depth, ctx)
        if kind in ("kink", "smooth"):
            got = self.elementwise(S, scope, depth, ctx, kind == "smooth")
            return got if got is not None else self.arith(S, scope, depth, ctx)
        if kind == "red":
            code, typ = self.any_vector(scope, depth - 1, ctx)
            got = self.template("red", typ)
            if got is None:
                self.constructs.add("weighted")
                return self.weighted_sum(code, typ)
            name, t, params = got
            operands = [(code, typ)] + [(self.expr(typ, scope, depth - 1, ctx), typ) for _ in t.sig[1:]]
            return self.apply(name, t, params, operands, ctx)
        if kind == "m2s":
            code, typ = self.any_matrix(scope, depth - 1, ctx)
            got = self.template("m2s", typ)
            if got is None or rng.random() < 0.3:
                self.constructs.add("weighted")
                return self.weighted_sum(code, typ)
            name, t, params = got
            return self.apply(name, t, params, [(code, typ)], ctx)
        if kind == "py":
            got = self.template("py")
            name, t, params = got
            operands = [(self.expr(S, scope, depth - 1, ctx), S) for _ in t.sig]
            return self.apply(name, t, params, operands, ctx)
        if kind == "ifexp":
            self.constructs.add("ifexp")
            return f"({self.expr(S, scope, depth - 1, ctx)} if {self.cond(scope, 0, ctx)} " \
                   f"else {self.expr(S, scope, depth - 1, ctx)})"
        if kind == "fold":
            return self.fold(scope, depth, ctx)
        if kind == "sum":
            return self.comprehension_sum(scope, depth, ctx)
        if kind == "helper":
            return self.helper_call(scope, depth, ctx)
        if kind == "builtin_abs":
            self.constructs.add("builtin_abs")
            return f"abs({self.expr(S, scope, depth - 1, ctx)})"
        return self.detach_expr(S, scope, depth, ctx)

    def focus_expr(self, scope: _Scope, ctx) -> str:
        """A scalar expression calling the focused function (a template of it, at random)."""
        rng = self.rng
        options = [(k, t) for k, pairs in self.by_kind.items() for n, t in pairs if n == self.focus]
        kind, t = rng.choice(options)
        depth = max(1, self.o.depth - 1)
        if kind in ("kink", "smooth"):
            typ = S if rng.random() < 0.6 or not scope.vectors else V(rng.choice(list(scope.vectors.values())))
            operand = None
        elif kind == "py":
            typ = operand = S
        elif kind in ("red", "vec"):
            code, typ = self.any_vector(scope, depth, ctx)
            operand = typ
        else:
            code, typ = self.any_matrix(scope, depth, ctx)
            operand = typ
        params = {}
        if t.params is not None:
            params = t.params(rng, operand)
            if params is None:
                return self.expr(S, scope, depth, ctx)
        if kind in ("kink", "smooth"):
            operands = [(self.expr(typ, scope, depth, ctx), typ)]
            operands += [(self.expr(typ if t.same or rng.random() < 0.6 else S, scope, depth, ctx),
                          typ) for _ in t.sig[1:]]
        elif kind == "py":
            operands = [(self.expr(S, scope, depth, ctx), S) for _ in t.sig]
        else:
            operands = [(code, typ)] + [(self.expr(typ, scope, depth, ctx), typ) for _ in t.sig[1:]]
        code = self.apply(self.focus, t, params, operands, ctx)
        out = params.get("_out", typ) if t.out != "s" else S
        if t.out == "e":
            out = typ
        return code if out == S else self.weighted_sum(code, out)

    def weighted_sum(self, code: str, typ: tuple) -> str:
        rng = self.rng
        code = _wrap(code)
        if typ[0] == "v":
            if rng.random() < 0.3:
                return self.d.sum.format(code) if rng.random() < 0.7 else self.d.mean.format(code)
            ws = [_fmt(rng.choice([1.0, 2.0, 3.0, -1.0, 0.5, 4.0])) for _ in range(typ[1])]
            return self.d.sum.format(f"({code} * {self.d.weights.format('[' + ', '.join(ws) + ']')})")
        if rng.random() < 0.4:
            return self.d.sum.format(code)
        rows = ["[" + ", ".join(_fmt(rng.choice([1.0, 2.0, -1.0, 3.0])) for _ in range(typ[2])) + "]"
                for _ in range(typ[1])]
        return self.d.sum.format(f"({code} * {self.d.weights.format('[' + ', '.join(rows) + ']')})")

    def fold(self, scope: _Scope, depth: int, ctx) -> str:
        rng = self.rng
        self.constructs.add("reduce")
        roll = rng.random()
        if roll < 0.4:
            u, v = "u", "w"
            inner = _Scope(scalars=[u, v], recent=[u, v])
            body = self.expr(S, inner, 1, None)
            fn = f"lambda {u}, {v}: {body}"
            self.constructs.add("lambda")
        elif roll < 0.8:
            name, fn = rng.choice(self.binary_fns)
            self.calls.add(name)
        else:
            fn = rng.choice(["max", "min", "operator.add", "operator.mul"])
            self.calls.add({"max": "builtins.max", "min": "builtins.min", "operator.add": "operator.add",
                            "operator.mul": "operator.mul"}[fn])
        if scope.vectors and rng.random() < 0.4:
            v = rng.choice(list(scope.vectors))
            return f"functools.reduce({fn}, {v})"
        items = [self.expr(S, scope, max(0, depth - 1), ctx) for _ in range(rng.randint(2, 4))]
        return f"functools.reduce({fn}, [{', '.join(items)}])"

    def comprehension_sum(self, scope: _Scope, depth: int, ctx) -> str:
        rng = self.rng
        vs = list(scope.vectors.items())
        if not vs:
            return self.arith(S, scope, depth, ctx)
        v, n = rng.choice(vs)
        inner = scope.copy()
        roll = rng.random()
        if roll < 0.4:
            inner.scalars = inner.scalars + ["e"]
            inner.recent = inner.recent + ["e", "e"]
            body = self.expr(S, inner, max(1, depth - 1), None)
            self.constructs.add("listcomp")
            return f"sum([{body} for e in {v}])"
        if roll < 0.7:
            inner.scalars = inner.scalars + [f"{v}[i]"]
            inner.recent = inner.recent + [f"{v}[i]", f"{v}[i]"]
            body = self.expr(S, inner, max(1, depth - 1), None)
            self.constructs.add("genexp")
            return f"sum((i + 1.0) * {_wrap(body)} " \
                   f"for i in range({n}))"
        others = [w for w, m in scope.vectors.items() if m == n]
        w = rng.choice(others)
        self.constructs.add("zip")
        inner.scalars = inner.scalars + ["p", "q"]
        inner.recent = inner.recent + ["p", "q"]
        body = self.expr(S, inner, 1, None)
        return f"sum({body} for p, q in zip({v}, {w}))"

    def helper_call(self, scope: _Scope, depth: int, ctx) -> str:
        rng = self.rng
        if not self.helpers or rng.random() < 0.4:
            self.make_helper(rng.choice([(S, S), (S,), ("vec",)]) if scope.vectors else (S, S))
        name, types, _ = rng.choice(self.helpers)
        self.constructs.add("helper")
        args = []
        for t in types:
            if t == S:
                args.append(self.expr(S, scope, depth - 1, ctx))
            else:
                vs = [v for v, m in scope.vectors.items() if m == t[1]]
                args.append(rng.choice(vs) if vs else self.leaf(t, scope, ctx))
        return f"{name}({', '.join(args)})"

    def make_helper(self, types: tuple) -> None:
        rng = self.rng
        name = self.fresh("h")
        params = ["u", "w"][:len(types)] if types[0] == S else ["z"]
        if types[0] == "vec":
            n = rng.choice(self.o.lengths)
            types = (V(n),)
            scope = _Scope(vectors={"z": n}, recent=["z"])
        else:
            scope = _Scope(scalars=params, recent=list(params))
        block = _Block(1)
        body_scope = scope.copy()
        if rng.random() < 0.5:
            # an if with an early return, or a nested if assigning one name
            c = self.cond(body_scope, 0, (block, body_scope))
            if rng.random() < 0.5:
                block.emit(f"if {c}:")
                inner = _Block(2)
                inner.emit(f"return {self.expr(S, body_scope.copy(), 1, (inner, body_scope.copy()))}")
                block.lines += inner.lines
                self.constructs.add("early_return")
            else:
                r = self.fresh("r")
                block.emit(f"if {c}:")
                inner = _Block(2)
                inner.emit(f"{r} = {self.expr(S, body_scope.copy(), 1, (inner, body_scope.copy()))}")
                block.lines += inner.lines
                block.emit("else:")
                inner = _Block(2)
                inner.emit(f"{r} = {self.expr(S, body_scope.copy(), 1, (inner, body_scope.copy()))}")
                block.lines += inner.lines
                body_scope.add(r, S)
            self.constructs.add("if")
        block.emit(f"return {self.expr(S, body_scope, 2, (block, body_scope))}")
        lines = [f"def {name}({', '.join(params)}):"] + block.lines
        self.helpers.append((name, types, lines))

    def detach_expr(self, typ: tuple, scope: _Scope, depth: int, ctx) -> str:
        forms = [f for f in self.d.detach if typ == S or not f.startswith("s:")]
        form = self.rng.choice(forms)
        form = form[2:] if form.startswith("s:") else form
        operand = self.expr(typ, scope, depth - 1, ctx)
        operand = _wrap(operand)
        self.detached = True
        self.constructs.add("detach")
        if form.startswith("math."):
            self.calls.add(form.split("(")[0])
        return form.format(operand)

    def vector_expr(self, typ: tuple, scope: _Scope, depth: int, ctx) -> str:
        rng = self.rng
        n = typ[1]
        kinds = ["kink"] * 10 + ["arith"] * 8 + ["keep"] * 5 + ["smooth"] * 2 + ["weights"] * 3 + ["comp"] * 2 + \
                ["ifexp"]
        if self.o.detach:
            kinds += ["detach"]
        kind = rng.choice(kinds)
        if kind in ("kink", "smooth"):
            got = self.elementwise(typ, scope, depth, ctx, kind == "smooth")
            if got is not None:
                return got
        if kind == "keep":
            # sort-like templates keep the length when k = n
            got = self.template("vec", typ)
            if got is not None and got[2].get("_out", typ) == typ:
                name, t, params = got
                operands = [(self.expr(typ, scope, depth - 1, ctx), typ)] + \
                           [(self.expr(typ, scope, depth - 1, ctx), typ) for _ in t.sig[1:]]
                return self.apply(name, t, params, operands, ctx)
        if kind == "weights":
            ws = [_fmt(rng.choice([1.0, 2.0, 3.0, -1.0, 0.5])) for _ in range(n)]
            a = self.expr(typ, scope, depth - 1, ctx)
            return f"({a} * {self.d.weights.format('[' + ', '.join(ws) + ']')})"
        if kind == "comp":
            vs = [v for v, m in scope.vectors.items() if m == n]
            if vs:
                got = None
                v = rng.choice(vs)
                inner = scope.copy()
                inner.scalars = inner.scalars + ["e"]
                inner.recent = inner.recent + ["e", "e"]
                self.constructs.add("listcomp")
                return self.d.stack.format(f"[{self.expr(S, inner, max(1, depth - 1), None)} for e in {v}]")
        if kind == "ifexp":
            self.constructs.add("ifexp")
            return f"({self.expr(typ, scope, depth - 1, ctx)} if {self.cond(scope, 0, ctx)} " \
                   f"else {self.expr(typ, scope, depth - 1, ctx)})"
        if kind == "detach":
            return self.detach_expr(typ, scope, depth, ctx)
        return self.arith(typ, scope, depth, ctx)

    def matrix_expr(self, typ: tuple, scope: _Scope, depth: int, ctx) -> str:
        rng = self.rng
        if rng.random() < 0.7:
            got = self.elementwise(typ, scope, depth, ctx, rng.random() < 0.2)
            if got is not None:
                return got
        return self.arith(typ, scope, depth, ctx)

    # -- statements ---------------------------------------------------------------------------------
    def statement(self, block: _Block, scope: _Scope, out: tuple) -> None:
        rng = self.rng
        ctx = (block, scope)
        depth = self.o.depth
        kinds = ["assign_s"] * 10 + ["assign_v"] * 5 + ["if"] * 6 + ["return_if"] * 2 + ["loop_acc"] * 3 + \
                ["loop_max"] * 2 + ["loop_iter"] * 2 + ["loop_append"] * 2 + ["while"] + ["list_item"] + \
                ["nested_def"]
        if scope.matrices or scope.vectors:
            kinds += ["assign_m"]
        if self.o.detach and self.fw == "torch":
            kinds += ["no_grad"] * 2
        kind = rng.choice(kinds)
        vs = list(scope.vectors.items())
        if kind in ("loop_acc", "loop_max", "loop_iter", "loop_append", "while") and not vs:
            kind = "assign_s"
        if kind == "assign_s":
            name = self.fresh("t")
            block.emit(f"{name} = {self.expr(S, scope, depth, ctx)}")
            scope.add(name, S)
        elif kind == "assign_v":
            name = self.fresh("v")
            code, typ = self.any_vector(scope, depth, ctx)
            block.emit(f"{name} = {code}")
            scope.add(name, typ)
        elif kind == "assign_m":
            name = self.fresh("m")
            code, typ = self.any_matrix(scope, depth, ctx)
            got = self.template("m2m", typ) if rng.random() < 0.6 else None
            if got is not None:
                tname, t, params = got
                code, typ = self.apply(tname, t, params, [(code, typ)], ctx), params["_out"]
            block.emit(f"{name} = {code}")
            scope.add(name, typ)
        elif kind == "if":
            self.if_statement(block, scope, depth)
        elif kind == "return_if":
            self.constructs.add("early_return")
            c = self.cond(scope, depth - 1, ctx)
            block.emit(f"if {c}:")
            inner = _Block(block.indent + 1)
            inner_scope = scope.copy()
            inner.emit(f"return {self.output(out, inner_scope, (inner, inner_scope))}")
            block.lines += inner.lines
        elif kind == "loop_acc":
            v, n = rng.choice(vs)
            acc = self.fresh("acc")
            lo = rng.randint(0, 1)
            init = f"{v}[0]" if lo == 1 else self.expr(S, scope, 1, ctx)
            block.emit(f"{acc} = {init}")
            block.emit(f"for i in range({lo}, {n}):" if lo else f"for i in range({n}):")
            inner = _Block(block.indent + 1)
            inner_scope = scope.copy()
            inner_scope.scalars += [f"{v}[i]"]
            inner_scope.recent += [f"{v}[i]", f"{v}[i]"]
            if rng.random() < 0.15:
                inner.emit(f"if i == {rng.randrange(n)}:")
                inner.emit(f"    {rng.choice(['continue', 'break'])}")
                self.constructs.add("break_continue")
            inner.emit(f"{acc} = {self.combine(acc, inner_scope, (inner, inner_scope))}")
            block.lines += inner.lines
            self.constructs.add("for")
            scope.add(acc, S)
        elif kind == "loop_max":
            v, n = rng.choice(vs)
            best = self.fresh("best")
            block.emit(f"{best} = {v}[0]")
            block.emit(f"for i in range(1, {n}):")
            op = rng.choice([">", ">=", "<", "<="])
            block.emit(f"    if {v}[i] {op} {best}:")
            inner_scope = scope.copy()
            inner_scope.scalars += [f"{v}[i]"]
            value = f"{v}[i]" if rng.random() < 0.6 else self.expr(S, inner_scope, 1, None)
            block.emit(f"        {best} = {value}")
            self.constructs.update({"for", "if"})
            scope.add(best, S)
        elif kind == "loop_iter":
            v, n = rng.choice(vs)
            acc = self.fresh("acc")
            block.emit(f"{acc} = {self.expr(S, scope, 1, ctx)}")
            enum = rng.random() < 0.3
            block.emit(f"for k, e in enumerate({v}):" if enum else f"for e in {v}:")
            inner = _Block(block.indent + 1)
            inner_scope = scope.copy()
            inner_scope.scalars += ["e"]
            inner_scope.recent += ["e", "e"]
            if enum or rng.random() < 0.6:
                term = self.expr(S, inner_scope, 1, (inner, inner_scope))
                if enum:
                    self.constructs.add("enumerate")
                    term = f"(k + 1) * {_wrap(term)}"
                inner.emit(f"{acc} = {acc} + {term}")
            else:
                inner.emit(f"{acc} = {self.combine(acc, inner_scope, (inner, inner_scope))}")
            block.lines += inner.lines
            self.constructs.update({"for", "iterate_tensor"})
            scope.add(acc, S)
        elif kind == "loop_append":
            v, n = rng.choice(vs)
            vals = self.fresh("vals")
            block.emit(f"{vals} = []")
            block.emit(f"for i in range({n}):")
            inner = _Block(block.indent + 1)
            inner_scope = scope.copy()
            inner_scope.scalars += [f"{v}[i]"]
            inner_scope.recent += [f"{v}[i]", f"{v}[i]"]
            inner.emit(f"{vals}.append({self.expr(S, inner_scope, 1, (inner, inner_scope))})")
            block.lines += inner.lines
            name = self.fresh("v")
            block.emit(f"{name} = {self.d.stack.format(vals)}")
            self.constructs.update({"for", "append"})
            scope.add(name, V(n))
        elif kind == "while":
            v, n = rng.choice(vs)
            acc = self.fresh("acc")
            block.emit(f"{acc} = {self.expr(S, scope, 1, ctx)}")
            block.emit("j = 0")
            block.emit(f"while j < {n}:")
            inner = _Block(block.indent + 1)
            inner_scope = scope.copy()
            inner_scope.scalars += [f"{v}[j]"]
            inner_scope.recent += [f"{v}[j]", f"{v}[j]"]
            inner.emit(f"{acc} = {self.combine(acc, inner_scope, (inner, inner_scope))}")
            inner.emit("j += 1")
            block.lines += inner.lines
            self.constructs.add("while")
            scope.add(acc, S)
        elif kind == "list_item":
            items = self.fresh("items")
            k = rng.randint(2, 4)
            block.emit(f"{items} = [{', '.join(self.expr(S, scope, 0, ctx) for _ in range(k))}]")
            i, j = rng.randrange(k), rng.randrange(k)
            inner_scope = scope.copy()
            inner_scope.scalars += [f"{items}[{i}]", f"{items}[{j}]"]
            inner_scope.recent += [f"{items}[{i}]", f"{items}[{j}]"]
            block.emit(f"{items}[{i}] = {self.combine(f'{items}[{j}]', inner_scope, ctx)}")
            name = self.fresh("t")
            fold = rng.choice(["sum({})", "max({})", "min({})", "sorted({})[0]",
                               f"{self.d.maximum}({{0}}[0], {{0}}[-1])"])
            if "{0}" in fold:
                block.emit(f"{name} = {fold.format(items)}")
                self.calls.add({"torch": "torch.maximum", "jax": "jax.numpy.maximum",
                                "tensorflow": "tensorflow.maximum"}[self.fw])
            else:
                block.emit(f"{name} = {fold.format(items)}")
            self.constructs.add("list_item")
            scope.add(name, S)
        elif kind == "nested_def":
            inner_name = self.fresh("g")
            block.emit(f"def {inner_name}(u):")
            inner_scope = scope.copy()
            inner_scope.scalars += ["u"]
            inner_scope.recent += ["u", "u"]
            body = _Block(block.indent + 1)
            body.emit(f"return {self.expr(S, inner_scope, 1, (body, inner_scope))}")
            block.lines += body.lines
            name = self.fresh("t")
            block.emit(f"{name} = {inner_name}({self.expr(S, scope, 1, ctx)}) + {inner_name}({self.leaf(S, scope, ctx)})")
            self.constructs.add("nested_def")
            scope.add(name, S)
        elif kind == "no_grad":
            name = self.fresh("t")
            block.emit("with torch.no_grad():")
            inner = _Block(block.indent + 1)
            inner_scope = scope.copy()
            inner.emit(f"{name} = {self.expr(S, inner_scope, depth, (inner, inner_scope))}")
            block.lines += inner.lines
            self.detached = True
            self.constructs.update({"detach", "no_grad"})
            scope.add(name, S)

    def combine(self, acc: str, scope: _Scope, ctx) -> str:
        """A binary step of a loop: ``acc`` with an expression of the loop's element."""
        rng = self.rng
        other = self.expr(S, scope, 1, ctx)
        roll = rng.random()
        if roll < 0.45:
            got = self.template("kink")
            for _ in range(10):
                if got is not None and got[1].sig == "ee":
                    name, t, params = got
                    return self.apply(name, t, params, [(acc, S), (other, S)], ctx)
                got = self.template("kink")
        if roll < 0.7:
            fn = rng.choice(["max", "min"])
            self.calls.add(f"builtins.{fn}")
            return f"{fn}({acc}, {other})"
        return f"({acc} {rng.choice(['+', '-'])} {other})"

    def if_statement(self, block: _Block, scope: _Scope, depth: int) -> None:
        rng = self.rng
        ctx = (block, scope)
        targets = []
        for _ in range(1 if rng.random() < 0.8 else 2):
            if scope.vectors and rng.random() < 0.25:
                n = rng.choice(list(scope.vectors.values()))
                targets.append((self.fresh("v"), V(n)))
            else:
                targets.append((self.fresh("t"), S))
        conds = [self.cond(scope, depth - 1, ctx)]
        if rng.random() < 0.3:
            conds.append(self.cond(scope, depth - 1, ctx))
            self.constructs.add("elif")
        for k, c in enumerate(conds):
            block.emit(f"{'if' if k == 0 else 'elif'} {c}:")
            self.branch(block, scope, targets, depth)
        block.emit("else:")
        self.branch(block, scope, targets, depth)
        for name, typ in targets:
            scope.add(name, typ)
        self.constructs.add("if")

    def branch(self, block: _Block, scope: _Scope, targets, depth: int) -> None:
        inner = _Block(block.indent + 1)
        inner_scope = scope.copy()
        if self.rng.random() < 0.2:
            self.if_statement(inner, inner_scope, max(1, depth - 1))   # a nested if
        for name, typ in targets:
            inner.emit(f"{name} = {self.expr(typ, inner_scope, depth, (inner, inner_scope))}")
        block.lines += inner.lines

    def output(self, out: tuple, scope: _Scope, ctx) -> str:
        """The returned value: most variables computed so far, combined."""
        rng = self.rng
        if out == S:
            recent = [n for n in scope.recent if n in scope.scalars and not n.endswith("]")]
            terms = [self.expr(S, scope, self.o.depth, ctx)]
            for n in recent[-4:]:
                if rng.random() < 0.8:
                    terms.append(n if rng.random() < 0.6 else f"{_fmt(rng.choice([2.0, -1.0, 3.0, 0.5]))} * {n}")
            vecs = [v for v in scope.recent if v in scope.vectors]
            for v in vecs[-2:]:
                if rng.random() < 0.6:
                    terms.append(self.weighted_sum(v, V(scope.vectors[v])))
            return " + ".join(terms)
        code = self.expr(out, scope, self.o.depth, ctx)
        recent = [n for n in scope.recent if n in scope.scalars and not n.endswith("]")]
        return f"{_wrap(code)} + {recent[-1]}" if recent and rng.random() < 0.8 else code

    def program(self) -> tuple[str, dict]:
        rng = self.rng
        n = rng.choice(self.o.lengths)
        if rng.random() < self.o.long:
            n = rng.choice((17, 18, 20))
        inputs: dict[str, tuple] = {}
        if rng.random() < 0.9:
            inputs["x"] = (n,)
        inputs["a"] = ()
        if rng.random() < 0.75:
            inputs["b"] = ()
        if rng.random() < 0.25:
            inputs["c"] = ()
        if rng.random() < self.o.matrix:
            inputs["X"] = (2, 3)
        order = list(inputs)
        rng.shuffle(order)
        inputs = {k: inputs[k] for k in order}
        scope = _Scope()
        for name, shape in inputs.items():
            scope.add(name, S if not shape else V(shape[0]) if len(shape) == 1 else M(*shape))
        scope.recent = []
        block = _Block(1)
        lo, hi = self.o.statements
        if rng.random() < self.o.vector_output and scope.vectors:
            out = V(rng.choice(list(scope.vectors.values())))
        else:
            out = S
        for _ in range(rng.randint(lo, hi)):
            self.statement(block, scope, out)
        ctx = (block, scope)
        if self.focus and self.focus not in self.calls:
            name = self.fresh("t")
            block.emit(f"{name} = {self.focus_expr(scope, ctx)}")
            scope.add(name, S)
        if out != S:
            self.constructs.add("vector_output")
        block.emit(f"return {self.output(out, scope, ctx)}")

        def annotation(shape):
            if not shape:
                return "float"
            return '"float[' + ", ".join(map(str, shape)) + ']"'

        signature = ", ".join(f"{k}: {annotation(s)}" for k, s in inputs.items())
        parts = ["\n".join(self.d.imports), ""]
        for _, _, lines in self.helpers:
            parts += ["", "\n".join(lines), ""]
        parts += ["", f"def f({signature}):", "\n".join(block.lines), ""]
        return "\n".join(parts), inputs


def _is_primary(code: str) -> bool:
    """Is ``code`` one primary expression (a name, a call chain, a parenthesised form)?"""
    depth = 0
    quote = None
    for ch in code:
        if quote:
            quote = None if ch == quote else quote
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and (ch.isspace() or ch in "+-*/%<>=!&|~,:@"):
            return False
    return True


def _wrap(code: str) -> str:
    return code if _is_primary(code) else f"({code})"


def _slice(text: str) -> slice:
    inner = text.strip()[1:-1]
    parts = [int(p) if p.strip() else None for p in inner.split(":")]
    return slice(*parts)


def rng_bool(rng: random.Random, p: float) -> bool:
    return rng.random() < p


def generate(framework: str, seed: int, options: Options | None = None) -> GeneratedProgram:
    """The program of ``seed`` for ``framework`` (the same source for the same arguments).

    >>> p = generate("jax", 3)
    >>> p.framework, "def f(" in p.source, "import jax.numpy as jnp" in p.source
    ('jax', True, True)
    """
    options = options or Options()
    focus = options.focus
    if focus == "cycle":
        names = sorted(n for n in TEMPLATES[framework] if n not in options.exclude)
        focus = None if seed % 3 == 2 else names[(seed - seed // 3) % len(names)]
    gen = _Gen(framework, random.Random(f"{framework}:{seed}:{options}"), options, focus)
    source, inputs = gen.program()
    return GeneratedProgram(framework, seed, source, inputs, tuple(sorted(gen.calls)), tuple(sorted(gen.constructs)),
                            gen.detached)


__all__ = ["EXCLUDED", "FRAMEWORKS", "GeneratedProgram", "Options", "T", "TEMPLATES", "coverage_gaps", "generate"]
