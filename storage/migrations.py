"""Numbered `.sql` migrations, applied in order, each whole or not at all.

A migration file is `NNNN_description.sql` in `storage/migrations/`, written in SQLite's SQL;
PostgreSQL runs the same files through storage/dialects.py. Applying is idempotent: the versions
already applied are recorded in `schema_migrations` and skipped. Each backend applies them in
its own module (storage/sqlite.py, storage/postgres.py); this one finds and names them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_FILENAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    """A migration failed; the database is left exactly as it was before that migration."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations in `directory`, in version order; a malformed file name is an error."""
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILENAME.match(path.name)
        if not match:
            raise MigrationError(f"migration file name {path.name!r} is not NNNN_name.sql")
        migrations.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version number")
    return migrations


def failed(migration: Migration, reason: object) -> MigrationError:
    """The error for a migration that failed and was rolled back."""
    return MigrationError(
        f"migration {migration.version:04d}_{migration.name} failed and was rolled back: {reason}"
    )
