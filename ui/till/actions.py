"""The selling page's action buttons: object name, face (with its shortcut), accessible name,
shortcut and the SellingPage method it runs. One table, so the face and the key never differ."""

from __future__ import annotations

ACTIONS: tuple[tuple[str, str, str, str, str], ...] = (
    ("qtyButton", "Qty (F4)", "Change quantity", "F4", "change_quantity"),
    ("discountButton", "Discount (F5)", "Line discount", "F5", "line_discount"),
    ("orderDiscountButton", "Order disc. (Shift+F5)", "Order discount", "Shift+F5",
     "order_discount"),
    ("couponButton", "Coupon (F6)", "Coupon", "F6", "coupon"),
    ("customerButton", "Customer (F7)", "Customer", "F7", "customer"),
    ("priceButton", "Price (Ctrl+P)", "Override price", "Ctrl+P", "override_price"),
    ("parkButton", "Park (F8)", "Park the cart", "F8", "park"),
    ("resumeButton", "Resume (Shift+F8)", "Resume a parked cart", "Shift+F8", "resume"),
    ("removeLineButton", "Remove (Del)", "Remove the selected line", "Del", "remove_line"),
    ("voidButton", "Void sale (Ctrl+Del)", "Void the whole sale", "Ctrl+Del", "void_sale"),
    ("returnButton", "Return (F9)", "Return or exchange", "F9", "request_return"),
    ("cashButton", "Cash in/out (Ctrl+M)", "Cash in or out", "Ctrl+M", "request_cash"),
    ("closeShiftButton", "Close shift (Ctrl+Shift+Z)", "Close the shift", "Ctrl+Shift+Z",
     "request_close_shift"),
    ("lockButton", "Lock (Ctrl+L)", "Lock the till", "Ctrl+L", "lock"),
    ("payButton", "Pay (F12)", "Pay", "F12", "pay"),
)
