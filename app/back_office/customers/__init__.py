"""Customers in the back office: the list (``listing``), a customer's purchase history
(``detail``), and what GDPR asks of this till (``gdpr``: export what it holds, erase).
Creating and editing go through ``app.customers`` as at the till."""
