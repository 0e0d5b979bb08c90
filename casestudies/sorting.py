"""Sorting as an elementary selection (Bolte & Pauwels 2020, Bolte & Pauwels, §5.1).

F(x) = Px sorts x in descending order, for any permutation matrix P that does so. At a
tie several P qualify, and D_F(x) = conv{P : Px = F(x)}, a conservative field of F
that is its Clarke Jacobian. ``sort3`` (torch.sort) returns one of those P: ties keep
their input order. ``network3`` sorts with a network of torch.maximum/minimum, each of
which splits a tie 1/2, 1/2: at a tie its Jacobian is a doubly stochastic mixture of
the qualifying permutations, still inside D_F, but not the one torch.sort returns.
"""

import torch


def sort3(x: "float[3]"):
    return torch.sort(x, descending=True).values


def sort4(x: "float[4]"):
    return torch.sort(x, descending=True).values


def network3(x: "float[3]"):
    a, b, c = x[0], x[1], x[2]
    hi1, lo1 = torch.maximum(a, b), torch.minimum(a, b)
    top, low = torch.maximum(hi1, c), torch.minimum(hi1, c)
    middle, bottom = torch.maximum(lo1, low), torch.minimum(lo1, low)
    return torch.stack([top, middle, bottom])


if __name__ == "__main__":
    from _study import run_study

    raise SystemExit(run_study(__file__))
