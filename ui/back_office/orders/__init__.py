"""The back office's Orders page: the list of every order, one order's detail with what may
be done with it (status, fulfilment, refunds)."""
