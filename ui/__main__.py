"""`python -m ui` is `shopbot`."""

from ui.cli import main

main()
