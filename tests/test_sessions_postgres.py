"""Sessions in Postgres: a real throwaway PostgreSQL cluster, two replicas, a restart.

The cluster is the ``postgres_url`` fixture (tests/postgres_server.py).
"""

from __future__ import annotations

import pytest

from assistant import Assistant

pytest.importorskip("langgraph.checkpoint.postgres", reason="pip install '.[postgres]'")


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
