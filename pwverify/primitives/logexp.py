"""Smooth log-exp compositions: softplus, silu, mish, gelu, log-sigmoid,
softsign, glu, softmax, log_softmax and logsumexp, composed of ``exp``, ``log``, ``log1p``, ``tanh``, ``sigmoid``
and sums, so every engine reads them through those primitives.

Each framework's gradient of these is the exact derivative of the formula (their
backward kernels are written from the output: softmax's ``y * (g - sum(g * y))``), so the
composition predicts it exactly. What the kernels add for floating point changes no real
number, with one exception that is a selection and is modelled as one:

* torch's ``softplus(x, beta, threshold)`` is ``x`` where ``beta * x > threshold`` (value
  and gradient 1), else ``log1p(exp(beta * x)) / beta`` (ATen's softplus kernel and its
  backward both test ``x * beta > threshold``).

Softmax and its relatives subtract the maximum inside the kernels only to avoid
overflow; the result is the same real number, so pwverify composes ``exp(x) / sum(exp(x))``
without the maximum (no spurious tie among the largest entries). The numeric engine
evaluates that formula in float64, where entries above about 709 overflow.

``gelu`` has two forms. The tanh form (torch ``approximate='tanh'``, jax's default
``approximate=True``) is a tanh of a cubic. The erf form (torch's and tensorflow's default)
is ``x/2 (1 + erf(c x))``, with ``c`` the constant the framework writes for ``1/sqrt(2)``
(torch ``M_SQRT1_2``; jax ``erfc(-x * np.sqrt(0.5))``, the same real function); its
gradient is the derivative of that formula (ATen's ``GeluBackward`` computes
``cdf + x * pdf`` from it). tensorflow rounds its gelu constants to float32 even in
float64, and pwverify uses those roundings.

>>> import pwverify
>>> pwverify.parse("torch.nn.functional.softplus(x, beta=2, threshold=1)").gradient_at({"x": 1})
[[1]]
"""

from __future__ import annotations

from fractions import Fraction

from ..ir.values import Array, Cond, ShapeError, Sym, broadcast_to
from .activations import _module_call
from .conventions import resolve_name
from .registry import Call, Signature, add_call
from .structural import _dim_of, _dims_arg, _keepdim_of, sum_along

_TORCH_F = "torch.nn.functional"


def _add(names: dict, signature: str, build) -> None:
    for framework, spelled in names.items():
        for name in spelled:
            add_call(Call(name, framework, Signature.parse(signature), build))


def _exp_sum(b, x, dim, keep):
    return sum_along(b, b.map("exp", x), _dims_arg(b, x, dim) if dim is not None else None, keep)


def log1p_exp(b, x):
    """``log(1 + exp(x))`` (softplus) from the ``exp`` and ``log1p`` primitives."""
    return b.map("log1p", b.map("exp", x))


# -- softplus ------------------------------------------------------------------------------
def _softplus_torch(b, bd):
    x, beta, threshold = b.to_array(bd["input"]), b.exact(bd["beta"]), b.exact(bd["threshold"])
    if beta == 0:
        b.fail("softplus with beta=0 divides by zero", "beta > 0")
    scaled = b.arith("*", x, beta)
    smooth = b.arith("/", log1p_exp(b, scaled), beta)
    return b.call_name("torch.where", [b.compare(">", scaled, threshold), x, smooth])


def _softplus(b, bd):
    return log1p_exp(b, bd["input"])


_add({"torch": [f"{_TORCH_F}.softplus"]}, "input, beta=1, threshold=20", _softplus_torch)
add_call(_module_call("torch.nn.Softplus", "torch", _softplus_torch, "beta=1.0, threshold=20.0"))
_add({"jax": ["jax.nn.softplus"], "tensorflow": ["tensorflow.nn.softplus", "tensorflow.math.softplus",
                                                 "keras.activations.softplus"]}, "x:input, name=None", _softplus)


# -- silu, mish, gelu ----------------------------------------------------------------------
def _silu(b, bd):
    x = bd["input"]
    return b.arith("*", x, b.map("sigmoid", x))


def _swish_beta(b, bd):
    """``x * sigmoid(beta * x)`` (tensorflow's ``silu``/``swish``)."""
    x = bd["input"]
    return b.arith("*", x, b.map("sigmoid", b.arith("*", bd["beta"], x)))


def _mish(b, bd):
    x = bd["input"]
    return b.arith("*", x, b.map("tanh", log1p_exp(b, x)))


