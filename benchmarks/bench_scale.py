"""pwverify's scale targets, side by side with hand-written references, in one table.

Each row runs pwverify in a child process (multiprocessing, spawn) with a time limit
(``--limit``, default 120 s, counted from the end of the child's imports) and a memory
limit (``--mem-limit`` GB, watched with psutil when installed); a row that does not
finish prints ``> limit`` and the script goes on. The reference runs in its own child
under the same limits. Peak memory is the pwverify child's own high-water mark (VmHWM
of /proc/self/status on Linux, else ``ru_maxrss``), imports included. The verdicts of
both sides must agree: a disagreement prints MISMATCH.

Row groups (``--rows max,relu,...``):

* ``max``: Boustany's max1 loop against ``torch.max(x)``, n = 2..128, the function and
  the gradient question (``compare`` without the disagreement set); reference: z3, the
  loop as an If-fold, torch.max relational with its even split (references.py).
* ``relu``: integer-weight ReLU nets 2-4-4-1 .. 8-32-32-1, ``torch.relu(s)`` against
  ``max(0, s)`` (proved), ``torch.where(s > 0, s, 0)`` (proved) and
  ``torch.clamp(s, min=0)`` (gradient refuted); reference: z3 If-encoding.
* ``relu-big``: the same at 784-256-256-10, gradient question only.
* ``pieces``: ``representation()`` of ReLU nets 2-16-16-1 and 4-16-16-1: time, pieces,
  solver calls (no reference). The target for 4-16-16-1 is only that it finishes: that row
  gets PIECES_FINISHED_LIMIT seconds whatever ``--limit`` says.
* ``conv``: Conv2d(3x3, 8 channels) + ReLU + MaxPool2d(2) on 28x28 against the same layer
  with ``F.unfold`` and a max over ``Tensor.unfold`` windows (``not readable`` while the
  frontend lacks them); reference: z3, and torch's own gradients at a tie (x = 0).
* ``eval``: ``program.evaluate`` at 10^6 points (10^5 with --quick) against torch's
  batched forward and backward (float64); both checked equal on 2,000 sample points,
  half of them integer points full of ties. Each side runs EVAL_REPEAT times in fresh
  processes, alternating, and the median is reported (every time is in the notes).
* ``startup``: ``pwverify --help`` and a usage error, best of 5.

    python benchmarks/bench_scale.py [--quick] [--rows max,relu] [--limit 120] [--json out.json]

pwverify's solver timeout is set to the row's limit, so a slow row is ``> limit``
rather than ``unknown``. After a row hits the limit, the larger sizes of the same series
are skipped on that side (``--no-skip`` runs them).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import json
import multiprocessing as mp
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
for _p in (ROOT, BENCH):
    if _p not in sys.path:
        sys.path.insert(0, _p)

MAX_SIZES = (2, 4, 8, 16, 32, 64, 128)
NET_SIZES = ((2, 4, 4, 1), (2, 8, 8, 1), (2, 16, 16, 1), (8, 32, 32, 1))
BIG_NET = (784, 256, 256, 10)
PAIRS = ("max0", "where", "clamp")
FORMS = {"relu": "torch.relu(s)", "max0": "max(0, s)", "where": "torch.where(s > 0, s, 0)",
         "clamp": "torch.clamp(s, min=0)"}
SAMPLES = 1000  # per half of the evaluation points, compared between pwverify and torch


# -- the compare API, wherever it lives ------------------------------------------------------------------
def compare_api():
    """pwverify's ``compare`` function (``pwverify.compare``)."""
    from pwverify import compare
    return compare


def run_compare(a, b, question: str, timeout_ms: int):
    """``compare(a, b)`` on one question, without the disagreement set; only the
    options the installed signature has are passed."""
    fn = compare_api()
    params = inspect.signature(fn).parameters
    options = {"disagreement": False, "questions": (question,), "timeout_ms": timeout_ms}
    return fn(a, b, **{k: v for k, v in options.items() if k in params})


# -- programs --------------------------------------------------------------------------------------------
CONV_SOURCE = '''import torch
import torch.nn.functional as F

WEIGHT = torch.tensor({weight}, dtype=torch.float64)
BIAS = torch.tensor({bias}, dtype=torch.float64)


def layer(x: "float[1, 1, {size}, {size}]"):
    return F.max_pool2d(F.relu(F.conv2d(x, WEIGHT, BIAS)), 2)


def layer_unfold(x: "float[1, 1, {size}, {size}]"):
    cols = F.unfold(x, 3)
    y = F.relu(WEIGHT.reshape({channels}, 9) @ cols + BIAS.reshape({channels}, 1))
    windows = y.reshape(1, {channels}, {out}, {out}).unfold(2, 2, 2).unfold(3, 2, 2)
    return windows.reshape(1, {channels}, {pooled}, {pooled}, 4).max(dim=-1).values


def layer_clamp(x: "float[1, 1, {size}, {size}]"):
    return F.max_pool2d(torch.clamp(F.conv2d(x, WEIGHT, BIAS), min=0), 2)
'''

