"""The seat's SIP account: who we are to the PBX or trunk, and its registration."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pjsua2 as pj

from storage.config import Config

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SipSettings:
    """How a seat reaches the network. Without a registrar the far end trusts our address
    (an IP-authenticated trunk); with one we register with digest authentication."""

    transport: str = "udp"  # or "tcp"
    registrar: str | None = None  # e.g. sip:pbx.store.local
    user: str | None = None  # digest user name, and our AOR's user part when registering
    password: str | None = None
    proxy: str | None = None  # outbound proxy every request goes through
    rtp_port: int = 0  # first RTP port of the seat's range (0: pjsua's default)
    rtp_port_range: int = 0  # how many ports from rtp_port the seat may use

    @classmethod
    def for_seat(cls, config: Config, sip_port: int) -> SipSettings:
        """Seat N (its SIP port minus the base) gets the RTP ports from
        rtp_port_base + N * rtp_ports_per_seat, rtp_ports_per_seat of them; past the last
        range that fits below 65536 the plan starts again from the base."""
        per_seat = config.rtp_ports_per_seat
        fit = max((65536 - config.rtp_port_base) // per_seat, 1)
        seat = (sip_port - config.sip_port_base) % fit
        return cls(
            transport=config.sip_transport,
            registrar=config.sip_registrar,
            user=config.sip_user,
            password=config.sip_password,
            proxy=config.sip_proxy,
            rtp_port=config.rtp_port_base + seat * per_seat,
            rtp_port_range=per_seat,
        )

    def uri(self, uri: str) -> str:
        """`uri` with the transport parameter pjsua needs to use a TCP transport."""
        if self.transport == "udp" or ";transport=" in uri.lower():
            return uri
        return f"{uri};transport={self.transport}"


class SipAccount(pj.Account):
    """Remembers the last registration result. Callbacks never raise."""

    def __init__(self) -> None:
        super().__init__()
        self.reg_code: int | None = None  # last final response to our REGISTER
        self.reg_reason = ""

    def onRegState(self, prm: pj.OnRegStateParam) -> None:
        try:
            if prm.code >= 200:
                self.reg_code, self.reg_reason = prm.code, prm.reason
            log.info("SIP registration: %s %s (expires %s s)", prm.code, prm.reason, prm.expiration)
        except Exception:
            log.exception("SIP registration callback failed")


def account_config(
    settings: SipSettings, transport_id: int, bind_host: str, caller_id: str
) -> pj.AccountConfig:
    """The account: registered under the user at the registrar's domain, presenting the
    caller ID as display name; without a registrar, the caller ID at our own address."""
    cfg = pj.AccountConfig()
    cfg.sipConfig.transportId = transport_id
    if settings.registrar:
        domain = settings.registrar.split(":", 1)[1].split(";", 1)[0]
        cfg.idUri = f'"{caller_id}" <sip:{settings.user}@{domain}>'
        cfg.regConfig.registrarUri = settings.uri(settings.registrar)
        cfg.regConfig.retryIntervalSec = 60
    else:
        cfg.idUri = f"sip:{caller_id}@{bind_host}"
        cfg.regConfig.registerOnAdd = False
    if settings.user and settings.password:  # answers the registrar's and calls' challenges
        cred = pj.AuthCredInfo("digest", "*", settings.user, 0, settings.password)
        cfg.sipConfig.authCreds.append(cred)
    if settings.proxy:
        proxy = settings.proxy if ";lr" in settings.proxy else f"{settings.proxy};lr"
        cfg.sipConfig.proxies.append(settings.uri(proxy))
    if bind_host not in ("", "0.0.0.0"):  # RTP where SIP is, not on some other interface
        cfg.mediaConfig.transportConfig.boundAddress = bind_host
    cfg.mediaConfig.transportConfig.port = settings.rtp_port
    cfg.mediaConfig.transportConfig.portRange = settings.rtp_port_range
    return cfg
