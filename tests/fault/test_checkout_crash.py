"""Crash test: a till killed with SIGKILL at random moments never leaves half a sale behind.

A child process (``tests/support/checkout_loop.py``, forked by its fork server so that it
starts with its imports done) rings up sales in a loop, each sale in its own durable write
transaction, and journals every order number once its commit returned. The
parent kills it at a random moment shortly after start-up, reopens the store and checks that

* the store is sound (``integrity.check_all``: gap-free numbering, whole orders with lines,
  payments, stock movements and audit entry, stock levels equal to their movements, audit chain),
  every order is in the outbox, and nothing of a sale exists without its order (orphan lines,
  taxes, payments, sale movements, outbox or audit entries; SQLite's own foreign-key and
  quick checks);
* every order the child acknowledged is there, and at most the one sale in flight at the kill
  was committed beyond them (what was begun and not committed left nothing).

``TILLPOINT_CRASH_ROUNDS`` (default 50) sets the number of kills, ``TILLPOINT_CRASH_SEED`` the
seed of the carts and kill delays (printed, so a failure's carts and delays can be replayed;
the exact instant of a kill is the scheduler's). ``TILLPOINT_CRASH_CHECK_EVERY`` (default 1)
runs the whole-store checks only every n-th round (the journal checks run every round).

What SIGKILL tests is atomicity and recovery of a killed process: the kernel keeps the file
writes of a killed process, so this does not simulate a power cut (``synchronous=FULL``).
"""

from __future__ import annotations

import contextlib
import os
import random
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import pytest
from sqlalchemy import func, select as sql_select, text
from sqlalchemy.orm import Session

from app import demo, integrity
from db.engine import LocalStore
from db.models import (AuditEntry, Order, OrderLine, OrderLineTax, OutboxEntry, Payment,
                       StockMovement)

REPO = Path(__file__).resolve().parents[2]
CHILD = (sys.executable, "-m", "tests.support.checkout_loop")
MAX_KILL_DELAY_S = 0.150
READY_TIMEOUT_S = 60.0


# -- what a reopened store must look like ---------------------------------------------------
def orphan_problems(session: Session) -> list[str]:
    """Parts of a sale that exist without their order (or order line)."""
    order_ids = sql_select(Order.id)
    problems: list[str] = []

    def count(what: str, stmt) -> None:
        found = session.scalar(stmt) or 0
        if found:
            problems.append(f"{found} {what}")

    count("order lines without their order", sql_select(func.count()).select_from(OrderLine)
          .where(OrderLine.order_id.not_in(order_ids)))
    count("line taxes without their order line", sql_select(func.count()).select_from(OrderLineTax)
          .where(OrderLineTax.order_line_id.not_in(sql_select(OrderLine.id))))
    count("order lines without any tax row", sql_select(func.count()).select_from(OrderLine)
          .where(OrderLine.id.not_in(sql_select(OrderLineTax.order_line_id))))
    count("payments without their order", sql_select(func.count()).select_from(Payment)
          .where(Payment.order_id.not_in(order_ids)))
    count("sale stock movements without their order",
          sql_select(func.count()).select_from(StockMovement)
          .where(StockMovement.kind == "sale",
                 StockMovement.order_id.is_(None) | StockMovement.order_id.not_in(order_ids)))
    count("order.created outbox entries without their order",
          sql_select(func.count()).select_from(OutboxEntry)
          .where(OutboxEntry.kind == "order.created", OutboxEntry.entity_id.not_in(order_ids)))
    count("sale.completed audit entries without their order",
          sql_select(func.count()).select_from(AuditEntry)
          .where(AuditEntry.action == "sale.completed", AuditEntry.entity_id.not_in(order_ids)))

    orders = session.scalar(sql_select(func.count()).select_from(Order)) or 0
    queued = session.scalar(sql_select(func.count()).select_from(OutboxEntry)
                            .where(OutboxEntry.kind == "order.created")) or 0
    audited = session.scalar(sql_select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "sale.completed")) or 0
    if queued != orders:
        problems.append(f"{queued} order.created outbox entries for {orders} orders")
    if audited != orders:
        problems.append(f"{audited} sale.completed audit entries for {orders} orders")
    return problems


