"""The Products page: the whole catalogue in one paged list (search by words, SKU or barcode;
category and the ones below it; active or archived; low stock; sorted by any column), the
chosen product's form beside it, and what the person may do: staff with ``catalog:write``
(moderator, manager, owner) create products, edit and archive them and change prices in bulk;
everyone who sees the page (``catalog:read``: also stock clerks and support) reads it and prints
shelf labels.

Nothing touches the store on the UI thread: the list reads its pages on the database worker
(``PagedTableModel``), every read and write is a service run through ``context.runner``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QFileDialog,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton,
                               QSplitter, QTableView, QVBoxLayout, QWidget)

from app.back_office.products import detail as details
from app.back_office.products import pricing, service
from app.back_office.products.listing import ProductListSource
from app.domain.errors import DomainError
from app.domain.permissions import Permission
from app.printing.documents import DocumentSettings, draw
from ui.back_office.context import PageContext
from ui.back_office.paged_model import PagedTableModel
from ui.back_office.products.categories_dialog import CategoriesDialog
from ui.back_office.products.dialogs import BulkPriceDialog, NewProductDialog
from ui.back_office.products.form import ProductForm


def _reason(error: BaseException) -> str:
    if isinstance(error, DomainError):
        field = getattr(error, "field", None)
        return f"{field}: {error}" if field else str(error)
    return f"it did not work: {error}"


class ProductsPage(QWidget):
    """Signals for tests and the status line: ``detail_shown(str)`` (a product's id, once its
    form is filled), ``choices_loaded()``, ``acted(str)`` and ``refused(str)`` in words."""

    detail_shown = Signal(str)
    choices_loaded = Signal()
    acted = Signal(str)
    refused = Signal(str)

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        context.user.require(Permission.BACK_OFFICE)  # never a cashier, whatever it reads
        context.user.require(Permission.CATALOG_READ)
        super().__init__(parent)
        self.context = context
        self.can_write = context.user.may(Permission.CATALOG_WRITE)
        self.choices = details.Choices((), ())
        self.currency = "EUR"
        self.dialog: NewProductDialog | BulkPriceDialog | CategoriesDialog | None = None
        self._product_id: str | None = None
        layout = QVBoxLayout(self)
        layout.addLayout(self._filters())
        self.model = PagedTableModel(context.runner, context.store, ProductListSource(), self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._row_chosen(current.row()))
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table)
        left_layout.addLayout(self._actions())
        self.form = ProductForm(self.can_write)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.form)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter)
        self.model.counted.connect(lambda n: self.count_label.setText(
            f"{n} product{'s' if n != 1 else ''}"))
        self.model.failed.connect(self.form.say)
        self.form.save_requested.connect(self.save)
        self.form.archive_requested.connect(self.archive)
        self.form.image_requested.connect(self._ask_image_file)
        self.acted.connect(self.form.say)
        self.refused.connect(self.form.say)
        self._load_choices()

    # -- filters and actions ------------------------------------------------------------------
    def _filters(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.search_field = QLineEdit()
        self.search_field.setPlaceholderText("Search: words, SKU or barcode")
        self.category_filter = QComboBox()
        self.category_filter.addItem("Every category", None)
        self.status_filter = QComboBox()
        for label, value in (("Active", "active"), ("Archived", "archived"), ("All", "all")):
            self.status_filter.addItem(label, value)
        self.low_stock_filter = QCheckBox("Low stock only")
        self.filter_message = QLabel("")
        self.search_field.textChanged.connect(self.apply_filters)
        self.category_filter.currentIndexChanged.connect(self.apply_filters)
        self.status_filter.currentIndexChanged.connect(self.apply_filters)
        self.low_stock_filter.toggled.connect(self.apply_filters)
        for widget in (self.search_field, self.category_filter, self.status_filter,
                       self.low_stock_filter, self.filter_message):
            row.addWidget(widget)
        return row

    def _actions(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.count_label = QLabel("")
        self.new_button = QPushButton("New product…")
        self.bulk_button = QPushButton("Change prices…")
        self.categories_button = QPushButton("Categories…")
        self.labels_button = QPushButton("Print shelf labels")
        self.save_labels_button = QPushButton("Labels as PDF…")
        self.new_button.clicked.connect(self.open_new_product)
        self.bulk_button.clicked.connect(self.open_bulk_price)
        self.categories_button.clicked.connect(self.open_categories)
        self.labels_button.clicked.connect(self.print_labels)
        self.save_labels_button.clicked.connect(self._ask_labels_file)
        for button in (self.new_button, self.bulk_button, self.categories_button):
            button.setVisible(self.can_write)
        row.addWidget(self.count_label)
        row.addStretch(1)
        for button in (self.new_button, self.bulk_button, self.categories_button,
                       self.labels_button, self.save_labels_button):
            row.addWidget(button)
        return row

    def apply_filters(self) -> None:
        try:
            source = self.model.source.with_filters(
                text=self.search_field.text(), category_id=self.category_filter.currentData(),
                status=self.status_filter.currentData(),
                low_stock=self.low_stock_filter.isChecked())
        except DomainError as error:
            self.filter_message.setText(_reason(error))
            return
        self.filter_message.setText("")
        self.model.set_source(source)

    def _load_choices(self) -> None:
        store = self.context.store

        def read() -> tuple[details.Choices, str]:
            with store.read() as session:
                return details.choices(session), service.currency_of(session)

        self.context.runner.run(read, kind="db", label="products: choices", owner=self,
                                on_success=self._choices, on_failure=self._failed)

    def _choices(self, found: tuple[details.Choices, str]) -> None:
        self.choices, self.currency = found
        chosen = self.category_filter.currentData()
        self.category_filter.blockSignals(True)
        while self.category_filter.count() > 1:
            self.category_filter.removeItem(1)
        for category_id, path in self.choices.categories:
            self.category_filter.addItem(path, category_id)
        self.category_filter.setCurrentIndex(max(0, self.category_filter.findData(chosen)))
        self.category_filter.blockSignals(False)
        if isinstance(self.dialog, CategoriesDialog):
            self.dialog.show_choices(self.choices)
        self.choices_loaded.emit()

    def _failed(self, error: BaseException) -> None:
        self.refused.emit(_reason(error))

    # -- one product --------------------------------------------------------------------------
    def _row_chosen(self, row: int) -> None:
        found = self.model.row(row)
        if found is not None:
            self.show_product(found.id)

    def chosen_ids(self) -> list[str]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [r.id for r in (self.model.row(n) for n in rows) if r is not None]

    def show_product(self, product_id: str) -> None:
        self._product_id = product_id
        if self.context.runner.closed:
            return
        store = self.context.store

        def read() -> details.ProductDetail:
            with store.read() as session:
                return details.load_product(session, product_id)

        self.context.runner.run(read, kind="db", label="products: detail", owner=self,
                                on_success=lambda d: self._shown(product_id, d),
                                on_failure=self._failed)

    def _shown(self, product_id: str, detail: details.ProductDetail) -> None:
        if product_id == self._product_id:
            self.form.show_detail(detail)
            self.detail_shown.emit(product_id)

    def _write(self, fn: Callable[..., Any], label: str, done: Callable[[Any], str],
               on_refused: Callable[[str], None] | None = None, **kwargs: Any) -> None:
        """Run ``fn(session, staff_id=…, **kwargs)`` in one write transaction; then the list
        and the product shown are read again."""
        store, staff_id = self.context.store, self.context.user.id

        def write() -> Any:
            with store.write() as session:
                return fn(session, staff_id=staff_id, **kwargs)

        def succeeded(result: Any) -> None:
            self.form.busy(False)
            self.acted.emit(done(result))
            self.model.refresh()
            if self._product_id is not None:
                self.show_product(self._product_id)

        def failed(error: BaseException) -> None:
            self.form.busy(False)
            if on_refused is not None:
                on_refused(_reason(error))
            self.refused.emit(_reason(error))

        self.form.busy(True)
        self.context.runner.run(write, kind="db", label=label, owner=self,
                                on_success=succeeded, on_failure=failed)

    def save(self, fields: dict, threshold: str, variants: dict) -> None:
        detail = self.form.detail
        if detail is not None and self.can_write:
            self._write(service.save_edit, "products: save", product_id=detail.id,
                        fields=fields, threshold=threshold, variants=variants,
                        done=lambda p: f"{p.name} saved (the server is told at the next sync)")

    def archive(self, archived: bool) -> None:
        from app.catalog_edit import update_product
        detail = self.form.detail
        if detail is not None and self.can_write:
            self._write(update_product, "products: archive", product_id=detail.id,
                        changes={"archived": archived},
                        done=lambda p: f"{p.name} is {'archived' if archived else 'back'}")

    def _ask_image_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Add an image", "",
                                              "Images (*.jpg *.jpeg *.png *.webp);;All files (*)")
        if name:
            self.add_image_file(Path(name))

    def add_image_file(self, path: Path) -> None:
        """Read, check and downscale the picture in ``path`` on the io pool, then attach it in
        a short write on the database worker (decoding a big photo never holds the worker
        every page reads through)."""
        from app.back_office.products.images import attach_image, prepare
        detail = self.form.detail
        if detail is None or not self.can_write:
            return

        def prepared(image: Any) -> None:
            self._write(attach_image, "products: image", product_id=detail.id, prepared=image,
                        done=lambda image: (f"image added ({image.width}×{image.height}; "
                                            "the server gets it at the next sync)"))

        def failed(error: BaseException) -> None:
            self.form.busy(False)
            self.refused.emit(_reason(error))

        self.form.busy(True)
        self.context.runner.run(lambda: prepare(path.read_bytes()), kind="io",
                                label="products: prepare image", owner=self,
                                on_success=prepared, on_failure=failed)

    # -- dialogs ------------------------------------------------------------------------------
    def open_new_product(self) -> None:
        if not self.can_write:
            return
        dialog = NewProductDialog(self.choices, self)
        dialog.submitted.connect(lambda typed: self._create(dialog, typed))
        self.dialog = dialog
        dialog.open()

    def _create(self, dialog: NewProductDialog, typed: dict) -> None:
        def create(session: Any, *, staff_id: str) -> Any:
            from app.domain.quantity import parse_quantity
            threshold = typed["threshold"].strip()
            return service.create_product(
                session, staff_id=staff_id, name=typed["name"], brand=typed["brand"],
                tax_class_id=typed["tax_class_id"], category_id=typed["category_id"],
                sold_by_weight=typed["sold_by_weight"],
                low_stock_threshold_milli=parse_quantity(
                    threshold, field="low_stock_threshold_milli") if threshold else None,
                variants=[service.variant_from_form(n, *row)
                          for n, row in enumerate(typed["variants"])])

        def done(product: Any) -> str:
            dialog.accept()
            self._product_id = product.id
            return f"{product.name} created (the server is told at the next sync)"

        self._write(create, "products: create", done=done, on_refused=dialog.refused)

    def open_bulk_price(self) -> None:
        if not self.can_write:
            return
        dialog = BulkPriceDialog(self.model.known_count, self.currency, self)
        source = self.model.source
        dialog.preview_requested.connect(lambda change: self._preview(dialog, source, change))
        dialog.apply_requested.connect(lambda change: self._write(
            pricing.apply_price_change, "products: bulk price", source=source, change=change,
            on_refused=dialog.refused,
            done=lambda n: (dialog.accept(), f"prices changed on {n} product(s)")[1]))
        self.dialog = dialog
        dialog.open()

    def _preview(self, dialog: BulkPriceDialog, source: ProductListSource,
                 change: pricing.PriceChange) -> None:
        store = self.context.store

        def read() -> pricing.PricePreview:
            with store.read() as session:
                return pricing.preview_price_change(session, source, change)

        self.context.runner.run(read, kind="db", label="products: price preview", owner=self,
                                on_success=dialog.show_preview,
                                on_failure=lambda e: dialog.refused(_reason(e)))

    def open_categories(self) -> None:
        if not self.can_write:
            return
        dialog = CategoriesDialog(self.choices, self)
        dialog.save_requested.connect(lambda cid, name, parent: self._save_category(
            dialog, cid, name, parent))
        self.dialog = dialog
        dialog.open()

    def _save_category(self, dialog: CategoriesDialog, category_id: str, name: str,
                       parent_id: str) -> None:
        from app.back_office.products.categories import save_category

        def done(category: Any) -> str:
            self._load_choices()  # the filter's and the dialog's lists show the new tree
            said = f"category {category.name} saved (the server is told at the next sync)"
            dialog.say(said)
            return said

        self._write(save_category, "products: category", done=done, on_refused=dialog.say,
                    name=name, category_id=category_id or None, parent_id=parent_id or None)

    # -- labels -------------------------------------------------------------------------------
    def _label_ref(self, then: Callable[[str], None]) -> None:
        ids, store = self.chosen_ids(), self.context.store

        def read() -> str:
            with store.read() as session:
                return ",".join(details.label_variants(session, ids))

        self.context.runner.run(read, kind="db", label="products: labels", owner=self,
                                on_success=then, on_failure=self._failed)

    def print_labels(self) -> None:
        printing = self.context.printing
        if printing is None:
            self.refused.emit("printing is not running in this window: save the labels as "
                              "a PDF instead")
            return
        self._label_ref(lambda ref: printing.submit_document(
            "shelf_labels", ref, owner=self,
            on_queued=lambda _job: self.acted.emit(
                f"{ref.count(',') + 1} shelf label(s) sent to the printer"),
            on_refused=self._failed))

    def _ask_labels_file(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save shelf labels", "shelf-labels.pdf",
                                              "PDF (*.pdf)")
        if name:
            self.save_labels(Path(name))

    def save_labels(self, path: Path) -> None:
        store, settings = self.context.store, self.context.settings
        paper = DocumentSettings.from_settings(settings).paper if settings is not None \
            else "A4"

        def write(ref: str) -> None:
            def drawn() -> int:
                with store.read() as session:
                    path.write_bytes(draw(session, "shelf_labels", ref,
                                          DocumentSettings(paper=paper)))
                return ref.count(",") + 1

            self.context.runner.run(drawn, kind="db", label="products: labels PDF", owner=self,
                                    on_success=lambda n: self.acted.emit(
                                        f"{n} shelf label(s) saved to {path}"),
                                    on_failure=self._failed)

        self._label_ref(write)
