"""The minmod limiter in two forms, and one Lax–Wendroff/minmod step (Després 2024a).

minmod(x, y) is 0 when x and y have different signs, else the one of smaller
magnitude. Després writes it minmod(x, y) = R(-max(-x, -y)) - R(-max(x, y)) with
R = relu; the branch form is how it is usually coded. Both compute the same function;
at x = y ≠ 0 torch.maximum splits the gradient (1/2, 1/2) where Python's min gives it
to its first argument.

The second-order scheme for u_t + a u_x = 0 (a > 0, Courant number ν = 1/2) updates
cell j with the limited faces u_{j+1/2} = u_j + (1 - ν)/2 · minmod(u_{j+1} - u_j,
u_j - u_{j-1}); ``lw_relu`` and ``lw_branch`` compute one update of cell 2 from four
cells with each form of minmod. The Lemma of the talk: the step is piecewise C¹, so
autodiff through it returns an associated gradient.
"""

import torch

NU = 0.5


def minmod_relu(x: float, y: float):
    return torch.relu(-torch.maximum(-x, -y)) - torch.relu(-torch.maximum(x, y))


def minmod_branch(x: float, y: float):
    if x > 0 and y > 0:
        return min(x, y)
    if x < 0 and y < 0:
        return max(x, y)
    return 0 * x


def lw_relu(u: "float[4]"):
    def face(j):
        return u[j] + 0.5 * (1 - NU) * minmod_relu(u[j + 1] - u[j], u[j] - u[j - 1])
    return u[2] - NU * (face(2) - face(1))


def lw_branch(u: "float[4]"):
    def face(j):
        return u[j] + 0.5 * (1 - NU) * minmod_branch(u[j + 1] - u[j], u[j] - u[j - 1])
    return u[2] - NU * (face(2) - face(1))


if __name__ == "__main__":
    from _study import run_study

    raise SystemExit(run_study(__file__))