#: sqrt(2 / pi) as the three frameworks write it in float64 (they round the same constant)
_SQRT_2_OVER_PI = Fraction(0.7978845608028654)
#: 1/sqrt(2) as torch (M_SQRT1_2) and jax (np.sqrt(0.5)) write it in float64
_SQRT_HALF = Fraction(0.7071067811865476)
#: tensorflow's gelu casts its constants with ``math_ops.cast(0.7071067811865476, dtype)``:
#: a Python float becomes a float32 tensor first, so in float64 the constants are the
#: float32 roundings (tf.nn.gelu(-1.0) in float64 is -0.15865525807260966, not
#: -0.15865525393145702; measured on tensorflow 2.21)
_TF_SQRT_HALF = Fraction(0.7071067690849304)           # float32(0.7071067811865476)
_TF_KAPPA = Fraction(0.044714998453855515)              # float32(0.044715)


def _gelu_tanh(b, x, kappa=Fraction(0.044715)):
    """``0.5 x (1 + tanh(sqrt(2/pi) (x + kappa x^3)))``, kappa = 0.044715."""
    cube = b.arith("*", b.arith("*", x, x), x)
    inner = b.arith("*", _SQRT_2_OVER_PI, b.arith("+", x, b.arith("*", kappa, cube)))
    return b.arith("*", b.arith("*", Fraction(1, 2), x), b.arith("+", 1, b.map("tanh", inner)))


def _gelu_erf(b, x, sqrt_half=_SQRT_HALF):
    """``0.5 x (1 + erf(x sqrt_half))``, sqrt_half = 1/sqrt(2) (``erfc(-y)`` is ``1 + erf(y)``)."""
    cdf = b.arith("+", 1, b.map("erf", b.arith("*", x, sqrt_half)))
    return b.arith("*", b.arith("*", Fraction(1, 2), x), cdf)


def _gelu_torch(b, bd):
    approximate = bd.get("approximate")
    if approximate not in ("none", "tanh"):
        b.fail(f"torch gelu's approximate must be 'none' or 'tanh', not {approximate!r}",
               "F.gelu(x) or F.gelu(x, approximate='tanh')")
    return (_gelu_tanh if approximate == "tanh" else _gelu_erf)(b, bd["input"])


def _approximate_flag(b, bd) -> bool:
    approximate = bd.get("approximate")
    if not isinstance(approximate, bool):
        b.fail(f"gelu's approximate must be True or False here, not {approximate!r}",
               "gelu(x, approximate=True) or gelu(x, approximate=False)")
    return approximate


def _gelu_jax(b, bd):
    return (_gelu_tanh if _approximate_flag(b, bd) else _gelu_erf)(b, bd["input"])


def _gelu_tf(b, bd):
    if _approximate_flag(b, bd):
        return _gelu_tanh(b, bd["input"], kappa=_TF_KAPPA)
    return _gelu_erf(b, bd["input"], sqrt_half=_TF_SQRT_HALF)


_add({"torch": [f"{_TORCH_F}.silu"]}, "input, inplace=False", _silu)
_add({"jax": ["jax.nn.silu", "jax.nn.swish"], "tensorflow": ["keras.activations.silu", "keras.activations.swish"]},
     "x:input", _silu)
_add({"tensorflow": ["tensorflow.nn.silu", "tensorflow.nn.swish"]}, "features:input, beta=1.0", _swish_beta)
add_call(_module_call("torch.nn.SiLU", "torch", _silu, "inplace=False"))
_add({"torch": [f"{_TORCH_F}.mish"]}, "input, inplace=False", _mish)
_add({"jax": ["jax.nn.mish"], "tensorflow": ["keras.activations.mish"]}, "x:input", _mish)
add_call(_module_call("torch.nn.Mish", "torch", _mish, "inplace=False"))
_add({"torch": [f"{_TORCH_F}.gelu"]}, "input, approximate='none'", _gelu_torch)
add_call(_module_call("torch.nn.GELU", "torch", _gelu_torch, "approximate='none'"))
_add({"jax": ["jax.nn.gelu"]}, "x:input, approximate=True", _gelu_jax)
_add({"tensorflow": ["tensorflow.nn.gelu"]}, "features:input, approximate=False, name=None", _gelu_tf)
_add({"tensorflow": ["keras.activations.gelu"]}, "x:input, approximate=False", _gelu_tf)


# -- log_sigmoid, softsign, glu ------------------------------------------------------------
def _log_sigmoid(b, bd):
    """``-softplus(-x)``: every framework's log-sigmoid, whose derivative is ``sigmoid(-x)``."""
    return b.arith("-", 0, log1p_exp(b, b.arith("-", 0, bd["input"])))


def _softsign(b, bd):
    """``x / (1 + |x|)``, with the profile's ``abs`` (torch and jax compose it so; at 0 the
    tie of abs is multiplied by x = 0, so every rule gives the derivative 1 there)."""
    x = bd["input"]
    return b.arith("/", x, b.arith("+", 1, b.call_name(resolve_name("builtins.abs", b.profile.framework), [x])))


