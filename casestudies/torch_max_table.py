"""The representations of max1 and torch.max over four entries (Després 2024b, eq. 17 and 19).

``max2_table.toml`` writes torch.max the way the paper does: one piece per non-empty
set of tied maximal entries (2^4 - 1 = 15 pieces), with the mean of the set as its
formula, so that its associated gradient is 1/k on each of the k tied entries.
``max1_table.toml`` has the four pieces of the loop max1, where the first maximal entry
wins. pwverify checks each file: the pieces are disjoint, cover R^4, are non-empty and
join continuously; each formula equals the program on its piece; and the associated
gradient is exactly what autodiff returns. Its own decomposition of torch.max also has
15 pieces.

    pwverify check casestudies/max2_table.toml --against casestudies/torch_max_table.py:torch_max4
"""

import torch


def torch_max4(x: "float[4]"):
    return torch.max(x)


def max1(x: "float[4]"):
    res = x[0]
    for i in range(1, 4):
        if x[i] > res:
            res = x[i]
    return res


if __name__ == "__main__":
    from _study import run_study

    raise SystemExit(run_study(__file__))
