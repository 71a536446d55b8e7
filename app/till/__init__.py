"""The till's services: everything a cashier does at the register, without Qt.

Modules:
- ``views``      immutable snapshots the window shows (figures computed and formatted here);
- ``signin``     staff on the sign-in screen, PIN checks with lock-out, manager approval;
- ``shifts``     open with a float, cash in/out with reasons, close with a count; ``zreport``;
- ``voids``      lines and carts voided after they were rung up (counted on the Z-report);
- ``parking``    park a cart and resume it on any till of the store (travels by sync);
- ``search``     barcode/SKU/name look-ups and search-as-you-type over the whole catalogue,
                 favourites and category buttons;
- ``register``   :class:`~app.till.register.RegisterSession`, the façade the window drives:
                 one signed-in cashier, one cart, one payment at a time.

Threading: a ``RegisterSession`` is used from one thread at a time — the window runs every
call on the task runner's single database worker, so calls are serialised in the order the
cashier made them, and the UI thread never waits on one.

Errors: bad input raises ``InvalidInput``/``NotFound``/``RuleViolation`` with ``field`` naming
the widget's field (``scan``, ``quantity``, ``discount``, ``amount``, ``coupon``, ``pin`` …) and
changes nothing; an action that needs a manager raises :class:`ApprovalNeeded`, and is repeated
with ``approver_id`` once a manager entered their PIN (``RegisterSession.approve``).
"""

from __future__ import annotations

from app.domain.errors import RuleViolation
from app.domain.permissions import Permission


class ApprovalNeeded(RuleViolation):
    """The signed-in cashier may not do this alone: a manager must approve it on the spot."""

    code = "approval_needed"

    def __init__(self, message: str, *, permission: Permission, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.permission = permission
