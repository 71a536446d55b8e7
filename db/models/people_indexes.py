"""The index the back office's customer list reads through (migration 0011): the customers not
erased by name, then id (the list's default order and its tie-break): a page's ids are found in
the index alone, without sorting every customer or reading the rows an offset skips."""

from __future__ import annotations

from sqlalchemy import Index

from db.models.people import Customer

Index("ix_customers_list_name", Customer.erased, Customer.name, Customer.id)
