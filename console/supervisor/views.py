from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import get_locale

from console.access import Permission, requires
from console.labels import (
    AGENT_STATES,
    CONVERSATION_OUTCOMES,
    NETWORK_OUTCOMES,
    NO_PAUSE_REASON,
    PAUSE_REASONS,
    TASK_TYPES,
    pick,
)

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")


@bp.get("/")
@requires(Permission.WATCH_WALLBOARD)
def wallboard():
    locale = str(get_locale())
    return render_template(
        "supervisor/wallboard.html",
        state_labels=pick(AGENT_STATES, locale),
        network_labels=pick(NETWORK_OUTCOMES, locale),
        outcome_labels=pick(CONVERSATION_OUTCOMES, locale),
        task_type_labels=pick(TASK_TYPES, locale),
        pause_labels=pick(PAUSE_REASONS | NO_PAUSE_REASON, locale),
    )
