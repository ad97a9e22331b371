"""API keys: parsing ``TRAINSERVE_API_KEYS`` and the key file that ``up`` creates.

A key may carry one scope, ``train`` or ``predict`` (``key:predict``); without one it
has both. When no keys are configured, the key stored in ``<home>/api-key`` is used,
created on first start, so a fresh service is never open to anyone.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from trainserve.settings import Settings

SCOPES = frozenset({"train", "predict"})
KEY_FILE = "api-key"


@dataclass(frozen=True)
class ApiKey:
    secret: str
    scopes: frozenset[str]


def parse_keys(text: str) -> list[ApiKey]:
    """``"k1,k2:predict"`` → keys; raises ValueError naming a bad entry."""
    keys = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        secret, _, scope = entry.partition(":")
        if len(secret) < 8:
            raise ValueError(
                f"TRAINSERVE_API_KEYS: keys need at least 8 characters; "
                f"received one of {len(secret)}"
            )
        if scope and scope not in SCOPES:
            raise ValueError(
                f"TRAINSERVE_API_KEYS: unknown scope {scope!r}; expected "
                f"'train' or 'predict' (or none for both)"
            )
        keys.append(ApiKey(secret, frozenset({scope}) if scope else SCOPES))
    if not keys:
        raise ValueError("TRAINSERVE_API_KEYS is set but holds no key")
    return keys


def key_file(settings: Settings) -> Path:
    return settings.home_dir / KEY_FILE


def ensure_key_file(settings: Settings) -> tuple[str, bool]:
    """The stored key, and whether this call created it."""
    path = key_file(settings)
    if path.is_file():
        return path.read_text().strip(), False
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    return secret, True


def configured_keys(settings: Settings) -> list[ApiKey]:
    if settings.api_keys:
        return parse_keys(settings.api_keys)
    secret, _ = ensure_key_file(settings)
    return [ApiKey(secret, SCOPES)]


def client_key(settings: Settings) -> str | None:
    """The key a local client should send: TRAINSERVE_API_KEY, else the stored one."""
    if settings.api_key:
        return settings.api_key
    path = key_file(settings)
    return path.read_text().strip() if path.is_file() else None


def find_key(keys: list[ApiKey], presented: str) -> ApiKey | None:
    found = None
    for key in keys:  # compare with every key, in constant time each
        if hmac.compare_digest(key.secret.encode(), presented.encode()):
            found = key
    return found
