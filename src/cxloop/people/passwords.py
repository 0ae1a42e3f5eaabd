"""Password hashing with argon2id (argon2-cffi defaults, RFC 9106 low-memory profile).

Why argon2: it is memory-hard, so a stolen ``users`` table is expensive to brute-force; the
hash string carries its own parameters, so stronger defaults later only need a rehash on the
next successful sign-in (:func:`needs_rehash`).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from cxloop.errors import ValidationError

_hasher = PasswordHasher()

MIN_LENGTH = 10

#: A valid hash of a random string: verifying against it costs the same as a real check, so a
#: sign-in for an unknown e-mail takes as long as one with a wrong password.
_DUMMY_HASH = _hasher.hash("cxloop-no-such-user-password")


def check_strength(password: str) -> None:
    """Refuse passwords a person could guess; the rule is length, which matters most."""
    if len(password) < MIN_LENGTH:
        raise ValidationError(
            f"the password is shorter than {MIN_LENGTH} characters",
            hint="choose a longer passphrase",
            details={"field": "password"},
        )


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; never raises for a wrong or malformed hash."""
    try:
        return bool(_hasher.verify(stored_hash or _DUMMY_HASH, password)) and bool(stored_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return bool(_hasher.check_needs_rehash(stored_hash))
