"""The audit journal names the first entry that was altered, deleted or reordered."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app import audit
from db.engine import LocalStore


@pytest.fixture
def journal(blank_shop: LocalStore) -> LocalStore:
    with blank_shop.write() as s:
        for n in range(1, 11):
            audit.append(s, action=f"test.{n}", entity="thing", entity_id=str(n), actor_id="u1",
                         details={"n": n, "note": "café ελληνικά"})
    return blank_shop


def tamper(store: LocalStore, *statements: str) -> None:
    with store.write() as s:
        for sql in statements:
            s.execute(text(sql))


def first_problem(store: LocalStore):
    with store.read() as s:
        return audit.verify(s)


def test_an_untouched_journal_verifies(journal):
    assert first_problem(journal) == (10, None)


def test_an_altered_entry_is_named(journal):
    tamper(journal, "UPDATE audit_log SET actor_id = 'intruder' WHERE seq = 4")
    checked, problem = first_problem(journal)
    assert (problem.seq, problem.kind) == (4, "altered") and checked == 3


def test_a_deleted_entry_is_named(journal):
    tamper(journal, "DELETE FROM audit_log WHERE seq = 6")
    _, problem = first_problem(journal)
    assert (problem.seq, problem.kind) == (6, "deleted")


def test_a_deleted_tail_is_noticed_through_the_head(journal):
    tamper(journal, "DELETE FROM audit_log WHERE seq >= 9")
    _, problem = first_problem(journal)
    assert (problem.seq, problem.kind) == (9, "deleted")


def test_reordered_entries_are_named(journal):
    # Swap two entries wholesale, renumbering them so the sequence has no gap.
    tamper(journal,
           "UPDATE audit_log SET seq = -5 WHERE seq = 5",
           "UPDATE audit_log SET seq = 5 WHERE seq = 6",
           "UPDATE audit_log SET seq = 6 WHERE seq = -5")
    _, problem = first_problem(journal)
    assert problem.seq == 5 and problem.kind in ("altered", "reordered")


def test_a_rehashed_forgery_still_breaks_the_link_to_the_next_entry(journal):
    # A forger who rewrites entry 3 and recomputes its hash cannot keep entry 4's link.
    with journal.write() as s:
        row = s.execute(text("SELECT * FROM audit_log WHERE seq = 3")).mappings().one()
        from db.models import AuditEntry
        entry = s.get(AuditEntry, 3)
        entry.details = '{"n":333}'
        entry.hash = audit._entry_hash(entry.seq, entry.at, entry.actor_id, entry.approved_by,
                                       entry.action, entry.entity, entry.entity_id,
                                       entry.details, row["prev_hash"])
    _, problem = first_problem(journal)
    assert (problem.seq, problem.kind) == (4, "reordered")
