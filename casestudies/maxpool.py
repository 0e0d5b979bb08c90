"""A simplified Boustany example with max pooling (Després 2024b, §4.4, Table 3).

``torch.nn.MaxPool1d(2, stride=1)`` gives the gradient of a tied window to its first
entry. f(t) = maxpool(t, 4t) - maxpool(4t, t) is identically 0, yet autodiff returns
f'(0) = 1 - 4 = -3, and 0 everywhere else.
"""

import torch

m = torch.nn.MaxPool1d(2, stride=1)


def pool(a, b):
    return m(torch.stack([a, b]).unsqueeze(0))[0, 0]


def f(t: float):
    return pool(t, 4 * t) - pool(4 * t, t)


def pool_t_4t(t: float):
    return pool(t, 4 * t)


def pool_4t_t(t: float):
    return pool(4 * t, t)


if __name__ == "__main__":
    from _study import run_study

    raise SystemExit(run_study(__file__))
