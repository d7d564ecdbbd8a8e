from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from console.access import Permission, requires
from console.db import config
from console.labels import (
    AGENT_STATES,
    CHURN_DIRECTIONS,
    CHURN_REASONS,
    COMPLAINT_CATEGORIES,
    CONVERSATION_OUTCOMES,
    NETWORK_OUTCOMES,
    SATISFACTION,
    TASK_TYPES,
    pick,
)
from dialer.agent_state import PauseReason

bp = Blueprint("agent", __name__, url_prefix="/agent")
PAUSE_REASONS = {  # in the order of their keys on the console (1-4 after F3)
    PauseReason.BREAK: _l("Break"),
    PauseReason.LUNCH: _l("Lunch"),
    PauseReason.TRAINING: _l("Training"),
    PauseReason.MEETING: _l("Meeting"),
}


@bp.get("/")
@requires(Permission.TAKE_CALLS)
def console():
    locale = str(get_locale())
    twilio = config().twilio
    return render_template(
        "agent/console.html",
        # Twilio mode with the browser leg: the page is the agent's headset (agent_twilio.js)
        twilio_client=twilio is not None and twilio.agent_leg == "client",
        outcome_codes=list(pick(CONVERSATION_OUTCOMES, locale).items()),
        satisfaction_scale=[(v, pick(SATISFACTION, locale)[str(v)]) for v in (5, 4, 3, 2, 1)],
        network_labels=pick(NETWORK_OUTCOMES, locale),
        state_labels=pick(AGENT_STATES, locale),
        pause_reasons=[(code.value, str(text)) for code, text in PAUSE_REASONS.items()],
        outcome_labels=pick(CONVERSATION_OUTCOMES, locale),
        satisfaction_labels=pick(SATISFACTION, locale),
        task_type_labels=pick(TASK_TYPES, locale),
        complaint_categories=list(pick(COMPLAINT_CATEGORIES, locale).items()),
        churn_directions=list(pick(CHURN_DIRECTIONS, locale).items()),
        churn_reasons=list(pick(CHURN_REASONS, locale).items()),
    )
