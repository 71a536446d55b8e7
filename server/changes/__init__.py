"""The server's change log: every write that a till or a read model must learn about appends an
entry here in the same MongoDB transaction as the write itself (see ``log``)."""
