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
