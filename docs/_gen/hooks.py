"""MkDocs hooks: every output, table and figure of the site is generated from the code.

Markdown pages hold placeholders that are replaced at build time, so no example can go
stale (the Python examples of the pages are doctested by pytest as well):

* ``<!-- run: pwverify ARGS -->``: the command's real output, run in-process from the
  repository root, shown with the command (and its exit code when not 0);
* ``<!-- latex: PROGRAM -->`` / ``<!-- markdown: PROGRAM -->``: a program's piece table;
* ``<!-- cli-reference -->``: the help of every command, from the argparse parser;
* ``<!-- conventions -->``: the tie rules of every framework, from the primitive registry;
* ``<!-- demo-table -->``: the summary of the case studies, run at build time;
* ``<!-- reading -->``: what the frontend reads, one example per construct (each read and
  evaluated at build time) and every structural call of the registry.

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
    if "<!-- reading -->" in markdown:
        markdown = markdown.replace("<!-- reading -->", _reading())
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


def _reading() -> str:
    """One example per construct the frontend reads (read and evaluated now), the decorators,
    and every structural call of the registry."""
    from pwverify.frontend.constructs import CONSTRUCTS, SIBLINGS, decorator_table
    folder = tempfile.mkdtemp(prefix="pwverify-docs-reading-")
    for name, text in SIBLINGS.items():
        with open(os.path.join(folder, name), "w") as handle:
            handle.write(text.lstrip())
    parts = []
    for i, c in enumerate(CONSTRUCTS, 1):
        shapes = " ".join(f"--shape {k}={','.join(map(str, v))}" for k, v in c.shapes.items())
        if c.source:
            file = f"example{i}.py"
            with open(os.path.join(folder, file), "w") as handle:
                handle.write(c.source.lstrip())
            program = f"{file}:{c.target}"
            code = f"```python\n# {file}\n{c.source.strip()}\n```"
        else:
            program, code = c.target, ""
        command = f"pwverify grad {shlex.quote(program)} --at {shlex.quote(c.at)} {shapes}".strip()
        previous = os.getcwd()
        os.chdir(folder)
        try:
            output = _run(command)
        finally:
            os.chdir(previous)
        note = f"\n\n{c.note}" if c.note else ""
        parts.append(f"### {c.title}\n\n{code}\n\n{output}{note}")
    rows = ["| decorator | read as |", "|---|---|"] + [f"| `@{n}` | {what} |" for n, what in decorator_table()]
    return "\n\n".join(parts + ["## Decorators", "\n".join(rows), "## Structural calls", _structural_calls()])


def _structural_calls() -> str:
    """Every call of the registry that reaches no primitive, grouped."""
    from pwverify.primitives import registry
    groups: dict[str, list[str]] = {"Python builtins and modules": [], "Tensor methods": [],
                                    "Layers, functional layers and losses": [], "Functions": []}
    for name, call in sorted(registry.all_calls().items()):
        if call.primitive:
            continue
        if name.startswith(("builtins.", "functools.", "math.", "contextlib.", "warnings.")):
            group = "Python builtins and modules"
        elif ".Tensor." in name or name.startswith("jax.Array."):
            group = "Tensor methods"
        elif name.startswith("torch.nn."):
            group = "Layers, functional layers and losses"
        else:
            group = "Functions"
        spelled = name.removeprefix("builtins.")
        doc = call.doc.replace("|", "\\|")
        groups[group].append(f"| `{spelled}({call.signature.render()})` | {doc} |")
    out = []
    for title, rows in groups.items():
        out += [f"### {title}", "", "| call | what it does |", "|---|---|", *rows, ""]
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
