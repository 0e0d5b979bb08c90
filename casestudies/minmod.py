"""The minmod limiter in two forms (seed 000, Després).

minmod(x, y) is 0 when x and y have different signs, else the one of smaller
magnitude. Després writes it minmod(x, y) = R(-max(-x, -y)) - R(-max(x, y)) with
R = relu; the branch form is how it is usually coded.
"""

import torch


def minmod_relu(x: float, y: float):
    return torch.relu(-torch.maximum(-x, -y)) - torch.relu(-torch.maximum(x, y))


def minmod_branch(x: float, y: float):
    if x > 0 and y > 0:
        return min(x, y)
    if x < 0 and y < 0:
        return max(x, y)
    return 0 * x


if __name__ == "__main__":
    from _study import run_study

    run_study(__file__)
