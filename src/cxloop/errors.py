"""One exception family for everything a user can cause and fix.

Every error carries a message that says what was wrong and what to do next. The CLI prints
the message and exits non-zero; the API turns it into a 4xx answer with ``details``.
Tracebacks are reserved for bugs.
"""

from __future__ import annotations

from typing import Any


class CxloopError(Exception):
    """Base of all user-facing errors. ``exit_code`` is what the CLI exits with."""

    exit_code = 1
    http_status = 400

    def __init__(self, message: str, *, hint: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(CxloopError):
    """Settings or workspace are missing or inconsistent."""

    exit_code = 2


class InputError(CxloopError):
    """A file, column or value supplied by the user cannot be used."""

    exit_code = 2
    http_status = 422


class ValidationError(InputError):
    """One field of one record is invalid; ``details`` names the field."""


class NotFoundError(CxloopError):
    """Something that was asked for does not exist (or is outside the caller's scope)."""

    http_status = 404


class PermissionDenied(CxloopError):
    """The caller's role or scope does not allow the action."""

    http_status = 403


class AuthenticationRequired(CxloopError):
    """No or invalid credentials."""

    http_status = 401


class ConflictError(CxloopError):
    """The action conflicts with current state (e.g. a case transition that is not allowed)."""

    http_status = 409


class NotEstimable(CxloopError):
    """An analysis cannot give an honest number from this data (too few rows, constant outcome)."""

    http_status = 422
