"""One row per jax call pwverify models: a program using it, with its input shapes.

Run by ``tests/test_frameworks_differential.py`` through real jax (x64) at every piece,
every kink and random points, in reverse (``vjp``) and forward (``jvp``) mode.
"""

from framework_cases import REFUSED  # noqa: F401 - rows may use it

JAX_CASES = {
    # elementwise kinks
    "jax.nn.relu": ("jax.nn.relu(a - b)", {}),
    "jax.nn.relu6": ("jax.nn.relu6(a)", {}),
    "jax.nn.leaky_relu": ("jax.nn.leaky_relu(a) + jax.nn.leaky_relu(b, 0.25)", {}),
    "jax.nn.elu": ("jax.nn.elu(a, 2.0) + jax.nn.elu(b)", {}),
    "jax.nn.selu": ("jax.nn.selu(a)", {}),
    "jax.nn.celu": ("jax.nn.celu(a, 2.0)", {}),
    "jax.nn.hard_tanh": ("jax.nn.hard_tanh(a)", {}),
    "jax.nn.hard_sigmoid": ("jax.nn.hard_sigmoid(a)", {}),
    "jax.nn.hard_swish": ("jax.nn.hard_swish(a)", {}),
    "jax.nn.hard_silu": ("jax.nn.hard_silu(a - b)", {}),
    "jax.numpy.abs": ("jnp.abs(a - b)", {}),
    "jax.numpy.absolute": ("jnp.absolute(a)", {}),
    "jax.lax.abs": ("lax.abs(a) + (a + b + jnp.abs(a - b)) / 2", {}),
    "jax.numpy.sign": ("a * jnp.sign(a) + jnp.sign(b)", {}),
    "jax.lax.sign": ("a * lax.sign(a - b)", {}),
    "jax.numpy.clip": ("jnp.clip(a, b, c) + jnp.clip(a, -1.0, 1.0) + jnp.clip(b, min=a)", {}),
    "jax.lax.clamp": ("lax.clamp(b, a, c) + lax.clamp(-1.0, a, 1.0)", {}),
    # binary max/min
    "jax.numpy.maximum": ("jnp.maximum(a, b) + jnp.maximum(a, 0.0)", {}),
    "jax.numpy.minimum": ("jnp.minimum(a, b)", {}),
    "jax.lax.max": ("lax.max(a, b)", {}),
    "jax.lax.min": ("lax.min(a, b)", {}),
    "jax.numpy.fmax": ("jnp.fmax(a, b)", {}),
    "jax.numpy.fmin": ("jnp.fmin(a, b)", {}),
    # value-only reductions
    "jax.numpy.max": ("jnp.max(x) + jnp.max(x, initial=0.5)", {"x": 3}),
    "jax.numpy.min": ("jnp.min(X, axis=0).sum()", {"X": (2, 2)}),
    "jax.numpy.amax": ("jnp.amax(x)", {"x": 3}),
    "jax.numpy.amin": ("jnp.amin(x)", {"x": 3}),
    "jax.Array.max": ("x.max()", {"x": 3}),
    "jax.Array.min": ("x.min()", {"x": 3}),
    "jax.lax.reduce_max": ("lax.reduce_max(x, (0,))", {"x": 3}),
    "jax.lax.reduce_min": ("lax.reduce_min(X, (1,)).sum()", {"X": (2, 2)}),
    # index-carrying reductions
    "jax.numpy.argmax": ("x[jnp.argmax(x)]", {"x": 3}),
    "jax.Array.argmax": ("x[x.argmax()] + y[x.argmax()]", {"x": 3, "y": 3}),
    "jax.numpy.argmin": ("x[jnp.argmin(x)]", {"x": 3}),
    "jax.Array.argmin": ("x[x.argmin()]", {"x": 3}),
    "jax.numpy.take_along_axis": ("jnp.take_along_axis(X, jnp.argmax(X, axis=1, keepdims=True), axis=1).sum()",
                                  {"X": (2, 2)}),
    "jax.lax.top_k": ("(lax.top_k(x, 2)[0] * jnp.array([1.0, 3.0])).sum() + lax.top_k(x, 1)[0][0]", {"x": 3}),
    # sorting and medians
    "jax.numpy.sort": ("(jnp.sort(x, descending=True) * jnp.array([1.0, 2.0, 3.0])).sum()"
                       " + (jnp.sort(x) * jnp.array([1.0, 5.0, 7.0])).sum()", {"x": 3}),
    "jax.numpy.median": ("jnp.median(x)", {"x": 4}),
    "jax.numpy.nanmedian": ("jnp.nanmedian(x)", {"x": 3}),
    "jax.numpy.quantile": ("jnp.quantile(x, 0.5) + jnp.quantile(x, 0.25, method='lower')", {"x": 4}),
    "jax.numpy.percentile": ("jnp.percentile(x, 50.0, method='midpoint')", {"x": 4}),
    # norms
    "jax.numpy.linalg.norm": ("jnp.linalg.norm(x, ord=1) + jnp.linalg.norm(x, ord=jnp.inf)", {"x": 2}),
    "jax.numpy.linalg.vector_norm": ("jnp.linalg.vector_norm(x) + jnp.linalg.vector_norm(x, ord=-jnp.inf)",
                                     {"x": 2}),
    # pooling
    "jax.lax.reduce_window": ("lax.reduce_window(x, -jnp.inf, lax.max, (2,), (1,), 'VALID').sum()"
                              " + lax.reduce_window(x, -jnp.inf, lax.max, (2,), (2,), 'SAME').sum()", {"x": 3}),
    # selection
    "jax.numpy.where": ("jnp.where(a > b, a, b) + jnp.where(a >= b, a, 2.0 * b)", {}),
    # smooth
    "jax.nn.sigmoid": ("jax.nn.sigmoid(a)", {}),
    "jax.nn.tanh": ("jax.nn.tanh(a)", {}),
    "jax.numpy.tanh": ("jnp.tanh(a)", {}),
    "jax.lax.stop_gradient": ("a * jax.lax.stop_gradient(jax.nn.relu(b)) + b * jax.lax.stop_gradient(a)", {}),
    "jax.numpy.exp": ("jnp.exp(a - b)", {}),
    "jax.numpy.expm1": ("jnp.expm1(a)", {}),
    "jax.numpy.log": ("jnp.log(a * a + 1.0)", {}),
    "jax.numpy.log1p": ("jnp.log1p(a * a)", {}),
    "jax.numpy.sqrt": ("jnp.sqrt(a * a + 1.0)", {}),
    "jax.numpy.sin": ("jnp.sin(a)", {}),
    "jax.numpy.cos": ("jnp.cos(a)", {}),
    "jax.numpy.square": ("jnp.square(a) + a ** 0 + b ** 0.0", {}),
    "jax.numpy.add": ("jnp.add(a, b)", {}),
    "jax.numpy.subtract": ("jnp.subtract(a, b)", {}),
    "jax.numpy.multiply": ("jnp.multiply(a, b)", {}),
    "jax.numpy.divide": ("jnp.divide(a, b * b + 1.0)", {}),
    "jax.numpy.true_divide": ("jnp.true_divide(a, b * b + 1.0)", {}),
    "jax.numpy.negative": ("jnp.negative(a)", {}),
    # Python's own max/min/sorted and functools.reduce, on jax arrays
    "builtins.max": ("max(a, b) + max(x) + max(x[0], x[1], a)", {"x": 3}),
    "builtins.min": ("min(a, b) + min(x)", {"x": 3}),
    "builtins.sorted": ("sorted(x)[1] + 2 * sorted(x, reverse=True)[0]", {"x": 3}),
    "functools.reduce": ("functools.reduce(jnp.maximum, x)", {"x": 4}),
    "jax.lax.stop_gradient": ("a * jax.lax.stop_gradient(jax.nn.relu(a)) + b", {}),
    # Python's sorted picks objects: the sqrt it leaves out gets no cotangent (no nan at 0)
    "builtins.sorted (unpicked sqrt)": ("sorted([jnp.sqrt(a * a), b, b + 1.0])[1]", {}),
    # log-exp compositions
    "jax.nn.softplus": ("jax.nn.softplus(a - b)", {}),
    "jax.nn.silu": ("jax.nn.silu(a) + jax.nn.swish(jax.nn.relu(b))", {}),
    "jax.nn.mish": ("jax.nn.mish(jnp.maximum(a, b))", {}),
    "jax.nn.gelu": ("jax.nn.gelu(jnp.abs(a))", {}),
    "jax.nn.gelu (erf form)": ("jax.nn.gelu(jnp.maximum(a, b), approximate=False)", {}),
    "jax.scipy.special.xlogy": ("jax.scipy.special.xlogy(a, b * b + 1) + jax.nn.relu(a)", {}),
    "jax.scipy.special.erf": ("jax.scipy.special.erf(jnp.abs(a))", {}),
    "jax.lax.erf": ("jax.lax.erf(jnp.maximum(a, b))", {}),
    "jax.scipy.special.erfc": ("jax.scipy.special.erfc(jax.nn.relu(a))", {}),
    "jax.lax.erfc": ("jax.lax.erfc(a - b)", {}),
    "jax.nn.softmax": ("jax.nn.softmax(x)[0] + jax.nn.softmax(jnp.maximum(x, 0.0))[1]", {"x": 3}),
    "jax.nn.log_softmax": ("jax.nn.log_softmax(X, axis=0)[1, 0] + jax.nn.log_softmax(X)[0, 1]", {"X": (2, 2)}),
    "jax.nn.logsumexp": ("jax.nn.logsumexp(jnp.maximum(x, 0.0)) + jax.nn.logsumexp(X, axis=1, keepdims=True)[0, 0]",
                         {"x": 3, "X": (2, 2)}),
    "jax.numpy.select": ("jnp.select([x < 0, x < 1], [-x, x * x], default=x).sum() + jnp.select([a > b], [b], default=a)",
                         {"x": 2}),
    # structured control flow, read as the Python it stands for
    "jax.lax.cond": ("lax.cond(a > b, lambda t, u: t * u, lambda t, u: jnp.abs(t - u), a, b) + "
                     "lax.cond(a >= 0, lambda t: jnp.sqrt(t), lambda t: -t, a)", {}),
    "jax.lax.select": ("lax.select(x > a, x, jnp.abs(x)).sum()", {"x": 3}),
    "jax.lax.fori_loop": ("lax.fori_loop(0, 3, lambda i, acc: jnp.maximum(acc, x[i]), a)", {"x": 3}),
    "jax.lax.scan": ("lax.scan(lambda c, v: (jnp.maximum(c, v), jnp.abs(c - v)), a, x)[1].sum() + "
                     "lax.scan(lambda c, v: (c * v, c), a, x, reverse=True)[1][0]", {"x": 3}),
    "jax.vmap": ("jax.vmap(lambda r, v: jnp.max(r * v), in_axes=(0, None))(X, x).sum() + "
                 "jax.vmap(jax.nn.relu)(x)[1]", {"X": (3, 2), "x": 2}),
    "jax.nn.log_sigmoid": ("jax.nn.log_sigmoid(jax.nn.relu(a)) + jax.nn.soft_sign(a - b)", {}),
}
