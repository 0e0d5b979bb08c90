"""Bolte & Pauwels 2020 (Figure 1): five programs for two functions.

relu, relu2 and relu3 all compute relu; zero computes 0; identity_minus_zero
computes the identity. At t = 0 autodiff returns relu'(0) = 0, relu2'(0) = 1,
relu3'(0) = 1/2, zero'(0) = 1, and (t - zero)'(0) = 0: an artificial critical point.
"""

import torch


def relu(t: float):
    return torch.relu(t)


def relu2(t: float):
    return torch.relu(-t) + t


def relu3(t: float):
    return 0.5 * (relu(t) + relu2(t))


def zero(t: float):
    return relu2(t) - relu(t)


def identity(t: float):
    return t


def identity_minus_zero(t: float):
    return t - zero(t)


def sin_minus_zero(t: float):
    return torch.sin(t) - zero(t)


if __name__ == "__main__":
    from _study import run_study

    raise SystemExit(run_study(__file__))
