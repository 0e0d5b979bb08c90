"""The intermediate representation: the program graph and the values over its nodes."""

from .graph import Graph, Node

__all__ = ["Graph", "Node"]
