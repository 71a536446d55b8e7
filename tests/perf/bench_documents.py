"""Benchmark (not a timed test): how long each document takes to draw as PDF, beside the
cheapest PDF reportlab can draw with the same embedded font, measured in the same run.

    python -m tests.perf.bench_documents [--rounds N] [--warmup W] [--dir DIR]
    python -m tests.perf.bench_documents --smoke      (5 rounds, 1 warm-up)

Builds a small shop in a temporary directory (``build_shop``): one shift with a sale of 12
lines (a weighed item, a discounted line, long, Greek and Cyrillic names, paid by card and in
cash with change), closed so that its Z-report is frozen; a sale of 200 lines invoiced to a
customer with an address and a tax number; a sale sent home with its label booked (1 parcel).

Each row is timed from opening a read session to having the PDF's bytes, through
``app.printing.documents.draw`` — what the print worker and ``tillpoint print`` run — so the
database reads of the document are in the figure. Rows (ms, p50/p95/p99 over N rounds, default
200, after W unmeasured warm-up rounds, default 5; the first draw of each in this process is
shown too):

- receipt 80 mm and 58 mm, gift receipt (80 mm): the 12-line sale; target p95 < 30 ms;
- invoice (A4): the 200-line sale, several pages;
- shipping label (4×6 in, 1 parcel); target p95 < 30 ms; and, beside it, ``render_label``
  alone on the label's data (what the back office would draw from the server's view);
- Z-report (80 mm): the closed shift.

Baselines, drawn in every round between the documents so that both see the same machine: a
one-line PDF on an 80 mm page in the documents' embedded DejaVu Sans (what any document costs
at least: reportlab's canvas, a font subset embedded, the file written), and the same line in
Helvetica, one of PDF's own fonts, which embeds nothing.

Each row has its wall-clock time (what the cashier waits) and this thread's CPU time beside
it: on a busy machine the difference is the wait for a CPU, not the document. The header says
whether reportlab runs on its C accelerator (``rl_accel``, reportlab's ``accel`` extra) or
formats every number of a PDF in Python.

No figure is asserted: machines differ. The load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import gc
import io
import math
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, TextIO

import pypdfium2 as pdfium
from reportlab import Version as REPORTLAB_VERSION
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.money import format_amount
from app.domain.pricing import Discount
from app.domain.tenders import TenderMethod
from app.invoices import issue_invoice
from app.printing.documents import DocumentSettings, draw
from app.printing.fonts import FONT
from app.printing.label import label_data, render_label
from app.sales.cart import Cart, price_cart
from app.sales.checkout import Tender, checkout
from app.setup import initialise
from app.shipping import HouseCarrier, create_shipment
from app.till import shifts
from db.engine import LocalStore
from db.models import Order, Store
from tests.support import catalog

FULL_ROUNDS, SMOKE_ROUNDS = 200, 5
FULL_WARMUP, SMOKE_WARMUP = 5, 1
TARGET_MS = 30.0  # a receipt or a label, at p95
RECEIPT_LINES, INVOICE_LINES = 12, 200
OPENED = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
#: names as a shop's catalogue has them: long ones wrap on the roll, scripts other than Latin
NAMES = ("Sourdough loaf", "Organic fair-trade Darjeeling first flush loose-leaf tea, 250 g tin",
         "Ελληνικό γιαούρτι στραγγιστό 2%", "Сыр российский, нарезка", "Crème fraîche épaisse",
         "Olive oil extra virgin 1 l", "Espresso beans, dark roast", "Bananas",
         "Wool jumper navy, size M", "Pain au chocolat", "Sparkling water 6 × 1.5 l",
         "Dark chocolate 85 %")


@dataclass(frozen=True, slots=True)
class Shop:
    """The records each document is drawn from."""

    store: LocalStore
    receipt_order: str  # the order's id (12 lines)
    receipt_number: str
    receipt_total: str  # as printed
    invoice_id: str  # 200 lines
    invoice_number: str
    shipment_id: str
    label_order_number: str
    tracking_number: str
    shift_id: str  # closed: its Z-report frozen


def build_shop(store: LocalStore) -> Shop:
    """The shop the documents are drawn from, in an empty, migrated ``store``."""
    with store.write() as s:
        initialise(s, store_name="Corner Shop", currency="EUR")
    with store.write() as s:
        shop = s.scalar(select(Store))
        shop.name, shop.tax_number, shop.timezone = ("Corner Shop · Γωνία · Угол",
                                                     "NL123456789B01", "Europe/Amsterdam")
        shop.address = "Keizersgracht 1\n1015 CJ Amsterdam"
        cashier = catalog.staff(s).id
        buyer = catalog.customer(s, "Ada Lovelace Ltd")
        buyer.address, buyer.tax_number = "12 St James's Square\nLondon SW1Y 4JH", "GB123456789"
        rates = ((("VAT 21%", 210_000),), (("VAT 9%", 90_000),))
        shelf = [catalog.product(s, name, 150 + 37 * n, rates=rates[n % 2],
                                 stock_milli=1_000_000).id for n, name in enumerate(NAMES)]
        cheese = catalog.product(s, "Gouda, aged 12 months", 1890, sold_by_weight=True,
                                 rates=rates[1], stock_milli=100_000).id
        items = [catalog.product(s, f"Item {n:03d} {NAMES[n % len(NAMES)]}", 100 + n,
                                 rates=rates[n % 2], stock_milli=1_000_000).id
                 for n in range(INVOICE_LINES)]

        shift = shifts.open_shift(s, staff_id=cashier, float_text="100", now=OPENED)
        receipt = _receipt_sale(s, cashier, shift.id, shelf, cheese)
        shifts.close_shift(s, shift_id=shift.id, staff_id=cashier, counted_text="100",
                           now=OPENED + timedelta(hours=8))

        big = Cart(customer_id=buyer.id)
        for variant in items:
            big.add(variant, 1000)
        order = checkout(s, cart=big, tenders=[Tender(TenderMethod.CARD, reference="pi_bench",
                                                      card_brand="VISA", card_last4="4242")],
                         staff_id=cashier, now=OPENED + timedelta(hours=9))
        invoice = issue_invoice(s, order.id, staff_id=cashier, now=OPENED + timedelta(hours=9))

        lamp = Cart()
        lamp.add(shelf[5], 1000)
        sent = checkout(s, cart=lamp, tenders=[Tender(TenderMethod.CASH)], staff_id=cashier,
                        ship_to="Αικατερίνη Παπαδοπούλου\nΟδός Ερμού 123\n105 63 Αθήνα",
                        now=OPENED + timedelta(hours=10))
        shipment = create_shipment(s, sent.id, weight_grams=1200, parcels=1, service="standard",
                                   carrier=HouseCarrier())
        return Shop(store, receipt.id, receipt.number,
                    format_amount(receipt.total, receipt.currency), invoice.id, invoice.number,
                    shipment.id, sent.number, shipment.tracking_number, shift.id)


def _receipt_sale(session: Session, cashier: str, shift_id: str, shelf: list[str],
                  cheese: str) -> Order:
    cart = Cart()
    for n, variant in enumerate(shelf[:RECEIPT_LINES - 1]):
        cart.add(variant, (1 + n % 3) * 1000)
    cart.add(cheese, 385)  # 0.385 kg
    cart.set_line_discount(1, Discount.percent(50_000))  # 5 %, within a cashier's reach
    total = price_cart(session, cart, session.scalar(select(Store))).priced.total
    card = total - total // 3
    return checkout(session, cart=cart, staff_id=cashier, shift_id=shift_id,
                    tenders=[Tender(TenderMethod.CARD, card, reference="pi_bench_receipt",
                                    card_brand="MASTERCARD", card_last4="0005"),
                             Tender(TenderMethod.CASH, (total - card) // 100 * 100 + 500)],
                    now=OPENED + timedelta(minutes=20))


# -- the rows ------------------------------------------------------------------------------------

def one_line_pdf(font: str) -> bytes:
    canvas = Canvas(io.BytesIO(), pagesize=(80 * mm, 30 * mm), pageCompression=1)
    canvas.setFont(font, 9)
    canvas.drawString(4 * mm, 15 * mm, "Tillpoint · Receipt S01-R01-000001 · 12.34")
    canvas.showPage()
    return canvas.getpdfdata()


def rows(shop: Shop) -> list[tuple[str, str, Callable[[], bytes]]]:
    """``(key, label, draw)`` for every row, in the order they are drawn in a round."""
    store = shop.store
    roll80, roll58 = DocumentSettings(width="80mm"), DocumentSettings(width="58mm")

    def drawn(kind: str, ref: str, options: DocumentSettings) -> Callable[[], bytes]:
        def run() -> bytes:
            with store.read() as session:
                return draw(session, kind, ref, options)
        return run

    with store.read() as session:
        data = label_data(session, shop.shipment_id)
    return [
        ("receipt_80", f"receipt 80 mm ({RECEIPT_LINES} lines)",
         drawn("receipt", shop.receipt_order, roll80)),
        ("receipt_58", f"receipt 58 mm ({RECEIPT_LINES} lines)",
         drawn("receipt", shop.receipt_order, roll58)),
        ("gift_receipt", "gift receipt 80 mm", drawn("gift_receipt", shop.receipt_order, roll80)),
        ("invoice", f"invoice A4 ({INVOICE_LINES} lines)",
         drawn("invoice", shop.invoice_id, DocumentSettings(paper="A4"))),
        ("label", "shipping label 4×6 in (1 parcel)", drawn("label", shop.shipment_id, roll80)),
        ("label_data_only", "  render_label alone, from its data", lambda: render_label(data)),
        ("z_report", "Z-report 80 mm", drawn("shift_report", shop.shift_id, roll80)),
        ("base_font", "baseline: one line, embedded DejaVu Sans", lambda: one_line_pdf(FONT)),
        ("base_helvetica", "baseline: one line, Helvetica (nothing embedded)",
         lambda: one_line_pdf("Helvetica")),
    ]


def percentiles(samples_ns: list[int]) -> dict[str, float]:
    """p50/p95/p99 (nearest rank) and mean in ms, and the count."""
    ordered = sorted(samples_ns)

    def at(pct: int) -> float:
        return ordered[max(1, math.ceil(len(ordered) * pct / 100)) - 1] / 1e6

    return {"p50_ms": at(50), "p95_ms": at(95), "p99_ms": at(99),
            "mean_ms": sum(ordered) / len(ordered) / 1e6, "count": len(ordered)}


@dataclass(slots=True)
class Timings:
    wall_ns: dict[str, list[int]]  # what the caller waits
    cpu_ns: dict[str, list[int]]  # this thread's CPU time: the wait for a busy CPU left out
    first_ns: dict[str, int]  # each row's first draw in the process
    last_pdf: dict[str, bytes]


def time_rows(table: list[tuple[str, str, Callable[[], bytes]]], rounds: int,
              warmup: int) -> Timings:
    """Rounds of every row in turn, the warm-up ones not counted."""
    got = Timings({key: [] for key, _, _ in table}, {key: [] for key, _, _ in table}, {}, {})
    for round_no in range(warmup + rounds):
        for key, _label, run in table:
            cpu = time.thread_time_ns()
            started = time.perf_counter_ns()
            got.last_pdf[key] = run()
            spent = time.perf_counter_ns() - started
            cpu = time.thread_time_ns() - cpu
            got.first_ns.setdefault(key, spent)
            if round_no >= warmup:
                got.wall_ns[key].append(spent)
                got.cpu_ns[key].append(cpu)
        if round_no == warmup - 1:
            gc.collect()  # the warm-up's garbage is not collected inside the measured rounds
    return got


def pages(pdf: bytes) -> int:
    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def accelerated() -> bool:
    """Whether reportlab runs on its C accelerator (``rl_accel``, ``reportlab[accel]``) or
    its pure-Python fallback, which formats every number of the PDF in Python."""
    from reportlab.lib import rl_accel

    return rl_accel.fp_str.__module__ == "_rl_accel"


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


# -- the run -------------------------------------------------------------------------------------

def run(rounds: int = FULL_ROUNDS, *, warmup: int = FULL_WARMUP, workdir: Path | None = None,
        out: TextIO | None = None) -> dict[str, Any]:
    """Build the shop, time every row, print the table; returns the figures (``{row}_p50_ms``
    and the like, ``{row}_first_ms``, ``{row}_pages``, ``{row}_kb``) and ``pdfs``, the last
    PDF of each row."""
    if rounds < 1 or warmup < 0:
        raise ValueError("rounds must be at least 1 and warmup not negative")
    out = out or sys.stdout
    figures: dict[str, Any] = {"rounds": rounds, "warmup": warmup, "load_before": load_average()}
    with tempfile.TemporaryDirectory(prefix="tillpoint-bench-documents-", dir=workdir) as tmp:
        store = LocalStore.open(Path(tmp) / "tillpoint.sqlite3")
        try:
            started = time.perf_counter()
            shop = build_shop(store)
            figures["build_s"] = time.perf_counter() - started
            table = rows(shop)
            timed = time_rows(table, rounds, warmup)
        finally:
            store.close()
    figures["labels"] = {key: label for key, label, _ in table}
    last = timed.last_pdf
    for key, measured in timed.wall_ns.items():
        figures.update({f"{key}_{name}": value for name, value in percentiles(measured).items()})
        cpu = percentiles(timed.cpu_ns[key])
        figures[f"{key}_cpu_p50_ms"], figures[f"{key}_cpu_p95_ms"] = cpu["p50_ms"], cpu["p95_ms"]
        figures[f"{key}_first_ms"] = timed.first_ns[key] / 1e6
        figures[f"{key}_pages"] = pages(last[key])
        figures[f"{key}_kb"] = len(last[key]) / 1024
    figures.update(numbers={"receipt": shop.receipt_number, "receipt_total": shop.receipt_total,
                            "invoice": shop.invoice_number,
                            "label_order": shop.label_order_number,
                            "tracking": shop.tracking_number},
                   pdfs=last, accelerated=accelerated(), load_after=load_average())
    _print(figures, out)
    return figures


def _verdict(ok: bool) -> str:
    return "meets the target" if ok else "MISSES the target"


def _print(f: dict[str, Any], out: TextIO) -> None:
    print(f"\nTillpoint documents benchmark: {f['rounds']} rounds after {f['warmup']} warm-up "
          f"(shop built in {f['build_s']:.1f} s)", file=out)
    accel = "with" if f["accelerated"] else "WITHOUT"
    print(f"reportlab {REPORTLAB_VERSION} {accel} its C accelerator rl_accel, Python "
          f"{platform.python_version()}, {platform.system()} {platform.machine()}, "
          f"{os.cpu_count()} CPUs, load average {f['load_before']:.2f} before / "
          f"{f['load_after']:.2f} after", file=out)
    header = (f"{'row':<50}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'cpu p50':>8}{'cpu p95':>8}"
              f"{'1st ms':>8}{'×base':>7}{'pages':>6}{'KB':>5}")
    print(header, file=out)
    print("-" * len(header), file=out)
    base = f["base_font_p50_ms"]
    for key, label in f["labels"].items():
        print(f"{label:<50}" + "".join(f"{f[f'{key}_{name}_ms']:>8.2f}" for name in
                                      ("p50", "p95", "p99", "cpu_p50", "cpu_p95"))
              + f"{f[f'{key}_first_ms']:>8.1f}{f[f'{key}_p50_ms'] / base:>7.1f}"
              f"{f[f'{key}_pages']:>6}{f[f'{key}_kb']:>5.0f}", file=out)
    print("cpu: this thread's CPU time (what is left when the wait for a busy CPU is taken "
          "out); 1st: the first draw in this process (after the shop was built); ×base: p50 "
          "over the embedded-font baseline's p50", file=out)
    for key in ("receipt_80", "receipt_58", "gift_receipt", "label"):
        p95 = f[f"{key}_p95_ms"]
        print(f"{f['labels'][key]}: p95 {p95:.1f} ms (CPU {f[f'{key}_cpu_p95_ms']:.1f} ms) vs "
              f"target < {TARGET_MS:.0f} ms: {_verdict(p95 < TARGET_MS)}", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.bench_documents",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=None, help=f"default {FULL_ROUNDS}")
    parser.add_argument("--warmup", type=int, default=None, help=f"default {FULL_WARMUP}")
    parser.add_argument("--dir", type=Path, default=None,
                        help="where to create the temporary shop (default: the system's)")
    parser.add_argument("--smoke", action="store_true",
                        help=f"{SMOKE_ROUNDS} rounds after {SMOKE_WARMUP} warm-up")
    args = parser.parse_args(argv)
    rounds = args.rounds or (SMOKE_ROUNDS if args.smoke else FULL_ROUNDS)
    warmup = args.warmup if args.warmup is not None else (
        SMOKE_WARMUP if args.smoke else FULL_WARMUP)
    run(rounds, warmup=warmup, workdir=args.dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
