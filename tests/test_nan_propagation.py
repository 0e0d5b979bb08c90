"""Differential tests: what a zero derivative does to an infinite or nan gradient.

Behind an infinite derivative (``sqrt`` at 0) or a nan one (a norm at 0), a zero local
derivative can be a *mask* (the framework passes 0: relu's ``where``), a *product*
(``grad * indicator``: 0 * inf is nan) or *no edge at all* (jax's symbolic zeros,
``stop_gradient``, a boolean tensor). The frameworks differ per operation and per mode;
each case below runs the real framework in float64 and compares with pwverify's exact
prediction, nan for nan.
"""

from __future__ import annotations

import math

import pytest

import pwverify

#: (framework, mode, source over x, point)
CASES = [
    # torch: max/min reductions multiply (evenly_distribute_backward), binary maximum masks in
    # reverse mode and multiplies in forward mode, max(dim).values and pooling mask
    ("torch", "reverse", "torch.sqrt(torch.max(x[:2]))", [0.0, -1.0, 0.0]),
    ("torch", "reverse", "torch.sqrt(torch.amax(x.reshape(2, 2), dim=0)).sum()", [0.0, -1.0, 0.0, 0.0]),
    ("torch", "reverse", "torch.sqrt(torch.maximum(x[0], x[1]))", [0.0, -1.0, 0.0]),
    ("torch", "reverse", "torch.sqrt(torch.max(x.reshape(2, 2), dim=0).values).sum()", [0.0, -1.0, 0.0, 0.0]),
    ("torch", "forward", "torch.maximum(x[1], torch.sqrt(x[0]))", [0.0, 1.0, 0.0]),
    ("torch", "forward", "torch.max(torch.stack([x[1], torch.sqrt(x[0])]))", [0.0, 1.0, 0.0]),
    ("torch", "forward", "torch.clamp(torch.sqrt(x[0]), 1.0, 2.0)", [0.0, 1.0, 0.0]),
    ("torch", "forward", "torch.relu(torch.sqrt(x[0]) - 1.0)", [0.0, 1.0, 0.0]),
    ("torch", "forward", "torch.nn.functional.max_pool1d(torch.stack([x[1], torch.sqrt(x[0])]).reshape(1, 1, 2), 2).sum()",
     [0.0, 1.0, 0.0]),
    ("torch", "reverse", "torch.sign(torch.sqrt(x[0])) + x[1]", [0.0, 0.0]),
    ("torch", "forward", "torch.sign(torch.sqrt(x[0])) + x[1]", [0.0, 0.0]),
    ("torch", "forward", "torch.linalg.norm(x.detach()) + torch.linalg.norm((x < 0).double()) + x[0]", [0.0, 0.0, 0.0]),
    # torch: amax masks in forward mode where max multiplies; median without dim multiplies,
    # with dim it masks; fmax multiplies in forward mode
    ("torch", "forward", "(lambda v: torch.amax(v))(torch.stack([x[1], torch.sqrt(x[0]), x[2]]))", [0.0, 1.0, 0.5]),
    ("torch", "reverse", "torch.sqrt(torch.amax(x))", [0.0, -1.0, -0.5]),
    ("torch", "reverse", "torch.sqrt(torch.median(x))", [0.0, -1.0, 1.0]),
    ("torch", "reverse", "torch.sqrt(torch.median(x, dim=0).values)", [0.0, -1.0, 1.0]),
    ("torch", "forward", "torch.median(torch.stack([x[1], torch.sqrt(x[0]), x[2]]))", [0.0, 1.0, 0.5]),
    ("torch", "forward", "torch.median(torch.stack([x[1], torch.sqrt(x[0]), x[2]]), dim=0).values", [0.0, 1.0, 0.5]),
    ("torch", "forward", "torch.fmax(x[1], torch.sqrt(x[0]))", [0.0, 1.0, 0.5]),
    ("torch", "reverse", "torch.sqrt(torch.fmax(x[0], x[1]))", [0.0, -1.0, 0.5]),
    # quantiles interpolate with products even where the weight is 0 (torch.lerp, jnp.quantile)
    ("torch", "reverse", "torch.sqrt(torch.quantile(x, 1.0))", [0.0, -1.0, -0.5]),
    ("torch", "reverse", "torch.sqrt(torch.quantile(x, 0.5) + 0.5)", [0.0, -1.0, -0.5]),
    ("jax", "reverse", "jnp.sqrt(jnp.quantile(x, 1.0))", [0.0, -1.0, -0.5]),
    # jax: max/min multiply by location indicators in both modes, sign and comparisons
    # are symbolic zeros, relu/where/sort select
    ("jax", "reverse", "jnp.linalg.norm(jnp.stack([jnp.maximum(x[0], x[1]), x[2]]))", [0.0, -1.0, 0.0]),
    ("jax", "reverse", "jnp.linalg.norm(jnp.stack([jnp.max(x[:2]), x[2]]))", [0.0, -1.0, 0.0]),
    ("jax", "reverse", "jnp.linalg.norm(jnp.max(jnp.reshape(x, (2, 2)), axis=0))", [0.0, -1.0, 0.0, 0.0]),
    ("jax", "reverse", "jnp.linalg.norm(jnp.stack([jnp.minimum(x[0], x[1]), x[2]]))", [0.0, 1.0, 0.0]),
    ("jax", "reverse", "jnp.linalg.norm(jnp.stack([jax.nn.relu(x[0] - 1.0), x[1]]))", [0.0, 0.0, 0.0]),
    ("jax", "reverse", "jnp.linalg.norm(jnp.stack([jnp.where(x[0] > 0, x[1], x[2]), x[2]]))", [1.0, 0.0, 0.0]),
    ("jax", "reverse", "jnp.linalg.norm(jnp.sort(x)[:2])", [0.0, 0.0, 1.0]),
    ("jax", "reverse", "jnp.sign(jnp.linalg.norm(x))", [0.0, 0.0, 0.0]),
    ("jax", "forward", "jnp.sign(jnp.sqrt(x[0])) + x[1]", [0.0, 0.0]),
    ("jax", "forward", "jnp.maximum(x[1], jnp.sqrt(x[0]))", [0.0, 1.0, 0.0]),
    ("jax", "forward", "jnp.max(jnp.stack([x[1], jnp.sqrt(x[0]), x[2]]))", [0.0, 1.0, 0.0]),
    ("jax", "forward", "jnp.clip(jnp.sqrt(x[0]), 1.0, 2.0)", [0.0, 1.0, 0.0]),
    ("jax", "forward", "jax.nn.relu(jnp.sqrt(x[0]) - 1.0)", [0.0, 1.0, 0.0]),
    ("jax", "forward", "jnp.where(x[1] > 0, x[1], jnp.sqrt(x[0]))", [0.0, 1.0, 0.0]),
    ("jax", "forward", "jnp.linalg.norm(x < 0.0)", [0.0, 0.0, 0.0]),
    ("jax", "forward", "jnp.linalg.norm(jax.lax.stop_gradient(x)) + x[0]", [0.0, 0.0, 0.0]),
    # tensorflow: reduce_max multiplies (_MinOrMaxGrad), maximum selects
    ("tensorflow", "reverse", "tf.sqrt(tf.reduce_max(x[:2]))", [0.0, -1.0]),
    ("tensorflow", "reverse", "tf.sqrt(tf.maximum(x[0], x[1]))", [0.0, -1.0]),
    ("tensorflow", "reverse", "tf.sign(tf.sqrt(x[0])) + x[1]", [0.0, 0.0]),
    # tensorflow: ReluGrad and Relu6Grad multiply by the mask (nan), clip_by_value selects
    ("tensorflow", "reverse", "tf.sqrt(tf.nn.relu(x[0] - 1.0))", [0.0, 1.0]),
    ("tensorflow", "reverse", "tf.sqrt(tf.nn.relu6(x[0] - 1.0))", [0.0, 1.0]),
    ("tensorflow", "reverse", "tf.sqrt(keras.activations.hard_sigmoid(x[0] - 5.0))", [0.0, 1.0]),
    ("tensorflow", "reverse", "tf.sqrt(tf.clip_by_value(x[0] - 1.0, 0.0, 1.0))", [0.0, 1.0]),
    ("tensorflow", "forward", "tf.nn.relu(tf.sqrt(x[0]) - 1.0)", [0.0, 1.0]),
    ("tensorflow", "forward", "tf.nn.relu6(tf.norm(x))", [0.0, 0.0]),
    ("tensorflow", "forward", "tf.clip_by_value(tf.sqrt(x[0]) - 1.0, 0.0, 1.0)", [0.0, 1.0]),
]


