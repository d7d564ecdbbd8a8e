from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, render_template
from flask_babel import get_locale
from flask_login import current_user, login_required

from console.labels import AGENT_STATES, CONVERSATION_OUTCOMES, NETWORK_OUTCOMES, pick

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")


def supervisor_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_supervisor:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@bp.get("/")
@supervisor_required
def wallboard():
    locale = str(get_locale())
    return render_template(
        "supervisor/wallboard.html",
        state_labels=pick(AGENT_STATES, locale),
        network_labels=pick(NETWORK_OUTCOMES, locale),
        outcome_labels=pick(CONVERSATION_OUTCOMES, locale),
    )
