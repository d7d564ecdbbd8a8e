"""The ``/notices`` namespace: any signed-in user with notices joins their own room and is
pushed each new notice (``Notifier.outcome_recorded``). It takes no events: reading and marking
read go through the notices screen."""

from __future__ import annotations

from flask_login import current_user
from flask_socketio import ConnectionRefusedError, Namespace, join_room

from console.access import Permission, can
from console.realtime.notifier import user_room


class NoticesNamespace(Namespace):
    def on_connect(self, auth=None):
        if not can(Permission.READ_NOTICES):
            raise ConnectionRefusedError("sign in")
        join_room(user_room(current_user.id))
