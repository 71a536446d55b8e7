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

Only what the loop needs is imported, to keep start-up short (the parent starts 200 of these).
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 3:
        print(__doc__, file=sys.stderr)
        return 2
    db_path = Path(argv[0])
    journal_path = Path(argv[1]) if len(argv) > 1 else db_path.with_name(db_path.name + ".journal")
    rng = random.Random(int(argv[2]) if len(argv) > 2 else None)

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
    print("ready", flush=True)
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
