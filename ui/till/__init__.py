"""The till screen: the register a cashier uses all day (issue 7).

``controller.TillController`` runs every :class:`~app.till.register.RegisterSession` call on the
task runner and turns the outcome into signals. ``register_screen.RegisterScreen`` hosts the
sign-in, selling and payment pages under the status strip and follows those signals. The
selling page (``selling_page``, its buttons in ``actions``/``selling_actions``, the cart in
``cart_model``, ``totals_panel``, ``search_list``, ``favourites``) and its dialogs (``dialogs``,
``customer_dialog``, ``parked_dialog``) only wire keys and buttons to the controller; so do the
sign-in, shift, approval, payment and return pages beside them.
"""
