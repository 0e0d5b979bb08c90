"""MkDocs hooks: every output, table and figure of the site is generated from the code.

Markdown pages hold placeholders that are replaced at build time, so no example can go
stale (the Python examples of the pages are doctested by pytest as well):

* ``<!-- run: pwverify ARGS -->``: the command's real output, run in-process from the
  repository root, shown with the command (and its exit code when not 0);
* ``<!-- latex: PROGRAM -->`` / ``<!-- markdown: PROGRAM -->``: a program's piece table;
* ``<!-- cli-reference -->``: the help of every command, from the argparse parser;
* ``<!-- conventions -->``: what every framework returned at each kink, from the recorded
  data (``docs/reference/conventions.json``, written by ``benchmarks/record_conventions.py``);
* ``<!-- demo-table -->``: the summary of the case studies, run at build time;
* ``<!-- reading -->``: what the frontend reads, one example per construct (each read and
  evaluated at build time) and every structural call of the registry.

Every formula is turned into MathML at build time (``texmath.py``), so the pages need no
script and no network to show it; a formula that cannot be rendered fails the build.

The figures of the case studies are drawn at build time into a temporary folder and
served as ``figures/<name>.png``. The notebooks of ``docs/notebooks/`` are executed at
build time and become pages (``notebooks.py``).
"""

from __future__ import annotations

import io
import os
import re
import shlex
import sys
import tempfile

# the sibling modules (mkdocs puts this folder on the path while it imports the hooks)
import notebooks
from texmath import render_page_math

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_STATE: dict = {}


def _studies():
    if "studies" not in _STATE:
        from pwverify.cli.demo_cmds import find_studies
        _STATE["studies"] = find_studies(os.path.join(ROOT, "casestudies"))
    return _STATE["studies"]


def on_files(files, config):
    """Draw the case studies' figures and serve them under ``figures/``; run the notebooks
    of ``docs/notebooks/`` and add each as a page, its figures beside it."""
    from mkdocs.structure.files import File
    from pwverify.cli.demo_cmds import default_jobs
    os.chdir(ROOT)
    folder = tempfile.mkdtemp(prefix="pwverify-docs-figures-")
    _STATE["outcomes"] = _studies().run_all(folder, jobs=default_jobs())
    for name in sorted(os.listdir(folder)):
        files.append(File.generated(config, f"figures/{name}", abs_src_path=os.path.join(folder, name)))
    for page, markdown, figures in notebooks.pages(config["docs_dir"]):
        files.append(File.generated(config, page, content=markdown))
        for name, data in figures.items():
            files.append(File.generated(config, f"{page[:-3]}/{name}", content=data))
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
        raise RuntimeError(f"`{command}` failed with exit code {code}:\n{out.getvalue()}{err.getvalue()}")
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


#: How many kinks of a call the page lists (conventions.json has them all).
KINKS_SHOWN = 6


def _cell(measured: dict | None) -> str:
    """What a framework returned at a classic tie: the reverse-mode gradient, the forward
    one too when it differs; – where the framework has no such function."""
    from pwverify.frameworks import recorded
    if not measured:
        return "–"
    reverse, forward = measured.get("reverse"), measured.get("forward")
    if not reverse or "error" in reverse:
        return "error"
    text = f"`{recorded.jacobian_text(reverse['jacobian'])}`"
    if forward and "error" not in forward and forward["jacobian"] != reverse["jacobian"]:
        text += f" (forward `{recorded.jacobian_text(forward['jacobian'])}`)"
    return text


