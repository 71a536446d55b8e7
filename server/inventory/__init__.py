"""The stock ledger per store (sale, return, receipt, adjustment, count, transfer) with materialised levels, reservations for online orders and low-stock mails: ``/inventory``."""
