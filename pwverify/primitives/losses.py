"""torch's loss functions, composed from registered calls exactly as ATen computes them.

Each is a structural call: it reaches no primitive of its own, it builds the loss from
``torch.abs``, ``torch.where``, ``torch.clamp_min`` and the program's arithmetic, in the
form whose autodiff is torch's (checked against torch 2.13.0 in tests/test_reading.py):

* ``smooth_l1_loss``: ``where(|d| < beta, 0.5 d² / beta, |d| - 0.5 beta)``; ``beta = 0``
  is ``l1_loss``. Its gradient is ``d / beta`` inside, ``sign(d)`` outside, as ATen's.
* ``huber_loss``: ``where(|d| < delta, 0.5 d², delta (|d| - 0.5 delta))``.
* ``l1_loss``: ``|d|`` (``abs'(0) = 0``), ``mse_loss``: ``d²``.
* ``margin_ranking_loss``: ``clamp_min(-y (x1 - x2) + margin, 0)``.
* ``triplet_margin_loss``: ``clamp_min(margin + d(a, p) - d(a, n), 0)`` with ``d`` the
  ``pairwise_distance`` (``eps`` added to the difference).
* ``binary_cross_entropy_with_logits``: ``(1 - y) x + log(1 + exp(-x))`` (smooth),
  ``soft_margin_loss``: ``log(1 + exp(-y x))``, ``hinge_embedding_loss``: ATen's two
  ``where``s around ``clamp_min(margin - x, 0)``.
* ``normalize``: ``x / clamp_min(norm(x, p, dim), eps)``.
* ``cosine_similarity``: ``sum(x1 / n1 * x2 / n2)``, each norm clamped to ``eps`` in place
  under ``no_grad`` (the value is clamped, the gradient is the norm's).
"""

from __future__ import annotations

from fractions import Fraction

from .logexp import log1p_exp
from .structural import structural

_REDUCE = "size_average=None, reduce=None, reduction='mean'"


def _reduce(b, loss, reduction: str):
    if reduction == "none":
        return loss
    if reduction == "mean":
        return b.call_name("torch.mean", [loss])
    if reduction == "sum":
        return b.call_name("torch.sum", [loss])
    b.fail(f"reduction={reduction!r}", "'mean', 'sum' or 'none'")


def _difference(b, bd):
    return b.arith("-", bd["input"], bd["target"])


def _smooth_l1(b, bd):
    d = _difference(b, bd)
    beta = Fraction(bd["beta"])
    z = b.call_name("torch.abs", [d])
    if beta == 0:
        return _reduce(b, z, bd["reduction"])
    quadratic = b.arith("/", b.arith("*", b.arith("*", Fraction(1, 2), z), z), beta)
    linear = b.arith("-", z, Fraction(1, 2) * beta)
    return _reduce(b, b.call_name("torch.where", [b.compare("<", z, beta), quadratic, linear]), bd["reduction"])


def _huber(b, bd):
    d = _difference(b, bd)
    delta = Fraction(bd["delta"])
    z = b.call_name("torch.abs", [d])
    quadratic = b.arith("*", b.arith("*", Fraction(1, 2), z), z)
    linear = b.arith("*", delta, b.arith("-", z, Fraction(1, 2) * delta))
    loss = b.call_name("torch.where", [b.compare("<", z, delta), quadratic, linear])
    if bd.get("weight") is not None:
        loss = b.arith("*", loss, bd["weight"])
    return _reduce(b, loss, bd["reduction"])


def _l1(b, bd):
    return _reduce(b, b.call_name("torch.abs", [_difference(b, bd)]), bd["reduction"])


def _mse(b, bd):
    d = _difference(b, bd)
    return _reduce(b, b.arith("*", d, d), bd["reduction"])


def _margin_ranking(b, bd):
    inner = b.arith("+", b.arith("*", b.arith("*", -1, bd["target"]),
                                 b.arith("-", bd["input1"], bd["input2"])), bd["margin"])
    return _reduce(b, b.call_name("torch.clamp_min", [inner, 0]), bd["reduction"])


def _triplet(b, bd):
    if bd["swap"]:
        b.fail("triplet_margin_loss with swap=True is not supported", "swap=False")
    kw = {"p": bd["p"], "eps": bd["eps"]}
    pos = b.call_name("torch.nn.functional.pairwise_distance", [bd["anchor"], bd["positive"]], kw)
    neg = b.call_name("torch.nn.functional.pairwise_distance", [bd["anchor"], bd["negative"]], kw)
    inner = b.arith("-", b.arith("+", bd["margin"], pos), neg)
    return _reduce(b, b.call_name("torch.clamp_min", [inner, 0]), bd["reduction"])


