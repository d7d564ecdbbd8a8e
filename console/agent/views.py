from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import get_locale

from console.access import Permission, requires
from console.db import config
from console.labels import (
    AGENT_STATES,
    CHURN_DIRECTIONS,
    CHURN_REASONS,
    COMPLAINT_CATEGORIES,
    CONVERSATION_OUTCOMES,
    NETWORK_OUTCOMES,
    PAUSE_REASONS,
    SATISFACTION,
    TASK_TYPES,
    pick,
)

bp = Blueprint("agent", __name__, url_prefix="/agent")


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
        pause_reasons=list(pick(PAUSE_REASONS, locale).items()),
        outcome_labels=pick(CONVERSATION_OUTCOMES, locale),
        satisfaction_labels=pick(SATISFACTION, locale),
        task_type_labels=pick(TASK_TYPES, locale),
        complaint_categories=list(pick(COMPLAINT_CATEGORIES, locale).items()),
        churn_directions=list(pick(CHURN_DIRECTIONS, locale).items()),
        churn_reasons=list(pick(CHURN_REASONS, locale).items()),
    )
