"""The distinct mismatches fuzzing found, as data, replayed by ``tests/test_fuzz.py``.

Each :class:`Regression` is a minimised program, a point, a mode, and the value and
Jacobian the framework returned there in float64 (``value``: one number per output;
``gradient``: one row per output, one column per scalar input entry in declaration
order; ``nan`` where the framework's gradient is undefined, where pwverify may raise
``DomainError`` for the gradient but must still give the value). The test requires
pwverify's exact prediction to equal those numbers (see ``fuzz.harness.agree``); a
second test re-runs the framework, where installed, to keep
the numbers honest. ``failing`` says what pwverify gets wrong today: such a case is a
strict xfail, so it fails loudly the day it is fixed (then drop ``failing``).

Each :class:`Crash` is a program pwverify crashed on (an internal error, not a
refusal) while reading it or finding its tie points.
"""

from __future__ import annotations

from dataclasses import dataclass

NAN = float("nan")


@dataclass(frozen=True)
class Regression:
    name: str
    framework: str
    mode: str
    source: str
    point: dict
    value: list
    gradient: list
    failing: str = ""


@dataclass(frozen=True)
class Crash:
    name: str
    framework: str
    source: str
    failing: str = ""


REGRESSIONS: list[Regression] = [
    Regression(
        name='torch-topk-tie-order-n4',
        framework='torch', mode='reverse',
        source="""\
import torch


def f(x: "float[4]"):
    return torch.topk(x, 1).values[0]
""",
        point={'x0': '0', 'x1': '0', 'x2': '0', 'x3': '0'},
        value=[0.0],
        gradient=[[0.0, 0.0, 1.0, 0.0]],
    ),
    Regression(
        name='torch-topk-smallest-tie-order-forward',
        framework='torch', mode='forward',
        source="""\
import torch


def f(x: "float[4]"):
    return x.topk(2, largest=False)[0]
""",
        point={'x0': '1/4', 'x1': '0', 'x2': '1', 'x3': '1/4'},
        value=[0.0, 0.25],
        gradient=[[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]],
    ),
    Regression(
        name='torch-sort-unstable-n17',
        framework='torch', mode='reverse',
        source="""\
import torch


def f(x: "float[17]"):
    return torch.sort(x).values[0]
""",
        point={f"x{i}": "0" for i in range(17)},
        value=[0.0],
        gradient=[[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]],
    ),
    Regression(
        name='torch-quantile-unstable-sort-n18',
        framework='torch', mode='reverse',
        source="""\
import torch


def f(x: "float[18]"):
    return x.quantile(0.6)
""",
        point={**{f"x{i}": "0" for i in range(18)}, "x1": "1", "x7": "1"},
        value=[0.0],
        gradient=[[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1999999999999993, 0.0, 0.8000000000000007, 0.0, 0.0, 0.0, 0.0, 0.0,
                   0.0, 0.0, 0.0, 0.0]],
    ),
    Regression(
        name='torch-quantile-nearest',
        framework='torch', mode='reverse',
        source="""\
import torch


def f(x: "float[4]"):
    return torch.quantile(x, 0.3, interpolation='nearest')
""",
        point={'x0': '1', 'x1': '2', 'x2': '3', 'x3': '4'},
        value=[2.0],
        gradient=[[0.0, 1.0, 0.0, 0.0]],
    ),
    Regression(
        name='torch-sqrt-of-selu-gradient',
        framework='torch', mode='reverse',
        source="""\
import torch
import torch.nn.functional as F


def f(a: float):
    t = F.selu(a)
    return torch.sqrt(1.0 + t * t)
""",
        point={'a': '1'},
        value=[1.4505076920960405],
        gradient=[[0.7610939058409941]],
    ),
    Regression(
        name='jax-sqrt-of-selu-gradient',
        framework='jax', mode='forward',
        source="""\
import jax
import jax.numpy as jnp


def f(a: float):
    t = jax.nn.selu(a)
    return jnp.sqrt(1.0 + t * t)
""",
        point={'a': '1'},
        value=[1.4505076920960405],
        gradient=[[0.7610939058409942]],
    ),
    Regression(
        name='torch-sqrt-long-constant-gradient',
        framework='torch', mode='forward',
        source="""\
import torch


def f(a: float):
    t = 1.0507009873554804934193349852946 * a
    return torch.sqrt(1.0 + t * t)
""",
        point={'a': '1'},
        value=[1.4505076920960405],
        gradient=[[0.7610939058409941]],
    ),
    Regression(
        name='jax-norm-at-the-origin-is-defined',
        framework='jax', mode='reverse',
        source="""\
import jax.numpy as jnp


def f(x: "float[4]"):
    return jnp.linalg.norm(x, ord=2)
""",
        point={'x0': '0', 'x1': '0', 'x2': '0', 'x3': '0'},
        value=[0.0],
        gradient=[[NAN, NAN, NAN, NAN]],
    ),
    Regression(
        name='torch-stack-of-vectors',
        framework='torch', mode='reverse',
        source="""\
import torch


def f(x: "float[3]"):
    return (torch.stack([x, x]) * torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum()
""",
        point={'x0': '0', 'x1': '1', 'x2': '0'},
        value=[7.0],
        gradient=[[5.0, 7.0, 9.0]],
    ),
    Regression(
        name='jax-stack-of-vectors',
        framework='jax', mode='reverse',
        source="""\
import jax.numpy as jnp


def f(x: "float[3]"):
    return jnp.max(jnp.stack([x, 2.0 * x]), axis=0).sum()
""",
        point={'x0': '0', 'x1': '1', 'x2': '-1'},
        value=[1.0],
        gradient=[[1.5, 2.0, 1.0]],
    ),
    Regression(
        name='torch-prelu-of-a-scalar',
        framework='torch', mode='reverse',
        source="""\
import torch
import torch.nn.functional as F


def f(a: float):
    t = F.prelu(a, torch.tensor([0.25]))
    return min(t, a)
""",
        point={'a': '-1'},
        value=[-1.0],
        gradient=[[1.0]],
    ),
    Regression(
        name='torch-sorted-with-max-dim-values',
        framework='torch', mode='reverse',
        source="""\
import torch


def f(a: float, b: float):
    return sorted([a, torch.max(torch.stack([b, a]), dim=0).values])[0]
""",
        point={'a': '1', 'b': '2'},
        value=[1.0],
        gradient=[[1.0, 0.0]],
    ),
    Regression(
        name='torch-item-cuts-the-gradient',
        framework='torch', mode='reverse',
        source="""\
import torch


def f(a: float):
    return a * a.item()
""",
        point={'a': '3'},
        value=[9.0],
        gradient=[[3.0]],
    ),
    Regression(
        name='torch-math-exp-cuts-the-gradient',
        framework='torch', mode='forward',
        source="""\
import math
import torch


def f(a: float):
    return a + math.exp(a)
""",
        point={'a': '0'},
        value=[1.0],
        gradient=[[1.0]],
    ),
    Regression(
        name='torch-float-cuts-the-gradient',
        framework='torch', mode='reverse',
        source="""\
import torch


def f(a: float, b: float):
    return torch.relu(a) * float(b)
""",
        point={'a': '1', 'b': '2'},
        value=[2.0],
        gradient=[[2.0, 0.0]],
    ),
    Regression(
        name='torch-tensor-of-a-tensor-cuts-the-gradient',
        framework='torch', mode='reverse',
        source="""\
import torch


def f(a: float, b: float):
    return torch.relu(a) + 2.0 * torch.tensor(b)
""",
        point={'a': '1', 'b': '1'},
        value=[3.0],
        gradient=[[1.0, 0.0]],
    ),
    Regression(
        name='tensorflow-float-cuts-the-gradient',
        framework='tensorflow', mode='reverse',
        source="""\
import tensorflow as tf


def f(a: float, b: float):
    return tf.nn.relu(a) * float(b)
""",
        point={'a': '1', 'b': '2'},
        value=[2.0],
        gradient=[[2.0, 0.0]],
    ),
    Regression(
        name='torch-builtin-min-loser-has-no-edge',
        framework='torch', mode='reverse',
        source="""\
import torch


def f(x: float):
    return min(torch.tensor(-1.0), torch.sqrt(x * x)) + x
""",
        point={'x': '0'},
        value=[-1.0],
        gradient=[[1.0]],
    ),
    Regression(
        name='jax-builtin-min-loser-has-no-edge',
        framework='jax', mode='reverse',
        source="""\
import jax.numpy as jnp


def f(X: "float[2, 3]", a: float, x: "float[4]"):
    acc1 = (X[1, 1] + -1.0)
    for i in range(4):
        acc1 = min(acc1, jnp.linalg.norm(x, ord=2))
    return sum((i + 1.0) * x[i] for i in range(4)) + acc1
""",
        point={'X0_0': '0', 'X0_1': '0', 'X0_2': '0', 'X1_0': '0', 'X1_1': '0', 'X1_2': '0', 'a': '0',
               'x0': '0', 'x1': '0', 'x2': '0', 'x3': '0'},
        value=[-1.0],
        gradient=[[0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0]],
    ),
    Regression(
        name='torch-abs-multiplies-at-zero',
        framework='torch', mode='reverse',
        source="""\
import torch


def f(x: float):
    return torch.sqrt(torch.abs(x)) + torch.sqrt(torch.relu(x))
""",
        point={'x': '0'},
        value=[0.0],
        gradient=[[float("nan")]],
    ),
    Regression(
        name='tensorflow-sqrt-gradient-of-a-zero-cotangent',
        framework='tensorflow', mode='reverse',
        source="""\
import tensorflow as tf


def f(a: float, x: float):
    return tf.maximum(a, tf.sqrt(x)) + tf.norm(tf.stack([x, x])) * 0.0
""",
        point={'a': '1', 'x': '0'},
        value=[1.0],
        gradient=[[1.0, 0.0]],
    ),
    Regression(
        name='jax-forward-norm-of-a-comparison',
        framework='jax', mode='forward',
        source="""\
import jax.numpy as jnp


def f(x: "float[3]"):
    return jnp.linalg.norm(x < 0.0)
""",
        point={'x0': '0', 'x1': '0', 'x2': '0'},
        value=[0.0],
        gradient=[[0.0, 0.0, 0.0]],
    ),
    Regression(
        name='jax-forward-stop-gradient-into-a-norm',
        framework='jax', mode='forward',
        source="""\
import jax.numpy as jnp
from jax import lax


def f(x: "float[3]"):
    return jnp.linalg.norm(lax.stop_gradient(x)) + x[0]
""",
        point={'x0': '0', 'x1': '0', 'x2': '0'},
        value=[0.0],
        gradient=[[1.0, 0.0, 0.0]],
    ),
    Regression(
        name='torch-forward-detach-into-a-norm',
        framework='torch', mode='forward',
        source="""\
import torch


def f(x: "float[3]"):
    return torch.linalg.norm(x.detach()) + torch.linalg.norm((x < 0).double()) + x[0]
""",
        point={'x0': '0', 'x1': '0', 'x2': '0'},
        value=[0.0],
        gradient=[[1.0, 0.0, 0.0]],
    ),
    Regression(
        name='torch-no-grad-keeps-names-a-list-holds',
        framework='torch', mode='reverse',
        source="""\
import torch


def f(b: float, a: float):
    with torch.no_grad():
        t4 = [a, b, b * 2.0]
    return torch.stack(t4)
""",
        point={'b': '0', 'a': '0'},
        value=[0.0, 0.0, 0.0],
        gradient=[[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]],
    ),
    Regression(
        name='torch-quantile-at-a-whole-rank-interpolates-one-entry-with-itself',
        framework='torch', mode='reverse',
        source="""\
import torch


def f(x: "float[3]"):
    return torch.sqrt(torch.quantile(x, 0.5) + 0.5)
""",
        point={'x0': '0', 'x1': '-1', 'x2': '-1/2'},
        value=[0.0],
        gradient=[[0.0, 0.0, float("nan")]],
    ),
    Regression(
        name='torch-no-grad-keeps-what-builtin-max-picks',
        framework='torch', mode='reverse',
        source="""\
import torch


def f(a: float, b: float):
    with torch.no_grad():
        t1 = max(a, a * 2.0, b)
        t2 = sorted([a, b])[0]
        t3 = torch.stack([a, b])[0]
    return t1 + t2 + t3
""",
        point={'a': '-3/4', 'b': '3/4'},
        value=[-0.75],
        gradient=[[1.0, 1.0]],
    ),
    Regression(
        # iterating a tensor under no_grad makes detached entries: Python's min and sorted
        # and a comprehension pick among them (pwverify passed x's own entries through)
        name="iteration-under-no-grad-detaches",
        framework="torch",
        mode="reverse",
        source="""\
import torch


def f(x: "float[3]"):
    with torch.no_grad():
        low = min(x)
        ordered = sorted(x)[1]
        last = [t for t in x][2]
    return x[1] + low + ordered + last
""",
        point={'x0': '-1', 'x1': '1/2', 'x2': '2'},
        value=[2.0],
        gradient=[[0.0, 1.0, 0.0]],
    ),
]

CRASHES: list[Crash] = [
    Crash(
        name="tie-points-at-an-irrational-kink",
        framework="torch",
        source="""\
import torch


def f(a: float):
    return torch.relu(a * a - 2.0) + torch.relu(a)
""",
    ),
]
