"""The site's notebooks: each ``docs/notebooks/*.ipynb`` is executed at build time (with
nbclient, in a fresh kernel and a scratch folder) and becomes a page of the site, its
outputs inline: printed text, Markdown tables, figures. A cell that raises fails the
build. The notebook itself is served beside its page, for download.
"""

from __future__ import annotations

import base64
import os
import tempfile

#: Seconds one cell may take.
CELL_TIMEOUT = 600


def execute(path: str):
    """The notebook at ``path``, executed (nbclient; raises on the first failing cell)."""
    try:
        import nbclient
        import nbformat
    except ImportError as exc:  # pragma: no cover - the docs extra installs them
        raise RuntimeError(f"executing {path} needs nbclient, nbformat and ipykernel: "
                           "pip install -e '.[docs]'") from exc
    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="pwverify-notebook-") as scratch:
        client = nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                                         resources={"metadata": {"path": scratch}})
        client.execute()
    return notebook


def _fence(text: str, language: str = "") -> str:
    text = text.rstrip("\n")
    ticks = "````" if "```" in text else "```"
    return f"{ticks}{language}\n{text}\n{ticks}"


def to_markdown(notebook, name: str, source: str) -> tuple[str, dict[str, bytes]]:
    """The page of an executed notebook, and its figures (``{file name: PNG bytes}``,
    served in the folder ``name``). ``source``: the notebook's file name, for the link."""
    parts = [f"!!! note \"A notebook\"\n    This page is the notebook [{source}]({source}), run when the site "
             f"was built. Download it and open it in Jupyter to change the examples and do the exercises."]
    figures: dict[str, bytes] = {}
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
            continue
        if cell.cell_type != "code":
            continue
        parts.append(_fence(cell.source, "python"))
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                parts.append(_fence(output.get("text", ""), "text"))
            elif kind in ("execute_result", "display_data"):
                data = output.get("data", {})
                if "image/png" in data:
                    file = f"figure-{len(figures) + 1}.png"
                    figures[file] = base64.b64decode(data["image/png"])
                    parts.append(f"![output {len(figures)}]({name}/{file})")
                elif "text/markdown" in data:
                    parts.append(data["text/markdown"])
                elif "text/plain" in data:
                    parts.append(_fence(data["text/plain"], "text"))
            elif kind == "error":  # nbclient raises first; kept for notebooks run elsewhere
                raise RuntimeError(f"{source}: {output.get('ename')}: {output.get('evalue')}")
    return "\n\n".join(parts) + "\n", figures


def pages(docs_dir: str) -> list[tuple[str, str, dict[str, bytes]]]:
    """``(page path, markdown, figures)`` of every notebook under ``docs_dir/notebooks``."""
    folder = os.path.join(docs_dir, "notebooks")
    out = []
    for file in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if file.endswith(".ipynb"):
            stem = file[:-len(".ipynb")]
            markdown, figures = to_markdown(execute(os.path.join(folder, file)), stem, file)
            out.append((f"notebooks/{stem}.md", markdown, figures))
    return out
