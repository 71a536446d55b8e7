"""The print queue in a real local store: first in, first out per printer, jobs and their PDFs
kept across a restart (a crash mid-print queues the job again), failures with their reason,
retry at the job's old place, and reprints drawn again as copies."""

from __future__ import annotations

import inspect
import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, event, func, select, update

from app.domain.errors import InvalidInput, NotFound, RuleViolation
from app.domain.tenders import TenderMethod
from app.printing import documents
from app.printing.queue import PrintQueue
from app.printing.receipt import render_receipt
from app.printing.roll import RollDocument, roll_for
from app.sales.cart import Cart
from app.sales.checkout import Tender, checkout
from app.setup import initialise
from app.shipping import HouseCarrier, create_shipment
from db.base import utcnow
from db.engine import LocalStore
from db.models import Order, OutboxEntry, PrintJob, Shipment
from tests.support import catalog, pdf

RECEIPTS, OFFICE = "escpos:net:10.0.0.7", "Office_Laser"
LABELS = "file:/labels"
ADDRESS = "Ada Lovelace\n12 St James's Square\nLondon SW1Y 4JH"


def document(title: str) -> bytes:
    doc = RollDocument(roll_for("80mm"))
    doc.text(title)
    return doc.pdf(title=title)


@pytest.fixture(scope="module")
def shop_with_sale(tmp_path_factory):
    """One store for the module (migrating a store costs more than these tests): a shop with
    one sale; each test starts from an empty queue."""
    store = LocalStore.open(tmp_path_factory.mktemp("queue") / "tillpoint.sqlite3")
    with store.write() as s:
        initialise(s, store_name="Test Shop", currency="EUR")
    with store.write() as s:
        cashier = catalog.staff(s)
        tea = catalog.product(s, "Tea", 450, stock_milli=10_000)
        cart = Cart()
        cart.add(tea.id, 1000)
        order = checkout(s, cart=cart, tenders=[Tender(TenderMethod.CASH)], staff_id=cashier.id)
        sale = order.id, order.number
        ada = catalog.customer(s)
        shipments = []
        for _ in range(2):
            cart = Cart(customer_id=ada.id)
            cart.add(tea.id, 1000)
            parcel = checkout(s, cart=cart, tenders=[Tender(TenderMethod.CASH)],
                              staff_id=cashier.id, ship_to=ADDRESS)
            shipments.append(create_shipment(s, parcel.id, weight_grams=500, parcels=1,
                                             service="standard", carrier=HouseCarrier()).id)
    store.shipments = shipments  # type: ignore[attr-defined]
    yield store, sale
    store.close()


@pytest.fixture
def store(shop_with_sale) -> LocalStore:
    store, _sale = shop_with_sale
    with store.write() as s:
        s.execute(delete(PrintJob))
    return store


@pytest.fixture
def sold(shop_with_sale) -> tuple[str, str]:
    return shop_with_sale[1]


@pytest.fixture
def queue(store) -> PrintQueue:
    return PrintQueue(store)


def job_count(store: LocalStore) -> int:
    with store.read() as s:
        return s.scalar(select(func.count()).select_from(PrintJob))


def test_each_printer_prints_its_own_jobs_oldest_first(queue):
    ids = {title: queue.enqueue(printer, "receipt", title, document(title))
           for title, printer in (("r1", RECEIPTS), ("i1", OFFICE), ("r2", RECEIPTS),
                                  ("r3", RECEIPTS), ("i2", OFFICE))}
    first = queue.take(RECEIPTS)
    assert (first.id, first.status, first.attempts, first.title) == (ids["r1"], "printing", 1, "r1")
    assert first.pdf == document("r1") and queue.take(OFFICE).id == ids["i1"]
    queue.done(first.id)
    assert [queue.take(RECEIPTS).id, queue.take(RECEIPTS).id] == [ids["r2"], ids["r3"]]
    assert queue.take(RECEIPTS) is None  # all taken
    assert queue.take(OFFICE).id == ids["i2"]
    assert queue.counts() == {"queued": 0, "printing": 4, "done": 1, "failed": 0}


