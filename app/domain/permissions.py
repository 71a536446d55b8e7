"""Roles and permissions: the single table both the desktop client and the server enforce."""

from __future__ import annotations

from enum import StrEnum

from app.domain.errors import InvalidInput


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    MODERATOR = "moderator"
    SUPPORT = "support"
    CASHIER = "cashier"
    STOCK_CLERK = "stock_clerk"
    CUSTOMER = "customer"


class Permission(StrEnum):
    SELL = "sale:create"
    REFUND = "sale:refund"
    REFUND_WITHOUT_RECEIPT = "sale:refund_without_receipt"
    #: money back as cash or store credit for a sale paid otherwise (a card sale refunded as cash)
    REFUND_TO_OTHER_TENDER = "sale:refund_other_tender"
    VOID = "sale:void"
    OVERRIDE_PRICE = "sale:override_price"
    DISCOUNT_OVER_LIMIT = "sale:discount_over_limit"
    SHIFT_OPERATE = "shift:operate"
    CASH_DRAWER = "shift:cash_movement"
    CATALOG_READ = "catalog:read"
    CATALOG_WRITE = "catalog:write"
    STOCK_READ = "stock:read"
    STOCK_WRITE = "stock:write"
    ORDERS_READ = "orders:read"
    ORDERS_UPDATE = "orders:update"
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    CUSTOMERS_GDPR = "customers:gdpr"
    COUPONS_WRITE = "coupons:write"
    REPORTS_READ = "reports:read"
    USERS_MANAGE = "users:manage"
    STORES_MANAGE = "stores:manage"
    SETTINGS_MANAGE = "settings:manage"
    DEVICES_MANAGE = "devices:manage"
    AUDIT_READ = "audit:read"
    BACK_OFFICE = "backoffice:open"
    OWN_ACCOUNT = "account:own"
    DEVICE_SYNC = "device:sync"


_P = Permission
_TILL = {_P.SELL, _P.REFUND, _P.SHIFT_OPERATE, _P.CASH_DRAWER, _P.CATALOG_READ, _P.STOCK_READ,
         _P.CUSTOMERS_READ, _P.CUSTOMERS_WRITE, _P.OWN_ACCOUNT}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(set(Permission) - {_P.DEVICE_SYNC}),
    Role.MANAGER: frozenset(set(Permission) - {_P.STORES_MANAGE, _P.DEVICE_SYNC}),
    Role.MODERATOR: frozenset({_P.CATALOG_READ, _P.CATALOG_WRITE, _P.CUSTOMERS_READ,
                               _P.CUSTOMERS_WRITE, _P.ORDERS_READ, _P.BACK_OFFICE, _P.OWN_ACCOUNT}),
    Role.SUPPORT: frozenset({_P.ORDERS_READ, _P.ORDERS_UPDATE, _P.CUSTOMERS_READ, _P.CATALOG_READ,
                             _P.BACK_OFFICE, _P.OWN_ACCOUNT}),
    Role.CASHIER: frozenset(_TILL),
    Role.STOCK_CLERK: frozenset({_P.CATALOG_READ, _P.STOCK_READ, _P.STOCK_WRITE, _P.BACK_OFFICE,
                                 _P.OWN_ACCOUNT}),
    Role.CUSTOMER: frozenset({_P.OWN_ACCOUNT}),
}

STAFF_ROLES = tuple(r for r in Role if r is not Role.CUSTOMER)

#: What a paired till may do with its device credential alone (staff actions carry the staff user).
DEVICE_PERMISSIONS: frozenset[Permission] = frozenset({_P.DEVICE_SYNC, _P.CATALOG_READ})


def parse_role(text: object, *, field: str = "role") -> Role:
    try:
        return Role(str(text).strip().lower())
    except ValueError:
        raise InvalidInput(f"{text!r} is not a role ({', '.join(r.value for r in Role)})",
                           field=field) from None


def can(role: Role | str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[Role(role)]
