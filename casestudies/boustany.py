"""Boustany's example (Després 2024b, §4.3): two maxima, one function, two gradients.

``max1`` is the loop of Boustany (2024): the first maximal entry wins a tie.
``max2`` is ``torch.max``, which splits the gradient evenly over tied entries.
``f(t) = max1(t*x) - max2(t*x)`` with ``x = (1, 2, 3, 4)`` is identically 0, yet
PyTorch returns ``f'(0) = 1 - 10/4 = -3/2`` (Table 2 of Després 2024b).

The functions below are plain PyTorch; pwverify reads them without running them.
"""

import torch

X = [1.0, 2.0, 3.0, 4.0]


def max1(x):
    res = x[0]
    for i in range(1, len(x)):
        if x[i] > res:
            res = x[i]
    return res


def max2(x):
    return torch.max(x)


def f(t: float):
    x = t * torch.tensor(X)
    return max1(x) - max2(x)


def zero(t: float):
    return 0 * t


def max1_t(x: "float[4]"):
    return max1(x)


def max2_t(x: "float[4]"):
    return max2(x)


def torch_max4(x: "float[4]"):
    return torch.max(x)


if __name__ == "__main__":
    from _study import run_study

    raise SystemExit(run_study(__file__))
