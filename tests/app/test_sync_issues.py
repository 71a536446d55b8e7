"""Sync issues as the window and the command line read them: newest first, plain values,
marked seen by id."""

from __future__ import annotations

import pytest

from app.domain.errors import InvalidInput
from app.sync_issues import add_issue, list_issues, mark_seen, unseen_count


def _three(store) -> list[int]:
    with store.write() as s:
        ids = []
        for n, kind in enumerate(("conflict", "rejected", "overridden")):
            issue = add_issue(s, kind=kind, entity="product", entity_id=f"p{n}",
                              message=f"issue {n}", details={"sent": {"price": n}},
                              mutation_id=f"m{n}", mutation_kind="product.update")
            s.flush()
            ids.append(issue.id)
        return ids


def test_issues_come_newest_first_as_plain_values(blank_shop):
    first, _, last = _three(blank_shop)
    with blank_shop.read() as s:
        issues = list_issues(s)
    assert [i["id"] for i in issues] == [last, last - 1, first]
    newest = issues[0]
    assert newest["kind"] == "overridden" and newest["details"] == {"sent": {"price": 2}}
    assert newest["seen"] is False and isinstance(newest["at"], str)
    assert set(newest) == {"id", "at", "kind", "entity", "entity_id", "message", "details",
                           "mutation_id", "mutation_kind", "seen"}


def test_marking_seen_hides_them_from_the_unseen_list(blank_shop):
    first, middle, last = _three(blank_shop)
    with blank_shop.write() as s:
        assert mark_seen(s, [first, last, 999]) == 2
        assert mark_seen(s, [first]) == 0  # already seen: no error, nothing changes
        assert mark_seen(s, []) == 0
    with blank_shop.read() as s:
        assert [i["id"] for i in list_issues(s, unseen_only=True)] == [middle]
        assert len(list_issues(s, unseen_only=False, limit=2)) == 2
        assert unseen_count(s) == 1


def test_bad_arguments_are_refused(blank_shop):
    with blank_shop.read() as s:
        with pytest.raises(InvalidInput) as err:
            list_issues(s, limit=0)
        assert err.value.field == "limit"
    with blank_shop.write() as s:
        with pytest.raises(InvalidInput) as err:
            mark_seen(s, ["1"])
        assert err.value.field == "ids"
        with pytest.raises(ValueError):
            add_issue(s, kind="oops", entity="x", entity_id="y", message="z")


def test_a_long_message_is_shortened_rather_than_failing_the_push(blank_shop):
    with blank_shop.write() as s:
        add_issue(s, kind="rejected", entity="order", entity_id="o", message="x" * 5000)
    with blank_shop.read() as s:
        [issue] = list_issues(s)
    assert len(issue["message"]) == 1000 and issue["message"].endswith("…")
