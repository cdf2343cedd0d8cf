"""Random secrets handed to people or browsers, and the keyed hashes we store."""

from __future__ import annotations

import secrets

from django.utils.crypto import salted_hmac

# Crockford's base32 alphabet: no I, L, O or U, so a code read aloud or typed from a
# screen is not misheard or mistyped.
READABLE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
READABLE_CONFUSABLES = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})


def secret_hash(*, purpose: str, value: str) -> str:
    """A keyed hash: a stolen database alone cannot be used to check guesses."""
    return salted_hmac(f"crm.secret.{purpose}", value, algorithm="sha256").hexdigest()


def url_token_new() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def readable_code_new(*, length: int = 10) -> str:
    """``length`` characters of a 32-letter alphabet (5 bits each), grouped by five."""
    raw = "".join(secrets.choice(READABLE_ALPHABET) for _ in range(length))
    return "-".join(raw[i : i + 5] for i in range(0, length, 5))


def readable_code_normalise(code: str) -> str:
    """What a person typed, in the form it was hashed: case, spaces, dashes and the
    look-alike letters do not matter."""
    cleaned = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    cleaned = cleaned.translate(READABLE_CONFUSABLES)
    return "-".join(cleaned[i : i + 5] for i in range(0, len(cleaned), 5))