def test_jobs_and_their_pdfs_survive_a_restart_and_a_crash_mid_print_prints_again(tmp_path):
    path = tmp_path / "tillpoint.sqlite3"
    store = LocalStore.open(path)
    queue = PrintQueue(store)
    a = queue.enqueue(RECEIPTS, "receipt", "order-a", document("A"))
    b = queue.enqueue(RECEIPTS, "receipt", "order-b", document("B"), copy=True)
    assert queue.take(RECEIPTS).id == a  # ... and the till dies while A prints
    store.close()

    store = LocalStore.open(path)  # the next start
    try:
        queue = PrintQueue(store)
        assert queue.recovered == 1
        again = queue.take(RECEIPTS)
        assert (again.id, again.attempts, again.pdf) == (a, 2, document("A"))
        queue.done(a)
        second = queue.take(RECEIPTS)
        assert (second.id, second.copy, second.document_ref) == (b, True, "order-b")
        assert second.title == "B (copy)" and second.pdf == document("B")
    finally:
        store.close()


def test_a_queue_opened_beside_a_printing_window_leaves_its_job_alone(store, queue):
    job = queue.enqueue(RECEIPTS, "receipt", "order-a", document("A"))
    queue.take(RECEIPTS)
    beside = PrintQueue(store, recover=False)  # the command line, while the window prints
    assert beside.recovered == 0 and beside.get(job).status == "printing"


def test_a_failure_keeps_its_reason_and_a_retry_keeps_the_jobs_place(queue):
    a = queue.enqueue(RECEIPTS, "receipt", "a", document("A"))
    b = queue.enqueue(RECEIPTS, "receipt", "b", document("B"))
    queue.take(RECEIPTS)
    queue.failed(a, "out of paper (10.0.0.7:9100)")
    failed = queue.jobs(status="failed")
    assert [(j.id, j.error) for j in failed] == [(a, "out of paper (10.0.0.7:9100)")]
    assert queue.retry(a).status == "queued"
    assert queue.take(RECEIPTS).id == a  # before B, which came later
    queue.done(a)
    assert queue.get(a).error is None and queue.take(RECEIPTS).id == b


def test_a_printers_failed_jobs_are_retried_together_and_can_be_discarded(queue):
    jobs = [queue.enqueue(RECEIPTS, "receipt", n, document(n)) for n in ("a", "b", "c")]
    for job in jobs[:2]:
        queue.take(RECEIPTS)
        queue.failed(job, "printer offline")
    queue.discard(jobs[1])
    assert queue.retry_printer(RECEIPTS) == 1
    assert [j.id for j in queue.jobs(printer=RECEIPTS)] == [jobs[0], jobs[2]]
    assert queue.printers_waiting() == [RECEIPTS]


def test_steps_out_of_order_are_refused_naming_the_job(queue):
    job = queue.enqueue(RECEIPTS, "receipt", "a", document("A"))
    with pytest.raises(RuleViolation, match="only a failed job"):
        queue.retry(job)
    with pytest.raises(RuleViolation, match="not printing"):
        queue.done(job)
    queue.take(RECEIPTS)
    with pytest.raises(RuleViolation, match="being printed"):
        queue.discard(job)
    with pytest.raises(NotFound) as error:
        queue.failed("no-such-job", "x")
    assert error.value.field == "job"


@pytest.mark.parametrize("printer, kind, ref, data, field", [
    (RECEIPTS, "receipt", "a", b"not a pdf", "pdf"),
    (RECEIPTS, "", "a", None, "kind"),
    (RECEIPTS, "receipt", " ", None, "document_ref"),
    ("x" * 201, "receipt", "a", None, "printer"),
    (RECEIPTS, "k" * 21, "a", None, "kind"),
])
def test_bad_jobs_are_refused_naming_the_field_and_nothing_is_queued(
        store, queue, printer, kind, ref, data, field):
    with pytest.raises(InvalidInput) as error:
        queue.enqueue(printer, kind, ref, data if data is not None else document("A"))
    assert error.value.field == field and job_count(store) == 0


