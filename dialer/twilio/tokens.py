"""Access tokens for the agent's browser: the Twilio Voice JS SDK registers as ``agent-ID``
and receives the customer leg that the answer webhook dials to that identity."""

from __future__ import annotations

from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from storage.config import TwilioSettings

TOKEN_TTL_S = 3600


class TokensUnavailable(ValueError):
    """Twilio mode without the browser leg's settings (API key, secret, TwiML app)."""


def agent_identity(agent_id: int) -> str:
    return f"agent-{agent_id}"


def voice_token(settings: TwilioSettings, agent_id: int, ttl_s: int = TOKEN_TTL_S) -> str:
    if not (settings.api_key and settings.api_secret and settings.twiml_app_sid):
        raise TokensUnavailable("the browser leg needs TWILIO_API_KEY, _SECRET, _TWIML_APP_SID")
    token = AccessToken(
        settings.account_sid,
        settings.api_key,
        settings.api_secret,
        identity=agent_identity(agent_id),
        ttl=ttl_s,
    )
    token.add_grant(
        VoiceGrant(outgoing_application_sid=settings.twiml_app_sid, incoming_allow=True)
    )
    return token.to_jwt()
