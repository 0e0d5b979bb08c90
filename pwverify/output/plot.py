"""Figures: a program's pieces, its associated derivative, and where two programs disagree.

* One input: ``f`` above, its associated derivative (what autodiff returns) below.
  Where the program changes piece (a kink, a tie) the derivative autodiff returns is a
  filled dot and the one-sided limits of the neighbouring pieces are hollow dots.
* Two inputs or more (a slice through two of them): the pieces as coloured regions,
  each labelled ``Pᵅ`` with its formula ``fᵅ`` and gradient ``∇̃fᵅ`` (written ``∇``);
  thin pieces as lines and points. A region too narrow for its label carries its name
  only, and its formula is listed under the panel.
* Several programs: each is drawn in its own panel; the set where a program's gradient
  differs from the first program's is highlighted in red and the witness is marked.

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot, no display
backend), so they work headless, in CI and in notebooks alike. Their sizes and fonts are
chosen for a page column about 800 pixels wide: text is 11 to 14 pixels high there.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "relu2.png")
>>> fig = plot(["relu(-t) + t"], path)
>>> os.path.exists(path), [ax.get_ylabel() for ax in fig.axes]
(True, ['value', 'associated derivative'])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import sympy

from ..core.atoms import relaxed
from ..core.errors import UsageError
from ..engines.numeric import compile_representation
from .drawing import (CURVE_COLOURS, DISAGREE, MAX_PROGRAMS_2D, STYLE, formula_text, is_thin,  # noqa: F401
                      mask, piece_name, place)  # formula_text and piece_name: part of this module's API
from .plane import plot_plane

@dataclass
class _Source:
    label: str
    rep: Any            # Representation
    names: list[str]
    obj: Any            # the Program or Representation


def _source(obj, framework: str | None) -> _Source:
    from ..model.representation import Representation
    if isinstance(obj, str):
        from ..program import parse
        obj = parse(obj, framework=framework)
    if isinstance(obj, Representation):
        return _Source(obj.label or "representation", obj, obj.input_names, obj)
    return _Source(obj.label, obj.representation(), list(obj.inputs), obj)


def plot(programs: Sequence[Any], path: str | None = None, *, vary: Sequence[str] | None = None,
         at: Mapping[str, Any] | None = None, output: int = 0, window: Sequence[float] | None = None,
         comparison=None, framework: str | None = None, title: str | None = None,
         labels: Sequence[str] | None = None, metadata: Mapping[str, str] | None = None):
    """Draw programs (specs, ``Program`` or ``Representation``) and save to ``path``.

    ``vary``: the two inputs spanning a 2-D figure (default: the first two); ``at``: exact
    values of the other inputs (default 0). ``output``: which output (component) of a
    vector-valued program. ``window``: ``(lo, hi)`` for one input, ``(xlo, xhi, ylo, yhi)``
    for two. ``comparison``: the :class:`~pwverify.model.comparison.Comparison` of the
    first program with the second (or a list, one per program after the first); computed
    when not given; ``False``: none. ``labels``: names for the legends and titles
    (default: the programs' own). Up to five one-input programs share one panel; programs
    of two inputs or more get a panel each, up to three. ``metadata``: text fields stored
    in the file (PNG tEXt chunks, SVG/PDF metadata).
    Returns the matplotlib ``Figure``.
    """
    import matplotlib
    if path and not path.lower().endswith((".png", ".svg", ".pdf")):
        raise UsageError(f"cannot write {path!r}", hint="a .png, .svg or .pdf file")
    sources = [_source(p, framework) for p in programs]
    if any(len(s.names) != len(sources[0].names) for s in sources):
        raise UsageError("the programs have different numbers of inputs")
    one_input = bool(sources) and len(sources[0].names) == 1
    if not sources or len(sources) > (5 if one_input else MAX_PROGRAMS_2D):
        raise UsageError(f"plot takes one to {MAX_PROGRAMS_2D} programs (up to five with one input)")
    for src, label in zip(sources, labels or []):
        src.label = label
    comparisons = _comparisons(sources, comparison)
    n_out = sources[0].rep.n_outputs
    if not 0 <= output < max(n_out, 1):
        raise UsageError(f"output component {output} does not exist: the program has {n_out} output"
                         f"{'s' if n_out != 1 else ''} (components 0 to {n_out - 1})")
    from matplotlib.figure import Figure
    with matplotlib.rc_context(STYLE):
        # laid out by hand, in inches: no layout engine, so saving draws the figure once
        fig = Figure()
        if one_input:
            _plot_1d(fig, sources, comparisons[0] if comparisons else None, window, output, bool(title))
        else:
            plot_plane(fig, sources, comparisons, vary, at or {}, window, output, bool(title))
        if title:
            height = fig.get_size_inches()[1]
            fig.suptitle(title, y=1 - 0.1 / height, va="top")
        if path:
            save(fig, path, metadata)
    return fig

def _comparisons(sources, comparison) -> list:
    """One comparison (or None) per program after the first, against the first."""
    if comparison is False or len(sources) < 2:
        return []
    if comparison is not None and not isinstance(comparison, (list, tuple)):
        comparison = [comparison]
    given = list(comparison or [])
    out = []
    for k, src in enumerate(sources[1:]):
        c = given[k] if k < len(given) else None
        if c is None:
            from ..questions.compare import compare
            c = compare(sources[0].obj, src.obj)
        out.append(c)
    return out


def save(fig, path: str, metadata: Mapping[str, str] | None = None) -> str:
    """Write ``fig`` as PNG, SVG or PDF (chosen by the suffix) and return the path.

    The figures are laid out by hand, so saving draws them once."""
    import matplotlib
    if not path.lower().endswith((".png", ".svg", ".pdf")):
        raise UsageError(f"cannot write {path!r}", hint="a .png, .svg or .pdf file")
    import os
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write {path!r}: the folder {folder} does not exist",
                         hint="an existing folder (mkdir -p it first)")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"cannot write {path!r}: the folder {folder} is not writable", hint="a writable folder")
    with matplotlib.rc_context(STYLE):
        fig.savefig(path, dpi=130, metadata=dict(metadata) if metadata and path.lower().endswith(".png") else None)
    return path

# -- one input ------------------------------------------------------------------------------
def kink_points(rep, output: int = 0) -> list[dict]:
    """The points where a one-input representation changes piece, with the derivative
    autodiff returns there and the one-sided limits of the neighbouring pieces (exact).

    >>> from pwverify import parse
    >>> [(p["t"], p["derivative"], p["limits"]) for p in kink_points(parse("relu(t)").representation())]
    [(0, 0, [1])]
    >>> [(p["t"], p["derivative"], p["limits"]) for p in kink_points(parse("casestudies/boustany.py:f").representation())]
    [(0, -3/2, [0])]
    """
    from ..core.errors import DomainError
    symbol = rep.inputs[0]
    candidates = set()
    for piece in rep.pieces:
        for atom in piece.where:
            try:
                roots = sympy.solve(atom.expr, symbol)
            except (NotImplementedError, ValueError):  # transcendental boundaries are not marked
                continue
            candidates.update(r for r in roots if r.is_real)
    out = []
    for t in sorted(candidates, key=float):
        point = {symbol: t}
        try:
            index = rep.piece_index_at({str(symbol): t})
        except DomainError:
            continue
        piece = rep.pieces[index]
        derivative = sympy.nsimplify(piece.gradient[output][0].xreplace(point))
        value = sympy.nsimplify(piece.value[output].xreplace(point))
        limits = []
        for other in rep.pieces:
            if other is piece or is_thin(other) or not all(a.holds_at(point) for a in relaxed(other.where)):
                continue
            lim = sympy.nsimplify(other.gradient[output][0].xreplace(point))
            if lim.is_finite and lim != derivative and lim not in limits:
                limits.append(lim)
        out.append({"t": t, "piece": index + 1, "thin": is_thin(piece), "value": value,
                    "derivative": derivative, "limits": limits})
    return out


def _window_1d(all_thin: list[list[dict]], window) -> tuple[float, float]:
    if window:
        return float(window[0]), float(window[1])
    ts = [float(p["t"]) for thin in all_thin for p in thin]
    if not ts:
        return -2.0, 2.0
    lo, hi = min(ts), max(ts)
    pad = max(1.0, (hi - lo) / 2)
    return lo - pad, hi + pad


def _plot_1d(fig, sources, comparison, window, output, titled: bool) -> None:
    top = 0.45 if titled else 0.15
    width, panel = 5.4, 2.1
    fig.set_size_inches(width + 1.0, top + 2 * panel + 0.15 + 0.55)
    ax_f = place(fig, 0.85, 0.55 + panel + 0.15, width, panel)
    ax_d = place(fig, 0.85, 0.55, width, panel)
    ax_f.sharex(ax_d)
    ax_f.tick_params(labelbottom=False)
    thins = [kink_points(s.rep, output) for s in sources]
    lo, hi = _window_1d(thins, window)
    t = np.linspace(lo, hi, 1201)
    symbol = [sources[0].rep.inputs[0]]
    offsets = _dot_offsets(len(sources), hi - lo)
    notes: dict = {}     # (kink, derivative) -> [(program index, text)]
    for k, (src, thin) in enumerate(zip(sources, thins)):
        colour = CURVE_COLOURS[k % len(CURVE_COLOURS)]
        rep = src.rep
        symbol = [rep.inputs[0]]
        values, grads = compile_representation(rep)(t)
        style = "-" if k == 0 else "--"
        ax_f.plot(t, values[:, output], style, color=colour, lw=2, label=src.label)
        first = True
        for piece in rep.pieces:
            if is_thin(piece):
                continue
            d = np.where(mask(piece.where, symbol, [t]), grads[:, output, 0], np.nan)
            ax_d.plot(t, d, style, color=colour, lw=2, label=src.label if first else None)
            first = False
        for p in thin:
            x = float(p["t"]) + offsets[k]
            ax_f.plot([float(p["t"])], [float(p["value"])], "o", color=colour, ms=5)
            for lim in p["limits"]:
                ax_d.plot([x], [float(lim)], "o", mfc="white", mec=colour, mew=1.8, ms=8, zorder=4)
            ax_d.plot([x], [float(p["derivative"])], "o", color=colour, ms=8, zorder=5)
            notes.setdefault((p["t"], p["derivative"]), []).append((k, src.label))
    _annotate_kinks(ax_d, notes, offsets, len(sources))
    if comparison is not None and comparison.gradient.witness is not None:
        w = float(list(comparison.gradient.witness.point.values())[0])
        ax_d.axvline(w, color=DISAGREE, lw=1, ls=":", zorder=1)
        ax_d.annotate("gradients differ", (w, 1.0), xycoords=("data", "axes fraction"), color=DISAGREE,
                      textcoords="offset points", xytext=(4, -14))
    from matplotlib.lines import Line2D
    handles, labels = ax_d.get_legend_handles_labels()
    handles += [Line2D([], [], ls="", marker="o", color="0.3", ms=7),
                Line2D([], [], ls="", marker="o", mfc="white", mec="0.3", mew=1.8, ms=7)]
    labels += ["autodiff at a kink or tie", "one-sided limits"]
    ax_d.legend(handles, labels, loc="best")
    ax_f.legend(loc="best")
    ax_f.set_ylabel("value")
    ax_d.set_ylabel("associated derivative")
    ax_d.set_xlabel(str(symbol[0]))
    for ax in (ax_f, ax_d):
        ax.grid(alpha=0.3)
    _pad_ylim(ax_d)


def _annotate_kinks(ax, notes: dict, offsets: list[float], n: int) -> None:
    """The derivative autodiff returns at each kink, written right of the kink's dots;
    programs landing on the same value share one label (``relu, zero: 0``)."""
    right = max(offsets) if offsets else 0.0
    for (kink, derivative), who in notes.items():
        k = who[0][0]
        colour = CURVE_COLOURS[k % len(CURVE_COLOURS)] if len(who) == 1 else "0.2"
        names = ", ".join(label for _, label in who)
        text = f"{names}: {derivative}" if n > 1 else f"{derivative}"
        ax.annotate(text, (float(kink) + right, float(derivative)), textcoords="offset points",
                    xytext=(9, 0), va="center", color=colour, zorder=6,
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))


def _dot_offsets(n: int, span: float) -> list[float]:
    """Horizontal shifts so that the dots of several programs at one kink stand side by side."""
    if n == 1:
        return [0.0]
    step = span / 36
    return [(k - (n - 1) / 2) * step for k in range(n)]


def _pad_ylim(ax) -> None:
    lo, hi = ax.get_ylim()
    pad = max(0.15 * (hi - lo), 0.25)
    ax.set_ylim(lo - pad, hi + pad)
