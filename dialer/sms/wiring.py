"""The configured SMS gateway (``HUIFANG_SMS``), or None when SMS are not sent."""

from __future__ import annotations

from dialer.sms.gateway import SmsGateway
from storage.config import Config


def gateway_for(config: Config) -> SmsGateway | None:
    if config.sms is None:
        return None
    from dialer.sms.twilio import TwilioSms

    return TwilioSms(config.sms)
