"""Encryption of secrets at rest: the one helper every app may use (provider keys in
harmony.yml, Spotify client secret, OAuth tokens).

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with one key generated on first use and
kept in `CONFIG_DIR/fernet.key`, readable by its owner only. Losing that file makes stored
secrets unreadable: back it up with the rest of `CONFIG_DIR` (see docs/operations/security.md).
"""

from __future__ import annotations

import functools
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from harmony_site.files import ensure_key_file
from harmony_site.logs import register_secret

FERNET_KEY_FILE = "fernet.key"
ENCRYPTED_PREFIX = "enc:"


class SecretDecryptError(ValueError):
    """A stored secret cannot be decrypted (tampered, or encrypted under another key)."""


def fernet_for(config_dir: Path) -> Fernet:
    """The Fernet cipher for secrets at rest, its key created once in CONFIG_DIR/fernet.key."""
    key = ensure_key_file(
        config_dir / FERNET_KEY_FILE, lambda: Fernet.generate_key().decode("ascii")
    )
    return Fernet(key.encode("ascii"))


@functools.cache
def _fernet_for(config_dir: Path) -> Fernet:
    return fernet_for(config_dir)


def _fernet() -> Fernet:
    # Resolved per call (cached per directory) so a test or a moved CONFIG_DIR gets its own key.
    return _fernet_for(Path(settings.CONFIG_DIR))


def encrypt_secret(text: str) -> str:
    """Encrypt `text`; the result is an ASCII token safe to store in a text column or YAML."""
    register_secret(text)  # whatever is worth encrypting is never worth logging
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt_secret(token: str) -> str:
    """Decrypt a token made by `encrypt_secret`, or raise `SecretDecryptError`."""
    try:
        text = _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise SecretDecryptError(
            f"stored secret cannot be decrypted with {FERNET_KEY_FILE} "
            "(was CONFIG_DIR replaced or the key file changed?)"
        ) from exc
    register_secret(text)
    return text


def encrypt_for_file(config_dir: Path, text: str) -> str:
    """A secret as harmony.yml stores it when Harmony writes it: `enc:<Fernet token>`."""
    return ENCRYPTED_PREFIX + fernet_for(config_dir).encrypt(text.encode("utf-8")).decode("ascii")


def decrypt_for_file(config_dir: Path, raw: str) -> str:
    """The plain text of an `enc:` value from harmony.yml, or raise `SecretDecryptError`."""
    try:
        token = raw.removeprefix(ENCRYPTED_PREFIX).encode("ascii")
        return fernet_for(config_dir).decrypt(token).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise SecretDecryptError(f"{raw[:12]}…: not a token of {FERNET_KEY_FILE}") from exc