POOL_SOURCE = '''import torch
import torch.nn.functional as F


def pool(x: "float[1, {size}, {size}]"):
    return F.max_pool2d(x, {kernel}, stride={kernel}).sum()
'''


def conv_weights(channels: int, seed: int = 0):
    """Integer 3x3 kernels and biases in -3..3, fixed seed."""
    rng = random.Random(seed)
    return ([[[rng.randint(-3, 3) for _ in range(3)] for _ in range(3)] for _ in range(channels)],
            [rng.randint(-3, 3) for _ in range(channels)])


class Programs:
    """The generated program files, written once into a temporary folder."""

    def __init__(self, folder: str):
        self.folder = folder

    def _write(self, name: str, text: str) -> str:
        path = os.path.join(self.folder, name)
        if not os.path.exists(path):
            with open(path, "w") as handle:
                handle.write(text)
        return path

    def max(self, n: int) -> str:
        from networks import MAX_PROGRAMS
        return self._write(f"max{n}.py", MAX_PROGRAMS.format(n=n))

    def net(self, sizes, activation: str) -> str:
        from networks import integer_network_source
        tag = "-".join(map(str, sizes))
        return self._write(f"net_{tag}_{activation}.py", integer_network_source(sizes, activation))

    def conv(self, size: int, channels: int) -> str:
        weights, bias = conv_weights(channels)
        weight = [[kernel] for kernel in weights]  # (C, 1, 3, 3)
        out = size - 2
        return self._write(f"conv{size}_{channels}.py", CONV_SOURCE.format(
            weight=weight, bias=bias, size=size, channels=channels, out=out, pooled=out // 2))

    def pool(self, size: int, kernel: int) -> str:
        return self._write(f"pool{size}_{kernel}.py", POOL_SOURCE.format(size=size, kernel=kernel))


# -- tasks: what a child process runs ------------------------------------------------------------------------
def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else ""
    folder = os.path.dirname(line.split(":", 1)[0]) if line.startswith("/") else ""
    if folder:  # a generated file: its name is enough
        line = line.replace(folder + os.sep, "")
    return f"{type(exc).__name__}: {line}"[:300]


class NotReadable(Exception):
    """pwverify cannot read one of the programs (yet)."""


def _parse(spec: str):
    import pwverify
    try:
        return pwverify.parse(spec)
    except Exception as exc:  # the frontend's refusal is the row's answer
        raise NotReadable(_first_line(exc)) from exc


def task_compare(a: str, b: str, question: str, timeout_ms: int) -> dict:
    start = time.perf_counter()
    pa, pb = _parse(a), _parse(b)
    parsed = time.perf_counter() - start
    result = run_compare(pa, pb, question, timeout_ms)
    seconds = time.perf_counter() - start
    verdict = getattr(result, question)
    text = verdict.status + (f" ({verdict.reason})" if verdict.status == "unknown" and verdict.reason else "")
    calls = sum(v.get("solver_calls", 0) for v in result.stats.values() if isinstance(v, dict))
    return {"seconds": seconds, "verdicts": {question: text},
            "notes": f"parse {parsed:.2f} s, {calls} solver calls", "parse_s": parsed, "solver_calls": calls}


def task_reference(function: str, args: list, kwargs: dict) -> dict:
    import references
    seconds, verdicts = getattr(references, function)(*args, **kwargs)
    return {"seconds": seconds, "verdicts": verdicts}


def task_pieces(spec: str) -> dict:
    start = time.perf_counter()
    program = _parse(spec)
    parsed = time.perf_counter() - start
    rep = program.representation()
    seconds = time.perf_counter() - start
    stats = rep.stats
    pieces, calls, pruned = len(rep.pieces), getattr(stats, "solver_calls", None), getattr(stats, "pruned", None)
    return {"seconds": seconds, "verdicts": {"pieces": f"{pieces} pieces"}, "pieces": pieces,
            "solver_calls": calls, "pruned": pruned,
            "notes": f"parse {parsed:.2f} s, {calls} solver calls, {pruned} pruned"}


def evaluation_points(n_points: int, n_inputs: int, seed: int = 0):
    """Half uniform in [-2, 2], half integers in -1..1 (ties of max and ReLU at integer
    points); the indices of the compared samples: the first SAMPLES of each half."""
    import numpy as np
    rng = np.random.default_rng(seed)
    half = n_points // 2
    points = np.concatenate([rng.uniform(-2, 2, size=(half, n_inputs)),
                             rng.integers(-1, 2, size=(n_points - half, n_inputs)).astype(np.float64)])
    sample = np.concatenate([np.arange(min(SAMPLES, half)), half + np.arange(min(SAMPLES, n_points - half))])
    return points, sample


def task_evaluate(spec: str, n_points: int) -> dict:
    start = time.perf_counter()
    program = _parse(spec)
    prepared = time.perf_counter() - start
    points, sample = evaluation_points(n_points, len(program.inputs))
    start = time.perf_counter()
    values, gradients = program.evaluate(points)  # compiled from the graph on first use
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "values": values[sample, 0].tolist(), "gradients": gradients[sample, 0, :].tolist(),
            "notes": f"{len(program.graph.nodes)} nodes, parse {prepared:.2f} s", "parse_s": prepared}


def _torch_batched(kind: str, params: dict):
    """The programs of the eval rows written for a batch (N, inputs) in torch."""
    import torch
    import torch.nn.functional as F
    if kind == "boustany":
        scale = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)

        def f(t):
            x = t[:, None] * scale                 # (N, 4)
            res = x[:, 0]
            for i in range(1, 4):                  # max1: `if x[i] > res: res = x[i]`
                res = torch.where(x[:, i] > res, x[:, i], res)
            return res - torch.amax(x, dim=1)     # torch.max(x): even split at ties
        return f
    if kind == "net":
        from networks import integer_network
        layers = [(torch.tensor(w, dtype=torch.float64), torch.tensor(b, dtype=torch.float64))
                  for w, b in integer_network(tuple(params["sizes"]))]

        def f(x):
            h = x
            for w, b in layers[:-1]:
                h = torch.relu(h @ w.T + b)
            w, b = layers[-1]
            return (h @ w.T + b)[:, 0]
        return f
    if kind == "pool":
        size, kernel = params["size"], params["kernel"]

        def f(x):
            return F.max_pool2d(x.reshape(-1, 1, size, size), kernel, stride=kernel).sum(dim=(1, 2, 3))
        return f
    raise ValueError(kind)


