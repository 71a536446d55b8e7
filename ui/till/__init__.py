"""The till screen: the register a cashier uses all day (issue 7).

``controller.TillController`` runs every :class:`~app.till.register.RegisterSession` call on the
task runner and turns the outcome into signals; the widgets (``register_screen``,
``selling_page``, ``cart_model``, ``search_list``, ``favourites``, ``status_strip``, ``dialogs``
and the sign-in/shift/payment/return pages) only wire keys and buttons to it.
"""
