"""``python -m pwverify.cli``."""

from . import run

run()