def _framework(name: str, mode: str, source: str, point: list) -> list:
    if name == "torch":
        torch = pytest.importorskip("torch")
        from torch.func import jacfwd, jacrev
        fn = eval("lambda x: " + source, {"torch": torch})
        x = torch.tensor(point, dtype=torch.float64)
        return (jacfwd if mode == "forward" else jacrev)(fn)(x).tolist()
    if name == "jax":
        jax = pytest.importorskip("jax", reason="jax is not installed: pip install -e '.[jax]'")
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        fn = eval("lambda x: " + source, {"jax": jax, "jnp": jnp})
        jac = (jax.jacfwd if mode == "forward" else jax.jacrev)(fn)(jnp.array(point, dtype=jnp.float64))
        return [float(v) for v in jac]
    tf = pytest.importorskip("tensorflow", reason="tensorflow is not installed: pip install -e '.[tensorflow]'")
    import keras
    x = tf.Variable(tf.constant(point, tf.float64))
    if mode == "forward":
        column = []
        for j in range(len(point)):
            with tf.autodiff.ForwardAccumulator(x, tf.one_hot(j, len(point), dtype=tf.float64)) as acc:
                y = eval(source, {"tf": tf, "keras": keras, "x": x})
            jvp = acc.jvp(y)
            column.append(0.0 if jvp is None else float(jvp.numpy()))
        return column
    with tf.GradientTape() as tape:
        y = eval(source, {"tf": tf, "keras": keras, "x": x})
    return tape.gradient(y, x).numpy().tolist()


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b or abs(a - b) < 1e-12


@pytest.mark.parametrize("framework, mode, source, point", CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_a_zero_derivative_behind_an_infinite_one(framework, mode, source, point):
    got = _framework(framework, mode, source, point)
    program = pwverify.parse(source, framework=framework, shapes={"x": len(point)}, mode=mode)
    predicted = [float(g) for g in program.gradient_at({f"x{i}": v for i, v in enumerate(point)})[0]]
    assert len(predicted) == len(got) and all(_same(p, g) for p, g in zip(predicted, got)), \
        f"{framework} {mode}: pwverify {predicted}, framework {got}"
