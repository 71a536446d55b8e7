"""Pulling: pages of ``GET /sync/changes`` applied to the local store, each page together
with its cursor in one SQLite transaction, so a crash anywhere repeats at most one page (and
applying a page twice changes nothing).

CONTRACT (used by the engine and the benchmark):

``pull(store, client, *, limit=DEFAULT_PULL_LIMIT, progress=None) -> PullResult`` — pages
until ``has_more`` is false. On ``CursorGone`` it forgets the cursor, replays the feed from the
beginning (a snapshot) and then archives/removes the local synced rows the snapshot did not
name. ``progress(applied_so_far)`` is called after each page.

``apply_page(session, page, *, store_id) -> int`` — apply one page's ``changes`` in the
caller's transaction (no commit); returns how many entries it applied.
"""
