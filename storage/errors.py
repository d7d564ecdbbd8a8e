"""Domain errors with a stable code, turned into HTTP or Socket.IO errors at the edge."""

from __future__ import annotations


def N_(message: str) -> str:
    """Marks a message for translation (extracted by pybabel, translated at the edge)."""
    return message


class DomainError(Exception):
    """A refused action. ``code`` is stable (tests and clients rely on it); ``message`` is
    one human line."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, **self.details}


class NotFound(DomainError):
    code = "not_found"


class InvalidInput(DomainError):
    code = "invalid_input"
