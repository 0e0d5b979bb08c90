"""A griffe extension for the API reference: docstrings written for doctest and Sphinx,
shown as Markdown. Doctest examples become ``pycon`` code blocks; ``:class:`~a.B```
roles become inline code."""

from __future__ import annotations

import re

import griffe

_ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|exc):`~?([\w.]+)`")


def markdown_docstring(text: str) -> str:
    """Fence the doctest blocks of ``text`` and turn Sphinx roles into code."""
    out, block = [], []
    for line in text.splitlines() + [""]:
        if block and line.strip():
            block.append(line)
            continue
        if block:
            out += ["```pycon", *block, "```"]
            block = []
        if line.lstrip().startswith(">>>"):
            block = [line]
        else:
            out.append(_ROLE.sub(lambda m: f"`{m.group(1).rsplit('.', 1)[-1]}`", line))
    return "\n".join(out).rstrip() + "\n"


class DoctestFences(griffe.Extension):
    def on_instance(self, *, obj, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown_docstring(obj.docstring.value)
