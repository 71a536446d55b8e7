"""Smoke run of the documents benchmark: every row is drawn end to end (the real renderers
through ``app.printing.documents.draw`` on a shop built for it) with its baselines beside it,
the figures are sane and what was drawn is the document meant: the numbers, totals and codes
read back from the PDFs. No timing thresholds (machines differ); 5 rounds instead of the full
200 (``python -m tests.perf.bench_documents``)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from app.printing.receipt import DEFAULT_FOOTER, GIFT_MARK
from tests.perf.bench_documents import (INVOICE_LINES, RECEIPT_LINES, SMOKE_ROUNDS,
                                        SMOKE_WARMUP, run)
from tests.support import pdf

ROWS = ("receipt_80", "receipt_58", "gift_receipt", "invoice", "label", "label_data_only",
        "z_report", "base_font", "base_helvetica")


def text(data: bytes) -> tuple[int, str]:
    doc = pdf.load(data)
    return doc.pages, " ".join(" ".join(doc.text(n) for n in range(doc.pages)).split())


@pytest.mark.perf
def test_documents_benchmark_smoke(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    with capsys.disabled():  # the table is the point of running it
        f = run(SMOKE_ROUNDS, warmup=SMOKE_WARMUP, workdir=tmp_path)

    assert tuple(f["labels"]) == ROWS and isinstance(f["accelerated"], bool)
    for row in ROWS:
        p50, p95, p99 = (f[f"{row}_{k}_ms"] for k in ("p50", "p95", "p99"))
        assert all(isinstance(v, float) and math.isfinite(v) and v > 0 for v in (p50, p95, p99))
        assert p50 <= p95 <= p99 and f[f"{row}_count"] == SMOKE_ROUNDS, row
        assert f[f"{row}_first_ms"] > 0 and f[f"{row}_kb"] > 0, row
        assert f[f"{row}_pages"] == (1 if row != "invoice" else f["invoice_pages"]), row
    assert f["invoice_pages"] > 1  # 200 lines run over pages
    numbers, pdfs = f["numbers"], f["pdfs"]

    for row, width in (("receipt_80", 80), ("receipt_58", 58)):
        _, printed = text(pdfs[row])
        assert round(pdf.load(pdfs[row]).size_mm()[0]) == width
        assert numbers["receipt"] in printed and f"TOTAL EUR {numbers['receipt_total']}" in printed
        assert "Change" in printed and DEFAULT_FOOTER in printed  # the return policy
    _, gift = text(pdfs["gift_receipt"])
    assert GIFT_MARK in gift and numbers["receipt"] in gift
    assert numbers["receipt_total"] not in gift and "TOTAL" not in gift
    pages, invoice = text(pdfs["invoice"])
    assert numbers["invoice"] in invoice and f"Page {pages} of {pages}" in invoice
    assert all(f"Item {n:03d} " in invoice for n in (0, RECEIPT_LINES, INVOICE_LINES - 1))
    _, z_report = text(pdfs["z_report"])
    assert "Z-REPORT" in z_report
    for row in ("label", "label_data_only"):
        codes = dict(pdf.barcodes(pdf.load(pdfs[row]).render(0, pdf.THERMAL_DPI)))
        assert codes == {"Code128": numbers["tracking"], "QRCode": numbers["label_order"]}, row

