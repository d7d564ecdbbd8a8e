from __future__ import annotations

from flask import Blueprint, abort, send_file
from flask_login import current_user

from console.access import Permission, requires
from console.db import config, transaction
from console.recordings.service import recording_file
from storage.errors import NotFound

bp = Blueprint("recordings", __name__, url_prefix="/recordings")


@bp.get("/<int:attempt_id>.wav")
@requires(Permission.WATCH_WALLBOARD)
def recording(attempt_id: int):
    """The call's recording, streamed (with ranges, for the browser's audio player)."""
    try:
        with transaction() as s:
            path = recording_file(s, current_user.id, attempt_id, config().instance_dir)
    except NotFound:
        abort(404)
    return send_file(path, mimetype="audio/wav", conditional=True, max_age=0)
