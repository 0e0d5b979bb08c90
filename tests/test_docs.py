"""The documentation site: it builds with ``mkdocs build --strict``, and every example in it
is generated from the code (command outputs, tables, figures) or doctested (Python)."""

import importlib.util
import os
import re
import shlex
import subprocess
import sys

import pytest

from conftest import ROOT

DOCS = os.path.join(ROOT, "docs")
HAS_MKDOCS = all(importlib.util.find_spec(m) is not None
                 for m in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers"))
requires_mkdocs = pytest.mark.skipif(
    not HAS_MKDOCS, reason="mkdocs is not installed: pip install -e '.[docs]' to build the site in the tests")


def _pages():
    for folder, _, names in os.walk(DOCS):
        for name in names:
            if name.endswith(".md"):
                yield os.path.relpath(os.path.join(folder, name), DOCS)


def test_every_page_is_in_the_navigation_and_every_entry_exists():
    with open(os.path.join(ROOT, "mkdocs.yml"), encoding="utf-8") as handle:
        nav = set(re.findall(r"([\w/-]+\.md)", handle.read()))
    pages = set(_pages())
    assert nav == pages


def test_every_generated_example_is_a_valid_command():
    from pwverify.cli import build_parser
    parser = build_parser()
    commands = []
    for page in _pages():
        with open(os.path.join(DOCS, page), encoding="utf-8") as handle:
            commands += re.findall(r"<!-- run: (.+?) -->", handle.read())
    assert len(commands) >= 25
    for command in commands:
        argv = shlex.split(command)
        assert argv[0] == "pwverify"
        parser.parse_args(argv[1:])


def test_the_conventions_table_comes_from_the_registry():
    sys.path.insert(0, os.path.join(DOCS, "_gen"))
    try:
        import hooks
    finally:
        sys.path.pop(0)
    text = hooks._conventions()
    assert "| abs'(0) | `0` | `1` | `0` |" in text
    assert "| maximum(a, b) at a = b | `(1/2, 1/2)` | `(1/2, 1/2)` | `(1, 0)` |" in text
    for title in ("## PyTorch", "## JAX", "## TensorFlow"):
        assert title in text
    assert "`torch.nn.MaxPool1d`" in text


@requires_mkdocs
def test_the_site_builds_strictly(tmp_path):
    site = tmp_path / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)], cwd=ROOT,
                       capture_output=True, text=True, timeout=900, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    html = "".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    assert "<!-- run:" not in html and "<!-- latex:" not in html
    tutorial = (site / "tutorial" / "index.html").read_text(encoding="utf-8")
    assert "d/dt casestudies/boustany.py:f = -3/2" in tutorial
    cli = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    for command in ("pieces", "compare", "check", "demo", "plot"):
        assert f"pwverify {command}" in cli
    figures = sorted(p.name for p in (site / "figures").iterdir())
    assert {"boustany.png", "maxpool.png", "minmod.png", "sorting.png"} <= set(figures)
