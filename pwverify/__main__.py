"""``python -m pwverify``."""

from .cli import run

run()
