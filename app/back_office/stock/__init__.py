"""The back office's stock: levels of this store and the movements behind them (``levels``),
adjustments with reasons (``adjust``), supplier deliveries (``deliveries``), stock counts
(``counts``, their sheet in ``count_sheet``) and transfers to other stores (``transfers``).

Every change is posted as movements of the ledger (``app.inventory``) by a member of staff
holding ``stock:write``, checked inside the transaction that writes; none of this imports Qt."""
