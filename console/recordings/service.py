"""Which recording a user may hear: an attempt of one of their stores, recorded, still on
disk. Recordings live in the instance folder, under the path the seat worker stored."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from storage.archive.scope import store_ids_of
from storage.errors import N_, NotFound
from storage.models import CallAttempt


def recording_file(session: Session, user_id: int, attempt_id: int, instance: Path) -> Path:
    """The WAV file of the attempt's recording, or NotFound (also for another store's call,
    so that its existence is not told)."""
    attempt = session.get(CallAttempt, attempt_id)
    if attempt is None or not attempt.recording_path:
        raise NotFound(N_("This call was not recorded."))
    if attempt.task.store_id not in store_ids_of(session, user_id):
        raise NotFound(N_("This call was not recorded."))
    root = (instance / "recordings").resolve()
    path = (instance / attempt.recording_path).resolve()
    if root not in path.parents or not path.is_file():  # never outside the recordings folder
        raise NotFound(N_("The recording is no longer on file."))
    return path