def _glu(b, bd):
    """``a * sigmoid(b)`` for the two halves ``a, b`` of ``dim``."""
    x = b.to_array(bd["input"])
    dim = _dim_of(bd, -1)
    halves = b.sequence(b.call_name("torch.chunk", [x, 2], {"dim": dim}))
    if len(halves) != 2 or halves[0].shape != halves[1].shape:
        b.fail(f"glu: dim {dim} of shape {x.shape} does not split into two halves", "an even size along dim")
    return b.arith("*", halves[0], b.map("sigmoid", halves[1]))


_add({"torch": [f"{_TORCH_F}.logsigmoid"]}, "input", _log_sigmoid)
_add({"jax": ["jax.nn.log_sigmoid"], "tensorflow": ["tensorflow.math.log_sigmoid"]}, "x:input, name=None",
     _log_sigmoid)
add_call(_module_call("torch.nn.LogSigmoid", "torch", _log_sigmoid))
_add({"torch": [f"{_TORCH_F}.softsign"]}, "input", _softsign)
_add({"jax": ["jax.nn.soft_sign"],
      "tensorflow": ["tensorflow.nn.softsign", "tensorflow.math.softsign", "keras.activations.softsign"]},
     "x:input, name=None", _softsign)
add_call(_module_call("torch.nn.Softsign", "torch", _softsign))
_add({"torch": ["torch.special.expit"]}, "input", lambda b, bd: b.map("sigmoid", bd["input"]))
_add({"torch": [f"{_TORCH_F}.glu"]}, "input, dim=-1", _glu)
add_call(_module_call("torch.nn.GLU", "torch", _glu, "dim=-1"))


# -- softmax, log_softmax, logsumexp -------------------------------------------------------
def _torch_dim(b, bd, x):
    """torch's implicit softmax dim (deprecated, still honoured): 0 for 0-, 1- and 3-d input, else 1."""
    dim = _dim_of(bd, None)
    if dim is None:
        dim = 0 if x.ndim in (0, 1, 3) else 1
    return dim


def _softmax_along(b, x, dim):
    if x.ndim == 0:
        return b.arith("/", b.map("exp", x), b.map("exp", x))
    return b.arith("/", b.map("exp", x), _exp_sum(b, x, dim, True))


def _log_softmax_along(b, x, dim):
    if x.ndim == 0:
        return b.arith("-", x, x)
    return b.arith("-", x, b.map("log", _exp_sum(b, x, dim, True)))


def _softmax(log: bool, torch_default: bool):
    def build(b, bd):
        x = b.to_array(bd["input"])
        dim = _torch_dim(b, bd, x) if torch_default else _dim_of(bd, -1)
        return (_log_softmax_along if log else _softmax_along)(b, x, dim)
    return build


def _logsumexp(b, bd):
    x = b.to_array(bd["input"])
    if bd.get("b") is not None or bd.get("return_sign") or bd.get("where") is not None:
        b.fail("logsumexp with b=, return_sign= or where= is not supported", "logsumexp(x, axis)")
    if x.ndim == 0:
        return x
    return b.map("log", _exp_sum(b, x, _dim_of(bd, None), _keepdim_of(bd)))


_SOFTMAX_TORCH = "input, dim=None, _stacklevel=3, dtype=None"
for _log, _stem in ((False, "softmax"), (True, "log_softmax")):
    _add({"torch": [f"{_TORCH_F}.{_stem}", f"torch.{_stem}", f"torch.Tensor.{_stem}"]}, _SOFTMAX_TORCH,
         _softmax(_log, True))
    _add({"jax": [f"jax.nn.{_stem}"]}, "x:input, axis=-1, where=None", _softmax(_log, False))
    _add({"tensorflow": [f"tensorflow.nn.{_stem}", f"tensorflow.math.{_stem}"]}, "logits:input, axis=None, name=None",
         _softmax(_log, False))
    add_call(_module_call(f"torch.nn.{'LogSoftmax' if _log else 'Softmax'}", "torch", _softmax(_log, True),
                          "dim=None"))
_add({"tensorflow": ["keras.activations.softmax"]}, "x:input, axis=-1", _softmax(False, False))
_add({"torch": ["torch.logsumexp", "torch.Tensor.logsumexp"]}, "input, dim, keepdim=False", _logsumexp)
_add({"jax": ["jax.nn.logsumexp", "jax.scipy.special.logsumexp"]},
     "a:input, axis=None, b=None, keepdims=False, return_sign=False, where=None", _logsumexp)
_add({"tensorflow": ["tensorflow.reduce_logsumexp", "tensorflow.math.reduce_logsumexp"]},
     "input_tensor:input, axis=None, keepdims=False, name=None", _logsumexp)