def test_the_system_default_printer_has_its_own_line(queue):
    job = queue.enqueue("", "invoice", "inv-1", document("Invoice 1"))
    assert queue.take(RECEIPTS) is None and queue.take("").id == job


def test_two_workers_never_take_the_same_job(store, queue):
    for n in range(24):
        queue.enqueue(RECEIPTS, "receipt", f"r{n}", document(f"R{n}"))
    taken: list[str] = []

    def worker() -> None:
        while (job := PrintQueue(store, recover=False).take(RECEIPTS)) is not None:
            taken.append(job.id)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(taken) == 24 and len(set(taken)) == 24


def test_done_jobs_are_pruned_after_a_while(store, queue):
    old, recent = (queue.enqueue(RECEIPTS, "receipt", n, document(n)) for n in ("old", "new"))
    for job in (old, recent):
        queue.take(RECEIPTS)
        queue.done(job)
    with store.write() as s:
        s.execute(update(PrintJob).where(PrintJob.id == old)
                  .values(updated_at=utcnow() - timedelta(days=31)))
    assert queue.prune() == 1 and [j.id for j in queue.jobs()] == [recent]


# -- reprints ------------------------------------------------------------------------------------
def test_a_reprint_draws_the_document_again_and_queues_it_as_a_copy(store, sold):
    order_id, number = sold
    queue = PrintQueue(store)
    with store.read() as s:
        original = queue.enqueue(RECEIPTS, "receipt", order_id, render_receipt(s, order_id))
    drawn: list[tuple[str, str]] = []

    def draw_copy(session, kind: str, ref: str) -> bytes:
        drawn.append((kind, ref))
        return document(f"Receipt {number} COPY")

    copy = queue.get(queue.reprint(original, draw_copy, printer=OFFICE))
    assert drawn == [("receipt", order_id)]
    assert (copy.printer, copy.kind, copy.document_ref, copy.copy) == (OFFICE, "receipt",
                                                                       order_id, True)
    assert queue.get(original).status == "queued"  # the original is untouched


def test_documents_draws_a_receipt_by_its_kind_and_order(store, sold):
    order_id, number = sold
    options = documents.DocumentSettings(width="58mm", footer="Merci")
    with store.read() as s:
        drawn = pdf.load(documents.draw(s, "receipt", order_id, options))
    assert round(drawn.size_mm()[0]) == 58 and number in drawn.text() and "Merci" in drawn.text()
    with pytest.raises(InvalidInput) as error, store.read() as s:
        documents.draw(s, "poster", order_id, options)
    assert error.value.field == "kind"


@pytest.mark.skipif("copy" not in inspect.signature(render_receipt).parameters,
                    reason="the receipt's COPY banner (render_receipt(copy=True)) is not in yet")
def test_a_reprinted_receipt_says_copy(store, sold):
    order_id, number = sold
    queue = PrintQueue(store)
    with store.read() as s:
        original = queue.enqueue(RECEIPTS, "receipt", order_id, render_receipt(s, order_id))
    options = documents.DocumentSettings()
    copy = queue.take(RECEIPTS, queue.reprint(original, documents.copy_drawer(options)))
    assert copy is not None and copy.copy and "COPY" in pdf.load(copy.pdf).text()
    assert number in pdf.load(copy.pdf).text()


# -- labels ----------------------------------------------------------------------------------------
def print_label(queue: PrintQueue, shipment_id: str, *, copy: bool = False) -> str:
    job_id = queue.enqueue(LABELS, "label", shipment_id, document("Label"), copy=copy)
    assert queue.take(LABELS, job_id) is not None
    queue.done(job_id)
    return job_id


def shipped(store: LocalStore, shipment_id: str) -> tuple[str, int]:
    """The order's status and how many times the server was told it shipped."""
    with store.read() as s:
        order = s.get(Order, s.get(Shipment, shipment_id).order_id)
        told = s.scalar(select(func.count()).select_from(OutboxEntry)
                        .where(OutboxEntry.kind == "order.shipped",
                               OutboxEntry.entity_id == order.id))
        return order.status, told


