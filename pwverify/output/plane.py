"""Figures of programs of two inputs or more: a slice through two of them, one panel per
program, each piece a coloured region labelled with its formula and associated gradient,
thin pieces as lines and points, where the gradients differ in red, the witness a star.
Used by :func:`pwverify.output.plot.plot`.
"""

from __future__ import annotations

import numpy as np
import sympy

from ..core.atoms import relaxed
from ..core.errors import UsageError
from .drawing import (DISAGREE, LABEL_POINTS, PANEL_INCHES, REGION_COLOURS, THIN_COLOURS, formula_text, mask,
                      piece_name, place, vectorised)


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
        E = vectorised(axes, eqs[0].expr)(X, Y)
        keep = mask(relaxed(others), axes, [X, Y])
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


def plot_plane(fig, sources, comparisons, vary, at, window, output, titled: bool) -> None:
    """One square panel per program, the list of its pieces under it."""
    n = len(sources)
    side = PANEL_INCHES - 0.8 if n < 3 else 2.9      # the axes; 0.8 in for the tick labels
    keys = ({}, {})    # colours shared by the panels: one per (formula, gradient)
    fig.set_size_inches(n * (side + 0.8) + 0.2, side)
    axs = [place(fig, 0, 0, side, side) for _ in sources]
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
        m = mask(atoms, axes, [X, Y]) & (index == -1)
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
            m = mask(atoms, axes, [X, Y])
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
    from matplotlib.ticker import MaxNLocator
    for axis in (ax.xaxis, ax.yaxis):   # five or so ticks: enough to read, and fewer to lay out
        axis.set_major_locator(MaxNLocator(5, steps=[1, 2, 5, 10]))
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
