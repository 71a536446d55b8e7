"""The back office's Settings services (no Qt): the store's own details (``store_details``),
tax classes and their rates (``taxes``), and this installation's settings and secrets as the
Settings page changes them (``values``). Each checks the member of staff inside the
transaction that writes, audits the change, and queues for the server what it must know."""
