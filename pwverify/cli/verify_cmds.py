"""Commands of this family are registered here."""

from __future__ import annotations


def register(sub) -> None:
    return None