def kink_cell(record: dict, limit: int = KINKS_SHOWN) -> str:
    """The kinks of one recorded call: ``point: value v, ∇ g`` per kink, one per line."""
    from pwverify.frameworks import recorded
    lines = []
    for kink in record["kinks"][:limit]:
        reverse, forward = kink.get("reverse"), kink.get("forward")
        if not reverse or "error" in reverse:
            lines.append(f"`{recorded.point_text(kink['point'])}`: error")
            continue
        text = (f"`{recorded.point_text(kink['point'])}`: value `{recorded.vector_text(reverse['value'])}`, "
                f"∇ `{recorded.jacobian_text(reverse['jacobian'])}`")
        if forward and "error" not in forward and forward["jacobian"] != reverse["jacobian"]:
            text += f" (forward `{recorded.jacobian_text(forward['jacobian'])}`)"
        lines.append(text)
    more = len(record["kinks"]) - limit
    if more > 0:
        lines.append(f"… {more} more in `conventions.json`")
    return "<br>".join(lines)


def _conventions() -> str:
    """The conventions page, from docs/reference/conventions.json (the recorded data)."""
    from pwverify.frameworks import recorded
    from pwverify.primitives import registry
    from pwverify.cli.core import rule_text
    data = recorded.load()
    if data is None:
        raise RuntimeError("docs/reference/conventions.json is missing: python benchmarks/record_conventions.py")
    frameworks = recorded.frameworks(data)
    names = {"torch": "PyTorch", "jax": "JAX", "tensorflow": "TensorFlow"}
    out = ["## What autodiff returns at the classic ties", "",
           "Each framework's own function of that name, run at the point (– : the framework has no such "
           "function). Recorded on " + ", ".join(f"{f} {data['versions'][f]}" for f in frameworks) + ".", "",
           "| tie | " + " | ".join(names[f] for f in frameworks) + " |", "|---|" + "---|" * len(frameworks)]
    for entry in data["classic"]:
        title = entry["title"].replace("|", "\\|")
        out.append(f"| {title} | " + " | ".join(_cell(entry["measured"].get(f)) for f in frameworks) + " |")
    calls = registry.all_calls()
    for framework in frameworks:
        records = [r for r in data["calls"] if r["framework"] == framework]
        kinked = [r for r in records if r["kinks"]]
        out += ["", f"## {names[framework]} {data['versions'][framework]}", "",
                f"{len(records)} calls recorded, {sum(len(r['kinks']) for r in records)} kinks.", "",
                "| call | rule | measured at its kinks |", "|---|---|---|"]
        for r in kinked:
            call = calls.get(r["call"])
            prim = registry.get(call.primitive) if call is not None and call.primitive else None
            rule = rule_text(prim.doc).replace("|", "\\|") if prim else ""
            out.append(f"| `{r['call']}`<br>`{r['program'].replace('|', chr(92) + '|')}` | {rule} | "
                       f"{kink_cell(r)} |")
        smooth = [r["call"] for r in records if not r["kinks"]]
        if smooth:
            out += ["", "No kink (smooth, or constant pieces only): " + ", ".join(f"`{c}`" for c in smooth) + "."]
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
    """The demo's summary: the verdicts of each study, then the papers' numbers next to pwverify's."""
    from pwverify.cli.demo_cmds import number_rows

    def cell(text) -> str:
        return str(text).replace("|", r"\|").replace("\n", "<br>")

    outcomes = _STATE.get("outcomes") or _studies().run_all(None)
    lines = ["| study | claim | function | gradient | witness: the two gradients there |", "|---|---|---|---|---|"]
    for o in outcomes:
        row = o.row()
        lines.append("| " + " | ".join(cell(c) for c in (f"`{row['study']}`", row["title"], row["function"],
                                                          row["gradient"], row["witness"])) + " |")
    lines += ["", "| study | what autodiff returns (source) | paper | pwverify | |", "|---|---|---|---|---|"]
    for o in outcomes:
        key = f"`{o.study.key}`"
        for what, source, paper, got, ok, _ in number_rows(o):
            lines.append("| " + " | ".join(cell(c) for c in (key, f"{what} ({source})" if source else what,
                                                              paper, got, "✓" if ok else "✗")) + " |")
            key = ""
    return "\n".join(lines)


if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