def sqlite_problems(session: Session) -> list[str]:
    fk = session.execute(text("PRAGMA foreign_key_check")).all()
    problems = [f"foreign key violation: {tuple(row)}" for row in fk[:10]]
    quick = [row[0] for row in session.execute(text("PRAGMA quick_check")).all()]
    if quick != ["ok"]:
        problems += [f"quick_check: {line}" for line in quick[:10]]
    return problems


def store_problems(session: Session) -> list[str]:
    """Everything that would be wrong with the store; empty when it is sound."""
    problems = integrity.check_all(session)
    problems += [f"order {n} is not in the outbox"
                 for n in integrity.orders_missing_from_outbox(session)]
    return problems + orphan_problems(session) + sqlite_problems(session)


# -- the child's journal --------------------------------------------------------------------
def read_journal(path: Path) -> list[str]:
    """Complete records only: a line cut short by the kill was never acknowledged."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    lines = data.split(b"\n")
    return [line.decode() for line in lines[:-1]]  # the piece after the last newline is cut off


# -- the rounds -----------------------------------------------------------------------------
@dataclass
class CrashStats:
    rounds: int = 0
    orders: int = 0  # orders in the store at the end
    acknowledged: int = 0  # orders the child journaled as committed
    killed_in_transaction: int = 0  # sale begun, nothing of it committed
    killed_before_ack: int = 0  # sale committed, its acknowledgement not yet written
    killed_between_sales: int = 0  # before the first sale or between an ack and the next begin
    full_checks: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.rounds} kills, {self.orders} orders ({self.acknowledged} acknowledged); "
                f"killed inside a sale's transaction {self.killed_in_transaction}×, "
                f"after commit before the ack {self.killed_before_ack}×, "
                f"between sales {self.killed_between_sales}×; {self.full_checks} full checks; "
                f"{self.seconds:.1f} s")


class ForkServer:
    """``checkout_loop --fork-server``: children that start with the loop's imports done (a
    fresh interpreter spent ~0.6 s of each round importing). Its replies are read from the raw
    pipe with a buffer of our own, so ``select`` never waits for a line already read."""

    def __init__(self, argv: Sequence[str], stderr_log) -> None:  # noqa: ANN001
        self.proc = subprocess.Popen([*argv, "--fork-server"], cwd=REPO, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=stderr_log)
        self.stderr_name = stderr_log.name
        self._pending = b""

    def _line(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.proc.stdout], [], [], max(left, 0))
            chunk = os.read(self.proc.stdout.fileno(), 4096) if ready else b""
            if not chunk:
                return ""  # timed out, or the fork server is gone
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return line.decode()

    def start(self, args: Sequence[str]) -> int:
        """Fork a child running the loop on ``args``; its pid, once it has opened the store."""
        self.proc.stdin.write((" ".join(args) + "\n").encode())
        self.proc.stdin.flush()
        line = self._line(READY_TIMEOUT_S)
        if not line.startswith("ready "):
            raise AssertionError(f"the child did not start (said {line!r}); "
                                 f"see {self.stderr_name}")
        return int(line.split()[1])

    def wait(self, pid: int) -> int:
        """The child's exit code as ``Popen.returncode`` gives it (-9: SIGKILL)."""
        line = self._line(READY_TIMEOUT_S)
        word, reaped, code = line.split() if line.count(" ") == 2 else ("", "", "")
        assert word == "exit" and int(reaped) == pid, f"the fork server said {line!r}"
        return int(code)

    def __enter__(self) -> "ForkServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


