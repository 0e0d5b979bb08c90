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

import re
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
THIN_COLOURS = ("#222222", "#8c4a1c", "#1f5fa8", "#7b3294", "#138d75", "#e67e22")
DISAGREE = "#d62728"
_COMPARE = {">": np.greater, ">=": np.greater_equal, "<": np.less, "<=": np.less_equal,
            "==": np.equal, "!=": np.not_equal}
#: Font sizes (points). A two-panel figure is about 9 inches wide, so on a page column of
#: 800 pixels a point is 1.2 pixels: 10-point labels are 12 pixels high.
STYLE = {"font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10.5, "xtick.labelsize": 9.5,
         "ytick.labelsize": 9.5, "legend.fontsize": 9.5, "figure.titlesize": 12}
PANEL_INCHES = 4.3          # width of one panel of a 2-D figure (3.6 with three panels)
LABEL_POINTS = 9.5          # the labels inside the regions
MAX_PROGRAMS_2D = 3

_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


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
            _plot_2d(fig, sources, comparisons, vary, at or {}, window, output, bool(title))
        if title:
            height = fig.get_size_inches()[1]
            fig.suptitle(title, y=1 - 0.1 / height, va="top")
        if path:
            save(fig, path, metadata)
    return fig


def _place(fig, left: float, bottom: float, width: float, height: float):
    """An axes at a position given in inches from the figure's lower left corner."""
    w, h = fig.get_size_inches()
    return fig.add_axes((left / w, bottom / h, width / w, height / h))


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
    with matplotlib.rc_context(STYLE):
        fig.savefig(path, dpi=130, metadata=dict(metadata) if metadata and path.lower().endswith(".png") else None)
    return path


# -- helpers on conditions and text -----------------------------------------------------------
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


def formula_text(expr, limit: int = 28) -> str:
    """A formula for a figure: ``5*u1/8`` becomes ``5·u₁/8``, ``x**2`` ``x²``; cut at ``limit``.

    >>> formula_text(sympy.sympify("5*u1/8 + u2**2/2"))
    '5·u₁/8 + u₂²/2'
    """
    text = sympy.sstr(expr)
    text = re.sub(r"\b([A-Za-z]+)(\d+)\b", lambda m: m.group(1) + m.group(2).translate(_SUBSCRIPTS), text)
    text = re.sub(r"\*\*(\d+)", lambda m: m.group(1).translate(_SUPERSCRIPTS), text)
    text = text.replace("*", "·")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def piece_name(index: int) -> str:
    """``P¹³``: the name of piece 13, as the figures write it."""
    return "P" + str(index).translate(_SUPERSCRIPTS)


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


def _plot_1d(fig, sources, comparison, window, output, titled: bool) -> None:
    top = 0.45 if titled else 0.15
    width, panel = 5.4, 2.1
    fig.set_size_inches(width + 1.0, top + 2 * panel + 0.15 + 0.55)
    ax_f = _place(fig, 0.85, 0.55 + panel + 0.15, width, panel)
    ax_d = _place(fig, 0.85, 0.55, width, panel)
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


def _gradient_text(grad, limit: int = 12) -> str:
    return "(" + ", ".join(formula_text(g, limit) for g in grad) + ")"


def _plot_2d(fig, sources, comparisons, vary, at, window, output, titled: bool) -> None:
    """One square panel per program, the list of its pieces under it."""
    n = len(sources)
    side = PANEL_INCHES - 0.8 if n < 3 else 2.9      # the axes; 0.8 in for the tick labels
    keys = ({}, {})    # colours shared by the panels: one per (formula, gradient)
    fig.set_size_inches(n * (side + 0.8) + 0.2, side)
    axs = [_place(fig, 0, 0, side, side) for _ in sources]
    legends = [_panel(ax, k, sources, comparisons, vary, at, window, output, side, keys)
               for k, ax in enumerate(axs)]
    rows = max((len(h) for h in legends), default=0)
    longest = max((len(h.get_label()) for hs in legends for h in hs), default=0)
    panel = max(side + 0.8, 0.075 * longest + 0.5)   # wide enough for the legend's lines
    legend = 0.1 + 0.19 * rows
    top = (0.45 if titled else 0.1) + 0.35
    width, height = n * panel + 0.2, top + side + 0.7 + legend
    fig.set_size_inches(width, height)
    for k, (ax, handles) in enumerate(zip(axs, legends)):
        left = 0.2 + k * panel + (panel - side) / 2 + 0.2
        ax.set_position((left / width, (0.7 + legend) / height, side / width, side / height))
        if handles:
            ax.legend(handles=handles, loc="upper left", frameon=False, borderaxespad=0, handlelength=1.6,
                      borderpad=0, bbox_to_anchor=((left - 0.55) / width, (legend + 0.05) / height),
                      bbox_transform=fig.transFigure)


