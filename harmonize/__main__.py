"""``python -m harmonize``."""

from harmonize.cli import main

main()
