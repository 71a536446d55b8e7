"""Every table of the local store; importing this module registers them all on ``Base.metadata``."""

from db.models.documents import Invoice, PrintJob, Shipment
from db.models.catalog import Barcode, Category, Product, TaxClass, TaxRate, Variant
from db.models.product_admin import ProductImage, ProductSummary  # noqa: F401
from db.models.people import CreditMovement, Customer, Register, StaffUser, Store
import db.models.people_indexes  # noqa: F401,E402 - the customer list's indexes
from db.models.sales import (Coupon, CouponRedemption, Order, OrderLine, OrderLineTax, ParkedCart,
                             Payment, PaymentAttempt, Refund, RefundLine, RefundPayment)
from db.models.shifts import CashMovement, Shift, TillFavourite, VoidRecord
from db.models.stock import StockLevel, StockMovement
import db.models.order_office  # noqa: F401,E402 - the order list's indexes
from db.models.stock_admin import Delivery, DeliveryLine, StockCount, StockCountLine  # noqa: F401
from db.models.system import (AuditEntry, AuditHead, DeferredChange, LocalSetting, OutboxEntry,
                              RemoteOrder, SyncIssue, SyncState)

__all__ = [
    "AuditEntry", "AuditHead", "Barcode", "CashMovement", "Category", "Coupon",
    "CouponRedemption", "CreditMovement", "Customer", "DeferredChange", "Invoice", "LocalSetting",
    "Order", "OrderLine", "OrderLineTax", "OutboxEntry", "ParkedCart", "Payment", "PaymentAttempt", "PrintJob", "Product",
    "Refund", "RefundLine", "RefundPayment", "Register", "RemoteOrder", "Shift", "Shipment", "StaffUser",
    "StockLevel", "StockMovement", "Store", "SyncIssue", "SyncState", "TaxClass", "TaxRate",
    "TillFavourite", "Variant", "VoidRecord",
]
