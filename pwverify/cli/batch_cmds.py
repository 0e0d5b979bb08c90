"""``pwverify batch FILE``: compare many pairs of programs, serially or on a Dask cluster.

FILE lists the pairs, as JSON lines (one object per line; blank lines and lines starting
with ``#`` are skipped)::

    {"id": "relu", "a": "relu(t)", "b": "relu(-t) + t"}
    {"id": "max4", "a": "casestudies/boustany.py:max1_t", "b": "casestudies/boustany.py:max2_t"}
    {"a": "max(x0, x1)", "b": "torch.max(x)", "shapes": {"x": 2}, "framework": "torch"}

or as TOML (``FILE.toml``): an optional ``[defaults]`` table and one ``[[pair]]`` table per
pair, with the same keys. Keys: ``a``, ``b`` (required), ``id`` (default: the pair's
number, from 1), ``framework``, ``shapes``, ``ties`` (a list such as ``["relu0=1/2"]``),
``mode``, ``wrt``. Relative paths are read from the current directory.

The output is one JSON line per pair, in the file's order: ``id``, then what ``pwverify
compare --json`` prints (the function and gradient verdicts, witness, reason for an
unknown, disagreement set), and ``exit_code``; a pair that cannot be read gets the CLI's
``error`` object instead of verdicts, and the batch goes on. The exit code combines the
pairs': 1 if any is refuted, else 4 if any hit an internal error, else 2 if any could not
be read (or FILE itself is bad, then nothing runs), else 3 if any is unknown, else 0.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any, TextIO

from .common import add_timings_option, positive_seconds, without_timings

#: The keys a pair may have.
PAIR_KEYS = ("id", "a", "b", "framework", "shapes", "ties", "mode", "wrt")


def register(sub) -> None:
    p = sub.add_parser("batch", help="compare many pairs of programs (JSON lines or TOML), optionally on a cluster",
                       description="Compare each pair of programs listed in FILE (JSON lines, or TOML with "
                                   "[[pair]] tables) and print one JSON line per pair, in the file's order. "
                                   "A pair that cannot be read gets an error object; the batch goes on.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--out", default=None, metavar="FILE", help="write the JSON lines to FILE instead of stdout")
    add_cluster_options(p)
    p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                   help="timeout of each solver query (default: 10)")
    p.add_argument("--pair-time-limit", type=positive_seconds, default=None, metavar="SECONDS",
                   help="time limit per pair: past it, the pair's verdicts are unknown (results then depend "
                        "on the machine's speed)")
    p.add_argument("--no-disagreement", action="store_true", help="skip computing the disagreement sets")
    p.add_argument("--json", action="store_true",
                   help="also report a bad FILE or option as a JSON object on stdout (pairs are JSON lines anyway)")
    add_timings_option(p)
    p.set_defaults(handler=cmd_batch)


def add_cluster_options(p: argparse.ArgumentParser) -> None:
    """--workers N (a local cluster of N processes) and --scheduler ADDRESS (a running one)."""
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="run on a local Dask cluster of N worker processes (default: serially, in this process)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on a running Dask cluster, e.g. tcp://10.0.0.5:8786 (its workers must see the "
                        "program files at the same paths)")


# -- reading FILE ------------------------------------------------------------------------------
def read_pairs(path: str) -> list[dict]:
    """The pairs of a batch file (JSON lines, or TOML when it ends in ``.toml``), each a
    dict with ``id``, ``a``, ``b`` and its options; a malformed file is a located UsageError."""
    from ..core.errors import Location, UsageError
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    if path.endswith(".toml"):
        import tomllib
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"{path}: not valid TOML: {exc}", None) from None
        defaults = data.get("defaults", {})
        unknown = set(data) - {"defaults", "pair"}
        if unknown:
            raise UsageError(f"{path}: unknown table {', '.join(sorted(unknown))}", None,
                             hint="[defaults] and [[pair]] tables")
        items = [(None, {**defaults, **pair}) for pair in data.get("pair", [])]
    else:
        items = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                items.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise UsageError(f"{path}:{number}: not a JSON object: {exc.msg}", Location(path, number, exc.colno),
                                 hint='one object per line: {"a": "...", "b": "..."}') from None
    pairs = []
    for index, (number, item) in enumerate(items, 1):
        where = Location(path, number, 1) if number else None
        label = f"{path}:{number}" if number else f"{path}: pair {index}"
        if not isinstance(item, dict):
            raise UsageError(f"{label}: not a JSON object", where)
        unknown = set(item) - set(PAIR_KEYS)
        if unknown:
            raise UsageError(f"{label}: unknown key {', '.join(sorted(unknown))}", where, hint=", ".join(PAIR_KEYS))
        for key in ("a", "b"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise UsageError(f"{label}: {key!r} must be a program (a string)", where)
        shapes = item.get("shapes") or {}
        if not isinstance(shapes, dict):
            raise UsageError(f"{label}: 'shapes' must be an object such as {{\"x\": 4}}", where)
        ties = item.get("ties") or []
        if isinstance(ties, str) or not isinstance(ties, list):
            raise UsageError(f"{label}: 'ties' must be a list such as [\"relu0=1/2\"]", where)
        pairs.append({"id": item.get("id", index), "a": item["a"], "b": item["b"],
                      "framework": item.get("framework"), "shapes": shapes, "ties": ties,
                      "mode": item.get("mode", "reverse"), "wrt": item.get("wrt")})
    if not pairs:
        raise UsageError(f"{path}: no pairs", None,
                         hint='one JSON object per line: {"a": "...", "b": "..."}')
    return pairs


# -- one pair (runs on a worker) ------------------------------------------------------------
def run_pair(job: dict) -> dict:
    """Compare one pair: its JSON line as a dict (``seconds`` included). Never raises
    for the pair's own errors: they become the line's ``error`` object."""
    from ..core.errors import PwverifyError
    from ..questions.parallel import TimeLimit, time_limited
    from . import error_json
    head = {"id": job["id"], "a": job["a"], "b": job["b"]}
    start = time.perf_counter()
    try:
        line = {"id": job["id"], **time_limited(lambda: _compare_pair(job), job.get("time_limit"))}
    except TimeLimit:
        reason = f"the time limit per pair ({job['time_limit']:g} s) was reached"
        unknown = {"verdict": "unknown", "reason": reason, "witness": None}
        line = {**head, "function": dict(unknown), "gradient": {**unknown, "disagreement": [], "measure_zero": None},
                "notes": [], "exit_code": 3}
    except PwverifyError as exc:
        line = {**head, **error_json(exc, exc.exit_code)}
    except Exception as exc:  # a bug in pwverify: reported on the pair's line
        line = {**head, **error_json(exc, 4)}
    line["seconds"] = round(time.perf_counter() - start, 4)
    return line


def _compare_pair(job: dict) -> dict:
    from ..program import parse
    from ..questions.compare import compare
    options = dict(framework=job["framework"], shapes=job["shapes"], ties=job["ties"], mode=job["mode"],
                   timeout_ms=int(job["timeout"] * 1000))
    a, b = (_read(job[side], job.get("cwd"), options, parse) for side in ("a", "b"))
    wrt = a.select(job["wrt"]) if job.get("wrt") else None
    result = compare(a, b, wrt=wrt, timeout_ms=int(job["timeout"] * 1000),
                     disagreement=False if job.get("no_disagreement") else None)
    return {**result.to_json(), "exit_code": result.exit_code}


def _read(spec: str, cwd: str | None, options: dict, parse):
    """Parse ``spec``; a relative file path is read from ``cwd`` (the directory the batch
    was started in), and the label stays as written."""
    from ..frontend import split_program
    split = split_program(spec)
    if split is None or cwd is None or os.path.isabs(split[0]) or os.path.abspath(cwd) == os.getcwd():
        return parse(spec, **options)
    path, target = split
    program = parse(os.path.join(cwd, path) + (f":{target}" if target else ""), **options)
    program.parsed.label = spec
    return program


def _failed(job: dict, exc: BaseException) -> dict:
    from . import error_json
    return {"id": job["id"], "a": job["a"], "b": job["b"],
            **error_json(exc, 4, f"the worker running this pair failed: {type(exc).__name__}: {exc}")}


# -- the command -------------------------------------------------------------------------------
def combined_exit_code(codes: list[int]) -> int:
    """1 if any pair is refuted, else 4 (internal), else 2 (unreadable), else 3 (unknown), else 0.

    >>> combined_exit_code([0, 3, 1, 2]), combined_exit_code([0, 3, 2]), combined_exit_code([0, 0])
    (1, 2, 0)
    """
    for code in (1, 4, 2, 3):
        if code in codes:
            return code
    return 0


def cmd_batch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..questions.parallel import run_jobs, validate
    validate(args.workers, args.scheduler)
    pairs = read_pairs(args.file)
    jobs = [{**pair, "timeout": args.timeout, "time_limit": args.pair_time_limit, "cwd": os.getcwd(),
             "no_disagreement": args.no_disagreement} for pair in pairs]
    lines = run_jobs(run_pair, jobs, workers=args.workers, scheduler=args.scheduler, on_failure=_failed)
    text = "".join(json_line(line, args.timings) for line in lines)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        out.write(text)
    return combined_exit_code([line["exit_code"] for line in lines])


def json_line(data: Any, timings: bool = False) -> str:
    """One compact JSON line (timing keys only with ``timings``)."""
    return json.dumps(data if timings else without_timings(data), ensure_ascii=False) + "\n"