def test_a_label_printed_through_the_queue_ships_its_order_once(store, queue):
    shipment_id = store.shipments[0]
    assert shipped(store, shipment_id) == ("processing", 0)
    print_label(queue, shipment_id)
    assert shipped(store, shipment_id) == ("shipped", 1)
    copy = print_label(queue, shipment_id, copy=True)  # a reprint ships nothing again
    assert shipped(store, shipment_id) == ("shipped", 1)
    assert queue.get(copy).status == "done" and queue.get(copy).error is None


def test_a_label_whose_order_cannot_ship_is_still_done_and_says_why(store, queue):
    shipment_id = store.shipments[1]
    with store.write() as s:
        s.get(Order, s.get(Shipment, shipment_id).order_id).status = "cancelled"
    job = queue.get(print_label(queue, shipment_id))
    assert job.status == "done" and "not shipped" in job.error and "cancelled" in job.error
    with store.read() as s:
        assert s.get(Shipment, shipment_id).printed_at is None  # nothing half-written


def test_a_job_queued_taken_is_never_taken_by_another_worker(queue):
    job = queue.enqueue_taken(RECEIPTS, "receipt", "r1", document("r1"))
    assert (job.status, job.attempts, job.printer) == ("printing", 1, RECEIPTS)
    assert job.pdf.startswith(b"%PDF-") and job.title == "r1"
    assert queue.take(RECEIPTS) is None  # a window's worker finds nothing to take
    queue.done(job.id)
    assert queue.get(job.id).status == "done"


def test_a_list_of_jobs_reads_their_titles_without_loading_a_pdf(store, queue, monkeypatch):
    titles = ["Receipt S01-R01-000001", "Чек (copy) \\ é", "Invoice INV-1"]
    ids = [queue.enqueue(RECEIPTS, "receipt", f"r{n}", document(t)) for n, t in enumerate(titles)]
    statements: list[str] = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement…)
    event.listen(store.reader, "before_cursor_execute", listen)
    monkeypatch.setattr("app.printing.queue.pdf_title", None)  # pdfium must not be called
    try:
        listed = queue.jobs(printer=RECEIPTS)
        one = queue.get(ids[1])
    finally:
        event.remove(store.reader, "before_cursor_execute", listen)
    assert [job.title for job in listed] == titles and one.title == titles[1]
    assert all(job.pdf is None for job in listed)
    selected = [s.replace("substr(print_jobs.pdf", "").replace("instr(print_jobs.pdf", "")
                for s in statements]  # only the title's few bytes are read
    assert any("FROM print_jobs" in s for s in selected)
    assert not any("print_jobs.pdf" in s for s in selected)


def test_a_document_of_several_records_keeps_all_their_ids_on_its_job(store, queue):
    import uuid

    from app.printing.queue import MAX_DOCUMENT_REF

    two = f"{uuid.uuid4()},{uuid.uuid4()}"  # a pick list of two of the server's orders
    job = queue.enqueue(OFFICE, "pick_list", two, document("Pick list"))
    taken = queue.take(OFFICE)
    assert (taken.id, taken.document_ref) == (job, two)
    queue.done(job)
    drawn: list[str] = []
    copy = queue.get(queue.reprint(job, lambda s, kind, ref: drawn.append(ref) or document(
        "Pick list COPY")))
    assert drawn == [two] and copy.document_ref == two  # a reprint names the same orders
    sheet = ",".join(str(uuid.uuid4()) for _ in range(2400))  # the most shelf labels at once
    assert queue.get(queue.enqueue(OFFICE, "shelf_labels", sheet, document("S"))).document_ref \
        == sheet
    with pytest.raises(InvalidInput) as error:
        queue.enqueue(OFFICE, "shelf_labels", "x" * (MAX_DOCUMENT_REF + 1), document("S"))
    assert error.value.field == "document_ref" and job_count(store) == 3
