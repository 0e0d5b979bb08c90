"""One formula, three frameworks: (a + b + |a - b|)/2 (docs/reference/frameworks-measured.md §2, §8.1).

The formula is max(a, b) whatever the framework, and Python's ``abs`` calls the
framework's own absolute value on a tensor or an array. What autodiff returns at a = b
depends on abs'(0): 0 in torch (sign(0)) and TensorFlow, 1 in JAX
(``select(x >= 0, g, -g)``). So torch and TensorFlow return (1/2, 1/2), JAX (1, 0),
measured on torch 2.13.0, jax 0.10.2 and tensorflow 2.21.0. pwverify reads the same
source under each framework's rules (``pwverify.parse(..., framework="jax")``).
"""


def max_abs(a: float, b: float):
    return (a + b + abs(a - b)) / 2


def abs_(t: float):
    return abs(t)


if __name__ == "__main__":
    from _study import run_study

    raise SystemExit(run_study(__file__))
