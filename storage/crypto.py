"""Encryption at rest for marketplace tokens, with key rotation.

`TOKEN_ENCRYPTION_KEY` holds one or more Fernet keys separated by commas, newest first: new
ciphertext uses the first, and any of them decrypts, so an operator rotates by prepending a key and
re-encrypting (`TokenCipher.rotate`) before dropping the old one.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class TokenDecryptionError(ValueError):
    """Stored ciphertext that none of our keys accepts: tampered with, or from another key."""


class InvalidKeyError(ValueError):
    """A configured key is not a Fernet key."""


def parse_keys(setting: str) -> list[str]:
    """Split the setting into keys, ignoring blanks around the commas."""
    return [key.strip() for key in setting.split(",") if key.strip()]


class TokenCipher:
    """Encrypts and decrypts token strings; never logs or echoes either side."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise InvalidKeyError("no encryption key configured")
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.encode("ascii")))
            except (ValueError, UnicodeEncodeError):
                raise InvalidKeyError(
                    f"encryption key #{position} is not a valid Fernet key "
                    "(32 url-safe base64-encoded bytes)"
                ) from None
        self._fernet = MultiFernet(fernets)
        self._keys = [base64.urlsafe_b64decode(key.encode("ascii")) for key in keys]

    @classmethod
    def from_setting(cls, setting: str) -> TokenCipher:
        return cls(parse_keys(setting))

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode("ascii")

    def derived_key(self, purpose: str) -> bytes:
        """A separate secret for another job (e.g. signing media URLs), so one setting serves
        both and neither use can reveal the other: HKDF-SHA256 of the newest key."""
        return self.derived_keys(purpose)[0]

    def derived_keys(self, purpose: str) -> list[bytes]:
        """The secret for `purpose` from every configured key, newest first: what was signed
        before a key rotation still verifies."""
        return [_hkdf(key, purpose) for key in self._keys]

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise TokenDecryptionError(
                "stored token cannot be decrypted: it was altered, or it was encrypted with a key "
                "that is not in TOKEN_ENCRYPTION_KEY"
            ) from None

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt under the newest key (after an operator prepends a new one)."""
        try:
            return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise TokenDecryptionError(
                "stored token cannot be re-encrypted: none of the configured keys decrypts it"
            ) from None


def _hkdf(key: bytes, purpose: str) -> bytes:
    derivation = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"deal-scout/{purpose}".encode()
    )
    return derivation.derive(key)
