"""The repmon command line: wires the core (reputation), the spiders and the alerts together."""

__all__ = ["main"]

from repmon.cli import main
