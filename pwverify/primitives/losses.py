"""torch's loss functions, composed from registered calls exactly as ATen computes them.

Each is a structural call: it reaches no primitive of its own, it builds the loss from
``torch.abs``, ``torch.where``, ``torch.clamp_min`` and the program's arithmetic, in the
form whose autodiff is torch's (checked against torch 2.13.0 in tests/test_reading.py):

* ``smooth_l1_loss``: ``where(|d| < beta, 0.5 d² / beta, |d| - 0.5 beta)``; ``beta = 0``
  is ``l1_loss``. Its gradient is ``d / beta`` inside, ``sign(d)`` outside, as ATen's.
* ``huber_loss``: ``where(|d| < delta, 0.5 d², delta (|d| - 0.5 delta))``.
* ``l1_loss``: ``|d|`` (``abs'(0) = 0``), ``mse_loss``: ``d²``; with ``weight``, times it,
  and their mean divides by ``sum(weight)`` (huber_loss's mean does not).
* ``margin_ranking_loss``: ``clamp_min(-y (x1 - x2) + margin, 0)``.
* ``triplet_margin_loss``: ``clamp_min(margin + d(a, p) - d(a, n), 0)`` with ``d`` the
  ``pairwise_distance`` (``eps`` added to the difference).
* ``binary_cross_entropy_with_logits``: ``(1 - y) x + log(1 + exp(-x))`` (smooth),
  ``soft_margin_loss``: ``log(1 + exp(-y x))``, ``hinge_embedding_loss``: ATen's two
  ``where``s around ``clamp_min(margin - x, 0)``.
* ``nll_loss``: ``-w[t] x[t]`` at each target class ``t`` (class indices known when the
  program is read), ``ignore_index`` skipped; its mean divides by the total weight of the
  targets, as ATen does. ``cross_entropy``: ``nll_loss(log_softmax(x))``, with ATen's
  ``label_smoothing`` term, or ``-sum(w p log_softmax(x))`` for class probabilities ``p``.
* ``normalize``: ``x / clamp_min(norm(x, p, dim), eps)``.
* ``cosine_similarity``: ``sum(x1 / n1 * x2 / n2)``, each norm clamped to ``eps`` in place
  under ``no_grad`` (the value is clamped, the gradient is the norm's).

The ``torch.nn`` loss modules (``nn.MSELoss()``, ``nn.CrossEntropyLoss(weight=w)``, ...)
take the functional form's options in their constructor and its tensors in ``forward``.
The legacy ``size_average``/``reduce`` arguments pick the reduction as torch does.
"""

from __future__ import annotations

from fractions import Fraction

from ..ir.values import Array, is_number
from .activations import _module_call
from .logexp import log1p_exp
from .registry import add_call
from .structural import structural

_REDUCE = "size_average=None, reduce=None, reduction='mean'"


def _reduce(b, loss, bd):
    """``loss`` reduced as ``bd``'s ``reduction`` says (or, if given, the legacy
    ``size_average``/``reduce`` pair, read as torch's ``_Reduction.legacy_get_string``)."""
    reduction = _reduction(bd)
    if reduction == "none":
        return loss
    if reduction == "mean":
        return b.call_name("torch.mean", [loss])
    if reduction == "sum":
        return b.call_name("torch.sum", [loss])
    b.fail(f"reduction={reduction!r}", "'mean', 'sum' or 'none'")


def _reduction(bd) -> str:
    size_average, reduce = bd.get("size_average"), bd.get("reduce")
    if size_average is None and reduce is None:
        return bd["reduction"]
    size_average = True if size_average is None else bool(size_average)
    reduce = True if reduce is None else bool(reduce)
    return "mean" if size_average and reduce else "sum" if reduce else "none"


def _difference(b, bd):
    return b.arith("-", bd["input"], bd["target"])


