"""Sales reports served from rollups updated in the same transaction as each order and refund: ``/reports``."""
