"""Minimise a mismatching program while the mismatch persists.

Greedy passes over the program's syntax tree, each change kept only when the program
still mismatches at the point, in the same mode and on the same quantity (value,
gradient, ...):

* drop a statement; replace an ``if`` by one of its branches; shorten a ``range``;
* replace a subexpression by one of its own subexpressions, by an input, by a constant;
* drop helper functions, parameters and imports nothing uses;
* set point coordinates to 0 or 1.

>>> src = "import math\\nimport torch\\n\\ndef f(a: float, b: float):\\n    return torch.relu(a)\\n"
>>> source, point = _drop_unused(src, {"a": 0, "b": 1})
>>> print(source.strip())
import torch
<BLANKLINE>
def f(a: float):
    return torch.relu(a)
>>> point
{'a': 0}
"""

from __future__ import annotations

import ast
import copy
import time
from typing import Callable

from .harness import Outcome, check_source


def _unparse(tree: ast.AST) -> str:
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def _function(tree: ast.Module, name: str = "f") -> ast.FunctionDef:
    return next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)


def _bodies(node: ast.AST):
    """Every statement list in ``node`` (function bodies, branches, loop bodies)."""
    for sub in ast.walk(node):
        for attr in ("body", "orelse", "finalbody"):
            stmts = getattr(sub, attr, None)
            if isinstance(stmts, list) and stmts and isinstance(stmts[0], ast.stmt):
                yield sub, attr


def _statement_edits(source: str):
    """Sources with one statement dropped, one if replaced by a branch, one range shortened."""
    tree = ast.parse(source)
    paths = []
    for owner, attr in _bodies(tree):
        for i in range(len(getattr(owner, attr))):
            paths.append((owner, attr, i))
    for owner, attr, i in paths:
        stmts = getattr(owner, attr)
        stmt = stmts[i]
        if isinstance(owner, ast.Module) and not isinstance(stmt, ast.FunctionDef):
            continue
        if len(stmts) > 1 and not (isinstance(owner, ast.Module) and getattr(stmt, "name", "") == "f"):
            saved = stmts[i]
            del stmts[i]
            yield _unparse(tree)
            stmts.insert(i, saved)
        if isinstance(stmt, ast.If):
            for branch in (stmt.body, stmt.orelse):
                if branch:
                    stmts[i:i + 1] = branch
                    yield _unparse(tree)
                    stmts[i:i + len(branch)] = [stmt]
        if isinstance(stmt, ast.For) and isinstance(stmt.iter, ast.Call) and \
                getattr(stmt.iter.func, "id", "") == "range" and stmt.iter.args:
            last = stmt.iter.args[-1]
            if isinstance(last, ast.Constant) and isinstance(last.value, int) and last.value > 1:
                last.value -= 1
                yield _unparse(tree)
                last.value += 1


def _replacements(node: ast.expr, inputs: list[str]):
    """Smaller expressions to try in place of ``node``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr) and not isinstance(child, (ast.Load, ast.Store)):
            yield child
    for arg in node.args if isinstance(node, ast.Call) else ():
        if isinstance(arg, ast.expr):
            yield arg
    if not (isinstance(node, ast.Name) and node.id in inputs):
        for name in inputs:
            yield ast.Name(name, ast.Load())
    if not isinstance(node, ast.Constant):
        yield ast.Constant(0.0)
        yield ast.Constant(1.0)


def _expression_edits(source: str, inputs: list[str]):
    tree = ast.parse(source)
    targets = []
    for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        for sub in ast.walk(fn):
            for field, value in ast.iter_fields(sub):
                if isinstance(value, ast.expr) and field not in ("annotation", "returns", "ctx", "func"):
                    targets.append((sub, field, None, value))
                elif isinstance(value, list):
                    for k, item in enumerate(value):
                        if isinstance(item, ast.expr) and field not in ("decorator_list", "targets"):
                            targets.append((sub, field, k, item))
    targets.sort(key=lambda t: -len(ast.unparse(t[3])))
    for parent, field, k, node in targets:
        if isinstance(parent, ast.arguments):
            continue
        for repl in list(_replacements(node, inputs)):
            new = copy.deepcopy(repl)
            if k is None:
                setattr(parent, field, new)
            else:
                getattr(parent, field)[k] = new
            yield _unparse(tree)
            if k is None:
                setattr(parent, field, node)
            else:
                getattr(parent, field)[k] = node


def _names_used(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def _drop_unused(source: str, point: dict) -> tuple[str, dict]:
    """Drop helpers, parameters and imports that nothing uses (with their point entries)."""
    tree = ast.parse(source)
    while True:
        used = _names_used(tree)
        before = len(tree.body)
        tree.body = [n for n in tree.body if not (isinstance(n, ast.FunctionDef) and n.name != "f"
                                                  and n.name not in used)]
        if len(tree.body) == before:
            break
    f = _function(tree)
    used = _names_used(f)
    keep = [a for a in f.args.args if a.arg in used]
    dropped = {a.arg for a in f.args.args} - {a.arg for a in keep}
    f.args.args = keep
    point = {k: v for k, v in point.items() if not any(k == d or (k.startswith(d) and k[len(d):][:1].isdigit())
                                                      for d in dropped)}
    used = _names_used(tree)
    body = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            node.names = [a for a in node.names if (a.asname or a.name.split(".")[0]) in used]
            if not node.names:
                continue
        if isinstance(node, ast.ImportFrom):
            node.names = [a for a in node.names if (a.asname or a.name) in used]
            if not node.names:
                continue
        body.append(node)
    tree.body = body
    return _unparse(tree), point


def mismatch_predicate(framework: str, mode: str, what: str) -> Callable[[str, dict], bool]:
    """True when the program still mismatches at the point, in ``mode``, on ``what``."""
    def still(source: str, point: dict) -> bool:
        out: Outcome = check_source(source, framework, point, mode, seconds=20)
        return out.status == "mismatch" and out.mismatch.what == what
    return still


def shrink(source: str, framework: str, mode: str, point: dict, what: str, seconds: float = 120.0,
           predicate: Callable[[str, dict], bool] | None = None) -> tuple[str, dict]:
    """The smallest program (and simplest point) found that still mismatches.

    ``point``: entry -> exact rational (or its text). Returns ``(source, point)``.
    """
    from .harness import inputs_of, entries_of
    still = predicate or mismatch_predicate(framework, mode, what)
    stop = time.monotonic() + seconds
    point = dict(point)
    if not still(source, point):
        return source, point
    changed = True
    while changed and time.monotonic() < stop:
        changed = False
        for edits in (lambda s: _statement_edits(s),
                      lambda s: _expression_edits(s, [n for n, sh in inputs_of(s).items() if not sh])):
            progress = True
            while progress and time.monotonic() < stop:
                progress = False
                for candidate in edits(source):
                    if time.monotonic() > stop:
                        break
                    if len(candidate) >= len(source):
                        continue
                    try:
                        candidate, cpoint = _drop_unused(candidate, point)
                    except (SyntaxError, StopIteration):
                        continue
                    if still(candidate, cpoint):
                        source, point, progress, changed = candidate, cpoint, True, True
                        break
    for name in entries_of(inputs_of(source)):
        for simpler in (0, 1, -1):
            if time.monotonic() > stop or str(point.get(name)) == str(simpler):
                break
            trial = dict(point, **{name: simpler})
            if still(source, trial):
                point = trial
                break
    return source, point
