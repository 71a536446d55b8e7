"""A CSV full of mistakes: every row at fault is reported with its row and column and why, the
preview counts what would happen, and the import writes nothing at all."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.back_office.data import service, stock
from app.back_office.data.plan import ImportCancelled, ImportRefused
from app.domain.errors import RuleViolation
from db.models import Variant
from tests.app.back_office.data.conftest import snapshot

STOCK_MISTAKES = (
    "store,sku,name,variant,quantity\n"
    "S01,D0000001,Coastal Yoghurt,,11\n"            # 2 unchanged
    "S01,D0000002,,,9\n"                             # 3 a real count: would post +2
    "S01,NOPE-1,,,4\n"                               # 4 unknown SKU
    "S01,D0000003,,,four\n"                          # 5 not a number
    "S01,D0000004,,,2.5\n"                           # 6 a fraction of a piece
    "S01,D0000005,,,-3\n"                            # 7 negative count
    "S01,D0000002,,,10\n"                            # 8 duplicate of row 3
    "S99,D0000006,,,1\n"                             # 9 unknown store
    "S01,D0000007,,\n"                               # 10 a field missing (stray delimiter)
    "S01,D0000008,Caf\xe9,,3\n"                      # 11 Latin-1 byte (replaced below)
    "S01,D0000009-S-FOR,,,1.0001\n"                  # 12 more than three decimals
    ",,,,3\n")                                       # 13 empty SKU


def _stock_file(write_csv):
    text = STOCK_MISTAKES.encode("utf-8").replace("Caf\xe9".encode("utf-8"), b"Caf\xe9")
    return write_csv("stock.csv", text)


def test_every_mistake_in_a_stock_file_is_named_by_row_and_column(shop, people, write_csv):
    path = _stock_file(write_csv)
    before = snapshot(shop)
    preview = service.preview(shop, "stock", path, staff_id=people["manager"])
    found = {(e.row, e.column): e.message for e in preview.errors}
    assert set(found) == {(4, "sku"), (5, "quantity"), (6, "quantity"), (7, "quantity"),
                          (8, "sku"), (9, "store"), (10, ""), (11, "name"), (12, "quantity"),
                          (13, "sku")}
    assert "'NOPE-1' is not a SKU of the catalogue" in found[(4, "sku")]
    assert "'four' is not a quantity" in found[(5, "quantity")]
    assert "whole units" in found[(6, "quantity")]
    assert "zero or more" in found[(7, "quantity")]
    assert "row 3 too" in found[(8, "sku")]
    assert "'S99' is not a store" in found[(9, "store")]
    assert "has 4 fields where the header has 5" in found[(10, "")]
    assert "not UTF-8" in found[(11, "name")] and "0xE9" in found[(11, "name")]
    assert "three decimal places" in found[(12, "quantity")]
    assert (preview.rows, preview.unchanged, preview.update, preview.refused) == (12, 1, 1, 10)
    assert [s.action for s in preview.sample[:3]] == ["unchanged", "update", "refused"]
    with pytest.raises(ImportRefused) as refused:
        service.run_import(shop, "stock", path, staff_id=people["manager"])
    assert refused.value.preview.errors == preview.errors
    assert "10 error(s), nothing imported: row 4, sku:" in str(refused.value)
    assert snapshot(shop) == before


def test_customer_and_product_mistakes(shop, people, write_csv):
    customers = write_csv("customers.csv", (
        "id,name,email,phone\n"
        ",New Person,new@example.com,+32 470 11 22 33\n"        # 2 fine: create
        ",,nobody@example.com,\n"                               # 3 name missing
        ",Bad Mail,not-an-email,\n"                             # 4 email
        ",Twice,new@example.com,\n"                             # 5 duplicate email in file
        "00000000-0000-0000-0000-000000000000,Ghost,,\n"        # 6 unknown id
        ",Phone,,call me\n"))                                   # 7 phone
    preview = service.preview(shop, "customers", customers, staff_id=people["manager"])
    assert {(e.row, e.column) for e in preview.errors} == {
        (3, "name"), (4, "email"), (5, "email"), (6, "id"), (7, "phone")}
    assert (preview.create, preview.refused) == (1, 5)

    products = write_csv("products.csv", (
        "sku,name,price,cost,category,tax_class,archived\n"
        "D0000001,Coastal Yoghurt,18.07,6.68,Groceries > Dairy,Reduced,no\n"     # 2 unchanged
        "D0000002,Grand Lentils,7.9x,4.91,Groceries > Pantry,Reduced,no\n"       # 3 bad money
        "D0000003,Fresh Spinach,5.555,3.33,Groceries > Frozen,Reduced,no\n"      # 4 too precise
        "D0000004,Classic Baguette,24.21,-1,Bakery > Bread,Reduced,no\n"         # 5 negative cost
        "D0000005,Fresh Tart,1.00,0.50,Bakery > Nowhere,Reduced,no\n"            # 6 category change
        "D0000006,Coastal Chai,1.00,0.50,,Luxury,maybe\n"                        # 7 tax, flag
        "NEW-1,New Jam,3.50,1.00,Groceries > Nowhere,Standard,no\n"               # 8 category
        "NEW-2,New Jam,3.50,1.00,,Luxury,no\n"                                    # 9 tax class
        "NEW-3,,3.50,1.00,,Standard,no\n"))                                       # 10 no name
    preview = service.preview(shop, "products", products, staff_id=people["manager"])
    found = {(e.row, e.column): e.message for e in preview.errors}
    assert set(found) == {(3, "price"), (4, "price"), (5, "cost"), (6, "category"),
                          (7, "category"), (7, "tax_class"), (7, "archived"), (8, "category"),
                          (9, "tax_class"), (10, "name")}
    assert "'7.9x' is not an amount" in found[(3, "price")]
    assert "an import does not change it" in found[(6, "category")]
    assert "'Groceries > Nowhere' is not a category" in found[(8, "category")]
    assert "'Luxury' is not a tax class (Reduced, Standard, Zero)" == found[(9, "tax_class")]
    assert (preview.unchanged, preview.update, preview.create, preview.refused) == (1, 0, 0, 8)


def test_a_missing_or_unknown_column_refuses_the_file(shop, people, write_csv):
    path = write_csv("stock.csv", "sku,qty\nD0000001,3\n")
    preview = service.preview(shop, "stock", path, staff_id=people["manager"])
    assert [(e.row, e.column) for e in preview.errors] == [(1, "qty"), (1, "quantity")]
    assert "is missing" in preview.errors[1].message
    piped = service.preview(shop, "stock", write_csv("piped.csv", "sku|quantity\nD0000001|3\n"),
                            staff_id=people["manager"])
    assert piped.errors[0].message == ("the columns are not separated by commas, semicolons "
                                       "or tabs")
    empty = service.preview(shop, "stock", write_csv("empty.csv", ""),
                            staff_id=people["manager"])
    assert "the file is empty" in empty.errors[0].message


def test_a_semicolon_file_from_a_spreadsheet_is_read(shop, people, write_csv):
    path = write_csv("stock.csv", "\ufeffstore;sku;quantity\r\nS01;D0000002;9\r\n")
    preview = service.preview(shop, "stock", path, staff_id=people["manager"])
    assert preview.ok and preview.update == 1


def test_a_cancel_half_way_writes_nothing(shop, people, write_csv, monkeypatch):
    monkeypatch.setattr(stock, "WRITE_CHUNK", 50)
    with shop.read() as s:
        skus = list(s.scalars(select(Variant.sku).order_by(Variant.sku).limit(200)))
    rows = "".join(f"S01,{sku},,,{n % 7 + 100}\n" for n, sku in enumerate(skus))
    path = write_csv("stock.csv", "store,sku,name,variant,quantity\n" + rows)
    before = snapshot(shop)
    seen: list[int] = []
    with pytest.raises(ImportCancelled):
        service.run_import(shop, "stock", path, staff_id=people["manager"],
                           progress=lambda done, total: seen.append(done),
                           cancelled=lambda: bool(seen))
    assert seen == [50]  # one chunk was written, then rolled back with the rest
    assert snapshot(shop) == before


def test_a_cancel_during_the_last_chunk_writes_nothing(shop, people, write_csv):
    """Cancel pressed after 200 rows of a 1,000-row file (one chunk, so the last): the check
    after the last chunk, before the audit entry and the commit, rolls it all back."""
    rows = "".join(f",Client {n},client{n}@example.com,,\n" for n in range(1000))
    path = write_csv("c.csv", "id,name,email,phone,notes\n" + rows)
    with shop.read() as s:
        skus = list(s.scalars(select(Variant.sku).order_by(Variant.sku).limit(200)))
    stock_path = write_csv("stock.csv", "store,sku,name,variant,quantity\n" + "".join(
        f"S01,{sku},,,{n % 7 + 100}\n" for n, sku in enumerate(skus)))
    before = snapshot(shop)
    for kind, file in (("customers", path), ("stock", stock_path)):
        seen: list[int] = []
        with pytest.raises(ImportCancelled):
            service.run_import(shop, kind, file, staff_id=people["manager"],
                               progress=lambda done, total: seen.append(done),
                               cancelled=lambda: bool(seen) and seen[-1] >= 200)
        assert seen and seen[-1] >= 200
        assert snapshot(shop) == before


def test_permissions_and_a_file_changed_since_its_preview(shop, people, write_csv):
    path = write_csv("stock.csv", "sku,quantity\nD0000002,9\n")
    for role in ("stock_clerk", "cashier", "moderator"):  # no settings:manage
        with pytest.raises(RuleViolation, match="settings:manage"):
            service.preview(shop, "stock", path, staff_id=people[role])
        with pytest.raises(RuleViolation, match="settings:manage"):
            service.run_import(shop, "stock", path, staff_id=people[role])
    preview = service.preview(shop, "stock", path, staff_id=people["manager"])
    path.write_text("sku,quantity\nD0000002,19\n")
    before = snapshot(shop)
    with pytest.raises(RuleViolation, match="changed since it was previewed"):
        service.run_import(shop, "stock", path, staff_id=people["manager"],
                           expected_sha256=preview.sha256)
    assert snapshot(shop) == before
