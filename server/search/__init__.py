"""Product search served from a read model (SQLite FTS5) that follows the catalogue's change log: ``/search/products``, ``/search/suggest``."""
