"""Broad queries (more full-text matches than ``WINDOW``) and the bounds on their work, on a
read model built directly with the follower's own ``readmodel.apply`` (no database needed).
The bounds are shrunk so that a few hundred products exercise every path."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from server.search import query as queries
from server.search import readmodel


@pytest.fixture
def conn(tmp_path, monkeypatch):
    monkeypatch.setattr(queries, "WINDOW", 50)
    monkeypatch.setattr(queries, "DEPTH", 40)
    monkeypatch.setattr(queries, "SCAN", 150)
    writer = readmodel.open_writer(tmp_path / "search-1.sqlite")
    rng = random.Random(3)
    entries = []
    for i in range(300):
        # "alpha" in every name, "omega" in a third of names and every description
        name = f"alpha {'omega ' if i % 3 == 0 else ''}item{i}" + " x" * rng.randrange(5)
        entries.append({"entity": "product", "entity_id": f"p{i}", "op": "upsert",
                        "data": {"id": f"p{i}", "name": name, "description": "omega",
                                 "brand": f"b{i % 4}", "prices": {"EUR": 100 * i},
                                 "variants": [], "images": []}})
    writer.execute("BEGIN")
    readmodel.apply(writer, "catalog", entries)
    writer.execute("COMMIT")
    yield writer
    writer.close()


def _all_pages(conn, q, per_page=10, **filters):
    seen = []
    for page in range(1, queries.DEPTH // per_page + 1):
        result = queries.search(conn, queries.SearchQuery(q=q, page=page, per_page=per_page,
                                                          **filters))
        seen.extend(i["id"] for i in result["items"])
    return result, seen


def test_broad_query_is_bounded_and_says_so(conn) -> None:
    result, seen = _all_pages(conn, "alpha")
    assert len(seen) == len(set(seen)) == queries.DEPTH  # stable pages, no duplicates
    assert result["total"] == queries.SCAN and result["total_approximate"] is True
    assert result["facets_approximate"] is True
    assert sum(b["count"] for b in result["facets"]["brand"]) == queries.DEPTH


def test_broad_lists_name_matches_before_description_matches(conn) -> None:
    first = queries.search(conn, queries.SearchQuery(q="omega", per_page=40))
    names = [i["name"] for i in first["items"]]
    in_name = [n for n in names if "omega" in n]
    assert names[:len(in_name)] == in_name and len(in_name) == 40  # 100 such; listed first


def test_broad_with_filters_counts_filtered_matches(conn) -> None:
    result = queries.search(conn, queries.SearchQuery(q="alpha", brand="b1", max_price=20000))
    assert result["total"] == len([i for i in range(150) if i % 4 == 1 and 100 * i <= 20000])
    assert all(item["brand"] == "b1" and item["price"] <= 20000 for item in result["items"])


def test_narrow_query_is_exact(conn) -> None:
    result = queries.search(conn, queries.SearchQuery(q="item29", per_page=40))
    expected = [f"p{i}" for i in range(300) if f"item{i}".startswith("item29")]
    assert result["total"] == len(expected) and result["total_approximate"] is False
    assert result["facets_approximate"] is False
    assert Counter(i["id"] for i in result["items"]) == Counter(expected)
    assert result["items"][0]["score"] is not None


def test_narrow_ranks_are_fts5s_bm25(conn, monkeypatch) -> None:
    """server.search.rank computes FTS5's bm25 (exactly while a word's count is sampled
    whole; from the sampled row ids beyond that, here exact too: the words are spread evenly)."""
    from server.search import rank

    cases = [(rank.IDF_SAMPLE, ('"omega" AND "item2"', '"alpha" AND "omega"', '"item1"')),
             (20, ('"alpha" AND "omega"', '"omega"'))]  # in every row: estimated exactly
    for sample, expressions in cases:
        monkeypatch.setattr(rank, "IDF_SAMPLE", sample)
        for expression in expressions:
            fts = dict(conn.execute("SELECT rowid, rank FROM products_fts WHERE products_fts "
                                    "MATCH ?", (expression,)).fetchall())
            mine = rank.scores(conn, fts, expression)
            assert mine.keys() == fts.keys()
            assert all(abs(mine[r] - fts[r]) <= 1e-9 * abs(fts[r]) for r in fts), expression


def test_a_rare_and_a_common_word_rank_as_fts5_would(conn) -> None:
    """"omega" is in every row (over WINDOW): the narrow AND is ranked by server.search.rank."""
    result = queries.search(conn, queries.SearchQuery(q="omega item29", per_page=40))
    expected = conn.execute("SELECT p.id, f.rank FROM products_fts f JOIN products p ON "
                            "p.rowid = f.rowid WHERE products_fts MATCH '\"omega\" AND "
                            "\"item29\"' ORDER BY f.rank, p.rowid").fetchall()
    assert 0 < len(expected) <= queries.WINDOW and result["total"] == len(expected)
    assert [(i["id"], i["score"]) for i in result["items"]] == [
        (pid, round(-rank, 4)) for pid, rank in expected[:40]]
