"""Orders sent to the customer: carriers and their tracking numbers (``carriers``), delivery
addresses (``address``), shipments and the printed label that ships the order (``shipments``).
The label itself is drawn by ``app.printing.label``."""

from app.shipping.address import address_lines, normalise_ship_to
from app.shipping.carriers import (HOUSE, Carrier, HouseCarrier, Parcel, Service, Tracking,
                                   check_digit, is_valid_tracking)
from app.shipping.shipments import (MAX_PARCELS, cancel_shipment, create_shipment,
                                    latest_shipment, mark_printed, order_to_ship,
                                    waiting_shipment)

__all__ = ["HOUSE", "MAX_PARCELS", "Carrier", "HouseCarrier", "Parcel", "Service", "Tracking",
           "address_lines", "cancel_shipment", "check_digit", "create_shipment",
           "is_valid_tracking", "latest_shipment", "mark_printed", "normalise_ship_to",
           "order_to_ship", "waiting_shipment"]
