"""One place that turns domain errors into HTTP and Socket.IO answers, translated."""

from __future__ import annotations

from flask import Flask, jsonify
from flask_babel import gettext as _

from storage.errors import DomainError


def error_dict(exc: DomainError) -> dict:
    return exc.as_dict() | {"message": _(exc.message)}


def ack_error(exc: DomainError) -> dict:
    return {"ok": False, "error": error_dict(exc)}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        return jsonify({"error": error_dict(exc)}), 409
