"""Server fixtures live in tests.support.server_fixtures (a plugin of the root conftest), so
the sync, fault and benchmark tests share the one database process of a session."""
