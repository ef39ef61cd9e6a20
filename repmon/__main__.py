"""`python -m repmon`."""

from repmon.cli import main

main()
