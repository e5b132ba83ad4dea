"""A real throwaway PostgreSQL cluster for tests (sessions and events shared by replicas).

Created with Debian's ``initdb`` in a temporary directory, listening on 127.0.0.1 only, stopped
and removed afterwards. Without a PostgreSQL server on the machine (``apt-get install
postgresql``; ``.ci/run`` installs it) the tests that need it are skipped, saying so.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _server_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """A throwaway cluster's URL; skips the test when there is no PostgreSQL server here."""
    bin_dir = _server_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server here (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="shopbot-pg-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    run_as: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root: use the postgres account
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
        root.chmod(0o755)
        run_as = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run([*run_as, str(bin_dir / "initdb"), "-D", str(data), "-U", "shopbot", "-A", "trust",
                    "--no-sync", "-E", "UTF8"], check=True, capture_output=True)  # fmt: skip
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l",
                    str(root / "server.log"), "start"], check=True, capture_output=True)  # fmt: skip
    try:
        yield f"postgresql://shopbot@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)
