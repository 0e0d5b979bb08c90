"""The constructs the frontend reads, one example each (the reading reference is generated
from this table and the registry when the documentation is built; the examples are read
and evaluated then, so none can go stale).

Each :class:`Construct` is a small program (a file's text, or an expression), the
PROGRAM target in it, input shapes, and a point at which ``pwverify grad`` shows what
autodiff returns there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .calls import DETACHING_DECORATORS, TRANSPARENT_DECORATORS
from .names import KNOWN_ROOTS


@dataclass(frozen=True)
class Construct:
    title: str
    source: str               # a file's text ("" for an expression program)
    target: str               # the part after "file.py:", or the expression
    at: str                   # the point for `pwverify grad --at`
    shapes: dict = field(default_factory=dict)
    note: str = ""


CONSTRUCTS = [
    Construct("if / elif / else with a return in every branch", '''
def minmod(a, b):
    if a * b <= 0:
        return 0.0
    elif abs(a) < abs(b):
        return a
    else:
        return b
''', "minmod", "a=1, b=1", note="Each branch is a piece; a variable assigned in every branch reads the same way."),
    Construct("a class: nn.Module with layers (parameters are inputs named by state_dict keys)", '''
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 2)
        self.fc2 = nn.Linear(2, 1)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))
''', "Net", "x=[1, 2], fc1.weight=[[1, 0], [0, 1]], fc1.bias=[0, -2], fc2.weight=[[1, 1]], fc2.bias=[0]",
              {"x": (2,)}, note="`fc1.weight[0, 1]` is the input `fc1_weight0_1`; `--wrt weights` selects the "
                                "parameters, `--weights FILE` fixes them to a checkpoint's exact values."),
    Construct("a class's method, and a module with constructor arguments", '''
import torch


class HingeLoss(torch.nn.Module):
    def __init__(self, margin=1.0):
        super(HingeLoss, self).__init__()
        self.margin = margin

    def forward(self, input, target):
        output = self.margin - input.mul(target)
        output[output.le(0)] = 0
        return output.mean()
''', "HingeLoss(margin=2.0)", "input=[1, 2], target=[1, 1]", {"input": (2,), "target": (2,)}),
    Construct("a closure factory", '''
import torch


def quantile_loss(q):
    def loss(y, yhat):
        e = y - yhat
        return torch.max(q * e, (q - 1) * e)
    return loss
''', "quantile_loss(0.9)", "y=1, yhat=1", note="The factory is called with constant arguments; the returned "
                                                "function is read."),
    Construct("allocate, then fill entries, slices and rows", '''
import numpy as np


def upwind(u: "float[4]"):
    flux = np.zeros(3)
    for i in range(len(u) - 1):
        flux[i] = max(u[i], u[i + 1])
    flux[1:] += 1.0
    return flux
''', "upwind", "u=[1, 1, 0, 2]", note="`np.empty` entries read before they are written are an error."),
    Construct("jax's x.at[i].set / add", '''
import jax.numpy as jnp


def f(x: "float[3]"):
    y = jnp.zeros(3)
    y = y.at[0].set(jnp.abs(x[0]))
    return y.at[1:].add(x[1:])
''', "f", "x=[0, 1, 2]"),
    Construct("masks and comparisons used as numbers", '''
import torch


def f(x: "float[3]"):
    y = x.clone()
    y[y < 0] = 0
    return y.sum() + (x > 0).float().sum() + x[x > 1].sum()
''', "f", "x=[-1, 0, 2]", note="A comparison used as a number is a step: 1 where it holds, else 0, with "
                                "derivative 0."),
    Construct("shapes: view, permute, cat and stack along any dim, size, shape, len", '''
import torch


def f(X: "float[2, 2, 2]"):
    Y = X.permute(2, 0, 1).reshape(2, -1)
    Z = torch.cat([Y, Y], dim=1)
    return torch.stack([Z[0], Z[1]], dim=-1).amax() * X.size(0) + len(X) + X.shape[-1]
''', "f", "X=[[[1, 2], [3, 4]], [[4, 3], [2, 1]]]"),
    Construct("detaching: .item(), float(t), .tolist(), torch.no_grad()", '''
import torch


def f(x):
    with torch.no_grad():
        scale = torch.relu(x) * 2
    return x * torch.relu(x).item() + x * scale
''', "f", "x=2", note="`no_grad` detaches in reverse mode; forward-mode autodiff is not affected by it, "
                      "as in torch."),
    Construct("in-place operations: inplace=True, relu_, x.clamp_(), += on a tensor", '''
import torch.nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.act = nn.ReLU6(inplace=True)

    def forward(self, x):
        h = x + 0
        alias = h
        alias += 1
        return self.act(h) * alias
''', "Block", "x=[7, 2]", {"x": (2,)},
              note="An in-place torch operation (a module or function with `inplace=True`, `F.relu_(x)`, "
                   "`x.add_(1)`, `x += y` on a torch or numpy array) writes into its argument, and every name "
                   "bound to that tensor sees it: here `alias` is `relu6(x + 1)` too. jax and tensorflow "
                   "arrays are immutable: `+=` makes a new one."),
    Construct("Python's sorted, max and min over tensors", '''
import torch


def f(x: "float[2]", b):
    return sorted([torch.sqrt(x[0] ** 2 + x[1] ** 2), b, b + 1])[1] + max(x[0], b)
''', "f", "x=[0, 0], b=1", note="They return existing objects: the entries they do not pick have no autodiff "
                                   "edge (here the sqrt, whose derivative at 0 is infinite, makes no nan). "
                                   "Ties keep input order (`sorted` is stable)."),
    Construct("jax's structured control flow: lax.cond, lax.scan, lax.fori_loop, jax.vmap", '''
import jax
import jax.numpy as jnp
from jax import lax


def f(x: "float[3]", a: float):
    running_max, _ = lax.scan(lambda c, v: (jnp.maximum(c, v), c), a, x)
    clipped = jax.vmap(lambda v: jnp.clip(v, -1.0, 1.0))(x)
    return lax.cond(running_max > 0, lambda t: jnp.sqrt(t), lambda t: -t, running_max) + clipped.sum()
''', "f", "x=[0, -2, 0], a=0", {"x": (3,)},
              note="Read as the Python they stand for: `cond` joins its branches as an `if` does (only the branch "
                   "taken reaches the gradient, so the sqrt at 0 makes no nan here), the loops are unrolled, "
                   "`vmap` maps over slices. A `lax.cond` inside `vmap` is refused: jax makes it a select."),
    Construct("decorators, asserts on shapes, keyword arguments", '''
import torch


@torch.jit.script
def f(x: "float[3]", w: "float[3]"):
    assert x.shape == w.shape
    return torch.where(x > w, input=x, other=w).sum()
''', "f", "x=[1, 2, 3], w=[1, 0, 4]"),
    Construct("a helper imported from a sibling module", '''
from limiters import minmod


def flux(a, b):
    return 2 * minmod(a, b)
''', "flux", "a=1, b=2", note="The sibling file is read with ast, never imported (here `limiters.py` holds the "
                              "minmod of the first example)."),
]

#: Other files an example imports (name -> text), written next to it.
SIBLINGS = {"limiters.py": CONSTRUCTS[0].source}


def decorator_table() -> list[tuple[str, str]]:
    rows = [(name, "read as the undecorated function") for name in sorted(TRANSPARENT_DECORATORS)]
    rows += [(name, "what it returns is detached" + (" (both modes)" if both else " (reverse mode)"))
             for name, both in sorted(DETACHING_DECORATORS.items())]
    return rows


def never_read_as_files() -> list[str]:
    """Top-level packages never looked for as sibling files (frameworks, the standard library)."""
    return sorted(KNOWN_ROOTS)