def _bce_with_logits(b, bd):
    """``(1 - y) x + log(1 + exp(-x))``: the function ATen computes (it shifts by
    ``max(-x, 0)`` only against overflow); its backward is ``sigmoid(x) - y``."""
    if bd.get("pos_weight") is not None:
        b.fail("binary_cross_entropy_with_logits with pos_weight is not supported", "pos_weight=None")
    x, y = bd["input"], bd["target"]
    loss = b.arith("+", b.arith("*", b.arith("-", 1, y), x), log1p_exp(b, b.arith("-", 0, x)))
    if bd.get("weight") is not None:   # torch does not differentiate with respect to weight
        loss = b.arith("*", loss, b.detach(bd["weight"]))
    return _reduce(b, loss, bd["reduction"])


def _soft_margin(b, bd):
    """``log(1 + exp(-y x))``; torch does not differentiate with respect to the target."""
    target = b.detach(bd["target"])
    return _reduce(b, log1p_exp(b, b.arith("*", b.arith("-", 0, target), bd["input"])), bd["reduction"])


def _hinge_embedding(b, bd):
    """As ATen writes it: ``where(y != 1, clamp_min(margin - x, 0), 0) + where(y != -1, x, 0)``."""
    x, y = b.to_array(bd["input"]), bd["target"]
    zero = b.call_name("torch.zeros_like", [x])
    margin = b.call_name("torch.clamp_min", [b.arith("-", bd["margin"], x), 0])
    loss = b.arith("+", b.call_name("torch.where", [b.compare("!=", y, 1), margin, zero]),
                   b.call_name("torch.where", [b.compare("!=", y, -1), x, zero]))
    return _reduce(b, loss, bd["reduction"])


def _normalize(b, bd):
    """``x / clamp_min(norm(x, p, dim, keepdim=True), eps)``, as torch writes it."""
    if bd.get("out") is not None:
        b.fail("F.normalize with out= is not supported", "y = F.normalize(x)")
    norm = b.call_name("torch.norm", [bd["input"], bd["p"]], {"dim": bd["dim"], "keepdim": True})
    return b.arith("/", bd["input"], b.call_name("torch.clamp_min", [norm, bd["eps"]]))


def _cosine_similarity(b, bd):
    """ATen's: ``sum(x1 / n1 * x2 / n2, dim)`` with ``n = vector_norm(x, dim, keepdim)``
    clamped to ``eps`` in place under ``no_grad``: the value is ``max(n, eps)``, the
    gradient that of ``n`` (the clamp is not recorded)."""
    dim, eps = bd["dim"], bd["eps"]
    x1, x2 = b.to_array(bd["x1"]), b.to_array(bd["x2"])

    def scaled(x):
        norm = b.call_name("torch.linalg.vector_norm", [x, 2], {"dim": dim, "keepdim": True})
        clamped = b.call_name("torch.clamp_min", [norm, eps])
        return b.arith("/", x, b.arith("+", norm, b.detach(b.arith("-", clamped, norm))))
    return b.call_name("torch.sum", [b.arith("*", scaled(x1), scaled(x2))], {"dim": dim})


for _name, _sig, _build in [
    ("cosine_similarity", "x1, x2, dim=1, eps=1e-08", _cosine_similarity),
    ("binary_cross_entropy_with_logits", f"input, target, weight=None, {_REDUCE}, pos_weight=None", _bce_with_logits),
    ("soft_margin_loss", f"input, target, {_REDUCE}", _soft_margin),
    ("hinge_embedding_loss", f"input, target, margin=1.0, {_REDUCE}", _hinge_embedding),
    ("normalize", "input, p=2.0, dim=1, eps=1e-12, out=None", _normalize),
    ("smooth_l1_loss", f"input, target, {_REDUCE}, beta=1.0", _smooth_l1),
    ("huber_loss", "input, target, reduction='mean', delta=1.0, weight=None", _huber),
    ("l1_loss", f"input, target, {_REDUCE}", _l1),
    ("mse_loss", f"input, target, {_REDUCE}, weight=None", _mse),
    ("margin_ranking_loss", f"input1, input2, target, margin=0, {_REDUCE}", _margin_ranking),
    ("triplet_margin_loss", f"anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False, {_REDUCE}",
     _triplet),
]:
    structural(f"torch.nn.functional.{_name}", _sig, _build, f"torch's {_name}, composed as ATen computes it")
