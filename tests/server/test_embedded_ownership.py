"""A server owns its embedded database: it never borrows another process's instance."""

from __future__ import annotations

import pytest

from server.embedded import EmbeddedDatabase, EmbeddedDatabaseError


def test_a_server_refuses_a_data_dir_whose_lock_another_process_keeps(tmp_path):
    holder = EmbeddedDatabase(tmp_path)
    assert holder._try_lock()  # as a running server or admin command holds it
    try:
        with pytest.raises(EmbeddedDatabaseError, match="another tillpoint-server"):
            EmbeddedDatabase(tmp_path).start_owned(wait=0.5)
    finally:
        holder._release()