def _panel(ax, n, sources, comparisons, vary, at, window, output, side, keys) -> list:
    """Draw program ``n``'s pieces in ``ax``; returns the legend entries."""
    from matplotlib.colors import to_rgba
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    src, first = sources[n], sources[0]
    xlo, xhi, ylo, yhi = _window_2d(window)
    X, Y = np.meshgrid(np.linspace(xlo, xhi, 321), np.linspace(ylo, yhi, 321))
    axes, fix, pieces = _slice(src.rep, src.names, vary, at, output)
    # the first panel shows every refuted comparison, the others their own
    shown = [comparisons[n - 1]] if n else [c for c in comparisons if c.gradient.status != "proved"]
    index = np.full(X.shape, -1)
    full = [p for p in pieces if not any(a.rel == "==" for a in p[1])]
    for k, (_, atoms, _, _) in enumerate(full):
        m = _mask(atoms, axes, [X, Y]) & (index == -1)
        index[m] = k
    colours = _group_colours([(value, grad) for _, _, value, grad in full], REGION_COLOURS, keys[0])
    image = np.ones(X.shape + (4,))
    for k, colour in enumerate(colours):
        image[index == k] = to_rgba(colour)
    ax.imshow(image, extent=(xlo, xhi, ylo, yhi), origin="lower", interpolation="nearest", zorder=0)
    listed = _label_regions(ax, index, full, (xlo, xhi, ylo, yhi), side)
    handles = _grouped([(i, value, grad, Patch(fc=colours[k], ec="0.6"), "")
                        for k, (i, _, value, grad) in enumerate(full) if i in listed])
    thin = []
    for (i, atoms, value, grad) in pieces:
        if not any(a.rel == "==" for a in atoms):
            continue
        # a colour per distinct formula among the lines drawn (a line off the slice takes none)
        key = (formula_text(value, 24), _gradient_text(grad, 10))
        colour = THIN_COLOURS[keys[1].get(key, len(keys[1])) % len(THIN_COLOURS)]
        if _draw_thin(ax, atoms, axes, X, Y, colour, 1.6, 3):
            keys[1].setdefault(key, len(keys[1]))
            thin.append((i, value, grad, Line2D([], [], color=colour, lw=2.2), " (thin)"))
    handles += _grouped(thin)
    regions = [r.where for c in shown for r in c.regions]
    for where in regions:
        atoms = [a.subs(fix) for a in where]
        if any(a is False for a in atoms):
            continue
        atoms = [a for a in atoms if a is not True]
        if any(a.rel == "==" for a in atoms):
            _draw_thin(ax, atoms, axes, X, Y, DISAGREE, 6, 2)
        else:
            m = _mask(atoms, axes, [X, Y])
            ax.contourf(X, Y, m.astype(float), levels=[0.5, 1.5], colors="none", hatches=["////"], zorder=2)
    if regions:
        if len(sources) < 3:
            label = "gradients differ"
        elif n:
            label = f"gradient differs from {first.label}"
        else:
            label = "gradient differs in " + ", ".join(s.label for s, c in zip(sources[1:], comparisons)
                                                      if c.gradient.status != "proved")
        handles.append(Patch(fc="none", ec=DISAGREE, lw=2, label=label))
    if n and comparisons[n - 1].gradient.status == "proved":
        handles.append(Patch(fc="none", ec="none", label=f"same gradient as {first.label}: proved"))
    if _mark_witness(ax, shown, src, fix, axes):
        handles.append(Line2D([], [], ls="", marker="*", color=DISAGREE, mec="black", ms=12, label="witness"))
    ax.set_xlim(xlo, xhi)
    ax.set_ylim(ylo, yhi)
    ax.set_xlabel(str(axes[0]))
    ax.set_ylabel(str(axes[1]), labelpad=1)
    fixed = ", ".join(f"{s} = {v}" for s, v in fix.items())
    ax.set_title(src.label + (f"  ({fixed})" if fixed else ""))
    ax.set_aspect("equal", adjustable="box")
    return handles


def _group_colours(formulas, palette, keys: dict) -> list[str]:
    """One colour per distinct (formula, gradient), in order of first appearance (``keys``
    is shared by the panels of a figure)."""
    return [palette[keys.setdefault((formula_text(v, 24), _gradient_text(g, 10)), len(keys)) % len(palette)]
            for v, g in formulas]


