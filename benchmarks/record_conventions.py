"""Record what the real frameworks return at every kink: ``docs/reference/conventions.json``.

This **runs the frameworks** (torch, jax, tensorflow: whichever are installed) on the
differential cases of ``tests/torch_cases.py``, ``tests/jax_cases.py`` and
``tests/tf_cases.py`` (one program per call pwverify models), through
``pwverify.frameworks.crosscheck``: at an exact point on each kink of each program (its
tie points), in reverse and forward mode, it records the value and the Jacobian the
framework returns in float64, with the primitives whose kink the point sits on. It also
records the classic ties (``relu'(0)``, ``abs'(0)``, a tie of ``maximum``, ...) in each
framework's own spelling.

The file is committed; the conventions page of the documentation and ``pwverify
primitives`` are generated from it, and ``tests/test_conventions_data.py`` checks, with
no framework installed, that pwverify's predictions still agree with it. Run it again
after changing a framework version or a rule:

    python benchmarks/record_conventions.py [--framework F ...] [--out FILE]

It prints one row per framework: calls, kinks, framework runs, and the points where the
framework and pwverify's prediction differ (the target is none).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, ROOT)

import pwverify  # noqa: E402
from pwverify.core.errors import DomainError, PwverifyError  # noqa: E402
from pwverify.frameworks import recorded  # noqa: E402
from pwverify.frameworks.crosscheck import installed_version, run  # noqa: E402
from pwverify.questions.tie_points import tie_points  # noqa: E402

TABLES = {"torch": ("torch_cases", "TORCH_CASES"), "jax": ("jax_cases", "JAX_CASES"),
          "tensorflow": ("tf_cases", "TF_CASES")}
MODES = ("reverse", "forward")

#: The ties every framework resolves its own way, in the neutral spelling (each framework's
#: function of that name is run): (title, expression, exact point, shapes).
CLASSIC = [
    ("relu'(0)", "relu(t)", {"t": "0"}, {}),
    ("abs'(0)", "abs(t)", {"t": "0"}, {}),
    ("sign'(0)", "sign(t)", {"t": "0"}, {}),
    ("maximum(a, b) at a = b", "maximum(a, b)", {"a": "0", "b": "0"}, {}),
    ("(a + b + |a - b|)/2 at a = b", "(a + b + abs(a - b)) / 2", {"a": "0", "b": "0"}, {}),
    ("amax(x) at x = (0, 0, 0)", "amax(x)", {"x0": "0", "x1": "0", "x2": "0"}, {"x": 3}),
    ("clip(t, -1, 1) at t = 1", "clip(t, -1, 1)", {"t": "1"}, {}),
    ("relu6'(0)", "relu6(t)", {"t": "0"}, {}),
    ("hardtanh'(1)", "hardtanh(t)", {"t": "1"}, {}),
    ("fmax(a, b) at a = b", "fmax(a, b)", {"a": "0", "b": "0"}, {}),
]


def measure(framework: str, program, point: dict) -> dict:
    """Value and Jacobian per mode at ``point`` (``{"error": ...}`` where the framework
    raises or returns a non-finite number; None where pwverify's domain excludes it)."""
    out = {}
    for mode in MODES:
        moded = program.in_mode(mode)
        try:
            moded.ad(point, mode)  # outside pwverify's domain: not a convention
        except DomainError:
            return None
        try:
            result = run(framework, moded, point, mode)
        except PwverifyError as exc:
            out[mode] = {"error": exc.message}
            continue
        out[mode] = {"value": result.value, "jacobian": result.gradient}
    return out


def agrees(program, point: dict, measured: dict) -> bool:
    for mode, got in measured.items():
        if "error" in got:
            return False
        predicted = program.in_mode(mode).ad(point)
        if not (recorded.close(predicted.value, got["value"])
                and recorded.close(recorded.flat(predicted.gradient), recorded.flat(got["jacobian"]))):
            return False
    return True


def record_calls(framework: str, stats: dict) -> list[dict]:
    module, name = TABLES[framework]
    cases = getattr(importlib.import_module(module), name)
    version = installed_version(framework)
    out = []
    for call in sorted(cases):
        row = cases[call]
        text, shapes = row[0], row[1]
        record = {"call": call, "framework": framework, "version": version, "program": text,
                  "shapes": {k: (list(v) if isinstance(v, tuple) else v) for k, v in shapes.items()}}
        if len(row) > 2:
            continue  # refused on purpose: no rule to record
        program = pwverify.parse(text, framework=framework, shapes=shapes)
        record["primitives"] = sorted({node.op for node in program.graph.nodes if node.op not in ("input", "const")})
        kinks = []
        for tp in tie_points(program):
            point = {k: str(v) for k, v in tp.point.items()}
            measured = measure(framework, program, point)
            if measured is None:
                continue
            stats["kinks"] += 1
            stats["runs"] += len(measured)
            if not agrees(program, point, measured):
                stats["differ"].append(f"{call} at {recorded.point_text(point)}")
            kinks.append({"point": point, "primitives": sorted({s.op for s in tp.sites}), **measured})
        record["kinks"] = kinks
        stats["calls"] += 1
        out.append(record)
    return out


def record_classic(frameworks: list[str]) -> list[dict]:
    out = []
    for title, expression, point, shapes in CLASSIC:
        entry = {"title": title, "expression": expression, "point": point, "shapes": shapes, "measured": {}}
        for framework in frameworks:
            try:
                program = pwverify.parse(expression, framework=framework, shapes=shapes)
            except PwverifyError:
                entry["measured"][framework] = None  # the framework has no such function
                continue
            entry["measured"][framework] = measure(framework, program, point)
        out.append(entry)
    return out


def write(data: dict, path: str) -> None:
    """Pretty at the top, one line per call: small, and a change shows as a line of diff."""
    calls = data.pop("calls")
    classic = data.pop("classic")
    text = json.dumps(data, indent=1, ensure_ascii=False)[:-2]
    text += ',\n "classic": [\n  ' + ",\n  ".join(json.dumps(c, ensure_ascii=False) for c in classic) + "\n ],"
    text += '\n "calls": [\n  ' + ",\n  ".join(json.dumps(c, ensure_ascii=False) for c in calls) + "\n ]\n}\n"
    json.loads(text)  # still JSON
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _keep_other_frameworks(data: dict, path: str, recorded_now: list[str]) -> None:
    """Recording some frameworks (``--framework``) keeps the file's records of the others."""
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as handle:
        old = json.load(handle)
    others = [f for f in old.get("versions", {}) if f not in recorded_now]
    for framework in others:
        data["versions"][framework] = old["versions"][framework]
    data["calls"] += [r for r in old.get("calls", []) if r["framework"] in others]
    order = sorted(data["versions"])   # as a full recording writes them
    data["versions"] = {f: data["versions"][f] for f in order}
    data["calls"].sort(key=lambda r: order.index(r["framework"]))
    previous = {row["title"]: row for row in old.get("classic", [])}
    for row in data["classic"]:
        measured = previous.get(row["title"], {}).get("measured", {})
        row["measured"].update({f: measured[f] for f in others if f in measured})
        row["measured"] = {f: row["measured"][f] for f in order if f in row["measured"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--framework", action="append", choices=sorted(TABLES), default=None)
    parser.add_argument("--out", default=recorded.default_path())
    args = parser.parse_args(argv)
    frameworks = [f for f in (args.framework or sorted(TABLES)) if installed_version(f)]
    if not frameworks:
        print("no framework installed: pip install -e '.[torch,jax,tensorflow]'", file=sys.stderr)
        return 2
    data = {"format": recorded.FORMAT,
            "about": "What each framework's autodiff returned (float64) at an exact point on each kink of "
                     "one program per call pwverify models (tests/*_cases.py), in reverse and forward mode; "
                     "recorded by benchmarks/record_conventions.py, which runs the frameworks.",
            "versions": {f: installed_version(f) for f in frameworks}, "calls": []}
    print(f"{'framework':<12} {'version':<10} {'calls':>6} {'kinks':>6} {'runs':>6} {'differ':>6} {'seconds':>8}")
    for framework in frameworks:
        start = time.perf_counter()
        stats = {"calls": 0, "kinks": 0, "runs": 0, "differ": []}
        data["calls"] += record_calls(framework, stats)
        print(f"{framework:<12} {data['versions'][framework]:<10} {stats['calls']:>6} {stats['kinks']:>6} "
              f"{stats['runs']:>6} {len(stats['differ']):>6} {time.perf_counter() - start:>8.1f}")
        for where in stats["differ"]:
            print(f"  differs from pwverify's prediction: {where}")
    data["classic"] = record_classic(frameworks)
    _keep_other_frameworks(data, args.out, frameworks)
    write(data, args.out)
    print(f"wrote {os.path.relpath(args.out, ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
