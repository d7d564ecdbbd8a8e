from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, render_template
from flask_babel import get_locale
from flask_login import current_user, login_required

from console.labels import (
    AGENT_STATES,
    CONVERSATION_OUTCOMES,
    NETWORK_OUTCOMES,
    SATISFACTION,
    TASK_TYPES,
    pick,
)

bp = Blueprint("agent", __name__, url_prefix="/agent")


def agent_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_agent:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@bp.get("/")
@agent_required
def console():
    locale = str(get_locale())
    return render_template(
        "agent/console.html",
        outcome_codes=list(pick(CONVERSATION_OUTCOMES, locale).items()),
        satisfaction_scale=[(v, pick(SATISFACTION, locale)[str(v)]) for v in (5, 4, 3, 2, 1)],
        network_labels=pick(NETWORK_OUTCOMES, locale),
        state_labels=pick(AGENT_STATES, locale),
        task_type_labels=pick(TASK_TYPES, locale),
    )
