"""Allow ``python -m cxloop``."""

from cxloop.cli.main import run

run()
