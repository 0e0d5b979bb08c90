"""What the figures share: colours, font sizes, and formulas written for reading.

``plot`` (one input, and the entry point) and ``plane`` (two inputs or more) draw with these.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import sympy

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


def place(fig, left: float, bottom: float, width: float, height: float):
    """An axes at a position given in inches from the figure's lower left corner."""
    w, h = fig.get_size_inches()
    return fig.add_axes((left / w, bottom / h, width / w, height / h))


def vectorised(symbols, expr):
    """``expr`` as a numpy function of ``symbols`` (compiled once per expression)."""
    fn = _lambdified(tuple(symbols), expr)

    def call(*cols):
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(fn(*cols), dtype=float), cols[0].shape)
    return call


@functools.lru_cache(maxsize=4096)
def _lambdified(symbols: tuple, expr):
    return sympy.lambdify(symbols, expr, modules="numpy")


def mask(atoms, symbols, cols) -> np.ndarray:
    """Where a conjunction holds on a grid (float comparisons)."""
    m = np.ones(cols[0].shape, dtype=bool)
    for atom in atoms:
        m &= _COMPARE[atom.rel](vectorised(symbols, atom.expr)(*cols), 0.0)
    return m


def is_thin(piece) -> bool:
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
