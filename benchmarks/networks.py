"""Small ReLU networks with fixed random weights, written out as Python programs."""

from __future__ import annotations

import random


def relu_network_source(width: int, seed: int = 0, inputs: int = 2, layers: int = 2) -> str:
    """Source of ``net(x)``: ``layers`` hidden ReLU layers of ``width``, one output.

    Weights are drawn with a fixed seed and written with two decimals, so the program
    (and its exact rational constants) is the same on every machine.
    """
    rng = random.Random(seed)

    def matrix(rows, cols):
        return [[round(rng.uniform(-1, 1), 2) for _ in range(cols)] for _ in range(rows)]

    lines = ["import torch", ""]
    sizes = [inputs] + [width] * layers
    for k in range(layers):
        lines.append(f"W{k} = {matrix(sizes[k + 1], sizes[k])}")
        lines.append(f"b{k} = {[row[0] for row in matrix(sizes[k + 1], 1)]}")
    lines.append(f"w_out = {matrix(1, width)[0]}")
    lines += ["", "", f'def net(x: "float[{inputs}]"):', "    h = x"]
    for k in range(layers):
        lines.append(f"    h = torch.relu(torch.tensor(W{k}) @ h + torch.tensor(b{k}))")
    lines.append("    return torch.tensor(w_out) @ h")
    return "\n".join(lines) + "\n"


def relu_network_unrolled_source(width: int, seed: int = 0, inputs: int = 2, layers: int = 2,
                                 activation: str = "max(0.0, s)") -> str:
    """The same network written with explicit loops and Python's max instead of relu.

    ``max(0.0, s)`` keeps relu's tie rule (the first argument, 0, wins at s = 0, so the
    derivative there is 0); ``max(s, 0.0)`` gives s the tie, a different gradient.
    """
    text = relu_network_source(width, seed, inputs, layers)
    body = [f'def net_loops(x: "float[{inputs}]"):', "    h = list(x)"]
    for k in range(layers):
        body += [f"    new = []",
                 f"    for i in range(len(W{k})):",
                 f"        s = b{k}[i]",
                 f"        for j in range(len(h)):",
                 f"            s = s + W{k}[i][j] * h[j]",
                 f"        new.append({activation})",
                 f"    h = new"]
    body += ["    out = 0.0", "    for i in range(len(h)):", "        out = out + w_out[i] * h[i]", "    return out"]
    return text + "\n\n" + "\n".join(body) + "\n"


#: The activations of :func:`integer_network_source`: how ``s`` (a pre-activation
#: vector) goes through ReLU. ``max0`` is Python's ``max(0, s)`` per neuron (0 first, so
#: the tie at s = 0 goes to 0, as relu's does); ``clamp``'s derivative at 0 is 1 in torch.
ACTIVATIONS = {
    "relu": "torch.relu(s)",
    "max0": "max(0, s)",
    "where": "torch.where(s > 0, s, 0)",
    "clamp": "torch.clamp(s, min=0)",
}


def integer_network(sizes, seed: int = 0, low: int = -3, high: int = 3) -> list[tuple[list, list]]:
    """Fixed-seed integer weights and biases: ``[(W, b), ...]``, one pair per layer.

    ``sizes`` is ``(inputs, hidden, ..., outputs)``; ``W`` has ``sizes[k + 1]`` rows of
    ``sizes[k]`` entries in ``low..high``. Integer weights make the ties (s = 0)
    reachable at integer points.

    >>> integer_network((2, 1, 1), seed=1)
    [([[-2, 1]], [3]), ([[3]], [3])]
    """
    rng = random.Random(seed)
    return [([[rng.randint(low, high) for _ in range(n_in)] for _ in range(n_out)],
             [rng.randint(low, high) for _ in range(n_out)])
            for n_in, n_out in zip(sizes, sizes[1:])]


def integer_network_source(sizes, activation: str = "relu", seed: int = 0, name: str = "net") -> str:
    """Source of ``name(x)``: the network of :func:`integer_network` with ReLU hidden
    layers written as ``ACTIVATIONS[activation]`` and a linear output layer.

    Matrix-vector products are ``torch.tensor(W) @ h + torch.tensor(b)``; ``max0``
    (Python's max takes numbers, not tensors) is written with explicit loops over the
    neurons, as in :func:`relu_network_unrolled_source`.
    """
    layers = integer_network(sizes, seed)
    lines = ["import torch", ""]
    for k, (w, b) in enumerate(layers):
        lines += [f"W{k} = {w}", f"b{k} = {b}"]
    lines += ["", "", f'def {name}(x: "float[{sizes[0]}]"):']
    last = len(layers) - 1
    if activation == "max0":
        lines.append("    h = list(x)")
        for k in range(last):
            lines += ["    new = []",
                      f"    for i in range(len(W{k})):",
                      f"        s = b{k}[i]",
                      "        for j in range(len(h)):",
                      f"            s = s + W{k}[i][j] * h[j]",
                      "        new.append(max(0, s))",
                      "    h = new"]
        lines += ["    out = []",
                  f"    for i in range(len(W{last})):",
                  f"        s = b{last}[i]",
                  "        for j in range(len(h)):",
                  f"            s = s + W{last}[i][j] * h[j]",
                  "        out.append(s)",
                  "    return torch.stack(out)"]
    else:
        lines.append("    h = x")
        for k in range(last):
            lines += [f"    s = torch.tensor(W{k}) @ h + torch.tensor(b{k})",
                      f"    h = {ACTIVATIONS[activation]}"]
        lines.append(f"    return torch.tensor(W{last}) @ h + torch.tensor(b{last})")
    return "\n".join(lines) + "\n"


#: The max loop of the papers (``max1``) beside ``torch.max`` over ``n`` entries (``.format(n=...)``).
MAX_PROGRAMS = '''import torch


def max1(x: "float[{n}]"):
    res = x[0]
    for i in range(1, len(x)):
        if x[i] > res:
            res = x[i]
    return res


def tmax(x: "float[{n}]"):
    return torch.max(x)
'''
