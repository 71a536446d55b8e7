"""Customers: CRUD, addresses, purchase history, GDPR export and erase: ``/customers``."""
