"""The back office's orders: every order of the shop (this till's sales and the orders the
server showed it) listed and filtered (``listing``), one order in detail (``detail``), moved
along the state machine (``status``), picked, packed, labelled and shipped (``fulfilment``)
and refunded (``refunds``)."""