# -- elementwise modules and compositions --------------------------------------------------
def _tanhshrink(b, bd):
    """``x - tanh(x)``."""
    return b.arith("-", bd["input"], b.map("tanh", bd["input"]))


def _softmin(b, bd):
    """``softmax(-x)`` along ``dim`` (torch's implicit dim when none is given)."""
    x = b.to_array(b.arith("-", 0, bd["input"]))
    return _softmax_along(b, x, _torch_dim(b, bd, x))


_add({"torch": [f"{_TORCH_F}.tanh"]}, "input", lambda b, bd: b.map("tanh", bd["input"]))
add_call(_module_call("torch.nn.Tanh", "torch", lambda b, bd: b.map("tanh", bd["input"])))
add_call(_module_call("torch.nn.Sigmoid", "torch", lambda b, bd: b.map("sigmoid", bd["input"])))
_add({"torch": [f"{_TORCH_F}.tanhshrink"]}, "input", _tanhshrink)
add_call(_module_call("torch.nn.Tanhshrink", "torch", _tanhshrink))
_add({"torch": [f"{_TORCH_F}.softmin"]}, _SOFTMAX_TORCH, _softmin)
add_call(_module_call("torch.nn.Softmin", "torch", _softmin, "dim=None"))


# -- attention -------------------------------------------------------------------------------
def _sdpa(b, bd):
    """``F.scaled_dot_product_attention``: ``softmax(q k^T * scale + mask) v`` along the last
    dim, with ``scale = 1 / sqrt(E)`` by default. A boolean mask (or ``is_causal``) leaves the
    masked scores out of their row's softmax: their weight is exactly 0 and no gradient
    reaches them, as with torch's -inf fill. Every backend computes this function, and its
    backward kernels its exact derivative, so the composition has torch's autodiff."""
    from .shapes import swap
    if bd["dropout_p"]:
        b.fail("scaled_dot_product_attention with dropout_p > 0 makes random values", "dropout_p=0.0")
    if bd["enable_gqa"]:
        b.fail("scaled_dot_product_attention with enable_gqa=True", "as many key/value heads as query heads")
    q, k, v = (b.to_array(bd[name]) for name in ("query", "key", "value"))
    if min(q.ndim, k.ndim, v.ndim) < 2:
        b.fail(f"query, key and value need at least 2 dims, got shapes {q.shape}, {k.shape}, {v.shape}")
    scale = bd["scale"] if bd["scale"] is not None else b.arith("/", 1, b.call_name("torch.sqrt", [q.shape[-1]]))
    scores = b.to_array(b.arith("*", b.arith("@", q, swap(k, -2, -1)), scale))
    rows, cols = scores.shape[-2:]
    allowed = None
    if bd["is_causal"]:
        if bd["attn_mask"] is not None:
            b.fail("scaled_dot_product_attention with both attn_mask and is_causal=True", "one of them")
        allowed = Array((rows, cols), tuple(j <= i for i in range(rows) for j in range(cols)))
    elif bd["attn_mask"] is not None:
        mask = b.to_array(b.unmask(bd["attn_mask"]))
        if any(isinstance(m, (bool, Cond)) for m in mask.items):
            allowed = mask
        elif all(m in (0, 1) for m in mask.items if not isinstance(m, Sym)):
            # a tensor of 0/1 numbers: boolean (keep where 1) or added to the scores, by its dtype
            b.fail("an attention mask of 0/1 values: pwverify cannot tell a boolean mask from one added to "
                   "the scores", "a comparison (mask == 1) for a boolean mask, or other float values")
        else:
            scores = b.to_array(b.arith("+", scores, mask))     # a float mask is added to the scores
    if allowed is not None:
        try:
            allowed = broadcast_to(allowed, scores.shape)
        except ShapeError as exc:
            b.fail(f"scaled_dot_product_attention's mask: {exc}")
        if any(isinstance(m, Cond) for m in allowed.items):
            b.fail("an attention mask that depends on the inputs", "a constant boolean mask, or is_causal=True")
    weights = []
    for start in range(0, scores.size, cols):
        keep = [j for j in range(cols) if allowed is None or allowed.items[start + j]]
        if not keep:
            b.fail("an attention mask that masks a whole row (torch returns nan there)", "at least one key per query")
        exps = {j: b.apply("exp", [scores.items[start + j]]) for j in keep}
        total = b.dot([1] * len(keep), list(exps.values()))
        weights.extend(b.arith("/", exps[j], total) if j in exps else 0 for j in range(cols))
    return b.arith("@", scores.with_items(weights), v)


_add({"torch": [f"{_TORCH_F}.scaled_dot_product_attention"]},
     "query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False", _sdpa)
