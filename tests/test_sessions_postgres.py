"""Sessions in Postgres: a real throwaway PostgreSQL cluster, two replicas, a restart.

The cluster is created with Debian's ``initdb`` in a temporary directory and listens on
127.0.0.1 only; it is stopped and removed after the tests. Without a PostgreSQL server on the
machine (``apt-get install postgresql``; ``.ci/run`` installs it) the tests are skipped, saying so.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import Assistant


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


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    bin_dir = _server_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server here (apt-get install postgresql)")
    pytest.importorskip("langgraph.checkpoint.postgres", reason="pip install '.[postgres]'")
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


def test_two_replicas_share_sessions_and_a_restart_loses_nothing(postgres_url, demo_index, scripted_model):
    import psycopg

    replica_a = Assistant(scripted_model, demo_index, sessions_path=postgres_url)
    replica_b = Assistant(scripted_model, demo_index, sessions_path=postgres_url)
    first = replica_a.reply("web:alice", "jacket under $80")
    replica_a.reply("web:bob", "hoodie under $50")
    # the next turn lands on the other replica: it resolves against what replica A showed
    cheaper = replica_b.reply("web:alice", "cheaper?")
    assert cheaper.tool_calls[0].args["query"] == "jacket"
    assert cheaper.tool_calls[0].args["max_price"] < min(card.price for card in first.products)
    with psycopg.connect(postgres_url) as connection:  # the state really lives in Postgres
        threads = {row[0] for row in connection.execute("SELECT DISTINCT thread_id FROM checkpoints")}
    assert {"web:alice", "web:bob"} <= threads
    # sessions stay apart
    assert replica_b.memory("web:bob")["last_search"]["query"] == "hoodie"
    assert [text for role, text in replica_b.history("web:bob") if role == "user"] == ["hoodie under $50"]

    restarted = Assistant(scripted_model, demo_index, sessions_path=postgres_url)
    assert [role for role, _ in restarted.history("web:alice")] == ["user", "assistant"] * 2
    second = restarted.reply("web:alice", "the second one")
    assert second.tool_calls[0].args == {"product_id": cheaper.products[1].id}
    restarted.reset("web:alice")
    assert replica_a.history("web:alice") == [] and replica_a.history("web:bob")
    assert scripted_model.calls == []
