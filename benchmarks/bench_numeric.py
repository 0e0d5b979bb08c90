"""Numeric evaluation at many points: pwverify's graph walk against torch's batched autograd.

For each program, values and gradients at N float64 points (half uniform in [-2, 2], half
integers in -1..1, where ReLU and max tie), timed in the same run:

* ``pwverify``: ``program.evaluate`` (the graph walked over arrays, tie rules included;
  compiled on first use, the compilation timed separately);
* ``torch backward``: the same program written for a batch, one ``backward()`` of the sum;
* ``torch vmap(jacrev)``: ``torch.func.vmap(torch.func.jacrev(f))`` of the per-point function;
* ``pieces``: the former path, the decomposition's pieces lambdified and routed
  (:func:`pwverify.engines.numeric.compile_representation`), where the decomposition fits
  in ``--max-pieces`` (its decomposition time is not counted).

Gradients are compared with torch's at every point (``mismatches``: points where any
entry differs; -1: the values differ beyond rounding). The ratios after the torch
columns are pwverify's time over that column's (below 1: pwverify is faster); the one
after ``pieces`` is that path's time over torch's backward.

    python benchmarks/bench_numeric.py [--points 1000000] [--repeat 3] [--threads 1] [--no-pieces]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

POOL = '''import torch
import torch.nn.functional as F


def pool(x: "float[1, 6, 6]"):
    return F.max_pool2d(x, 3, stride=3).sum()
'''


def points(n: int, p: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    half = n // 2
    return np.concatenate([rng.uniform(-2, 2, size=(half, p)), rng.integers(-1, 2, size=(n - half, p)).astype(float)])


def cases(folder: str):
    """(label, pwverify spec, parse options, torch batched f, torch per-point f)."""
    import torch
    import torch.nn.functional as F
    from networks import integer_network, integer_network_source

    sizes = (2, 8, 8, 1)
    path = os.path.join(folder, "net.py")
    with open(path, "w") as fh:
        fh.write(integer_network_source(sizes))
    layers = [(torch.tensor(w, dtype=torch.float64), torch.tensor(b, dtype=torch.float64))
              for w, b in integer_network(sizes)]

    def net(x):
        h = x
        for w, b in layers[:-1]:
            h = torch.relu(h @ w.T + b)
        return (h @ layers[-1][0].T + layers[-1][1])[..., 0]

    pool_path = os.path.join(folder, "pool.py")
    with open(pool_path, "w") as fh:
        fh.write(POOL)

    def pool(x):
        return F.max_pool2d(x.reshape(-1, 1, 6, 6), 3, stride=3).sum(dim=(1, 2, 3))

    def pool_one(x):
        return F.max_pool2d(x.reshape(1, 1, 6, 6), 3, stride=3).sum()

    return [
        ("ReLU net 2-8-8-1", f"{path}:net", {}, net, net),
        ("sum of max_pool2d(6x6, 3)", f"{pool_path}:pool", {}, pool, pool_one),
        ("torch.max over 32 entries", "torch.max(x)", {"shapes": {"x": 32}},
         lambda x: torch.amax(x, dim=1), lambda x: torch.amax(x)),
    ]


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--no-pieces", action="store_true", help="skip the piece-compiled path")
    parser.add_argument("--max-pieces", type=int, default=2000)
    args = parser.parse_args(argv)

    import torch
    import pwverify
    from pwverify.core.errors import PwverifyError
    from pwverify.engines.numeric import compile_representation
    if args.threads:
        torch.set_num_threads(args.threads)

    header = (f"{'program':28} {'N':>8} {'compile':>8} {'pwverify':>9} {'torch bwd':>9} {'ratio':>6} "
              f"{'vmap(jacrev)':>12} {'ratio':>6} {'pieces':>9} {'ratio':>6} {'mismatches':>10}")
    print(f"numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"best of {args.repeat}")
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as folder:
        for label, spec, options, batched, one in cases(folder):
            program = pwverify.parse(spec, **options)
            x = points(args.points, len(program.inputs))
            start = time.perf_counter()
            program.evaluate(x[:1])
            compile_s = time.perf_counter() - start
            ours, (values, grads) = best(lambda: program.evaluate(x), args.repeat)

            def backward():
                t = torch.from_numpy(x).requires_grad_(True)
                out = batched(t)
                out.sum().backward()
                return out.detach().numpy(), t.grad.numpy()
            theirs, (t_values, t_grads) = best(backward, args.repeat)

            def jacobian():
                return torch.func.vmap(torch.func.jacrev(one))(torch.from_numpy(x)).numpy()
            try:
                vmapped, _ = best(jacobian, args.repeat)
                vmap_text = f"{vmapped:12.3f} {ours / vmapped:6.2f}"
            except Exception as exc:   # an op with no batching rule
                vmap_text = f"{'n/a':>12} {'':6}  ({type(exc).__name__})"
            mismatches = int((grads[:, 0, :] != t_grads).any(axis=1).sum())
            if not np.allclose(values[:, 0], t_values, rtol=1e-12, atol=1e-12):
                mismatches = -1
            pieces_text = f"{'-':>9} {'':6}"
            if not args.no_pieces:
                try:
                    rep = program.representation(max_pieces=args.max_pieces)
                    old = compile_representation(rep)
                    old_s, _ = best(lambda: old(x), 1)
                    pieces_text = f"{old_s:9.3f} {old_s / theirs:6.2f}"
                except PwverifyError:
                    pieces_text = f"{'> ' + str(args.max_pieces):>9} {'':6}"
            print(f"{label:28} {args.points:8.0e} {compile_s:8.3f} {ours:9.3f} {theirs:9.3f} {ours / theirs:6.2f} "
                  f"{vmap_text} {pieces_text} {mismatches:10d}", flush=True)


if __name__ == "__main__":
    main()
