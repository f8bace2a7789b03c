"""Codes, tokens and signatures. Tokens are random and only their hash is stored."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from itsdangerous import BadSignature, Signer

# No look-alikes (0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V): a code is read over the phone.
CODE_ALPHABET = "ACDEFGHJKMNPQRTWXY34679"
_CHECK_IN_SALT = "check-in-v1"


def new_code() -> str:
    """A reservation code such as ``K7QM-A4TX`` (23^8 ≈ 7.8e10 possibilities)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_code(text: str) -> str:
    """Accept a code as people type it: any case, with or without the dash or spaces."""
    raw = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == 8 else raw


def new_token() -> str:
    """A secret of 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def address_key(address: str | None, secret_key: str) -> str:
    """A keyed hash of a caller's address: the same address gives the same key, and
    the key gives no address back (an IPv4 address alone is easy to guess from a plain hash)."""
    return hmac.new(secret_key.encode(), (address or "unknown").encode(), hashlib.sha256).hexdigest()


def token_matches(token: str | None, stored_hash: str) -> bool:
    return bool(token) and hmac.compare_digest(hash_token(token), stored_hash)


def sign_check_in(code: str, secret_key: str) -> str:
    """The text of a reservation's QR code: its code and a signature, nothing personal."""
    return Signer(secret_key, salt=_CHECK_IN_SALT).sign(code).decode()


def read_check_in(payload: str, secret_key: str) -> str | None:
    """The reservation code inside a genuine payload, or None for a forged one."""
    try:
        return Signer(secret_key, salt=_CHECK_IN_SALT).unsign((payload or "").strip()).decode()
    except (BadSignature, UnicodeError, ValueError):
        return None
