"""Small pieces every commerce domain shares: versioned writes, pagination and sorting,
HTTP caching, and validated field types for request schemas."""
