"""A throwaway status route for the screen-pop benchmark's polling baseline, NOT part of the
product (Huifang pushes; no code path of its polls): how an agent screen that polls once a
second, as VICIdial's does, would learn of an answered call from the same database.

``python -m scripts.bench.screen_pop_poll DATABASE_URL PORT`` serves
``/status/<agent_id>`` (the agent's attempt and when it was answered) and ``/pop/<attempt_id>``
(the record and script, built by the product's own lookup) with Werkzeug's threaded server,
like the web tier's.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

from flask import Flask, jsonify
from sqlalchemy import select

from console.services.screen_pop import screen_pop
from storage.db import make_engine, make_session_factory, session_scope
from storage.models import AgentStatus, CallAttempt, User


def make_app(database_url: str) -> Flask:
    app = Flask(__name__)
    sessions = make_session_factory(make_engine(database_url))

    @app.get("/status/<int:agent_id>")
    def status(agent_id: int):
        with session_scope(sessions) as s:
            row = s.execute(
                select(AgentStatus.attempt_id, CallAttempt.answered_at)
                .outerjoin(CallAttempt, CallAttempt.id == AgentStatus.attempt_id)
                .where(AgentStatus.user_id == agent_id)
            ).one_or_none()
        attempt_id, answered = row if row else (None, None)
        answered = answered.isoformat() if answered else None
        return jsonify(attempt_id=attempt_id, answered_at=answered)

    @app.get("/pop/<int:attempt_id>")
    def pop(attempt_id: int):
        with session_scope(sessions) as s:
            agent_id = s.get_one(CallAttempt, attempt_id).agent_id
            locale = s.get_one(User, agent_id).locale
            return jsonify(screen_pop(s, attempt_id, locale, datetime.now(UTC)))

    return app


if __name__ == "__main__":
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    make_app(sys.argv[1]).run(host="127.0.0.1", port=int(sys.argv[2]), threaded=True)
