"""Values that tensor code makes besides arrays of numbers.

* :class:`Unset`: an entry of ``np.empty``/``torch.empty`` not yet written (reading it
  is an error);
* :class:`Masked`: ``x[mask]``, the entries of ``x`` where ``mask`` holds; how many there
  are depends on the inputs, so it is kept whole, with its mask, until it is assigned
  (``y[mask] = x[mask]``) or reduced (``x[mask].sum()``);
* :class:`MaskIndex`: what ``np.where(cond)`` and ``mask.nonzero()`` return, usable as an
  index like the mask itself;
* :class:`AtIndexer`: jax's ``x.at[i]``, whose ``.set``/``.add``/... return a new array.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..ir.values import Array


@dataclass(frozen=True)
class Unset:
    """An entry of an array made by ``empty`` not written yet, or a random entry
    (``torch.randn``: a parameter's initial value, which only its shape matters for)."""

    where: str  # the call that made the array, e.g. "np.empty at f.py:3:9"
    random: bool = False


@dataclass(frozen=True)
class Masked:
    """``values[mask]``: ``values`` and ``mask`` (an array of conditions) of the same shape."""

    values: Array
    mask: Array


@dataclass(frozen=True)
class MaskIndex:
    """``np.where(cond)`` / ``cond.nonzero()``: selects the entries where ``mask`` holds."""

    mask: Array

    def describe_value(self) -> str:
        return "the indices where a condition holds"


@dataclass(frozen=True)
class AtIndexer:
    """``x.at`` (jax), and ``x.at[key]`` once indexed."""

    array: Array
    key: Any = None
    indexed: bool = False

    def describe_value(self) -> str:
        return "x.at[...]" if self.indexed else "x.at"