def _smooth_l1(b, bd):
    d = _difference(b, bd)
    beta = Fraction(bd["beta"])
    z = b.call_name("torch.abs", [d])
    if beta == 0:
        return _reduce(b, z, bd)
    quadratic = b.arith("/", b.arith("*", b.arith("*", Fraction(1, 2), z), z), beta)
    linear = b.arith("-", z, Fraction(1, 2) * beta)
    return _reduce(b, b.call_name("torch.where", [b.compare("<", z, beta), quadratic, linear]), bd)


def _huber(b, bd):
    d = _difference(b, bd)
    delta = Fraction(bd["delta"])
    z = b.call_name("torch.abs", [d])
    quadratic = b.arith("*", b.arith("*", Fraction(1, 2), z), z)
    linear = b.arith("*", delta, b.arith("-", z, Fraction(1, 2) * delta))
    loss = b.call_name("torch.where", [b.compare("<", z, delta), quadratic, linear])
    if bd.get("weight") is not None:
        loss = b.arith("*", loss, bd["weight"])
    return _reduce(b, loss, bd)


def _l1(b, bd):
    return _weighted(b, b.call_name("torch.abs", [_difference(b, bd)]), bd)


def _mse(b, bd):
    d = _difference(b, bd)
    return _weighted(b, b.arith("*", d, d), bd)


def _weighted(b, loss, bd):
    """``loss`` times ``weight`` if given; l1_loss and mse_loss divide that mean by ``sum(weight)``."""
    if bd.get("weight") is None:
        return _reduce(b, loss, bd)
    loss = b.arith("*", loss, bd["weight"])
    if _reduction(bd) != "mean":
        return _reduce(b, loss, bd)
    return b.arith("/", b.call_name("torch.sum", [loss]), b.call_name("torch.sum", [bd["weight"]]))


def _margin_ranking(b, bd):
    inner = b.arith("+", b.arith("*", b.arith("*", -1, bd["target"]),
                                 b.arith("-", bd["input1"], bd["input2"])), bd["margin"])
    return _reduce(b, b.call_name("torch.clamp_min", [inner, 0]), bd)


def _triplet(b, bd):
    if bd["swap"]:
        b.fail("triplet_margin_loss with swap=True is not supported", "swap=False")
    kw = {"p": bd["p"], "eps": bd["eps"]}
    pos = b.call_name("torch.nn.functional.pairwise_distance", [bd["anchor"], bd["positive"]], kw)
    neg = b.call_name("torch.nn.functional.pairwise_distance", [bd["anchor"], bd["negative"]], kw)
    inner = b.arith("-", b.arith("+", bd["margin"], pos), neg)
    return _reduce(b, b.call_name("torch.clamp_min", [inner, 0]), bd)


def _bce_with_logits(b, bd):
    """``(1 - y) x + log(1 + exp(-x))``: the function ATen computes (it shifts by
    ``max(-x, 0)`` only against overflow); its backward is ``sigmoid(x) - y``."""
    if bd.get("pos_weight") is not None:
        b.fail("binary_cross_entropy_with_logits with pos_weight is not supported", "pos_weight=None")
    x, y = bd["input"], bd["target"]
    loss = b.arith("+", b.arith("*", b.arith("-", 1, y), x), log1p_exp(b, b.arith("-", 0, x)))
    if bd.get("weight") is not None:   # torch does not differentiate with respect to weight
        loss = b.arith("*", loss, b.detach(bd["weight"]))
    return _reduce(b, loss, bd)


def _soft_margin(b, bd):
    """``log(1 + exp(-y x))``; torch does not differentiate with respect to the target."""
    target = b.detach(bd["target"])
    return _reduce(b, log1p_exp(b, b.arith("*", b.arith("-", 0, target), bd["input"])), bd)


