"""The Staff page of the back office (``page``, for ``users:manage``: owners and managers)."""
