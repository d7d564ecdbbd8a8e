"""Configuration for every Huifang process, read once from the environment.

Strict parsing: a bad value stops the process at start with a one-line message.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypedDict
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class ConfigError(ValueError):
    """A setting is missing or malformed."""


def _int(env: dict[str, str], name: str, default: int, lo: int = 0, hi: int = 65535) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name}={value} is outside {lo}..{hi}")
    return value


def _choice(env: dict[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name) or default
    if value not in choices:
        raise ConfigError(f"{name}={value!r} must be one of {', '.join(choices)}")
    return value


def _instance_secret(instance: Path, name: str) -> str:
    """A secret kept in the instance folder, created on first use (never in the repo)."""
    path = instance / name
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    path.write_text(value)
    path.chmod(0o600)
    return value


TWILIO_REQUIRED = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM")
TWILIO_CLIENT_LEG = ("TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_TWIML_APP_SID")
TWILIO_PATTERNS = {
    "TWILIO_ACCOUNT_SID": r"AC[0-9a-fA-F]{32}",
    "TWILIO_API_KEY": r"SK[0-9a-fA-F]{32}",
    "TWILIO_TWIML_APP_SID": r"AP[0-9a-fA-F]{32}",
    "TWILIO_FROM": r"\+[1-9][0-9]{6,14}",  # E.164, the caller id customers see
}


@dataclass(frozen=True)
class TwilioSettings:
    """Twilio mode (``HUIFANG_TELEPHONY=twilio``); see README, "Twilio mode"."""

    account_sid: str
    auth_token: str
    from_number: str
    public_base_url: str  # where Twilio reaches our webhooks, as Twilio sees it (behind a proxy)
    agent_leg: str = "client"  # client: the agent's browser (Voice JS SDK); phone: User.agent_phone
    api_key: str | None = None  # API key, secret and TwiML app: access tokens for the browser
    api_secret: str | None = None
    twiml_app_sid: str | None = None
    cps: int = 1  # calls per second this process may start
    record: bool = False
    api_url: str | None = None  # a local mock of api.twilio.com, for tests


def _text(env: dict[str, str], name: str) -> str:
    return (env.get(name) or "").strip()


def _base_url(env: dict[str, str], name: str) -> str | None:
    raw = _text(env, name)
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"{name}={raw!r} is not an http(s) base URL such as https://host/path")
    return raw.rstrip("/")


def _twilio(env: dict[str, str]) -> TwilioSettings:
    """Strict: every setting Twilio mode needs is present and well-formed."""
    leg = _choice(env, "HUIFANG_TWILIO_AGENT_LEG", "client", ("client", "phone"))
    needed = [*TWILIO_REQUIRED, "HUIFANG_PUBLIC_BASE_URL"]
    needed += list(TWILIO_CLIENT_LEG) if leg == "client" else []
    missing = [name for name in needed if not _text(env, name)]
    if missing:
        raise ConfigError(f"HUIFANG_TELEPHONY=twilio needs {', '.join(missing)}")
    for name, pattern in TWILIO_PATTERNS.items():
        value = env.get(name)
        if value and not re.fullmatch(pattern, value.strip()):
            raise ConfigError(f"{name}={value!r} is not a valid value (expected {pattern})")
    return TwilioSettings(
        account_sid=_text(env, "TWILIO_ACCOUNT_SID"),
        auth_token=_text(env, "TWILIO_AUTH_TOKEN"),
        from_number=_text(env, "TWILIO_FROM"),
        public_base_url=_base_url(env, "HUIFANG_PUBLIC_BASE_URL") or "",
        agent_leg=leg,
        api_key=_text(env, "TWILIO_API_KEY") or None,
        api_secret=_text(env, "TWILIO_API_SECRET") or None,
        twiml_app_sid=_text(env, "TWILIO_TWIML_APP_SID") or None,
        cps=_int(env, "HUIFANG_TWILIO_CPS", 1, 1, 1000),
        record=_choice(env, "HUIFANG_TWILIO_RECORD", "0", ("0", "1")) == "1",
        api_url=_base_url(env, "HUIFANG_TWILIO_API_URL"),
    )


SMS_PATTERNS = {
    "TWILIO_ACCOUNT_SID": r"AC[0-9a-fA-F]{32}",
    "TWILIO_SMS_FROM": r"\+[1-9][0-9]{6,14}",
    "TWILIO_MESSAGING_SERVICE_SID": r"MG[0-9a-fA-F]{32}",
}


@dataclass(frozen=True)
class SmsSettings:
    """Bulk SMS through Twilio Messaging (``HUIFANG_SMS=twilio``); see README, "Bulk SMS"."""

    account_sid: str
    auth_token: str
    from_number: str | None  # a sender number, or
    messaging_service_sid: str | None  # a Messaging Service (its pool picks the number)
    public_base_url: str  # where Twilio reaches our delivery and reply webhooks
    api_url: str | None = None  # a local mock of api.twilio.com, for tests

    @property
    def sender(self) -> str:
        return self.messaging_service_sid or self.from_number or ""


def _sms(env: dict[str, str]) -> SmsSettings | None:
    """Strict: Twilio SMS needs an account, a sender and the public URL of its webhooks."""
    if _choice(env, "HUIFANG_SMS", "off", ("off", "twilio")) == "off":
        return None
    needed = ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "HUIFANG_PUBLIC_BASE_URL"]
    missing = [name for name in needed if not _text(env, name)]
    if not (_text(env, "TWILIO_SMS_FROM") or _text(env, "TWILIO_MESSAGING_SERVICE_SID")):
        missing.append("TWILIO_SMS_FROM or TWILIO_MESSAGING_SERVICE_SID")
    if missing:
        raise ConfigError(f"HUIFANG_SMS=twilio needs {', '.join(missing)}")
    for name, pattern in SMS_PATTERNS.items():
        value = _text(env, name)
        if value and not re.fullmatch(pattern, value):
            raise ConfigError(f"{name}={value!r} is not a valid value (expected {pattern})")
    return SmsSettings(
        account_sid=_text(env, "TWILIO_ACCOUNT_SID"),
        auth_token=_text(env, "TWILIO_AUTH_TOKEN"),
        from_number=_text(env, "TWILIO_SMS_FROM") or None,
        messaging_service_sid=_text(env, "TWILIO_MESSAGING_SERVICE_SID") or None,
        public_base_url=_base_url(env, "HUIFANG_PUBLIC_BASE_URL") or "",
        api_url=_base_url(env, "HUIFANG_TWILIO_API_URL"),
    )


SIP_URI = re.compile(r"sip:[^\s<>\"]+")


def _sip_uri(env: dict[str, str], name: str) -> str | None:
    value = _text(env, name)
    if value and not SIP_URI.fullmatch(value):
        raise ConfigError(f"{name}={value!r} is not a SIP URI (e.g. sip:pbx.example.com:5060)")
    return value or None


class _SipNetwork(TypedDict):
    sip_transport: str
    sip_registrar: str | None
    sip_user: str | None
    sip_password: str | None
    sip_proxy: str | None
    rtp_port_base: int
    rtp_ports_per_seat: int
    recording: bool


def _sip_network(env: dict[str, str]) -> _SipNetwork:
    """How seats reach the PBX or trunk: strict, a registrar needs its credentials."""
    registrar = _sip_uri(env, "HUIFANG_SIP_REGISTRAR")
    user, password = _text(env, "HUIFANG_SIP_USER"), _text(env, "HUIFANG_SIP_PASSWORD")
    if registrar and not (user and password):
        raise ConfigError("HUIFANG_SIP_REGISTRAR needs HUIFANG_SIP_USER and HUIFANG_SIP_PASSWORD")
    if bool(user) != bool(password):
        raise ConfigError("HUIFANG_SIP_USER and HUIFANG_SIP_PASSWORD go together")
    return {
        "sip_transport": _choice(env, "HUIFANG_SIP_TRANSPORT", "udp", ("udp", "tcp")),
        "sip_registrar": registrar,
        "sip_user": user or None,
        "sip_password": password or None,
        "sip_proxy": _sip_uri(env, "HUIFANG_SIP_PROXY"),
        "rtp_port_base": _int(env, "HUIFANG_RTP_PORT_BASE", 40000, 1024),
        "rtp_ports_per_seat": _int(env, "HUIFANG_RTP_PORTS_PER_SEAT", 20, 8, 1000),
        "recording": _choice(env, "HUIFANG_RECORDING", "off", ("off", "on")) == "on",
    }


@dataclass(frozen=True)
class Config:
    instance_dir: Path
    database_url: str
    secret_key: str
    internal_token: str
    redis_url: str | None = None
    web_host: str = "127.0.0.1"
    web_port: int = 5000
    telephony: str = "sip"
    sip_host: str = "127.0.0.1"
    sip_port_base: int = 5200
    sip_dial_uri: str = "sip:{number}@127.0.0.1:5070"
    sip_caller_id: str = "huifang"
    sip_transport: str = "udp"  # or "tcp"
    sip_registrar: str | None = None  # register (digest) with the PBX; None: IP-trusted trunk
    sip_user: str | None = None  # digest credentials, for registering or for challenged calls
    sip_password: str | None = None
    sip_proxy: str | None = None  # outbound proxy for every request
    rtp_port_base: int = 40000  # seat N's RTP ports: base + N * per_seat, per_seat of them
    rtp_ports_per_seat: int = 20
    recording: bool = False  # record answered calls (the customer hears a notice first)
    ring_timeout_s: int = 25
    simulator_port: int = 5070
    timezone: str = "Asia/Shanghai"
    plan_interval_min: int = 5
    scheduler_lease_s: int = 30
    testing: bool = False
    twilio: TwilioSettings | None = None  # set in Twilio mode only
    sms: SmsSettings | None = None  # bulk SMS provider; None: SMS are not sent
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def web_url(self) -> str:
        return f"http://{self.web_host}:{self.web_port}"

    @property
    def dial_template(self) -> str:
        """What a seat worker dials for a customer's number: a SIP URI, or the number itself
        for Twilio."""
        return "{number}" if self.telephony == "twilio" else self.sip_dial_uri

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def with_(self, **changes: object) -> Config:
        return replace(self, **changes)  # type: ignore[arg-type]


def load_config(environ: dict[str, str] | None = None) -> Config:
    """Build the configuration from ``environ`` (default: the process environment)."""
    env = dict(os.environ if environ is None else environ)
    instance = Path(env.get("HUIFANG_INSTANCE") or PROJECT_ROOT / "instance").resolve()
    db_url = env.get("HUIFANG_DATABASE_URL") or f"sqlite:///{instance / 'huifang.db'}"
    if "://" not in db_url:
        raise ConfigError(f"HUIFANG_DATABASE_URL={db_url!r} is not a database URL")
    dial_uri = env.get("HUIFANG_SIP_DIAL_URI") or "sip:{number}@127.0.0.1:5070"
    if "{number}" not in dial_uri:
        raise ConfigError("HUIFANG_SIP_DIAL_URI must contain {number}")
    tz = env.get("HUIFANG_TIMEZONE") or "Asia/Shanghai"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"HUIFANG_TIMEZONE={tz!r} is not a known time zone") from None
    telephony = _choice(env, "HUIFANG_TELEPHONY", "sip", ("sip", "twilio"))
    return Config(
        instance_dir=instance,
        database_url=db_url,
        secret_key=env.get("HUIFANG_SECRET_KEY") or _instance_secret(instance, "secret_key"),
        internal_token=env.get("HUIFANG_INTERNAL_TOKEN")
        or _instance_secret(instance, "internal_token"),
        redis_url=env.get("HUIFANG_REDIS_URL") or None,
        web_host=env.get("HUIFANG_HOST") or "127.0.0.1",
        web_port=_int(env, "HUIFANG_PORT", 5000, 1),
        telephony=telephony,
        sip_host=env.get("HUIFANG_SIP_HOST") or "127.0.0.1",
        sip_port_base=_int(env, "HUIFANG_SIP_PORT_BASE", 5200, 1024),
        sip_dial_uri=dial_uri,
        sip_caller_id=env.get("HUIFANG_SIP_CALLER_ID") or "huifang",
        **_sip_network(env),
        ring_timeout_s=_int(env, "HUIFANG_RING_TIMEOUT", 25, 1, 300),
        simulator_port=_int(env, "HUIFANG_SIMULATOR_PORT", 5070, 1024),
        timezone=tz,
        plan_interval_min=_int(env, "HUIFANG_PLAN_INTERVAL_MIN", 5, 1, 1440),
        scheduler_lease_s=_int(env, "HUIFANG_SCHEDULER_LEASE_S", 30, 3, 3600),
        testing=env.get("HUIFANG_TESTING") == "1",
        twilio=_twilio(env) if telephony == "twilio" else None,
        sms=_sms(env),
    )
