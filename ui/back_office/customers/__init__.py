"""The Customers page of the back office (``page``) and its detail panel (``panel``)."""