def _hinge_embedding(b, bd):
    """As ATen writes it: ``where(y != 1, clamp_min(margin - x, 0), 0) + where(y != -1, x, 0)``."""
    x, y = b.to_array(bd["input"]), bd["target"]
    zero = b.call_name("torch.zeros_like", [x])
    margin = b.call_name("torch.clamp_min", [b.arith("-", bd["margin"], x), 0])
    loss = b.arith("+", b.call_name("torch.where", [b.compare("!=", y, 1), margin, zero]),
                   b.call_name("torch.where", [b.compare("!=", y, -1), x, zero]))
    return _reduce(b, loss, bd)


def _kl_div(b, bd):
    """``kl_div(input, target)``: ``xlogy(target, target) - target * input`` entrywise (or
    ``exp(target) * (target - input)`` with ``log_target=True``), as ATen composes it; the
    reduction ``batchmean`` divides the sum by the size of dim 0."""
    x, t = bd["input"], bd["target"]
    if bd["log_target"]:
        loss = b.arith("*", b.map("exp", t), b.arith("-", t, x))
    else:
        t = b.to_array(t)
        # a constant zero target adds 0 (torch's xlogy(0, 0) = 0; nothing reaches a constant)
        entropy = t.with_items([0 if is_number(v) and v == 0 else b.call_name("torch.xlogy", [v, v])
                                for v in t.items])
        loss = b.arith("-", entropy, b.arith("*", t, x))
    if _reduction(bd) == "batchmean":
        arr = b.to_array(loss)
        total = b.call_name("torch.sum", [arr])
        return b.arith("/", total, arr.shape[0]) if arr.ndim else total
    return _reduce(b, loss, bd)


def _normalize(b, bd):
    """``x / clamp_min(norm(x, p, dim, keepdim=True), eps)``, as torch writes it."""
    if bd.get("out") is not None:
        b.fail("F.normalize with out= is not supported", "y = F.normalize(x)")
    norm = b.call_name("torch.norm", [bd["input"], bd["p"]], {"dim": bd["dim"], "keepdim": True})
    return b.arith("/", bd["input"], b.call_name("torch.clamp_min", [norm, bd["eps"]]))


def _cosine_similarity(b, bd):
    """ATen's: ``sum(x1 / n1 * x2 / n2, dim)`` with ``n = vector_norm(x, dim, keepdim)``
    clamped to ``eps`` in place under ``no_grad``: the value is ``max(n, eps)``; in reverse
    mode the gradient is that of ``n`` (the clamp is not recorded), in forward mode that
    of the clamp (no_grad does not stop tangents: at ``|x| < eps`` torch's forward
    derivative is ``1 / eps``, measured on torch 2.13)."""
    dim, eps = bd["dim"], bd["eps"]
    x1, x2 = b.to_array(bd["x1"]), b.to_array(bd["x2"])

    def scaled(x):
        norm = b.call_name("torch.linalg.vector_norm", [x, 2], {"dim": dim, "keepdim": True})
        clamped = b.call_name("torch.clamp_min", [norm, eps])
        if b.profile.mode == "forward":     # no_grad stops no forward-mode tangent: the clamp is differentiated
            return b.arith("/", x, clamped)
        return b.arith("/", x, b.arith("+", norm, b.detach(b.arith("-", clamped, norm))))
    return b.call_name("torch.sum", [b.arith("*", scaled(x1), scaled(x2))], {"dim": dim})


# -- nll_loss and cross_entropy --------------------------------------------------------------
def _class_indices(b, target, shape: tuple) -> list[int]:
    """The target's class indices, which must be known when the program is read."""
    t = b.to_array(target)
    if t.shape != shape:
        b.fail(f"the target has shape {t.shape}, but an input of this shape needs class indices of shape {shape}",
               "input (N, C) with target (N,), or input (C,) with a 0-d target")
    if not all(is_number(v) and v == int(v) for v in t.items):
        b.fail("class indices that depend on the inputs (or are not integers)",
               "a constant tensor of class indices, e.g. torch.tensor([0, 2])")
    return [int(v) for v in t.items]