def task_torch_evaluate(kind: str, params: dict, n_inputs: int, n_points: int) -> dict:
    import torch
    f = _torch_batched(kind, params)
    points, sample = evaluation_points(n_points, n_inputs)
    start = time.perf_counter()
    x = torch.from_numpy(points).requires_grad_(True)
    values = f(x[:, 0] if kind == "boustany" else x)
    values.sum().backward()
    gradients = x.grad.numpy()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "values": values.detach().numpy()[sample].tolist(),
            "gradients": gradients[sample].tolist(), "notes": f"torch threads {torch.get_num_threads()}"}


def task_zero_gradients(path: str, size: int) -> dict:
    """pwverify's exact Jacobians of the two conv layers at x = 0: equal or not."""
    start = time.perf_counter()
    a, b = _parse(f"{path}:layer"), _parse(f"{path}:layer_unfold")
    zero = [0] * (size * size)
    equal = a.gradient_at(zero) == b.gradient_at(zero)
    return {"seconds": time.perf_counter() - start, "verdicts": {"at 0": "equal" if equal else "differ"}}


def task_torch_replay(path: str, size: int) -> dict:
    """torch's Jacobians of the two conv layers at x = 0 (every pooling window of a
    channel ties there), float64: equal or not."""
    import torch
    spec = importlib.util.spec_from_file_location("conv_layers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    x = torch.zeros(1, 1, size, size, dtype=torch.float64)
    start = time.perf_counter()
    ja = torch.autograd.functional.jacobian(module.layer, x, vectorize=True)
    jb = torch.autograd.functional.jacobian(module.layer_unfold, x, vectorize=True)
    equal = bool(torch.equal(ja, jb))
    seconds = time.perf_counter() - start
    differing = int((ja != jb).sum())
    return {"seconds": seconds, "verdicts": {"at 0": "equal" if equal else "differ"},
            "notes": f"Jacobian {tuple(ja.shape[:4])} x {tuple(ja.shape[4:])}, {differing} entries differ"}


def task_witness(a: str, b: str, timeout_ms: int, out: str) -> dict:
    """compare's gradient question; the witness and where the exact Jacobians differ go to ``out``."""
    start = time.perf_counter()
    pa, pb = _parse(a), _parse(b)
    verdict = run_compare(pa, pb, "gradient", timeout_ms).gradient
    seconds = time.perf_counter() - start
    notes = ""
    if verdict.status == "refuted":
        w = verdict.witness
        entries = [[i, j, str(x), str(y)] for i, (ra, rb) in enumerate(zip(w.gradient_a, w.gradient_b))
                   for j, (x, y) in enumerate(zip(ra, rb)) if str(x) != str(y)]
        with open(out, "w") as handle:
            json.dump({"inputs": pa.inputs, "point": {str(k): str(v) for k, v in w.point.items()},
                       "entries": entries}, handle)
        nonzero = sum(1 for v in w.point.values() if v != 0)
        notes = f"witness: {nonzero} nonzero coordinates; the exact Jacobians differ in {len(entries)} entries"
    return {"seconds": seconds, "verdicts": {"gradient": verdict.status}, "notes": notes}


def task_torch_witness(path: str, fa: str, fb: str, witness: str) -> dict:
    """torch's Jacobians of both functions at pwverify's witness (float64): do they differ
    at exactly the entries pwverify predicted, by the same values?"""
    import numpy as np
    import torch
    from fractions import Fraction
    with open(witness) as handle:
        data = json.load(handle)
    spec = importlib.util.spec_from_file_location("conv_layers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    size = int(round(len(data["inputs"]) ** 0.5))
    x = np.zeros(size * size)
    for k, name in enumerate(data["inputs"]):
        x[k] = float(Fraction(data["point"][name]))   # inputs x0_0_r_c in row-major order
    x = torch.tensor(x, dtype=torch.float64).reshape(1, 1, size, size)
    start = time.perf_counter()
    ja = torch.autograd.functional.jacobian(getattr(module, fa), x, vectorize=True)
    jb = torch.autograd.functional.jacobian(getattr(module, fb), x, vectorize=True)
    seconds = time.perf_counter() - start
    ja, jb = ja.reshape(-1, size * size).numpy(), jb.reshape(-1, size * size).numpy()
    differ = {(int(i), int(j)) for i, j in zip(*np.nonzero(ja != jb))}
    predicted = {(i, j): (float(Fraction(p)), float(Fraction(q))) for i, j, p, q in data["entries"]}
    same = differ == set(predicted) and all(ja[k] == p and jb[k] == q for k, (p, q) in predicted.items())
    return {"seconds": seconds, "verdicts": {"gradient": "refuted" if same else "MISMATCH"},
            "notes": f"torch's Jacobians differ in {len(differ)} entries"
                     + (", those pwverify predicted, by the same values" if same else "")}


TASKS = {"compare": task_compare, "reference": task_reference, "pieces": task_pieces,
         "evaluate": task_evaluate, "torch_evaluate": task_torch_evaluate,
         "zero_gradients": task_zero_gradients, "torch_replay": task_torch_replay,
         "witness": task_witness, "torch_witness": task_torch_witness}
#: Modules a task imports before its clock starts (start-up is a row of its own).
#: (sympy imports ``sympy.tensor`` on its first sum of a certain kind: 90 ms, an import.)
WARM = {"compare": ["pwverify.questions.compare", "pwverify.program", "sympy.tensor.tensor"], "reference": ["references"],
        "pieces": ["pwverify.program", "pwverify.engines.pieces"],
        "evaluate": ["pwverify.program", "pwverify.engines.numeric", "numpy"], "torch_evaluate": ["torch", "numpy"],
        "zero_gradients": ["pwverify.program"], "torch_replay": ["torch"],
        "witness": ["pwverify.questions.compare", "pwverify.program", "sympy.tensor.tensor"],
        "torch_witness": ["torch", "numpy"]}


def peak_rss_mb() -> tuple[float, str]:
    """This process's peak resident memory: VmHWM of /proc/self/status on Linux (the
    high-water mark of its own address space), else ``ru_maxrss`` of resource. (On
    Linux ``ru_maxrss`` survives exec, so a spawned child would report its parent's.)"""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024, "VmHWM"
    except OSError:
        pass
    import resource
    divisor = 2**20 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / divisor, "ru_maxrss"


def _child(task: str, kwargs: dict, conn) -> None:
    try:
        for name in WARM.get(task, []):
            importlib.import_module(name)
        warm_mb, _ = peak_rss_mb()
        conn.send(("ready", None))
        cpu = time.process_time()
        out = TASKS[task](**kwargs)
        out["cpu_s"] = time.process_time() - cpu
        out["peak_mb"], out["peak_source"] = peak_rss_mb()
        out["imports_mb"] = warm_mb
        conn.send(("done", out))
    except NotReadable as exc:
        conn.send(("error", f"not readable: {exc}"))
    except BaseException as exc:  # any failure is the row's answer, never the script's end
        conn.send(("error", _first_line(exc)))


def run_child(task: str, kwargs: dict, limit: float, mem_limit_gb: float) -> dict:
    """Run one task in a fresh process; ``{"status": "done" | "limit" | "memory" |
    "error" | "crashed", ...}``."""
    try:
        import psutil
    except ImportError:
        psutil = None
    ctx = mp.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(task, kwargs, send), daemon=True)
    process.start()
    send.close()
    watched = psutil.Process(process.pid) if psutil else None
    seen_mb, deadline, ready = 0.0, time.monotonic() + max(limit, 300), False
    try:
        while True:
            if receive.poll(0.2):
                try:
                    kind, payload = receive.recv()
                except EOFError:
                    process.join(5)
                    return {"status": "crashed", "error": f"exit code {process.exitcode}", "seen_mb": seen_mb}
                if kind == "ready":
                    ready, deadline = True, time.monotonic() + limit
                    continue
                if kind == "error":
                    return {"status": "error", "error": payload, "seen_mb": seen_mb}
                return {"status": "done", **payload}
            if not process.is_alive() and not receive.poll(0.5):
                return {"status": "crashed", "error": f"exit code {process.exitcode}", "seen_mb": seen_mb}
            if watched is not None:
                try:
                    seen_mb = max(seen_mb, watched.memory_info().rss / 2**20)
                except psutil.Error:
                    pass
                if seen_mb > mem_limit_gb * 1024:
                    return {"status": "memory", "seen_mb": seen_mb}
            if time.monotonic() > deadline:
                return {"status": "limit" if ready else "start-up limit", "seen_mb": seen_mb}
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        receive.close()


# -- rows ---------------------------------------------------------------------------------------------------
#: Fresh runs per side of an evaluation row: one run of a fraction of a second varies by
#: tens of percent on a shared machine (page faults of fresh memory), for torch as for pwverify.
EVAL_REPEAT = 5
#: The target for the pieces of 4-16-16-1 is that they finish: this long, whatever --limit says.
PIECES_FINISHED_LIMIT = 900.0


@dataclass
class Row:
    group: str
    question: str
    size: str
    pw: tuple | None = None            # (task, kwargs)
    ref: tuple | None = None
    kind: str = "verdict"              # verdict | pieces | evaluate | startup
    chain: str = ""                    # rows of one series: a limit skips the larger sizes
    big: bool = False
    #: at least this many seconds whatever --limit says (a target that asks only "finished")
    limit: float | None = None
    #: fresh runs of each side, alternating, the median reported (sub-second rows are noisy)
    repeat: int = 1
    result: dict = field(default_factory=dict)


def build_rows(groups: list[str], quick: bool, programs: Programs, timeout_ms: int) -> list[Row]:
    rows: list[Row] = []
    n_points = 10**5 if quick else 10**6
    for group in groups:
        if group == "max":
            for n in ((2, 4, 8) if quick else MAX_SIZES):
                path = programs.max(n)
                for q in ("function", "gradient"):
                    rows.append(Row(group, f"max1 vs torch.max: {q}", f"n={n}",
                                    ("compare", {"a": f"{path}:max1", "b": f"{path}:tmax", "question": q,
                                                 "timeout_ms": timeout_ms}),
                                    ("reference", {"function": f"max_{q}", "args": [n], "kwargs": {}}),
                                    chain=f"max-{q}"))
        elif group in ("relu", "relu-big"):
            sizes = (BIG_NET,) if group == "relu-big" else (NET_SIZES[:1] if quick else NET_SIZES)
            questions = ("gradient",) if group == "relu-big" else ("function", "gradient")
            for size in sizes:
                from networks import integer_network
                layers = integer_network(size)
                tag = "-".join(map(str, size))
                relu = programs.net(size, "relu")
                for other in PAIRS:
                    path = programs.net(size, other)
                    for q in questions:
                        rows.append(Row(group, f"{FORMS['relu']} vs {FORMS[other]}: {q}", tag,
                                        ("compare", {"a": f"{relu}:net", "b": f"{path}:net", "question": q,
                                                     "timeout_ms": timeout_ms}),
                                        ("reference", {"function": f"net_{q}", "args": [layers, "relu", other],
                                                       "kwargs": {}}),
                                        chain=f"{group}-{other}-{q}", big=group == "relu-big"))
        elif group == "pieces":
            for size in (((2, 4, 4, 1),) if quick else ((2, 16, 16, 1), (4, 16, 16, 1))):
                rows.append(Row(group, "pieces of a ReLU net", "-".join(map(str, size)),
                                ("pieces", {"spec": f"{programs.net(size, 'relu')}:net"}), None,
                                kind="pieces", chain="pieces",
                                limit=PIECES_FINISHED_LIMIT if size == (4, 16, 16, 1) else None))
        elif group == "conv":
            size, channels = (10, 2) if quick else (28, 8)
            weights, bias = conv_weights(channels)
            path = programs.conv(size, channels)
            tag = f"{size}x{size}, {channels} ch"
            for q in ("function", "gradient"):
                rows.append(Row(group, f"conv+relu+max_pool2d vs unfold+max: {q}", tag,
                                ("compare", {"a": f"{path}:layer", "b": f"{path}:layer_unfold", "question": q,
                                             "timeout_ms": timeout_ms}),
                                ("reference", {"function": f"conv_{q}", "args": [weights, bias, size],
                                               "kwargs": {}})))
            rows.append(Row(group, "conv layers' gradients at x = 0 (torch replay)", tag,
                            ("zero_gradients", {"path": path, "size": size}),
                            ("torch_replay", {"path": path, "size": size})))
            witness = os.path.join(programs.folder, f"conv{size}_{channels}_witness.json")
            rows.append(Row(group, "conv+relu+max_pool2d vs conv+clamp+max_pool2d: gradient witness, "
                                   "replayed in torch", tag,
                            ("witness", {"a": f"{path}:layer", "b": f"{path}:layer_clamp", "timeout_ms": timeout_ms,
                                         "out": witness}),
                            ("torch_witness", {"path": path, "fa": "layer", "fb": "layer_clamp",
                                               "witness": witness})))
        elif group == "eval":
            cases = [("boustany", os.path.join(ROOT, "casestudies", "boustany.py") + ":f", 1, {}, "Boustany f")]
            net = (2, 4, 4, 1) if quick else (2, 8, 8, 1)
            cases.append(("net", f"{programs.net(net, 'relu')}:net", 2, {"sizes": list(net)},
                          "ReLU net " + "-".join(map(str, net))))
            if not quick:
                cases.append(("pool", f"{programs.pool(6, 3)}:pool", 36, {"size": 6, "kernel": 3},
                              "sum of max_pool2d(6x6, 3, stride 3)"))
            for kind, spec, n_inputs, params, label in cases:
                rows.append(Row(group, f"evaluate: {label}", f"{n_points:.0e} points",
                                ("evaluate", {"spec": spec, "n_points": n_points}),
                                ("torch_evaluate", {"kind": kind, "params": params, "n_inputs": n_inputs,
                                                    "n_points": n_points}), kind="evaluate", repeat=EVAL_REPEAT))
        elif group == "startup":
            rows.append(Row(group, "start-up: pwverify --help", "best of 5", ("startup", {"args": ["--help"]}),
                            None, kind="startup"))
            rows.append(Row(group, "start-up: usage error (pwverify grad)", "best of 5",
                            ("startup", {"args": ["grad"]}), None, kind="startup"))
        else:
            raise SystemExit(f"unknown row group {group!r}: {', '.join(GROUPS)}")
    return rows


GROUPS = ("max", "relu", "relu-big", "pieces", "conv", "eval", "startup")
QUICK_GROUPS = ("max", "relu", "pieces", "conv", "eval", "startup")


def pwverify_command() -> tuple[list[str], str]:
    script = os.path.join(os.path.dirname(sys.executable), "pwverify")
    if os.path.exists(script):
        return [script], "console script"
    found = shutil.which("pwverify")
    if found:
        return [found], "console script"
    return [sys.executable, "-m", "pwverify"], "python -m pwverify"


def run_startup(args: list[str], limit: float, repeat: int = 5) -> dict:
    command, how = pwverify_command()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    times, code = [], None
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            done = subprocess.run(command + args, capture_output=True, env=env, timeout=limit, check=False)
            times.append(time.perf_counter() - start)
            code = done.returncode
    except subprocess.TimeoutExpired:
        return {"status": "limit"}
    return {"status": "done", "seconds": min(times), "all_s": times, "verdicts": {"exit": f"exit code {code}"},
            "notes": f"{how}, median {sorted(times)[len(times) // 2]:.2f} s"}


# -- running and printing ---------------------------------------------------------------------------------------
def _agree(row: Row) -> str:
    pw, ref = row.result.get("pw", {}), row.result.get("ref", {})
    if pw.get("status") != "done" or ref.get("status") != "done":
        return ""
    if row.kind == "evaluate":
        import numpy as np
        va, vb = np.array(pw["values"]), np.array(ref["values"])
        ga, gb = np.array(pw["gradients"]), np.array(ref["gradients"])
        dv = float(np.max(np.abs(va - vb) / (1 + np.abs(vb))))
        dg = float(np.max(np.abs(ga - gb) / (1 + np.abs(gb))))
        row.result["max_rel_diff"] = {"values": dv, "gradients": dg}
        return "ok" if max(dv, dg) <= 1e-9 else f"MISMATCH (values {dv:.1e}, gradients {dg:.1e})"
    a, b = pw.get("verdicts", {}), ref.get("verdicts", {})
    shared = [q for q in a if q in b]
    if not shared:
        return ""
    known = [q for q in shared if not a[q].startswith("unknown") and not b[q].startswith("unknown")]
    if not known:
        return ""
    bad = [q for q in known if a[q].split()[0] != b[q].split()[0]]
    return "!!! MISMATCH !!!" if bad else "ok"


def _time_cell(side: dict, cpu: bool) -> str:
    status = side.get("status")
    if status is None:
        return "-"
    if status == "done":
        return f"{side['cpu_s' if cpu and 'cpu_s' in side else 'seconds']:.3f}"
    if status in ("limit", "skipped"):
        return "> limit" + (" (skipped)" if status == "skipped" else "")
    if status == "memory":
        return "> mem limit"
    if status == "start-up limit":
        return "start-up > limit"
    if status == "error" and side.get("error", "").startswith("not readable"):
        return "n/a"
    return status


def _verdict_cell(side: dict, kind: str) -> str:
    status = side.get("status")
    if status is None:
        return "-"
    if status == "done":
        if kind == "evaluate":
            return "computed"
        return ", ".join(side.get("verdicts", {}).values())
    if status in ("error", "crashed"):
        text = side.get("error", status)
        return text if len(text) <= 110 else text[:107] + "..."
    return ""


def _rss_cell(side: dict) -> str:
    if side.get("status") == "done" and "peak_mb" in side:
        return f"{side['peak_mb']:.0f}"
    if side.get("seen_mb"):
        return f">= {side['seen_mb']:.0f}"
    return "-"


COLUMNS = ("question", "size", "pwverify s", "reference s", "ratio", "pwverify verdict", "reference verdict",
           "agree", "pwverify peak RSS MB", "notes")


def cells(row: Row, cpu: bool) -> list[str]:
    pw, ref = row.result.get("pw", {}), row.result.get("ref", {})
    ratio = ""
    if pw.get("status") == "done" and ref.get("status") == "done":
        key = "cpu_s" if cpu and "cpu_s" in pw and "cpu_s" in ref else "seconds"
        ratio = f"{pw[key] / ref[key]:.2f}" if ref[key] > 0 else ""
        row.result["ratio"] = pw[key] / ref[key] if ref[key] > 0 else None
    notes = "; ".join(n for n in (pw.get("notes"), ("ref: " + ref["notes"]) if ref.get("notes") else None) if n)
    if row.big:
        notes = "BIG" + (f"; {notes}" if notes else "")
    return [row.question, row.size, _time_cell(pw, cpu), _time_cell(ref, cpu) if row.ref else "-", ratio,
            _verdict_cell(pw, row.kind), _verdict_cell(ref, row.kind) if row.ref else "-", row.result.get("agree", ""),
            _rss_cell(pw), notes]


def _md(values) -> str:
    return "| " + " | ".join(str(v).replace("|", "/") for v in values) + " |"


def header(args) -> list[str]:
    import z3
    import pwverify
    try:
        import torch
        torch_version = f"{torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        torch_version = "not installed"
    try:
        import psutil  # noqa: F401
        watch = "memory limit watched with psutil"
    except ImportError:
        watch = "no psutil, no memory limit"
    memory = f"peak RSS: {peak_rss_mb()[1]} of the pwverify child, imports included; {watch}"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return [f"machine: {os.cpu_count()} cores, load average {load}; Python {platform.python_version()}",
            f"pwverify {pwverify.__version__} ({os.path.dirname(pwverify.__file__)}), z3 {z3.get_version_string()}, "
            f"torch {torch_version}",
            f"limit {args.limit:g} s per side of a row (after imports), memory limit {args.mem_limit:g} GB; "
            f"times: {'process CPU' if args.cpu else 'wall'} seconds; {memory}"]


def run_rows(rows: list[Row], args, emit) -> None:
    limited: set[tuple[str, str]] = set()
    for row in rows:
        runs: dict[str, list[dict]] = {"pw": [], "ref": []}
        for _ in range(row.repeat):
            for side in ("pw", "ref"):
                spec = getattr(row, side)
                if spec is None:
                    continue
                task, kwargs = spec
                key = (row.chain, side)
                if row.chain and key in limited and not args.no_skip:
                    runs[side].append({"status": "skipped"})
                    continue
                if task == "startup":
                    out = run_startup(kwargs["args"], args.limit)
                else:
                    out = run_child(task, kwargs, max(args.limit, row.limit or 0), args.mem_limit)
                if out.get("status") in ("limit", "memory") and row.chain:
                    limited.add(key)
                runs[side].append(out)
        for side, outs in runs.items():
            if outs:
                row.result[side] = _median_run(outs)
        row.result["agree"] = _agree(row)
        emit(row)


def _median_run(outs: list[dict]) -> dict:
    """One run's result, or the run with the median time of several (all times in its notes)."""
    if len(outs) == 1:
        return outs[0]
    failed = [o for o in outs if o.get("status") != "done"]
    if failed:
        return failed[0]
    ordered = sorted(outs, key=lambda o: o["seconds"])
    chosen = dict(ordered[len(ordered) // 2])
    times = ", ".join(f"{o['seconds']:.3f}" for o in outs)
    chosen["all_s"] = [o["seconds"] for o in outs]
    chosen["notes"] = f"median of {len(outs)} fresh runs ({times} s); " + chosen.get("notes", "")
    return chosen


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small subset (under 2 minutes)")
    parser.add_argument("--rows", help=f"row groups, comma-separated: {','.join(GROUPS)}")
    parser.add_argument("--limit", type=float, default=None, help="seconds per side of a row (default 120; 20 quick)")
    parser.add_argument("--mem-limit", type=float, default=6.0, help="GB per child process (default 6)")
    parser.add_argument("--json", help="write every row's numbers to this file")
    parser.add_argument("--cpu", action="store_true", help="report process CPU seconds instead of wall seconds")
    parser.add_argument("--no-skip", action="store_true", help="run larger sizes after a size hit the limit")
    parser.add_argument("--rich", action="store_true", help="print the table with rich at the end")
    args = parser.parse_args(argv)
    if args.limit is None:
        args.limit = 20.0 if args.quick else 120.0
    groups = args.rows.split(",") if args.rows else list(QUICK_GROUPS if args.quick else GROUPS)
    folder = tempfile.mkdtemp(prefix="bench_scale_")
    timeout_ms = int(args.limit * 1000)
    rows = build_rows(groups, args.quick, Programs(folder), timeout_ms)
    lines = header(args)
    for line in lines:
        print(line)
    print(f"programs: {folder}\n")
    if not args.rich:
        print(_md(COLUMNS))
        print(_md("---" for _ in COLUMNS))

    def emit(row: Row) -> None:
        if not args.rich:
            print(_md(cells(row, args.cpu)), flush=True)
        else:
            print(f"  {row.question} [{row.size}] done", file=sys.stderr, flush=True)

    start = time.perf_counter()
    run_rows(rows, args, emit)
    if args.rich:
        from rich.console import Console
        from rich.table import Table
        table = Table(title="pwverify at scale", header_style="bold")
        for col in COLUMNS:
            table.add_column(col)
        for row in rows:
            table.add_row(*cells(row, args.cpu))
        Console(width=220).print(table)
    mismatches = [r for r in rows if "MISMATCH" in r.result.get("agree", "")]
    print(f"\n{len(rows)} rows in {time.perf_counter() - start:.0f} s; "
          + (f"{len(mismatches)} MISMATCH(ES): " + "; ".join(f"{r.question} [{r.size}]" for r in mismatches)
             if mismatches else "no verdict mismatch"))
    if args.json:
        payload = {"header": lines, "limit_s": args.limit, "quick": args.quick, "rows": [
            {"group": r.group, "question": r.question, "size": r.size, "big": r.big,
             "pwverify": _jsonable(r.result.get("pw")), "reference": _jsonable(r.result.get("ref")),
             "agree": r.result.get("agree"), "ratio": r.result.get("ratio"),
             "max_rel_diff": r.result.get("max_rel_diff")} for r in rows]}
        with open(args.json, "w") as handle:
            json.dump(payload, handle, indent=1)
    return 1 if mismatches else 0


def _jsonable(side: dict | None):
    if side is None:
        return None
    return {k: v for k, v in side.items() if k not in ("values", "gradients")}


if __name__ == "__main__":
    sys.exit(main())
