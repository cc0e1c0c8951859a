"""Everything persistent: the database (SQLite or PostgreSQL), migrations, repositories and
encryption at rest.

This package knows nothing of Telegram or the marketplaces, with one exception the design names:
`storage.persistence` implements python-telegram-bot's `BasePersistence` on our database.
"""

from storage.crypto import TokenCipher, TokenDecryptionError
from storage.db import Database

__all__ = ["Database", "TokenCipher", "TokenDecryptionError"]
