"""MkDocs hooks: every output, table and figure of the site is generated from the code.

Markdown pages hold placeholders that are replaced at build time, so no example can go
stale (the Python examples of the pages are doctested by pytest as well):

* ``<!-- run: pwverify ARGS -->``: the command's real output, run in-process from the
  repository root, shown with the command (and its exit code when not 0);
* ``<!-- latex: PROGRAM -->`` / ``<!-- markdown: PROGRAM -->``: a program's piece table;
* ``<!-- cli-reference -->``: the help of every command, from the argparse parser;
* ``<!-- conventions -->``: the tie rules of every framework, from the primitive registry;
* ``<!-- demo-table -->``: the summary of the case studies, run at build time.

Every formula is turned into MathML at build time (``texmath.py``), so the pages need no
script and no network to show it; a formula that cannot be rendered fails the build.

The figures of the case studies are drawn at build time into a temporary folder and
served as ``figures/<name>.png``.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import sys
import tempfile

# the sibling module (mkdocs puts this folder on the path while it imports the hooks)
from texmath import render_page_math

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_STATE: dict = {}


def _studies():
    if "studies" not in _STATE:
        from pwverify.cli.demo_cmds import find_studies
        _STATE["studies"] = find_studies(os.path.join(ROOT, "casestudies"))
    return _STATE["studies"]


def on_files(files, config):
    """Draw the case studies' figures and serve them under ``figures/``."""
    from mkdocs.structure.files import File
    os.chdir(ROOT)
    folder = tempfile.mkdtemp(prefix="pwverify-docs-figures-")
    _STATE["outcomes"] = _studies().run_all(folder)
    for name in sorted(os.listdir(folder)):
        files.append(File.generated(config, f"figures/{name}", abs_src_path=os.path.join(folder, name)))
    return files


def on_page_markdown(markdown, page, config, files):
    os.chdir(ROOT)
    markdown = re.sub(r"<!-- run: (.+?) -->", lambda m: _run(m.group(1)), markdown)
    markdown = re.sub(r"<!-- latex: (.+?) -->", lambda m: _pieces(m.group(1), "latex"), markdown)
    markdown = re.sub(r"<!-- markdown: (.+?) -->", lambda m: _pieces(m.group(1), "markdown"), markdown)
    markdown = markdown.replace("<!-- cli-reference -->", _cli_reference())
    markdown = markdown.replace("<!-- conventions -->", _conventions())
    markdown = markdown.replace("<!-- demo-table -->", _demo_table())
    return markdown


def on_page_content(html, page, config, files):
    """Every formula of the page as MathML (raises, and so fails the build, if one cannot be);
    every figure a link to itself at full size."""
    html = render_page_math(html, page.file.src_uri)
    return re.sub(r'<img [^>]*src="([^"]*figures/[^"]+)"[^>]*>',
                  lambda m: f'<a class="figure" href="{m.group(1)}" title="full size">{m.group(0)}</a>', html)


def _run(command: str) -> str:
    from pwverify.cli import main
    argv = shlex.split(command)
    if argv[0] != "pwverify":
        raise ValueError(f"only pwverify commands run in the docs: {command}")
    out, err = io.StringIO(), io.StringIO()
    code = main(argv[1:], out, err)
    if code not in (0, 1):
        raise RuntimeError(f"`{command}` failed with exit code {code}:\n{err.getvalue()}")
    text = out.getvalue().rstrip()
    footer = f"\n(exit code {code})" if code else ""
    return f"```console\n$ {command}\n{text}{footer}\n```"


def _pieces(spec: str, form: str) -> str:
    import pwverify
    rep = pwverify.parse(spec).representation()
    if form == "latex":
        return "$$\n" + rep.to_latex() + "\n$$"
    return rep.to_markdown()


def _cli_reference() -> str:
    from pwverify.cli import build_parser
    parser = build_parser()
    parts = ["```text\n" + parser.format_help().rstrip() + "\n```"]
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, command in sub.choices.items():
        parts.append(f"## pwverify {name}\n\n```text\n{command.format_help().rstrip()}\n```")
    return "\n\n".join(parts)


# the ties every framework resolves differently, evaluated with pwverify's own rules
_TIE_CASES = [
    ("relu'(0)", "relu(t)", {"t": 0}, {}),
    ("abs'(0)", "abs(t)", {"t": 0}, {}),
    ("sign'(0)", "sign(t)", {"t": 0}, {}),
    ("maximum(a, b) at a = b", "maximum(a, b)", {"a": 0, "b": 0}, {}),
    ("(a + b + |a - b|)/2 at a = b", "(a + b + abs(a - b)) / 2", {"a": 0, "b": 0}, {}),
    ("amax(x) at x = (0, 0, 0)", "amax(x)", {"x": [0, 0, 0]}, {"x": 3}),
    ("clip(t, -1, 1) at t = 1", "clip(t, -1, 1)", {"t": 1}, {}),
    ("relu6'(0)", "relu6(t)", {"t": 0}, {}),
    ("hardtanh'(1)", "hardtanh(t)", {"t": 1}, {}),
    ("fmax(a, b) at a = b", "fmax(a, b)", {"a": 0, "b": 0}, {}),
]


def _tie_value(expr, point, shapes, framework) -> str:
    import pwverify
    from pwverify.core.formatting import exact_str
    try:
        row = pwverify.parse(expr, framework=framework, shapes=shapes).gradient_at(point)[0]
    except pwverify.PwverifyError:
        return "–"
    text = ", ".join(exact_str(v) for v in row)
    return f"`{text}`" if len(row) == 1 else f"`({text})`"


def _conventions() -> str:
    from pwverify.primitives.conventions import FRAMEWORKS
    from pwverify.primitives import registry
    lines = ["| tie | " + " | ".join(FRAMEWORKS) + " |", "|---|" + "---|" * len(FRAMEWORKS)]
    for title, expr, point, shapes in _TIE_CASES:
        cells = [_tie_value(expr, point, shapes, fw) for fw in FRAMEWORKS]
        lines.append(f"| {title.replace('|', chr(92) + '|')} | " + " | ".join(cells) + " |")
    out = ["## What autodiff returns at the classic ties", "",
           "Each cell is `pwverify grad` of the neutral spelling under that framework's profile "
           "(– : the framework has no such function).", "", *lines]
    calls = registry.all_calls()
    groups = {"torch": "PyTorch", "jax": "JAX", "tensorflow": "TensorFlow", None: "Python and framework-neutral"}
    for framework, title in groups.items():
        rows = []
        for name in sorted(calls):
            call = calls[name]
            if call.framework != framework or not call.primitive:
                continue  # structural calls are listed on the reading page
            prim = registry.get(call.primitive)
            if prim.smooth:
                continue
            rule = prim.doc.strip().split("\n")[0].replace("|", r"\|")
            measured = "; ".join(prim.measured).replace("|", r"\|") if prim.measured else ""
            rows.append(f"| `{name}` | `{call.primitive}` | {rule} | {measured} |")
        out += ["", f"## {title}", "", "| call | primitive | rule at ties and kinks | checked against |",
                "|---|---|---|---|", *rows]
    return "\n".join(out)


def _demo_table() -> str:
    lines = ["| study | claim | function | gradient | witness | paper's numbers |", "|---|---|---|---|---|---|"]
    for o in _STATE.get("outcomes") or _studies().run_all(None):
        row = o.row()
        cells = [f"`{row['study']}`", row["title"], row["function"], row["gradient"], row["witness"],
                 row["papers_numbers"]]
        lines.append("| " + " | ".join(c.replace("|", r"\|") for c in cells) + " |")
    return "\n".join(lines)


if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
