"""Buttons for items without a barcode: the store's favourites and a row of categories."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (QButtonGroup, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QScrollArea, QSizePolicy, QStyle, QStyleOptionButton,
                               QVBoxLayout, QWidget)

from app.till.views import ItemHit
from ui.till.controller import TillController
from ui.till.entry_fields import MIN_TOUCH

COLUMNS = 3
FAVOURITES = "Favourites"
EMPTY = "No items here"
NO_FAVOURITES = "No favourites yet: choose a category above"


class FavouritesGrid(QWidget):
    """``favouritesGrid``: a category row (``categoryRow``) over a grid of item buttons.

    The first tab is the favourites; a category tab asks for that category's items. A tapped
    item is asked for through ``add_requested(ItemHit)`` (a weighed one needs its weight).
    Nothing here takes focus: the scan field keeps it.
    """

    add_requested = Signal(object)

    def __init__(self, controller: TillController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("favouritesGrid")
        self.setAccessibleName("Favourite items")
        self._controller = controller
        self._category_buttons = QButtonGroup(self)
        self._category_buttons.setExclusive(True)
        self._shown: str | None = None  # None: favourites; else a category id

        self._category_row = QHBoxLayout()
        self._category_row.setSpacing(4)
        self._category_row.setContentsMargins(2, 2, 2, 2)
        row_widget = QWidget()
        row_widget.setObjectName("categoryRow")
        row_widget.setLayout(self._category_row)
        self._row_widget = row_widget
        row_scroll = QScrollArea()
        row_scroll.setWidget(row_widget)
        row_scroll.setWidgetResizable(True)
        row_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        row_scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        row_scroll.setFixedHeight(MIN_TOUCH + 4 + 2 * row_scroll.frameWidth()
                                  + row_scroll.horizontalScrollBar().sizeHint().height())

        self._grid = QGridLayout()
        self._grid.setSpacing(4)
        grid_widget = QWidget()
        grid_widget.setObjectName("itemGrid")
        grid_widget.setLayout(self._grid)
        grid_scroll = QScrollArea()
        grid_scroll.setWidget(grid_widget)
        grid_scroll.setWidgetResizable(True)
        grid_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(row_scroll)
        layout.addWidget(grid_scroll, 1)
        self._add_category_button(None, FAVOURITES).setChecked(True)

    def load(self) -> None:
        """Ask for the favourites and the categories (after sign-in)."""
        self._controller.call("categories", on_done=self._show_categories, owner=self)
        self._show_category(None)

    def item_buttons(self) -> list[QPushButton]:
        return [self._grid.itemAt(i).widget() for i in range(self._grid.count())
                if isinstance(self._grid.itemAt(i).widget(), QPushButton)]

    def category_buttons(self) -> list[QPushButton]:
        return list(self._category_buttons.buttons())

    # -- categories ---------------------------------------------------------------------------

    def _show_categories(self, categories: list[tuple[str, str]]) -> None:
        for button in self.category_buttons()[1:]:
            self._category_buttons.removeButton(button)
            button.deleteLater()
        for category_id, name in categories:
            self._add_category_button(category_id, name)
        QTimer.singleShot(0, self, self._measure_tabs)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.FontChange):
            QTimer.singleShot(0, self, self._measure_tabs)

    def _measure_tabs(self) -> None:
        """The tabs as wide as their names in the type they are drawn in now. A style sheet's
        ``min-width`` is an explicit minimum, which a layout takes over the size hint: without
        this the row squeezes every tab to it and clips the names."""
        for button in self.category_buttons():
            button.setMinimumWidth(button.sizeHint().width())

    def _add_category_button(self, category_id: str | None, name: str) -> QPushButton:
        button = QPushButton(name.replace("&", "&&"))  # "Fruit & Veg": no mnemonic
        button.setObjectName("categoryButton" if category_id else "favouritesTab")
        button.setAccessibleName(f"Category {name}" if category_id else FAVOURITES)
        button.setCheckable(True)
        button.setMinimumHeight(MIN_TOUCH)
        # as wide as its name, as styled now (a theme's bolder type widens it): the row scrolls
        button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(lambda _checked=False, cid=category_id: self._show_category(cid))
        self._category_buttons.addButton(button)
        self._category_row.addWidget(button)
        return button

    def _show_category(self, category_id: str | None) -> None:
        self._shown = category_id
        if category_id is None:
            self._controller.call("favourites", owner=self,
                                  on_done=lambda hits: self._show_items(None, hits))
        else:
            self._controller.call("category_items", category_id, owner=self,
                                  on_done=lambda hits, cid=category_id: self._show_items(cid, hits))

    # -- items --------------------------------------------------------------------------------

    def _show_items(self, category_id: str | None, hits: list[ItemHit]) -> None:
        if category_id != self._shown:  # the cashier tapped another tab meanwhile
            return
        while self._grid.count():
            widget = self._grid.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        if not hits:
            empty = QLabel(EMPTY if category_id else NO_FAVOURITES)
            empty.setObjectName("favouritesEmpty")
            self._grid.addWidget(empty, 0, 0)
            return
        for position, hit in enumerate(hits):
            self._grid.addWidget(self._item_button(hit), position // COLUMNS, position % COLUMNS)

    def _item_button(self, hit: ItemHit) -> QPushButton:
        button = ItemButton(hit.name, hit.price_text)
        button.setObjectName("favouriteButton")
        button.setAccessibleName(f"Add {hit.name}, {hit.price_text}")
        button.setToolTip(f"{hit.name} · {hit.sku} · {hit.price_text}")
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setProperty("variantId", hit.variant_id)
        button.clicked.connect(lambda _checked=False, chosen=hit: self.add_requested.emit(chosen))
        return button


class ItemButton(QPushButton):
    """An item's button: its name on the first line, shortened to fit the button, its price
    on the second, always whole."""

    def __init__(self, name: str, price_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._price = price_text
        self.setMinimumSize(MIN_TOUCH * 2, MIN_TOUCH + 12)
        # the grid's columns share the width; the name is elided rather than the grid widened
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._fit()

    @property
    def full_text(self) -> str:
        return f"{self._name} · {self._price}"

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        hint = super().sizeHint()
        return QSize(max(MIN_TOUCH * 2, hint.width()), MIN_TOUCH + 12)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.FontChange):
            self._fit()  # elided for the type as styled now, not as it was when built

    def _fit(self) -> None:
        option = QStyleOptionButton()
        option.initFrom(self)
        room = self.style().subElementRect(QStyle.SubElement.SE_PushButtonContents, option,
                                           self).width() - 4
        name = self.fontMetrics().elidedText(self._name, Qt.TextElideMode.ElideRight,
                                             max(0, room))
        # "&" would be taken for a mnemonic and swallowed
        text = f"{name}\n{self._price}".replace("&", "&&")
        if text != self.text():
            self.setText(text)
