"""`build_from_files` embeds each product text once: a rebuild after a catalog change embeds only
the changed products, and a build killed while embedding resumes where it stopped, while the
index it was replacing stays served whole."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index import CatalogIndex, HashingEmbedder, embedding_cache


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, counting the texts it embeds; ``fail_after`` texts it raises, as a
    killed process stops."""

    def __init__(self, fail_after: int | None = None) -> None:
        super().__init__(64)
        self.embedded: list[str] = []
        self.fail_after = fail_after

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if self.fail_after is not None and len(self.embedded) + len(texts) > self.fail_after:
            raise KeyboardInterrupt("killed")
        self.embedded += texts
        return super().embed_documents(texts)


def _catalog(path: Path, products: list[dict]) -> Path:
    path.write_text("".join(json.dumps(product) + "\n" for product in products), encoding="utf-8")
    return path


@pytest.fixture
def products(demo_store: Path) -> list[dict]:
    lines = (demo_store / "luma_products.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_rebuild_after_a_change_embeds_only_the_changed_products(tmp_path, products):
    cache = tmp_path / "cache"
    catalog = _catalog(tmp_path / "p.jsonl", products)
    first = CountingEmbedder()
    report = CatalogIndex.build_from_files(
        catalog, tmp_path / "i", embedder=first, cache_dir=cache, progress=False
    )
    report.index.close()
    unique = len({text for text in first.embedded})
    assert (report.embedded, report.reused) == (len(products), 0) and len(first.embedded) == unique

    changed = [dict(product) for product in products]
    changed[0]["title"] += " (2026 edition)"  # 1 of 199 products: its embedded text changes
    changed[5]["price"] = 1.0  # a price is not embedded: nothing to embed for it
    again = CountingEmbedder()
    report = CatalogIndex.build_from_files(_catalog(catalog, changed), tmp_path / "i", embedder=again,
                                           cache_dir=cache, progress=False)  # fmt: skip
    assert (report.embedded, report.reused) == (1, len(products) - 1)
    assert again.embedded == [next(t for t in again.embedded if "2026 edition" in t)]
    hit = report.index.search("2026 edition", k=1)[0]
    assert hit.id == changed[0]["id"] and report.index.get(changed[5]["id"]).price == 1.0
    report.index.close()


def test_a_killed_build_resumes_and_never_serves_half_an_index(tmp_path, products, monkeypatch):
    monkeypatch.setattr(embedding_cache, "COMMIT_EVERY", 50)
    cache, out = tmp_path / "cache", tmp_path / "i"
    old = CatalogIndex.build_from_files(_catalog(tmp_path / "old.jsonl", products[:10]), out,
                                        embedder=CountingEmbedder(), cache_dir=cache, progress=False)  # fmt: skip
    old.index.close()
    catalog = _catalog(tmp_path / "p.jsonl", products)
    with pytest.raises(KeyboardInterrupt):
        CatalogIndex.build_from_files(catalog, out, embedder=CountingEmbedder(fail_after=120), cache_dir=cache,
                                      progress=False)  # fmt: skip
    served = CatalogIndex.load(out, embedder=HashingEmbedder(64))
    assert len(served) == 10  # the previous index, whole
    served.close()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".i.building")]

    resumed = CountingEmbedder()
    report = CatalogIndex.build_from_files(catalog, out, embedder=resumed, cache_dir=cache, progress=False)
    # the old index's 10 texts and two chunks of 50 from the killed run were kept
    assert report.reused >= 110 and report.reused + report.embedded == len(products)
    assert len(resumed.embedded) == len(set(resumed.embedded)) <= len(products) - 110
    assert len(report.index) == len(products)
    report.index.close()
