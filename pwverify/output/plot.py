"""Figures: a program's pieces, its associated derivative, and where two programs disagree.

* One input: ``f`` above, its associated derivative (what autodiff returns) below.
  Where the program changes piece (a kink, a tie) the derivative autodiff returns is a
  filled dot and the one-sided limits of the neighbouring pieces are hollow dots.
* Two inputs or more (a slice through two of them): the pieces as coloured regions,
  each labelled with its formula ``f^α`` and gradient; thin pieces as lines and points.
* Two programs: both are drawn, the set where their gradients differ is highlighted in
  red, and the witness of the verdict is marked.

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot, no display
backend), so they work headless, in CI and in notebooks alike.

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

#: Colours of the pieces (full-dimensional regions) and of the programs (curves).
REGION_COLOURS = ("#cfe2f3", "#fce5cd", "#d9ead3", "#ead1dc", "#fff2cc", "#d0e0e3", "#f4cccc",
                  "#d9d2e9", "#e6e6e6", "#c9daf8", "#f9cb9c", "#b6d7a8")
CURVE_COLOURS = ("#1f5fa8", "#d2691e", "#2e8b57", "#8b2fa8", "#b22222")
DISAGREE = "#d62728"
_COMPARE = {">": np.greater, ">=": np.greater_equal, "<": np.less, "<=": np.less_equal,
            "==": np.equal, "!=": np.not_equal}


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
         labels: Sequence[str] | None = None):
    """Draw one or two programs (specs, ``Program`` or ``Representation``) and save to ``path``.

    ``vary``: the two inputs spanning a 2-D figure (default: the first two); ``at``: exact
    values of the other inputs (default 0). ``output``: which output of a vector-valued
    program. ``window``: ``(lo, hi)`` for one input, ``(xlo, xhi, ylo, yhi)`` for two.
    ``comparison``: a :class:`~pwverify.questions.compare.Comparison` of the two programs (computed
    when two programs are given and it is not; ``False``: none). ``labels``: names for the legend (default:
    the programs' own). One-input programs may be drawn up to five at once, in one panel.
    Returns the matplotlib ``Figure``.
    """
    if path and not path.lower().endswith((".png", ".svg", ".pdf")):
        raise UsageError(f"cannot write {path!r}", hint="a .png, .svg or .pdf file")
    sources = [_source(p, framework) for p in programs]
    if any(len(s.names) != len(sources[0].names) for s in sources):
        raise UsageError("the programs have different numbers of inputs")
    if not sources or len(sources) > (5 if len(sources[0].names) == 1 else 2):
        raise UsageError("plot takes one or two programs (up to five with one input)")
    for src, label in zip(sources, labels or []):
        src.label = label
    if comparison is False:
        comparison = None
    elif len(sources) == 2 and comparison is None:
        from ..questions.compare import compare
        comparison = compare(sources[0].obj, sources[1].obj)
    n_out = sources[0].rep.n_outputs
    if not 0 <= output < max(n_out, 1):
        raise UsageError(f"--output {output}: the program has {n_out} outputs")
    from matplotlib.figure import Figure
    one_input = len(sources[0].names) == 1
    if one_input:
        fig = Figure(figsize=(7.2, 6.0), layout="constrained")
        _plot_1d(fig, sources, comparison, window, output)
    else:
        fig = Figure(figsize=(6.6 * len(sources), 7.0), layout="constrained")
        _plot_2d(fig, sources, comparison, vary, at or {}, window, output)
    if title:
        fig.suptitle(title)
    if path:
        save(fig, path)
    return fig


def save(fig, path: str) -> str:
    """Write ``fig`` as PNG or SVG (chosen by the suffix) and return the path."""
    if not path.lower().endswith((".png", ".svg", ".pdf")):
        raise UsageError(f"cannot write {path!r}", hint="a .png, .svg or .pdf file")
    fig.savefig(path, dpi=130, bbox_inches="tight")
    return path


# -- helpers on conditions ------------------------------------------------------------------
def _vectorised(symbols, expr):
    fn = sympy.lambdify(symbols, expr, modules="numpy")

    def call(*cols):
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(fn(*cols), dtype=float), cols[0].shape)
    return call


def _mask(atoms, symbols, cols) -> np.ndarray:
    """Where a conjunction holds on a grid (float comparisons)."""
    m = np.ones(cols[0].shape, dtype=bool)
    for atom in atoms:
        m &= _COMPARE[atom.rel](_vectorised(symbols, atom.expr)(*cols), 0.0)
    return m


def _thin(piece) -> bool:
    return any(a.rel == "==" for a in piece.where)


def _short(expr, limit: int = 28) -> str:
    text = sympy.sstr(expr)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
            if other is piece or _thin(other) or not all(a.holds_at(point) for a in relaxed(other.where)):
                continue
            lim = sympy.nsimplify(other.gradient[output][0].xreplace(point))
            if lim.is_finite and lim != derivative and lim not in limits:
                limits.append(lim)
        out.append({"t": t, "piece": index + 1, "thin": _thin(piece), "value": value,
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


def _plot_1d(fig, sources, comparison, window, output) -> None:
    ax_f, ax_d = fig.subplots(2, 1, sharex=True)
    thins = [kink_points(s.rep, output) for s in sources]
    lo, hi = _window_1d(thins, window)
    t = np.linspace(lo, hi, 1201)
    symbol = [sources[0].rep.inputs[0]]
    offsets = _dot_offsets(len(sources), hi - lo)
    for k, (src, thin) in enumerate(zip(sources, thins)):
        colour = CURVE_COLOURS[k % len(CURVE_COLOURS)]
        rep = src.rep
        symbol = [rep.inputs[0]]
        values, grads = compile_representation(rep)(t)
        style = "-" if k == 0 else "--"
        ax_f.plot(t, values[:, output], style, color=colour, lw=2, label=src.label)
        first = True
        for piece in rep.pieces:
            if _thin(piece):
                continue
            d = np.where(_mask(piece.where, symbol, [t]), grads[:, output, 0], np.nan)
            ax_d.plot(t, d, style, color=colour, lw=2, label=src.label if first else None)
            first = False
        for p in thin:
            x = float(p["t"]) + offsets[k]
            ax_f.plot([float(p["t"])], [float(p["value"])], "o", color=colour, ms=5)
            for lim in p["limits"]:
                ax_d.plot([x], [float(lim)], "o", mfc="white", mec=colour, mew=1.8, ms=8, zorder=4)
            ax_d.plot([x], [float(p["derivative"])], "o", color=colour, ms=8, zorder=5)
            ax_d.annotate(f"{p['derivative']}", (x, float(p["derivative"])), textcoords="offset points",
                          xytext=(12, -4), color=colour, fontsize=9)
    if comparison is not None and comparison.gradient.witness is not None:
        w = float(list(comparison.gradient.witness.point.values())[0])
        ax_d.axvline(w, color=DISAGREE, lw=1, ls=":", zorder=1)
        ax_d.annotate("gradients differ", (w, 1.0), xycoords=("data", "axes fraction"), color=DISAGREE,
                      textcoords="offset points", xytext=(4, -14), fontsize=9)
    from matplotlib.lines import Line2D
    handles, labels = ax_d.get_legend_handles_labels()
    handles += [Line2D([], [], ls="", marker="o", color="0.3", ms=7),
                Line2D([], [], ls="", marker="o", mfc="white", mec="0.3", mew=1.8, ms=7)]
    labels += ["autodiff at a kink or tie", "one-sided limits"]
    ax_d.legend(handles, labels, fontsize=8, loc="best")
    ax_f.legend(fontsize=8, loc="best")
    ax_f.set_ylabel("value")
    ax_d.set_ylabel("associated derivative")
    ax_d.set_xlabel(str(symbol[0]))
    for ax in (ax_f, ax_d):
        ax.grid(alpha=0.3)
    _pad_ylim(ax_d)


def _dot_offsets(n: int, span: float) -> list[float]:
    """Small horizontal shifts so that the dots of several programs do not hide each other."""
    if n == 1:
        return [0.0]
    step = span / 100
    return [(k - (n - 1) / 2) * step for k in range(n)]


def _pad_ylim(ax) -> None:
    lo, hi = ax.get_ylim()
    pad = max(0.15 * (hi - lo), 0.25)
    ax.set_ylim(lo - pad, hi + pad)


# -- two inputs (a slice) -----------------------------------------------------------------------
def _slice(rep, names, vary, at, output):
    """The pieces restricted to the plane spanned by ``vary`` (other inputs fixed by ``at``)."""
    from ..core.points import normalize_point
    symbols = list(rep.inputs)
    if vary is None:
        vary = names[:2]
    if len(vary) != 2 or any(v not in names for v in vary):
        raise UsageError(f"--vary {','.join(vary)}: two of the inputs", hint=", ".join(names))
    fixed_names = [n for n in names if n not in vary]
    values = normalize_point({n: at.get(n, 0) for n in fixed_names}, fixed_names) if fixed_names else {}
    fix = {symbols[names.index(n)]: values[n] for n in fixed_names}
    axes = [symbols[names.index(v)] for v in vary]
    cols = [names.index(v) for v in vary]
    pieces = []
    for i, piece in enumerate(rep.pieces, 1):
        atoms = []
        for a in piece.where:
            s = a.subs(fix)
            if s is False:
                atoms = None
                break
            if s is not True:
                atoms.append(s)
        if atoms is None:
            continue
        value = piece.value[output].xreplace(fix)
        grad = tuple(piece.gradient[output][c].xreplace(fix) for c in cols)
        pieces.append((i, tuple(atoms), value, grad))
    return axes, fix, pieces


def _window_2d(window) -> tuple[float, float, float, float]:
    if not window:
        return -2.0, 2.0, -2.0, 2.0
    if len(window) == 2:
        return float(window[0]), float(window[1]), float(window[0]), float(window[1])
    return tuple(float(w) for w in window[:4])


def _draw_thin(ax, atoms, axes, X, Y, colour, lw, zorder) -> bool:
    """Draw a lower-dimensional region on the plane: curves or points. True if visible."""
    eqs = [a for a in atoms if a.rel == "=="]
    others = [a for a in atoms if a.rel != "=="]
    if len(eqs) == 1:
        E = _vectorised(axes, eqs[0].expr)(X, Y)
        keep = _mask(relaxed(others), axes, [X, Y])
        if not keep.any() or np.nanmin(E[keep]) > 0 or np.nanmax(E[keep]) < 0:
            return False
        cs = ax.contour(X, Y, np.ma.array(E, mask=~keep), levels=[0], colors=[colour], linewidths=lw,
                        zorder=zorder)
        return any(len(seg) for seg in cs.allsegs[0])
    if not eqs:
        return False
    solutions = sympy.solve([a.expr for a in eqs], axes, dict=True)
    drawn = False
    for sol in solutions:
        if len(sol) != 2:
            continue
        point = {s: sol[s] for s in axes}
        if all(a.holds_at(point) for a in others):
            ax.plot([float(point[axes[0]])], [float(point[axes[1]])], "o", color=colour, ms=9, zorder=zorder)
            drawn = True
    return drawn


def _plot_2d(fig, sources, comparison, vary, at, window, output) -> None:
    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    axs = fig.subplots(1, len(sources), squeeze=False)[0]
    xlo, xhi, ylo, yhi = _window_2d(window)
    grid = np.meshgrid(np.linspace(xlo, xhi, 321), np.linspace(ylo, yhi, 321))
    X, Y = grid
    regions = [r.where for r in comparison.regions] if comparison is not None else []
    for ax, src in zip(axs, sources):
        axes, fix, pieces = _slice(src.rep, src.names, vary, at, output)
        index = np.full(X.shape, -1)
        full = [p for p in pieces if not any(a.rel == "==" for a in p[1])]
        for k, (_, atoms, _, _) in enumerate(full):
            m = _mask(atoms, axes, [X, Y]) & (index == -1)
            index[m] = k
        colours = [REGION_COLOURS[k % len(REGION_COLOURS)] for k in range(len(full))]
        if full:
            ax.pcolormesh(X, Y, np.ma.array(index, mask=index < 0), cmap=ListedColormap(colours),
                          vmin=-0.5, vmax=len(full) - 0.5, shading="auto", zorder=0)
        for k, (i, atoms, value, grad) in enumerate(full):
            m = index == k
            if m.sum() < 0.02 * m.size:
                continue
            cx, cy = X[m].mean(), Y[m].mean()
            j = np.argmin((X[m] - cx) ** 2 + (Y[m] - cy) ** 2)
            ax.text(X[m][j], Y[m][j], f"$P^{{{i}}}$: {_short(value)}\n∇ = ({', '.join(_short(g, 12) for g in grad)})",
                    ha="center", va="center", fontsize=8,
                    bbox=dict(boxstyle="round", fc="white", ec="0.6", alpha=0.85), zorder=6)
        handles = []
        thin_colours = ("#333333", "#7f4f24", "#264653", "#6a4c93", "#2a9d8f", "#e76f51")
        n_thin = 0
        for (i, atoms, value, grad) in pieces:
            if not any(a.rel == "==" for a in atoms):
                continue
            colour = thin_colours[n_thin % len(thin_colours)]
            if _draw_thin(ax, atoms, axes, X, Y, colour, 1.6, 3):
                n_thin += 1
                handles.append(Line2D([], [], color=colour, lw=2.2, label=(
                    f"$P^{{{i}}}$ (thin): {_short(value, 24)}, ∇ = ({', '.join(_short(g, 10) for g in grad)})")))
        for where in regions:
            atoms = [a.subs(fix) for a in where]
            if any(a is False for a in atoms):
                continue
            atoms = [a for a in atoms if a is not True]
            if any(a.rel == "==" for a in atoms):
                _draw_thin(ax, atoms, axes, X, Y, DISAGREE, 6, 2)
            else:
                m = _mask(atoms, axes, [X, Y])
                ax.contourf(X, Y, m.astype(float), levels=[0.5, 1.5], colors="none", hatches=["////"],
                            zorder=2)
        if regions:
            handles.append(Patch(fc="none", ec=DISAGREE, lw=2, label="gradients differ"))
        if comparison is not None and comparison.gradient.witness is not None:
            point = comparison.gradient.witness.point
            names = comparison.inputs
            on_slice = all(sympy.sympify(point[names[src.names.index(str(s))]]) == v for s, v in fix.items())
            if on_slice:
                wx = float(sympy.sympify(point[names[src.names.index(str(axes[0]))]]))
                wy = float(sympy.sympify(point[names[src.names.index(str(axes[1]))]]))
                ax.plot([wx], [wy], "*", color=DISAGREE, mec="black", ms=16, zorder=7)
                handles.append(Line2D([], [], ls="", marker="*", color=DISAGREE, mec="black", ms=12,
                                      label="witness"))
        if handles:
            ax.legend(handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1),
                      ncol=2 if len(handles) > 4 else 1, frameon=False)
        ax.set_xlim(xlo, xhi)
        ax.set_ylim(ylo, yhi)
        ax.set_xlabel(str(axes[0]))
        ax.set_ylabel(str(axes[1]))
        fixed = ", ".join(f"{s} = {v}" for s, v in fix.items())
        ax.set_title(src.label + (f"  ({fixed})" if fixed else ""), fontsize=10)
        ax.set_aspect("equal", adjustable="box")
