"""One row per tensorflow call pwverify models: a program using it, with its input shapes.

Run by ``tests/test_frameworks_differential.py`` through real tensorflow (float64) at
every piece, every kink and random points, with ``GradientTape`` (reverse) and
``ForwardAccumulator`` (forward).
"""

from framework_cases import REFUSED  # noqa: F401 - rows may use it

TF_CASES = {
    # elementwise kinks
    "tensorflow.nn.relu": ("tf.nn.relu(a - b)", {}),
    "keras.activations.relu": ("keras.activations.relu(a)", {}),
    "tensorflow.nn.relu6": ("tf.nn.relu6(a)", {}),
    "keras.activations.relu6": ("keras.activations.relu6(a)", {}),
    "tensorflow.nn.leaky_relu": ("tf.nn.leaky_relu(a) + tf.nn.leaky_relu(b, alpha=0.1)", {}),
    "tensorflow.nn.elu": ("tf.nn.elu(a)", {}),
    "tensorflow.nn.selu": ("tf.nn.selu(a - b)", {}),
    "keras.activations.hard_sigmoid": ("keras.activations.hard_sigmoid(a)", {}),
    "keras.activations.hard_silu": ("keras.activations.hard_silu(a)", {}),
    "keras.activations.hard_swish": ("keras.activations.hard_swish(a - b)", {}),
    "tensorflow.abs": ("tf.abs(a - b)", {}),
    "tensorflow.math.abs": ("tf.math.abs(a) + (a + b + tf.abs(a - b)) / 2", {}),
    "tensorflow.sign": ("a * tf.sign(a) + tf.sign(b)", {}),
    "tensorflow.math.sign": ("a * tf.math.sign(a - b)", {}),
    "tensorflow.clip_by_value": ("tf.clip_by_value(a, b, c) + tf.clip_by_value(a, -1.0, 1.0)", {}),
    # binary max/min
    "tensorflow.maximum": ("tf.maximum(a, b) + tf.maximum(a, 0.0)", {}),
    "tensorflow.math.maximum": ("tf.math.maximum(a, b)", {}),
    "tensorflow.minimum": ("tf.minimum(a, b)", {}),
    "tensorflow.math.minimum": ("tf.math.minimum(a, b)", {}),
    # value-only reductions
    "tensorflow.reduce_max": ("tf.reduce_max(x)", {"x": 3}),
    "tensorflow.math.reduce_max": ("tf.reduce_sum(tf.math.reduce_max(X, axis=0))", {"X": (2, 2)}),
    "tensorflow.reduce_min": ("tf.reduce_min(x)", {"x": 3}),
    "tensorflow.math.reduce_min": ("tf.math.reduce_min(x, axis=0)", {"x": 3}),
    # index-carrying reductions
    "tensorflow.argmax": ("tf.gather(x, tf.argmax(x))", {"x": 3}),
    "tensorflow.math.argmax": ("tf.gather(y, tf.math.argmax(x))", {"x": 3, "y": 3}),
    "tensorflow.argmin": ("tf.gather(x, tf.argmin(x))", {"x": 3}),
    "tensorflow.math.argmin": ("tf.gather(x, tf.math.argmin(x))", {"x": 3}),
    "tensorflow.gather": ("tf.gather(x, tf.argmax(x)) + tf.gather(x, tf.argmin(x))", {"x": 3}),
    "tensorflow.math.top_k": ("tf.reduce_sum(tf.math.top_k(x, 2).values * [1.0, 3.0])", {"x": 3}),
    "tensorflow.nn.top_k": ("tf.nn.top_k(x, 1).values[0]", {"x": 3}),
    # sorting
    "tensorflow.sort": ("tf.reduce_sum(tf.sort(x, direction='DESCENDING') * [1.0, 2.0, 3.0])"
                        " + tf.reduce_sum(tf.sort(x) * [1.0, 5.0, 7.0])", {"x": 3}),
    # norms
    "tensorflow.norm": ("tf.norm(x) + tf.norm(x, ord=1) + tf.norm(x, ord=np.inf)", {"x": 2}),
    "tensorflow.linalg.norm": ("tf.linalg.norm(x, ord=1)", {"x": 3}),
    # pooling
    "tensorflow.nn.max_pool1d": ("tf.reduce_sum(tf.nn.max_pool1d(tf.reshape(x, [1, 4, 1]), 2, 1, 'VALID'))"
                                 " + tf.reduce_sum(tf.nn.max_pool1d(tf.reshape(x, [1, 4, 1]), 3, 2, 'SAME'))",
                                 {"x": 4}),
    "tensorflow.nn.max_pool2d": ("tf.reduce_sum(tf.nn.max_pool2d(tf.reshape(X, [1, 2, 3, 1]), 2, 1, 'VALID'))",
                                 {"X": (2, 3)}),
    # selection
    "tensorflow.where": ("tf.where(a > b, a, b) + tf.where(a >= b, a, 2.0 * b)", {}),
    # smooth
    "tensorflow.sigmoid": ("tf.sigmoid(a)", {}),
    "tensorflow.math.sigmoid": ("tf.math.sigmoid(a)", {}),
    "tensorflow.nn.sigmoid": ("tf.nn.sigmoid(a)", {}),
    "tensorflow.tanh": ("tf.tanh(a)", {}),
    "tensorflow.math.tanh": ("tf.math.tanh(a)", {}),
    "tensorflow.nn.gelu": ("tf.nn.gelu(tf.abs(a)) + tf.nn.gelu(tf.maximum(a, b), approximate=True)", {}),
    "keras.activations.gelu": ("keras.activations.gelu(tf.nn.relu(a)) + keras.activations.gelu(b, approximate=True)", {}),
    "tensorflow.math.erf": ("tf.math.erf(tf.abs(a)) + tf.math.erf(b)", {}),
    "tensorflow.math.erfc": ("tf.math.erfc(tf.nn.relu(a)) + tf.math.erfc(a - b)", {}),
    "tensorflow.nn.tanh": ("tf.nn.tanh(a)", {}),
    "tensorflow.stop_gradient": ("a * tf.stop_gradient(tf.nn.relu(b)) + b * tf.stop_gradient(a)", {}),
    "tensorflow.exp": ("tf.exp(a - b)", {}),
    "tensorflow.math.exp": ("tf.math.exp(a)", {}),
    "tensorflow.math.expm1": ("tf.math.expm1(a)", {}),
    "tensorflow.math.log": ("tf.math.log(a * a + 1.0)", {}),
    "tensorflow.math.log1p": ("tf.math.log1p(a * a)", {}),
    "tensorflow.sqrt": ("tf.sqrt(a * a + 1.0)", {}),
    "tensorflow.math.sqrt": ("tf.math.sqrt(a * a + 1.0)", {}),
    "tensorflow.sin": ("tf.sin(a)", {}),
    "tensorflow.math.sin": ("tf.math.sin(a)", {}),
    "tensorflow.cos": ("tf.cos(a)", {}),
    "tensorflow.math.cos": ("tf.math.cos(a)", {}),
    "tensorflow.square": ("tf.square(a) + a ** 0", {}),
    "tensorflow.math.square": ("tf.math.square(a)", {}),
    "tensorflow.add": ("tf.add(a, b)", {}),
    "tensorflow.math.add": ("tf.math.add(a, b)", {}),
    "tensorflow.subtract": ("tf.subtract(a, b)", {}),
    "tensorflow.math.subtract": ("tf.math.subtract(a, b)", {}),
    "tensorflow.multiply": ("tf.multiply(a, b)", {}),
    "tensorflow.math.multiply": ("tf.math.multiply(a, b)", {}),
    "tensorflow.divide": ("tf.divide(a, b * b + 1.0)", {}),
    "tensorflow.math.divide": ("tf.math.divide(a, b * b + 1.0)", {}),
    "tensorflow.truediv": ("tf.truediv(a, b * b + 1.0)", {}),
    "tensorflow.negative": ("tf.negative(a)", {}),
    "tensorflow.math.negative": ("tf.math.negative(a)", {}),
    # Python's own max/min/sorted and functools.reduce, on tensorflow tensors
    "builtins.max": ("max(a, b) + max(x[0], x[1], a)", {"x": 3}),
    "builtins.min": ("min(a, b) + min(x[0], x[2])", {"x": 3}),
    "functools.reduce": ("functools.reduce(tf.maximum, [x[0], x[1], x[2], x[3]])", {"x": 4}),
    "tensorflow.stop_gradient": ("a * tf.stop_gradient(tf.nn.relu(a)) + b", {}),
    "builtins.sorted": ("sorted([tf.sqrt(a * a), b, b + 1.0])[1] + sorted(x, reverse=True)[0]", {"x": 3}),
    # log-exp compositions
    "tensorflow.nn.softplus": ("tf.nn.softplus(a - b) + tf.math.softplus(tf.nn.relu(a))", {}),
    "tensorflow.nn.silu": ("tf.nn.silu(a, beta=2.0) + tf.nn.swish(tf.nn.relu(b)) + keras.activations.silu(a)", {}),
    "keras.activations.mish": ("keras.activations.mish(tf.maximum(a, b))", {}),
    "tensorflow.nn.softmax": ("tf.nn.softmax(x)[0] + tf.nn.softmax(tf.nn.relu(x))[1]", {"x": 3}),
    "tensorflow.nn.log_softmax": ("tf.nn.log_softmax(X, axis=0)[1, 0] + tf.nn.log_softmax(X)[0, 1]", {"X": (2, 2)}),
    "tensorflow.reduce_logsumexp": ("tf.reduce_logsumexp(tf.maximum(x, 0.0)) + tf.reduce_logsumexp(X, axis=1)[0]",
                                    {"x": 3, "X": (2, 2)}),
    # structured control flow
    "tensorflow.cond": ("tf.cond(a > b, lambda: tf.sqrt(tf.nn.relu(a)), lambda: 2.0 * b) + "
                        "tf.cond(a <= 0.0, lambda: tf.abs(b), lambda: a * b)", {}),
    "tensorflow.map_fn": ("tf.reduce_sum(tf.map_fn(lambda v: tf.maximum(v, a), x)) + "
                          "tf.map_fn(lambda r: tf.reduce_max(r), X)[1]", {"x": 3, "X": (2, 2)}),
    "tensorflow.math.log_sigmoid": ("tf.math.log_sigmoid(tf.nn.relu(a)) + tf.math.log_sigmoid(a - b)", {}),
}
