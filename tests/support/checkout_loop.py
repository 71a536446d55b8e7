"""Child process of the crash test: rings up sales in a loop until it is killed.

    python -m tests.support.checkout_loop DB_PATH [JOURNAL_PATH] [SEED]

Opens the (already created and migrated) store, prints ``ready`` once it is open, then loops
forever: a cart of 1–4 random items paid in cash, each sale in its own ``store.write()``
transaction. The journal (default ``DB_PATH.journal``, opened in append mode) records

* ``begin`` just before a sale's transaction starts (written, not fsynced: a killed process
  does not lose what it handed to the kernel), so the parent knows whether a sale was in
  flight when it killed the child;
* ``commit <order number>`` after the transaction committed, written, flushed and fsynced:
  the parent treats these orders as acknowledged, so they must survive the kill.

Only what the loop needs is imported, to keep start-up short.

    python -m tests.support.checkout_loop --fork-server

imports all that once, then for each line ``DB_PATH JOURNAL_PATH SEED`` read on stdin forks a
child that runs the loop above, printing ``ready PID`` instead of ``ready``; when that child
has ended (killed, as a rule) it prints ``exit PID CODE`` (``CODE`` as ``Popen.returncode``:
-9 for SIGKILL). A fresh interpreter spent ~0.6 s importing before each kill; a fork is ready
in milliseconds, and it is just as much a process of its own with its own connection to the
store (nothing is opened before the fork).
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if argv == ["--fork-server"]:
        return fork_server()
    if not 1 <= len(argv) <= 3:
        print(__doc__, file=sys.stderr)
        return 2
    db_path = Path(argv[0])
    journal_path = Path(argv[1]) if len(argv) > 1 else db_path.with_name(db_path.name + ".journal")
    return sell_until_killed(db_path, journal_path, int(argv[2]) if len(argv) > 2 else None,
                             ready=b"ready\n")


def sell_until_killed(db_path: Path, journal_path: Path, seed: int | None, *,
                      ready: bytes) -> int:
    rng = random.Random(seed)

    from sqlalchemy import select

    from app.domain.tenders import TenderMethod
    from app.sales.cart import Cart
    from app.sales.checkout import Tender, checkout
    from db.engine import LocalStore
    from db.models import Product, StaffUser, Variant

    store = LocalStore.open(db_path)
    with store.read() as session:
        variant_ids = session.scalars(
            select(Variant.id).join(Product)
            .where(Variant.archived.is_(False), Product.archived.is_(False))
            .order_by(Variant.sku)).all()
        weighed = set(session.scalars(select(Variant.id).join(Product)
                                      .where(Product.sold_by_weight.is_(True))).all())
        staff_id = session.scalar(select(StaffUser.id).where(StaffUser.role == "cashier",
                                                             StaffUser.active.is_(True))
                                  .order_by(StaffUser.email))
    if not variant_ids or staff_id is None:
        print("the store has no sellable items or no cashier", file=sys.stderr)
        return 3

    journal = open(journal_path, "ab", buffering=0)  # noqa: SIM115 - lives until the kill
    os.write(sys.stdout.fileno(), ready)
    while True:
        cart = Cart()
        for variant_id in rng.sample(variant_ids, rng.randint(1, 4)):
            quantity = rng.randrange(100, 2000) if variant_id in weighed else rng.randint(1, 3) * 1000
            cart.add(variant_id, quantity)
        journal.write(b"begin\n")
        with store.write() as session:
            number = checkout(session, cart=cart, tenders=[Tender(TenderMethod.CASH)],
                              staff_id=staff_id).number
        # Committed: acknowledge it durably, as a till would before printing the receipt.
        journal.write(f"commit {number}\n".encode())
        os.fsync(journal.fileno())


def fork_server() -> int:
    # Everything the loop imports, imported once here: each child starts from a copy.
    import app.sales.checkout  # noqa: F401
    import db.engine  # noqa: F401
    import db.models  # noqa: F401

    out = sys.stdout.fileno()
    for line in sys.stdin:
        db_path, journal_path, seed = line.split()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                ready = f"ready {os.getpid()}\n".encode()
                code = sell_until_killed(Path(db_path), Path(journal_path), int(seed), ready=ready)
            except BaseException:  # noqa: BLE001 - the child must never return into this loop
                import traceback

                traceback.print_exc()
            finally:
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        os.write(out, f"exit {pid} {os.waitstatus_to_exitcode(status)}\n".encode())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
