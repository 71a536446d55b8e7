"""The till screen: the register a cashier uses all day (issue 7).

``controller.TillController`` runs every :class:`~app.till.register.RegisterSession` call on the
task runner and turns the outcome into signals; ``controller.InFlight`` is the one-call-at-a-time
guard each action keeps. ``register_screen.RegisterScreen`` hosts the sign-in, selling and
payment pages under the status strip and follows those signals. The selling page
(``selling_page``, its buttons in ``actions``/``selling_actions``/``action_grid``, the cart in
``cart_model``/``cart_table``, ``totals_panel``, ``search_list``, ``favourites``) and its dialogs
(``dialogs``, ``customer_dialog``, ``parked_dialog``, held in a ``dialog_slot``) only wire keys
and buttons to the controller; so do the sign-in (``signin_page``, ``staff_rows``), shift,
approval, payment (``payment_panel``, ``payment_layout``, ``after_sale``) and return pages
beside them. ``scan_timing`` tells a scanner's burst from typing.
"""
