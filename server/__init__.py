"""The central API server (``tillpoint-server``): FastAPI on MongoDB. It may use only the pure
``app.domain`` of the client's code (money, the order state machine, permissions)."""
