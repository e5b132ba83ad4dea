"""Sessions: SQLite persistence across restarts, isolation between concurrent sessions."""

from __future__ import annotations

import threading

import pytest

from assistant import Assistant
from assistant.sessions import InvalidSessionError, open_checkpointer, parse_session_id
from assistant.testing import ScriptedChatModel


@pytest.mark.parametrize(
    ("session_id", "parts"),
    [
        ("web:abc", ("web", "abc")),
        ("telegram:123", ("telegram", "123")),
        ("cli:me@example.org", ("cli", "me@example.org")),
    ],
)
def test_session_ids(session_id, parts):
    assert parse_session_id(session_id) == parts


@pytest.mark.parametrize("bad", ["", "abc", "web:", ":abc", "Web:abc", "web:a b", "web:a:b"])
def test_bad_session_ids(bad):
    with pytest.raises(InvalidSessionError, match="<channel>:<user>"):
        parse_session_id(bad)


def test_a_restart_loses_no_conversation(tmp_path, demo_index):
    path = tmp_path / "sessions.sqlite"
    first = Assistant(ScriptedChatModel(), demo_index, sessions_path=path)
    shown = first.reply("telegram:42", "hoodie under $60").products
    first.reply("telegram:42", "my size is M")
    del first

    model = ScriptedChatModel()
    second = Assistant(model, demo_index, sessions_path=path)  # a new process would do the same
    history = second.history("telegram:42")
    assert [role for role, _ in history] == ["user", "assistant", "user", "assistant"]
    assert history[0][1] == "hoodie under $60"
    reply = second.reply("telegram:42", "the second one")
    assert reply.tool_calls[0].args == {"product_id": shown[1].id}
    assert second.memory("telegram:42")["prefs"] == {"sizes": ["M"]}
    cheaper = second.reply("telegram:42", "cheaper?")
    assert cheaper.tool_calls[0].args["query"] == "hoodie"
    assert model.calls == []


def test_concurrent_sessions_never_see_each_other(tmp_path, demo_index):
    assistant = Assistant(ScriptedChatModel(), demo_index, sessions_path=tmp_path / "s.sqlite")
    queries = {
        f"web:user{i}": query
        for i, query in enumerate(["hoodie", "backpack", "yoga", "watch", "shorts", "jacket"])
    }
    errors: list[BaseException] = []

    def converse(session_id: str, query: str) -> None:
        try:
            for _ in range(3):
                first = assistant.reply(session_id, f"{query} under $100")
                details = assistant.reply(session_id, "the first one")
                assert details.tool_calls[0].args == {"product_id": first.products[0].id}
                assert assistant.memory(session_id)["last_search"]["query"] == query
        except BaseException as error:  # collected for the main thread
            errors.append(error)

    threads = [threading.Thread(target=converse, args=item) for item in queries.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for session_id, query in queries.items():
        users = [text for role, text in assistant.history(session_id) if role == "user"]
        assert users == [f"{query} under $100", "the first one"] * 3


def test_reset_touches_only_its_session(tmp_path, demo_index):
    assistant = Assistant(ScriptedChatModel(), demo_index, sessions_path=tmp_path / "s.sqlite")
    assistant.reply("web:a", "my size is S")
    assistant.reply("web:b", "my size is L")
    assistant.reset("web:a")
    assert assistant.history("web:a") == []
    assert assistant.memory("web:b")["prefs"] == {"sizes": ["L"]}


def test_open_checkpointer_creates_the_folder(tmp_path):
    saver = open_checkpointer(tmp_path / "deep" / "er" / "sessions.sqlite")
    assert (tmp_path / "deep" / "er" / "sessions.sqlite").is_file()
    assert saver.get_tuple({"configurable": {"thread_id": "web:x"}}) is None
