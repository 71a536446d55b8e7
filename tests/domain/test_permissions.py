"""Roles and permissions."""

from __future__ import annotations

import pytest

from app.domain.errors import InvalidInput
from app.domain.permissions import DEVICE_PERMISSIONS, ROLE_PERMISSIONS, STAFF_ROLES, Permission, Role, can, parse_role

P = Permission


def test_every_role_has_an_entry():
    assert set(ROLE_PERMISSIONS) == set(Role)
    for role, perms in ROLE_PERMISSIONS.items():
        assert P.OWN_ACCOUNT in perms, role
        assert perms <= set(Permission)


def test_owner_has_everything_a_person_can_have():
    for permission in Permission:
        if permission is not P.DEVICE_SYNC:  # a till's own credential, never a person's
            assert can(Role.OWNER, permission)
            assert can("owner", permission)


def test_manager_has_everything_but_managing_stores():
    assert {p for p in Permission if not can(Role.MANAGER, p)} == {P.STORES_MANAGE, P.DEVICE_SYNC}


def test_only_devices_sync_and_no_role_has_device_sync():
    assert all(not can(role, P.DEVICE_SYNC) for role in Role)
    assert P.DEVICE_SYNC in DEVICE_PERMISSIONS and P.USERS_MANAGE not in DEVICE_PERMISSIONS


def test_cashier_works_the_till_only():
    for permission in (P.SELL, P.REFUND, P.SHIFT_OPERATE, P.CASH_DRAWER, P.CATALOG_READ):
        assert can(Role.CASHIER, permission)
    for permission in (P.BACK_OFFICE, P.USERS_MANAGE, P.SETTINGS_MANAGE, P.STORES_MANAGE,
                       P.CATALOG_WRITE, P.VOID, P.OVERRIDE_PRICE, P.REFUND_WITHOUT_RECEIPT,
                       P.REFUND_TO_OTHER_TENDER,
                       P.DISCOUNT_OVER_LIMIT, P.REPORTS_READ, P.CUSTOMERS_GDPR, P.AUDIT_READ):
        assert not can(Role.CASHIER, permission), permission


def test_support_reads_and_updates_orders_but_does_not_sell():
    assert can(Role.SUPPORT, P.ORDERS_READ)
    assert can(Role.SUPPORT, P.ORDERS_UPDATE)
    sale_permissions = [p for p in Permission if p.value.startswith(("sale:", "shift:"))]
    assert len(sale_permissions) == 9
    for permission in sale_permissions:
        assert not can(Role.SUPPORT, permission), permission
    writes = {p for p in ROLE_PERMISSIONS[Role.SUPPORT]
              if p.value.endswith((":write", ":manage", ":update", ":gdpr"))}
    assert writes == {P.ORDERS_UPDATE}


def test_moderator_and_stock_clerk():
    assert can(Role.MODERATOR, P.CATALOG_WRITE) and not can(Role.MODERATOR, P.SELL)
    assert not can(Role.MODERATOR, P.ORDERS_UPDATE)
    assert can(Role.STOCK_CLERK, P.STOCK_WRITE) and not can(Role.STOCK_CLERK, P.SELL)
    assert not can(Role.STOCK_CLERK, P.CATALOG_WRITE)


def test_customer_only_has_their_own_account():
    assert ROLE_PERMISSIONS[Role.CUSTOMER] == frozenset({P.OWN_ACCOUNT})
    assert Role.CUSTOMER not in STAFF_ROLES
    assert set(STAFF_ROLES) == set(Role) - {Role.CUSTOMER}


def test_only_owner_and_manager_manage_users():
    assert {r for r in Role if can(r, P.USERS_MANAGE)} == {Role.OWNER, Role.MANAGER}
    assert {r for r in Role if can(r, P.STORES_MANAGE)} == {Role.OWNER}


def test_back_office_is_for_office_roles():
    assert {r for r in Role if can(r, P.BACK_OFFICE)} == {
        Role.OWNER, Role.MANAGER, Role.MODERATOR, Role.SUPPORT, Role.STOCK_CLERK}


@pytest.mark.parametrize(("text", "role"), [("owner", Role.OWNER), (" Cashier ", Role.CASHIER),
                                            ("STOCK_CLERK", Role.STOCK_CLERK), (Role.SUPPORT, Role.SUPPORT)])
def test_parse_role(text, role):
    assert parse_role(text) is role


@pytest.mark.parametrize("text", ["admin", "", "stock clerk", None, 3, "owner!"])
def test_parse_role_refusals(text):
    with pytest.raises(InvalidInput) as exc:
        parse_role(text, field="users[0].role")
    assert exc.value.field == "users[0].role"
    assert "cashier" in exc.value.message
    with pytest.raises(InvalidInput) as exc:
        parse_role(text)
    assert exc.value.field == "role"


def test_can_refuses_unknown_roles():
    with pytest.raises(ValueError):
        can("admin", P.SELL)
