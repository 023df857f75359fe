"""One writer at a time for the gradebook steps that are unsafe when graders share a server.

Several graders (processes, or machines) may grade into one PostgreSQL gradebook.  Merging
different students' results concurrently is safe, but nbgrader's schema creation (first use
of an empty database) and ``generate_assignment`` (which updates, and may delete, the
assignment's notebook and cell rows) are not: two graders starting at once failed with
``ForeignKeyViolation`` or ``UniqueViolation``.  :func:`exclusive` serialises them with a
PostgreSQL session advisory lock, which needs no table and is released if the holder dies.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

# pg_advisory_lock's key (any 64-bit number other applications of the database do not use):
# the bytes of "lstmlab".
LOCK_KEY = int.from_bytes(b"lstmlab", "big")


@contextlib.contextmanager
def exclusive(db_url: str) -> Iterator[None]:
    """Hold the gradebook's advisory lock (waiting for it) while the block runs.

    A no-op for other databases than PostgreSQL (SQLite is one grader's file).  Not reentrant
    across connections: do not nest it.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    if make_url(db_url).get_backend_name() != "postgresql":
        yield
        return
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
            conn.commit()  # session-level lock: it outlives this transaction
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                conn.commit()
    finally:
        engine.dispose()
