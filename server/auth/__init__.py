"""Authentication: registration and e-mail verification, login with lockout, refresh-token
rotation with reuse detection, logout, password reset (routes in ``router``)."""
