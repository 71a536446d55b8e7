"""Products often bought together, from order history: ``/products/{id}/recommendations``."""
