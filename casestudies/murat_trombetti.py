"""Murat & Trombetti's paradox and the degenerate weight (Després 2024b, §2 and §4).

``max_xx`` is f = S0 ∘ f0 with f0(x) = (x, x) (W0 = (1, 1)) and S0 = max over two
values: f(x) = x, but the classical chain rule needs ∇max on its tie line, where it
does not exist. Any associated gradient of max on the tie piece has (1, 1)·∇ = 1,
so autodiff returns f'(x) = 1 whatever the tie rule (torch splits 1/2 + 1/2; Python's
max gives 1 + 0; torch.max of the stacked pair splits evenly).

``relu_w0`` is f(x) = relu(w0 x) with w0 = 0: relu'(0) never matters, f' = 0 for
every choice relu'(0) = z.

``max_pair`` and ``python_max_pair`` are S0 itself under two tie rules: on the tie
line P^3 = {y1 = y2} their gradients (1/2, 1/2) and (1, 0) differ in the direction
normal to P^3 and agree in the tangent direction (1, 1), which is all f' sees
(Remark 1 of Després 2024b).
"""

import torch


def max_xx(x: float):
    return torch.maximum(x, x)


def max_stack_xx(x: float):
    return torch.max(torch.stack([x, x]))


def python_max_xx(x: float):
    return max(x, x)


def relu_w0(x: float, w0=0.0):
    return torch.relu(w0 * x)


def max_pair(y1: float, y2: float):
    return torch.maximum(y1, y2)


def python_max_pair(y1: float, y2: float):
    return max(y1, y2)


if __name__ == "__main__":
    from _study import run_study

    raise SystemExit(run_study(__file__))