def _split_classes(x: Array) -> tuple[tuple, int, list]:
    """Input (C,), (N, C) or (N, C, d1, ...): the target's shape, C, and per target entry
    the flat indices of its C class scores."""
    if not x.shape:
        raise ValueError("a 0-d input has no class dimension")
    if len(x.shape) == 1:
        return (), x.shape[0], [list(range(x.shape[0]))]
    n, c, rest = x.shape[0], x.shape[1], x.shape[2:]
    inner = 1
    for d in rest:
        inner *= d
    rows = [[(i * c + k) * inner + j for k in range(c)] for i in range(n) for j in range(inner)]
    return (n, *rest), c, rows


def _weights(b, weight, c: int) -> list:
    if weight is None:
        return [1] * c
    w = b.to_array(weight)
    if w.shape != (c,):
        b.fail(f"weight has shape {w.shape}, not ({c},): one weight per class")
    return [b.detach(v) for v in w.items]     # torch does not differentiate with respect to weight


def _nll(b, x: Array, target, weight, ignore_index, bd):
    """``-w[t] x[t]`` per target entry, reduced; the mean divides by the total weight."""
    shape, c, rows = _split_classes(x)
    classes = _class_indices(b, target, shape)
    w = _weights(b, weight, c)
    losses, total = [], 0
    for row, t in zip(rows, classes):
        if t == ignore_index:
            losses.append(0)
            continue
        if not 0 <= t < c:
            b.fail(f"class index {t} is out of range for {c} classes")
        losses.append(b.arith("*", -1, b.arith("*", w[t], x.items[row[t]])))
        total = b.arith("+", total, w[t])
    reduction = _reduction(bd)
    if reduction == "none":
        return Array(shape, tuple(losses), "torch") if shape else losses[0]
    out = 0
    for v in losses:
        out = b.arith("+", out, v)
    if reduction == "sum":
        return out
    if reduction != "mean":
        b.fail(f"reduction={reduction!r}", "'mean', 'sum' or 'none'")
    if is_number(total) and total == 0:
        b.fail("every target is ignore_index: torch's mean is 0/0 (nan)", "reduction='sum'")
    return b.arith("/", out, total)


def _nll_loss(b, bd):
    return _nll(b, b.to_array(bd["input"]), bd["target"], bd["weight"], int(bd["ignore_index"]), bd)


def _cross_entropy(b, bd):
    """ATen's ``cross_entropy_loss``: class indices or class probabilities, label smoothing."""
    x = b.to_array(bd["input"])
    class_dim = 0 if len(x.shape) == 1 else 1
    logp = b.to_array(b.call_name("torch.nn.functional.log_softmax", [x], {"dim": class_dim}))
    eps = b.exact(bd["label_smoothing"])
    target = b.to_array(bd["target"])
    shape, c, rows = _split_classes(x)
    w = _weights(b, bd["weight"], c)
    reduction = _reduction(bd)
    if target.shape == x.shape:                 # class probabilities
        losses = []
        for row in rows:
            acc = 0
            for k, i in enumerate(row):
                p = target.items[i] if eps == 0 else b.arith("+", b.arith("*", 1 - eps, target.items[i]), eps / c)
                acc = b.arith("+", acc, b.arith("*", b.arith("*", w[k], p), logp.items[i]))
            losses.append(b.arith("*", -1, acc))
        loss = Array(shape, tuple(losses), "torch") if shape else losses[0]
        if reduction == "mean":   # over the batch entries, not the weights
            total = 0
            for v in losses:
                total = b.arith("+", total, v)
            return b.arith("/", total, len(losses))
        return _reduce(b, loss, bd)
    nll = _nll(b, logp, target, bd["weight"], int(bd["ignore_index"]), bd)
    if eps == 0:
        return nll
    classes = _class_indices(b, target, shape)
    smooth = []
    for row, t in zip(rows, classes):
        if t == int(bd["ignore_index"]):
            smooth.append(0)
            continue
        acc = 0
        for k, i in enumerate(row):
            acc = b.arith("+", acc, b.arith("*", w[k], logp.items[i]))
        smooth.append(b.arith("*", -1, acc))
    if reduction == "none":
        ret = Array(shape, tuple(smooth), "torch") if shape else smooth[0]
    else:
        ret = 0
        for v in smooth:
            ret = b.arith("+", ret, v)
        if reduction == "mean":
            kept = [t for t in classes if t != int(bd["ignore_index"])]
            ret = b.arith("/", ret, sum(w[t] for t in kept) if bd["weight"] is not None else len(kept))
    return b.arith("+", b.arith("*", 1 - eps, nll), b.arith("*", ret, eps / c))


