"""Hardware beside the till that is driven by writing bytes to a device: the cash drawer."""