def run_crash_rounds(db_path: Path, *, rounds: int, seed: int, work_dir: Path,
                     child: Sequence[str] = CHILD, check_every: int = 1,
                     log: Callable[[str], None] = lambda _: None) -> CrashStats:
    """Start, kill and check ``rounds`` times; return the tally (``problems`` empty = pass).
    Stops at the first round that finds a problem. ``child`` is the command line of
    ``checkout_loop`` without its arguments (it is run as its fork server)."""
    rng = random.Random(seed)
    journal_path = work_dir / "journal.txt"
    stats = CrashStats()
    started = time.perf_counter()
    seen_records = 0
    acknowledged: list[str] = []
    orders_before = 0
    with open(work_dir / "child-stderr.log", "ab") as stderr_log, \
            ForkServer(child, stderr_log) as children:
        for round_no in range(1, rounds + 1):
            child_seed, delay = rng.getrandbits(32), rng.uniform(0, MAX_KILL_DELAY_S)
            pid = children.start([str(db_path), str(journal_path), str(child_seed)])
            time.sleep(delay)
            with contextlib.suppress(ProcessLookupError):  # it ended by itself: said below
                os.kill(pid, signal.SIGKILL)
            returncode = children.wait(pid)
            stats.rounds = round_no
            where = (f"round {round_no} (seed {seed}, child seed {child_seed}, "
                     f"kill {delay * 1000:.1f} ms after ready, store {db_path})")
            if returncode != -signal.SIGKILL:
                stats.problems.append(f"{where}: the child ended by itself with exit code "
                                      f"{returncode}; see {children.stderr_name}")
                break
            records = read_journal(journal_path)
            new_records, seen_records = records[seen_records:], len(records)
            new_acks = [r.split(" ", 1)[1] for r in new_records if r.startswith("commit ")]
            acknowledged += new_acks

            full = round_no % check_every == 0 or round_no == rounds
            store = LocalStore.open(db_path)
            try:
                with store.read() as session:
                    numbers = set(session.scalars(sql_select(Order.number)).all())
                    problems = store_problems(session) if full else []
            finally:
                store.close()
            stats.full_checks += full

            lost = [n for n in acknowledged if n not in numbers]
            if lost:
                problems.append(f"acknowledged orders missing after the kill: {lost[:10]}")
            if len(set(acknowledged)) != len(acknowledged):
                problems.append("the child acknowledged an order number twice")
            extra = len(numbers) - orders_before - len(new_acks)
            last = new_records[-1] if new_records else None
            if last == "begin" and extra in (0, 1):
                if extra:
                    stats.killed_before_ack += 1
                else:
                    stats.killed_in_transaction += 1
            elif last != "begin" and extra == 0:
                stats.killed_between_sales += 1
            else:
                problems.append(f"{len(numbers) - orders_before} new orders in the store for "
                                f"{len(new_acks)} acknowledged (last journal record {last!r})")
            orders_before = len(numbers)
            stats.orders, stats.acknowledged = len(numbers), len(acknowledged)

            if problems:
                stats.problems = [f"{where}: {p}" for p in problems]
                break
            if round_no % 25 == 0:
                log(f"round {round_no}: {stats.orders} orders")
    stats.seconds = time.perf_counter() - started
    return stats


def make_demo_store(db_path: Path) -> None:
    store = LocalStore.open(db_path)
    try:
        with store.write() as session:
            demo.generate(session, products=200, customers=20)
    finally:
        store.close()


@pytest.mark.slow
def test_sigkill_during_checkouts_leaves_whole_orders_only(tmp_path: Path, capsys) -> None:
    rounds = int(os.environ.get("TILLPOINT_CRASH_ROUNDS", "50"))
    seed = int(os.environ.get("TILLPOINT_CRASH_SEED") or random.SystemRandom().getrandbits(32))
    check_every = int(os.environ.get("TILLPOINT_CRASH_CHECK_EVERY", "1"))
    db_path = tmp_path / "tillpoint.sqlite3"
    make_demo_store(db_path)
    print(f"crash test: {rounds} rounds, seed {seed} (TILLPOINT_CRASH_SEED={seed} to replay)")

    stats = run_crash_rounds(db_path, rounds=rounds, seed=seed, work_dir=tmp_path,
                             check_every=check_every, log=print)

    with capsys.disabled():
        print(f"\ncrash test (seed {seed}): {stats.summary()}")
    assert stats.problems == [], "\n".join(stats.problems)
    assert stats.rounds == rounds
    # The kills must have hit sales, or the test proves nothing.
    assert stats.orders > 0 and stats.killed_in_transaction + stats.killed_before_ack > 0, \
        stats.summary()
