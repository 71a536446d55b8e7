"""Alembic environment: migrations run on the engine the local store hands over, in batch mode
(SQLite cannot ALTER most things in place)."""

from alembic import context

import db.models  # noqa: F401 - registers every table on Base.metadata
from db.base import Base
from db.search_index import include_name

target_metadata = Base.metadata


def run() -> None:
    engine = context.config.attributes.get("engine")
    if engine is None:
        raise RuntimeError("migrations run through db.engine.migrate(), which passes the engine")
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True, compare_type=True,
                          include_name=include_name)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
