"""The ``tillpoint`` command line of the contract, run the way scripts run it."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

import main
from app import __version__
from app.domain.barcodes import in_store_ean13, make_ean13
from db.engine import LocalStore
from db.models import Order

REPO = Path(__file__).resolve().parents[2]
# Demo product 0 is fruit sold by weight from a scale label; products 1 and 2 have barcodes
# 200000000001x and 200000000002x.
PEN, INK = in_store_ean13(1), in_store_ean13(2)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def demo_dir(tmp_path, capsys) -> Path:
    code, out, _ = run(capsys, "--data-dir", str(tmp_path), "init", "--demo", "--products", "300")
    assert code == 0 and json.loads(out)["demo"] is True
    return tmp_path


def order_count(data_dir: Path) -> int:
    store = LocalStore.open(data_dir / "tillpoint.sqlite3")
    try:
        with store.read() as s:
            return s.scalar(select(func.count()).select_from(Order))
    finally:
        store.close()


def test_version_from_main_py_and_the_console_script():
    for argv in ([sys.executable, "main.py", "--version"],
                 [str(Path(sys.executable).parent / "tillpoint"), "--version"]):
        result = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0
        assert result.stdout.strip() == f"tillpoint {__version__}"


def test_a_sale_prints_the_order_and_a_refund_returns_a_line(demo_dir, capsys):
    weighed = make_ean13("250000000750")  # 0.750 kg of demo product 0
    code, out, err = run(capsys, "sale", "--data-dir", str(demo_dir), "--item", PEN,
                         "--item", f"{INK}:2", "--item", weighed, "--pay", "cash:500",
                         "--coupon", "welcome10")
    assert code == 0, err
    order = json.loads(out)
    assert order["number"] == "S01-R01-000001"
    assert [l["quantity"] for l in order["lines"]] == ["1", "2", "0.75"]
    assert order["coupon_code"] == "WELCOME10" and order["coupon_discount_total"] > 0
    assert sum(l["total"] for l in order["lines"]) == order["total"]
    assert order["change_given"] == 50_000 - order["total"]

    code, out, err = run(capsys, "--data-dir", str(demo_dir), "refund", order["number"],
                         "--line", "2:1", "--reason", "damaged")
    assert code == 0, err
    refund = json.loads(out)
    assert refund["number"] == "S01-R01-RF000001"
    assert refund["amount"] == order["lines"][1]["total"] // 2
    assert refund["payments"][0]["method"] == "cash"


@pytest.mark.parametrize("argv, field", [
    (["--item", "2000000000011", "--pay", "cash"], "item[0]: 2000000000011 has a wrong check digit"),
    (["--item", "9999999999994", "--pay", "cash"], "item[0]: unknown code"),
    (["--item", f"{PEN}:0", "--pay", "cash"], "item[0].quantity: must be greater than zero"),
    (["--item", f"{PEN}:-2", "--pay", "cash"], "item[0].quantity: must be greater than zero"),
    (["--item", f"{PEN}:1.5", "--pay", "cash"], "item[0].quantity: must be a whole number"),
    (["--item", f"{PEN}:99999999", "--pay", "cash"], "item[0].quantity: is absurdly large"),
    (["--item", PEN, "--pay", "cash:NaN"], "pay[0].amount"),
    (["--item", PEN, "--pay", "cash:0.001"], "pay[0].amount"),
    (["--item", PEN, "--pay", "cash:0.01"], "pay: "),
    (["--item", PEN, "--pay", "cheque"], "pay[0]: 'cheque' is not a payment method"),
    (["--item", PEN, "--pay", "card"], "card payments unavailable"),
    (["--item", PEN, "--pay", "cash", "--discount", "150%"], "discount: must not be over 100 %"),
    (["--item", PEN, "--pay", "cash", "--discount", "100000"], "discount"),
    (["--item", PEN, "--pay", "cash", "--coupon", "NOSUCH"], "coupon: no coupon NOSUCH"),
    (["--item", PEN, "--pay", "cash", "--customer", "nobody@example.com"], "customer: no customer"),
    (["--item", PEN, "--pay", "credit"], "store credit needs a customer"),
])
def test_bad_sales_are_refused_naming_the_field_and_record_nothing(demo_dir, capsys, argv, field):
    code, out, err = run(capsys, "--data-dir", str(demo_dir), "sale", *argv)
    assert code == 1
    assert out == ""
    assert field in err
    assert order_count(demo_dir) == 0


def test_config_set_get_list_and_refusals(tmp_path, capsys):
    d = ["--data-dir", str(tmp_path)]
    assert run(capsys, *d, "config", "set", "stripe.reader_id", "tmr_123")[0] == 0
    assert run(capsys, *d, "config", "get", "stripe.reader_id")[1] == "tmr_123\n"
    assert run(capsys, *d, "config", "set", "till.lock_after_seconds", "120")[0] == 0
    code, out, _ = run(capsys, *d, "config", "list")
    assert code == 0 and "till.lock_after_seconds = 120" in out and "printer.receipt = " in out
    for argv, message in [(["set", "receipt.width", "99mm"], "not one of 80mm, 58mm"),
                          (["set", "till.lock_after_seconds", "soon"], "not a whole number"),
                          (["set", "stripe.secret_key", "sk_live"], "keyring"),
                          (["get", "no.such"], "unknown setting")]:
        code, _, err = run(capsys, *d, "config", *argv)
        assert code == 1 and message in err
    assert "[stripe]" in (tmp_path / "settings.toml").read_text()
    assert "sk_live" not in (tmp_path / "settings.toml").read_text()


def test_exports_write_every_product_and_stock_level(demo_dir, capsys):
    products, stock = demo_dir / "p.csv", demo_dir / "s.csv"
    assert run(capsys, "--data-dir", str(demo_dir), "export", "products", str(products))[0] == 0
    assert run(capsys, "--data-dir", str(demo_dir), "export", "stock", str(stock))[0] == 0
    rows = list(csv.DictReader(products.open(encoding="utf-8")))
    levels = list(csv.DictReader(stock.open(encoding="utf-8")))
    assert len(rows) == len(levels) > 300  # clothing has several variants
    pen = next(r for r in rows if PEN in r["barcodes"].split(";"))
    assert pen["sku"] == "D0000001" and pen["price"].count(".") == 1
    assert {r["tax_class"] for r in rows} <= {"Standard", "Reduced", "Zero"}


def test_selfcheck_and_audit_verify_report_a_sound_store(demo_dir, capsys):
    run(capsys, "--data-dir", str(demo_dir), "sale", "--item", PEN, "--pay", "cash")
    code, out, _ = run(capsys, "--data-dir", str(demo_dir), "selfcheck")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True and report["store"] == "S01 Tillpoint Demo Shop"
    code, out, _ = run(capsys, "--data-dir", str(demo_dir), "audit", "verify")
    assert code == 0 and "1 entries verified" in out


def test_audit_verify_fails_and_names_a_tampered_entry(demo_dir, capsys):
    for _ in range(3):
        run(capsys, "--data-dir", str(demo_dir), "sale", "--item", PEN, "--pay", "cash")
    import sqlite3
    with sqlite3.connect(demo_dir / "tillpoint.sqlite3") as conn:
        conn.execute("UPDATE audit_log SET details = replace(details, '\"total\"', '\"totl\"') WHERE seq = 2")
    code, _, err = run(capsys, "--data-dir", str(demo_dir), "audit", "verify")
    assert code == 1 and "entry 2" in err and "altered" in err
    code, out, _ = run(capsys, "--data-dir", str(demo_dir), "selfcheck")
    assert code == 1 and "entry 2" in out


def test_init_refuses_a_second_shop_and_bad_codes(demo_dir, tmp_path, capsys):
    code, _, err = run(capsys, "--data-dir", str(demo_dir), "init", "--demo")
    assert code == 1 and "already holds a shop" in err
    other = tmp_path / "other"
    code, _, err = run(capsys, "--data-dir", str(other), "init", "--currency", "EURO")
    assert code == 1 and "currency" in err
    code, _, err = run(capsys, "--data-dir", str(other), "init", "--store-code", "s 1")
    assert code == 1 and "store_code" in err


def test_data_dir_comes_from_the_environment_when_not_given(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TILLPOINT_DATA_DIR", str(tmp_path / "env-dir"))
    code, out, _ = run(capsys, "init", "--store-name", "Env Shop")
    assert code == 0 and json.loads(out)["data_dir"] == str(tmp_path / "env-dir")
    assert (tmp_path / "env-dir" / "tillpoint.sqlite3").exists()


def test_sale_without_a_shop_says_what_to_do(tmp_path, capsys):
    code, _, err = run(capsys, "--data-dir", str(tmp_path), "sale", "--item", PEN, "--pay", "cash")
    assert code == 1 and "tillpoint init" in err


def test_environment_failures_are_clear_messages_not_tracebacks(demo_dir, capsys, tmp_path):
    code, _, err = run(capsys, "--data-dir", str(demo_dir), "export", "stock", str(tmp_path))
    assert code == 1 and err.startswith("tillpoint: ") and "Traceback" not in err
    code, _, err = run(capsys, "--data-dir", "", "selfcheck")
    assert code == 1 and "empty --data-dir" in err
    code, _, err = run(capsys, "--data-dir", str(tmp_path / "x"), "init", "--demo",
                       "--history-days", "99999999999")
    assert code == 1 and "history_days" in err


def test_a_store_locked_by_another_writer_is_reported_not_crashed(demo_dir, capsys):
    import sqlite3

    holder = sqlite3.connect(demo_dir / "tillpoint.sqlite3", timeout=1)
    holder.execute("BEGIN IMMEDIATE")  # another process is writing and keeps the lock
    try:
        code, out, err = run(capsys, "--data-dir", str(demo_dir), "sale", "--item", PEN,
                             "--pay", "cash")
    finally:
        holder.rollback()
        holder.close()
    assert code == 1 and out == "" and "Traceback" not in err
    assert "locked" in err or "could not be used" in err or "not a usable" in err
    assert order_count(demo_dir) == 0


def test_a_recorded_sale_whose_output_fails_says_so_with_exit_3(demo_dir):
    with open("/dev/full", "w") as full:
        result = subprocess.run([str(Path(sys.executable).parent / "tillpoint"), "--data-dir",
                                 str(demo_dir), "sale", "--item", PEN, "--pay", "cash"],
                                stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert result.returncode == 3
    assert "S01-R01-000001 is recorded" in result.stderr and "do not ring it up again" in result.stderr
    assert order_count(demo_dir) == 1
