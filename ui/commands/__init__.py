"""One module per `shopbot` command (see ui/cli.py)."""
