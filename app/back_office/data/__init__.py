"""Import and export of products, stock levels and customers as CSV (``service``: preview and
import; ``app.exports``: export), with every row checked before anything is written."""