for _name, _sig, _build in [
    ("cosine_similarity", "x1, x2, dim=1, eps=1e-08", _cosine_similarity),
    ("kl_div", f"input, target, {_REDUCE}, log_target=False", _kl_div),
    ("binary_cross_entropy_with_logits", f"input, target, weight=None, {_REDUCE}, pos_weight=None", _bce_with_logits),
    ("soft_margin_loss", f"input, target, {_REDUCE}", _soft_margin),
    ("hinge_embedding_loss", f"input, target, margin=1.0, {_REDUCE}", _hinge_embedding),
    ("normalize", "input, p=2.0, dim=1, eps=1e-12, out=None", _normalize),
    ("smooth_l1_loss", f"input, target, {_REDUCE}, beta=1.0", _smooth_l1),
    ("huber_loss", "input, target, reduction='mean', delta=1.0, weight=None", _huber),
    ("l1_loss", f"input, target, {_REDUCE}, weight=None", _l1),
    ("mse_loss", f"input, target, {_REDUCE}, weight=None", _mse),
    ("margin_ranking_loss", f"input1, input2, target, margin=0, {_REDUCE}", _margin_ranking),
    ("triplet_margin_loss", f"anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False, {_REDUCE}",
     _triplet),
]:
    structural(f"torch.nn.functional.{_name}", _sig, _build, f"torch's {_name}, composed as ATen computes it")
for _name, _sig, _build in [
    ("nll_loss", f"input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean'",
     _nll_loss),
    ("cross_entropy", "input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, "
                      "reduction='mean', label_smoothing=0.0", _cross_entropy),
]:
    structural(f"torch.nn.functional.{_name}", _sig, _build, f"torch's {_name}, composed as ATen computes it")

#: torch.nn loss modules: (class, constructor signature, forward signature, functional build)
_MODULES = [
    ("L1Loss", _REDUCE, "input, target", _l1),
    ("MSELoss", _REDUCE, "input, target", _mse),
    ("SmoothL1Loss", f"{_REDUCE}, beta=1.0", "input, target", _smooth_l1),
    ("HuberLoss", "reduction='mean', delta=1.0", "input, target", _huber),
    ("MarginRankingLoss", f"margin=0.0, {_REDUCE}", "input1, input2, target", _margin_ranking),
    ("TripletMarginLoss", f"margin=1.0, p=2.0, eps=1e-06, swap=False, {_REDUCE}", "anchor, positive, negative",
     _triplet),
    ("BCEWithLogitsLoss", f"weight=None, {_REDUCE}, pos_weight=None", "input, target", _bce_with_logits),
    ("SoftMarginLoss", _REDUCE, "input, target", _soft_margin),
    ("HingeEmbeddingLoss", f"margin=1.0, {_REDUCE}", "input, target", _hinge_embedding),
    ("CosineSimilarity", "dim=1, eps=1e-08", "x1, x2", _cosine_similarity),
    ("KLDivLoss", f"{_REDUCE}, log_target=False", "input, target", _kl_div),
    ("NLLLoss", f"weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean'",
     "input, target", _nll_loss),
    ("CrossEntropyLoss", "weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean', "
                         "label_smoothing=0.0", "input, target", _cross_entropy),
]
for _cls, _ctor, _forward, _build in _MODULES:
    add_call(_module_call(f"torch.nn.{_cls}", "torch", _build, _ctor, _forward))
