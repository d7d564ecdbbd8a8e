"""The web tier's access to the store: one short transaction per request or event."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy.orm import Session

from storage.config import Config
from storage.db import session_scope


def transaction() -> AbstractContextManager[Session]:
    return session_scope(current_app.extensions["huifang.sessions"])


def config() -> Config:
    return current_app.config["HUIFANG"]


def utcnow() -> datetime:
    return datetime.now(UTC)
