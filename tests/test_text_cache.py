"""TextCache: a real SQLite file shared between instances, keys that change with their inputs."""

from __future__ import annotations

import threading
from pathlib import Path

from tools.text_cache import TextCache


def test_values_survive_reopening_and_keys_depend_on_every_part(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "texts.sqlite"
    cache = TextCache(path)
    key = TextCache.key("p1", "zh", "fingerprint-a")
    assert cache.get("summary", key) is None
    cache.put("summary", key, {"verdict": "好评为主", "pros": ["[r1] 结实"]})
    cache.close()

    reopened = TextCache(path)
    assert reopened.get("summary", key) == {"verdict": "好评为主", "pros": ["[r1] 结实"]}
    assert reopened.get("description", key) is None  # kinds are separate
    assert TextCache.key("p1", "en", "fingerprint-a") != key
    assert TextCache.key("p1", "zh", "fingerprint-b") != key
    assert reopened.count() == 1 and reopened.count("summary") == 1


def test_put_replaces_and_threads_share_one_file(tmp_path: Path) -> None:
    cache = TextCache(tmp_path / "texts.sqlite")

    def write(n: int) -> None:
        for i in range(20):
            cache.put("k", f"{n}-{i}", i)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.count("k") == 80
    cache.put("k", "0-0", "new")
    assert cache.get("k", "0-0") == "new" and cache.count("k") == 80


def test_in_memory_cache_needs_no_file() -> None:
    cache = TextCache(None)
    cache.put("k", "a", [1, 2])
    assert cache.get("k", "a") == [1, 2] and cache.path is None
