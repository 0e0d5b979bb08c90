"""The upwind flux of a transport scheme in two forms (Després 2024a).

For u_t + a u_x = 0 the upwind scheme uses G_a(α, β) = α if a > 0 else β, and the
flux F(a, α, β) = a G_a(α, β) = R(a) α - R(-a) β with R = relu. Both programs compute
the same function; autodiff's gradients differ on a = 0 (d/da is β for the branch
form, 0 for the relu form).
"""

import torch


def flux_branch(a: float, alpha: float, beta: float):
    return a * (alpha if a > 0 else beta)


def flux_relu(a: float, alpha: float, beta: float):
    return torch.relu(a) * alpha - torch.relu(-a) * beta


if __name__ == "__main__":
    from _study import run_study

    raise SystemExit(run_study(__file__))