def _grouped(entries) -> list:
    """Legend entries, one per distinct (formula, gradient): ``P³, P¹⁵: ...``."""
    groups: dict = {}
    for i, value, grad, handle, kind in entries:
        key = (formula_text(value, 24), _gradient_text(grad, 10), kind)
        groups.setdefault(key, (handle, []))[1].append(i)
    out = []
    for (value, grad, kind), (handle, indices) in groups.items():
        handle.set_label(f"{', '.join(piece_name(i) for i in indices)}{kind}: {value}, ∇ = {grad}")
        out.append(handle)
    return out


def _mark_witness(ax, comparisons, src, fix, axes) -> bool:
    marked = False
    for comparison in comparisons:
        if comparison.gradient.witness is None:
            continue
        point = comparison.gradient.witness.point
        names = comparison.inputs
        if not all(sympy.sympify(point[names[src.names.index(str(s))]]) == v for s, v in fix.items()):
            continue
        wx = float(sympy.sympify(point[names[src.names.index(str(axes[0]))]]))
        wy = float(sympy.sympify(point[names[src.names.index(str(axes[1]))]]))
        ax.plot([wx], [wy], "*", color=DISAGREE, mec="black", ms=16, zorder=7)
        marked = True
    return marked


def _label_regions(ax, index, full, window, side) -> set:
    """Label each region ``Pᵅ: fᵅ`` over ``∇ = ...`` where that box fits inside it without
    covering another label, else ``Pᵅ`` alone; returns the pieces labelled by name only
    (their formulas go in the legend)."""
    xlo, xhi, ylo, yhi = window
    ny, nx = index.shape
    cells_per_inch = (nx - 1) / side
    free = np.ones(index.shape, dtype=bool)
    listed = set()
    areas = [(int((index == k).sum()), k) for k in range(len(full))]
    for area, k in sorted(areas):
        i, _, value, grad = full[k]
        if area == 0:
            continue
        if area < 0.002 * index.size:
            listed.add(i)
            continue
        mask = index == k
        placed = None
        for text in (f"{piece_name(i)}: {formula_text(value)}\n∇ = {_gradient_text(grad)}", piece_name(i)):
            lines = text.split("\n")
            w = int(np.ceil((0.6 * LABEL_POINTS / 72 * max(len(s) for s in lines) + 0.1) * cells_per_inch))
            h = int(np.ceil((1.3 * LABEL_POINTS / 72 * len(lines) + 0.08) * cells_per_inch))
            centre = _fit_box(mask & free, w, h)
            if centre is not None:
                placed = (text, centre, w, h)
                break
        if placed is None:  # nowhere free: the name at the region's middle
            rows, cols = np.nonzero(mask)
            j = np.argmin((rows - rows.mean()) ** 2 + (cols - cols.mean()) ** 2)
            placed = (piece_name(i), (rows[j], cols[j]), 0, 0)
        text, (r, c), w, h = placed
        free[max(0, r - h // 2 - 2): r + h // 2 + 3, max(0, c - w // 2 - 2): c + w // 2 + 3] = False
        ax.text(xlo + (xhi - xlo) * c / (nx - 1), ylo + (yhi - ylo) * r / (ny - 1), text, ha="center",
                va="center", fontsize=LABEL_POINTS, zorder=6,
                bbox=dict(boxstyle="round,pad=0.25", fc="white", ec="0.6", alpha=0.88))
        if "\n" not in text:
            listed.add(i)
    return listed


def _fit_box(ok: np.ndarray, w: int, h: int):
    """The centre (row, col) of a ``h`` × ``w`` box of cells all ``ok``, nearest the middle
    of all such centres (None if there is none)."""
    ny, nx = ok.shape
    if w >= nx or h >= ny:
        return None
    s = np.zeros((ny + 1, nx + 1), dtype=np.int64)
    s[1:, 1:] = np.cumsum(np.cumsum(ok, axis=0), axis=1)
    counts = s[h:, w:] - s[:-h, w:] - s[h:, :-w] + s[:-h, :-w]   # boxes by top-left corner
    rows, cols = np.nonzero(counts == w * h)
    if not len(rows):
        return None
    rows, cols = rows + h // 2, cols + w // 2
    j = np.argmin((rows - rows.mean()) ** 2 + (cols - cols.mean()) ** 2)
    return int(rows[j]), int(cols[j])
