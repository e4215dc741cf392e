"""SQLite schema of a project index, its version and the migrations between versions.

The schema version lives in ``PRAGMA user_version``. Each entry of :data:`MIGRATIONS` takes
the database from version ``i`` to ``i + 1``; :func:`migrate` applies the missing ones in one
transaction, so an interrupted upgrade leaves the old schema intact.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

STATUSES: tuple[str, ...] = ("new", "in_progress", "done", "approved", "rejected")
DECISIONS: tuple[str, ...] = ("approve", "reject")
#: The status an image takes when an edit of it is saved (a save, a recovered journal entry):
#: a ``new`` image is in progress, and an approved one is not what QA approved any more (back
#: to ``done``, to be reviewed again). Other statuses stay.
EDITED_STATUS: dict[str, str] = {"new": "in_progress", "approved": "done"}

_V1 = """
CREATE TABLE tasks (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
CREATE TABLE images (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    original_name TEXT NOT NULL,
    stem TEXT NOT NULL,
    source TEXT NOT NULL,
    stored INTEGER NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'new'
        CHECK (status IN ('new', 'in_progress', 'done', 'approved', 'rejected')),
    created REAL NOT NULL,
    updated REAL NOT NULL,
    user TEXT NOT NULL
);
CREATE INDEX images_stem ON images (stem);
CREATE INDEX images_status ON images (status);
CREATE TABLE status_log (
    id INTEGER PRIMARY KEY,
    image_id INTEGER NOT NULL REFERENCES images (id),
    status TEXT NOT NULL,
    user TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE mask_versions (
    id INTEGER PRIMARY KEY,
    image_id INTEGER NOT NULL REFERENCES images (id),
    task TEXT NOT NULL REFERENCES tasks (name),
    version INTEGER NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    source TEXT NOT NULL,
    seconds REAL NOT NULL,
    actions INTEGER NOT NULL,
    user TEXT NOT NULL,
    created REAL NOT NULL,
    UNIQUE (image_id, task, version)
);
CREATE TABLE proposals (
    id INTEGER PRIMARY KEY,
    image_id INTEGER NOT NULL REFERENCES images (id),
    task TEXT NOT NULL REFERENCES tasks (name),
    version INTEGER NOT NULL,
    path TEXT NOT NULL,
    model_version TEXT NOT NULL,
    user TEXT NOT NULL,
    created REAL NOT NULL,
    UNIQUE (image_id, task, version)
);
CREATE TABLE leases (
    image_id INTEGER PRIMARY KEY REFERENCES images (id),
    token TEXT NOT NULL,
    holder TEXT NOT NULL,
    acquired REAL NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    image_id INTEGER NOT NULL REFERENCES images (id),
    task TEXT NOT NULL REFERENCES tasks (name),
    decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    reason TEXT,
    text TEXT NOT NULL,
    user TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE models (
    id INTEGER PRIMARY KEY,
    task TEXT NOT NULL,
    version INTEGER NOT NULL,
    path TEXT NOT NULL,
    metrics TEXT NOT NULL,
    trained_on TEXT NOT NULL,
    created REAL NOT NULL,
    user TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 0,
    UNIQUE (task, version)
);
"""

_V2_LEASE_HOLDER = """
ALTER TABLE leases ADD COLUMN host TEXT NOT NULL DEFAULT '';
ALTER TABLE leases ADD COLUMN pid INTEGER NOT NULL DEFAULT 0
"""

# Version 3: garment instances (instances/<image_id>/vN.png maps plus one row per instance).
_V3_INSTANCES = """
CREATE TABLE instance_versions (
    id INTEGER PRIMARY KEY,
    image_id INTEGER NOT NULL REFERENCES images (id),
    version INTEGER NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    parsing_task TEXT NOT NULL,
    taxonomy TEXT NOT NULL,
    source TEXT NOT NULL,
    user TEXT NOT NULL,
    created REAL NOT NULL,
    UNIQUE (image_id, version)
);
CREATE TABLE instances (
    id INTEGER PRIMARY KEY,
    version_id INTEGER NOT NULL REFERENCES instance_versions (id),
    instance INTEGER NOT NULL,
    parsing_class INTEGER NOT NULL,
    category TEXT,
    proposed_category TEXT,
    category_score REAL,
    attributes TEXT NOT NULL,
    proposed_attributes TEXT NOT NULL,
    colour TEXT,
    colour_rgb TEXT,
    UNIQUE (version_id, instance)
);
"""

# Version 4: a decision names the mask version it was made on (clocks of two desktops, or a
# clock set back, no longer decide whether a later save was reviewed).
_V4_DECISION_VERSION = """
ALTER TABLE decisions ADD COLUMN mask_version INTEGER
"""

# Version 5: the project's own label sets (dataset.label_sets), one row per task: the
# definition of its taxonomy file. An older program refuses the project instead of failing on
# a task it does not know.
_V5_LABEL_SETS = """
CREATE TABLE label_sets (
    task TEXT PRIMARY KEY REFERENCES tasks (name),
    definition TEXT NOT NULL
)
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2_LEASE_HOLDER, _V3_INSTANCES, _V4_DECISION_VERSION, _V5_LABEL_SETS)
"""SQL scripts; ``MIGRATIONS[i]`` upgrades a version-``i`` database to version ``i + 1``."""

DECISION_RULE_VERSION = MIGRATIONS.index(_V4_DECISION_VERSION) + 1
"""The first schema version whose writers keep image statuses by today's decision rule: an
index upgraded from an earlier one has its approved images checked against it
(:mod:`~fashion_annotator.dataset.status_upgrade`)."""

SCHEMA_VERSION = len(MIGRATIONS)

SYNCHRONOUS = "FULL"
"""SQLite ``synchronous`` level: FULL, so a committed save survives power loss as well as a
crash of the process. Tests that are not about durability may lower it to save fsyncs."""


class SchemaError(Exception):
    """The index cannot be used: newer than this program, or not a project index."""


def connect(path: Path, *, timeout_s: float = 10.0) -> sqlite3.Connection:
    """Open the index with WAL, a busy timeout, foreign keys and full fsync on commit.

    Parameters
    ----------
    path : Path
        The ``project.sqlite`` file.
    timeout_s : float
        How long a write waits for another process's transaction, in seconds.

    Returns
    -------
    sqlite3.Connection
        In autocommit mode: callers open transactions explicitly (``BEGIN IMMEDIATE``); an
        :class:`~fashion_annotator.dataset.index_damage.IndexConnection` (a damaged page raises
        ``IndexDamaged``).
    """
    from fashion_annotator.dataset.index_damage import IndexConnection  # records imports schema

    conn = sqlite3.connect(str(path), timeout=timeout_s, isolation_level=None, factory=IndexConnection)
    conn.index = Path(path).absolute()  # named when a damaged page is met (index_damage.IndexDamaged)
    conn.row_factory = sqlite3.Row
    try:  # a damaged index closes its handle here (on Windows an open one blocks its restore)
        conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    except sqlite3.Error:
        conn.close()
        raise
    if str(mode).lower() != "wal":
        conn.close()
        raise SchemaError(f"{path}: cannot switch the index to WAL mode (got {mode!r})")
    conn.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    """Return the schema version recorded in the database (0 for an empty one)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, path: Path | None = None) -> int:
    """Bring the database to :data:`SCHEMA_VERSION`; return the version it had before.

    Raises
    ------
    SchemaError
        When the database was written by a newer program (its version is higher).
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        before = schema_version(conn)
        if before > SCHEMA_VERSION:
            raise SchemaError(
                f"{path or 'index'}: schema version {before} is newer than this program "
                f"supports ({SCHEMA_VERSION}); upgrade Fashion Annotator"
            )
        for version in range(before, SCHEMA_VERSION):
            for statement in _statements(MIGRATIONS[version]):
                conn.execute(statement)
        if 0 < before < DECISION_RULE_VERSION:
            # imported here: status_upgrade reads the rule from decisions, which imports this module
            from fashion_annotator.dataset.status_upgrade import reapply_decision_rule

            reapply_decision_rule(conn, str(path or "index"), placeholder="?", user_column="user")
        if before != SCHEMA_VERSION:  # an index already current is not written: another
            # connection's data_version stays (its image list took the open for a commit)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        # SQLite may already have rolled back (disk full, I/O error); a second ROLLBACK would
        # raise and hide the error that says what went wrong.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return before


def _statements(script: str) -> list[str]:
    # executescript() would COMMIT the open transaction; split so the migration stays atomic.
    return [s.strip() for s in script.split(";") if s.strip()]
