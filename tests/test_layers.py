"""The package's layers: data flows one way, from core up to the command line.

Every import inside ``pwverify`` (at module level or deferred inside a function) must go
to the same layer or a lower one, and no two modules may import each other in a circle.
The layers, lowest first, are listed in ``docs/contributing/architecture.md``.
"""

import ast
import os

import networkx as nx

from conftest import ROOT

PACKAGE = os.path.join(ROOT, "pwverify")

#: Lowest first. A module may import from its own layer and the layers before it.
LAYERS = ["core", "ir", "primitives", "solver", "model", "engines", "frontend", "program",
          "questions", "output", "frameworks", "testing", "cli", "__init__", "__main__"]


def _modules():
    for folder, _, names in os.walk(PACKAGE):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                rel = os.path.relpath(path, ROOT)[:-3].split(os.sep)
                yield path, rel


def _layer(parts: list[str]) -> str:
    """``pwverify.engines.pieces`` is in layer ``engines``; top-level modules name themselves."""
    if len(parts) == 1:
        return "__init__"
    return parts[1] if parts[1] != "pytest_plugin" else "testing"


def _imports(path: str, parts: list[str]):
    tree = ast.parse(open(path, encoding="utf-8").read())
    package = parts if parts[-1] == "__init__" else parts[:-1]
    if parts[-1] == "__init__":
        package = parts[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = base + (node.module.split(".") if node.module else [])
                names = [target + [a.name] for a in node.names]
            elif node.module and node.module.split(".")[0] == "pwverify":
                target = node.module.split(".")
                names = [target + [a.name] for a in node.names]
            else:
                continue
            yield node.lineno, target, names
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "pwverify":
                    yield node.lineno, a.name.split("."), []


def _module_names() -> set[tuple]:
    out = set()
    for _, parts in _modules():
        out.add(tuple(parts[:-1]) if parts[-1] == "__init__" else tuple(parts))
    return out


def test_every_module_has_a_layer():
    for _, parts in _modules():
        assert _layer(parts) in LAYERS, f"{'.'.join(parts)} is in no layer"


def test_no_lower_layer_imports_a_higher_one():
    wrong = []
    for path, parts in _modules():
        mine = LAYERS.index(_layer(parts))
        for line, target, _ in _imports(path, parts):
            if len(target) < 2:
                continue
            theirs = LAYERS.index(_layer(target))
            if theirs > mine:
                wrong.append(f"{os.path.relpath(path, ROOT)}:{line} imports {'.'.join(target)} "
                             f"({_layer(target)} is above {_layer(parts)})")
    assert not wrong, "\n".join(wrong)


def test_no_import_circles_between_modules():
    known = _module_names()
    graph = nx.DiGraph()
    for path, parts in _modules():
        me = tuple(parts[:-1]) if parts[-1] == "__init__" else tuple(parts)
        for _, target, names in _imports(path, parts):
            for candidate in [tuple(n) for n in names] + [tuple(target)]:
                if candidate in known and candidate != me:
                    # importing a name from a package's __init__ is an edge to that __init__ only
                    graph.add_edge(me, candidate)
                    break
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, "\n".join(" -> ".join(".".join(m) for m in c) for c in cycles[:10])
