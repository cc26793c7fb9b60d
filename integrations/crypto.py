"""Credentials at rest: MultiFernet (authenticated encryption) with keys from the environment, newest first.

Adding a new key at the front of ROGER_CREDENTIAL_KEYS and running ``manage.py rotate_credentials`` re-encrypts
every stored credential with it; old rows keep decrypting until then.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured("ROGER_CREDENTIAL_KEYS must hold url-safe base64 32-byte Fernet keys") from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.ROGER_CREDENTIAL_KEYS))


def encrypt_json(values: dict[str, Any]) -> str:
    if not values:
        return ""
    return fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def decrypt_json(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return json.loads(fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "Stored credentials cannot be decrypted with ROGER_CREDENTIAL_KEYS (was a key removed too early?)"
        ) from exc


def rotate(token: str) -> str:
    return fernet().rotate(token.encode()).decode() if token else ""
