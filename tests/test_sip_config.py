"""SIP settings from the environment: read strictly, so that a seat that could never reach
the PBX stops at start with one line saying why, not at the first call."""

from __future__ import annotations

import pytest

from storage.config import ConfigError, load_config

BASE = {"HUIFANG_SECRET_KEY": "k", "HUIFANG_INTERNAL_TOKEN": "t"}


def config(**env: str):
    return load_config(BASE | env)


def test_the_defaults_are_an_ip_trusted_trunk_over_udp_without_recording():
    c = config()
    assert (c.sip_transport, c.sip_registrar, c.sip_proxy) == ("udp", None, None)
    assert (c.rtp_port_base, c.rtp_ports_per_seat) == (40000, 20)
    assert c.ring_timeout_s == 25  # issue 5: ring 25 s before giving up
    assert c.recording is False


def test_a_registered_seat_over_tcp_through_a_proxy_with_recording():
    c = config(
        HUIFANG_SIP_REGISTRAR="sip:pbx.store.local:5060",
        HUIFANG_SIP_USER="8001",
        HUIFANG_SIP_PASSWORD="pw",
        HUIFANG_SIP_PROXY="sip:10.0.0.5",
        HUIFANG_SIP_TRANSPORT="tcp",
        HUIFANG_RTP_PORT_BASE="30000",
        HUIFANG_RTP_PORTS_PER_SEAT="40",
        HUIFANG_RECORDING="on",
    )
    assert (c.sip_registrar, c.sip_user, c.sip_password) == (
        "sip:pbx.store.local:5060",
        "8001",
        "pw",
    )
    assert (c.sip_proxy, c.sip_transport) == ("sip:10.0.0.5", "tcp")
    assert (c.rtp_port_base, c.rtp_ports_per_seat, c.recording) == (30000, 40, True)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HUIFANG_SIP_REGISTRAR": "sip:pbx"}, "needs HUIFANG_SIP_USER and HUIFANG_SIP_PASSWORD"),
        ({"HUIFANG_SIP_USER": "8001"}, "go together"),
        ({"HUIFANG_SIP_REGISTRAR": "pbx.store.local"}, "is not a SIP URI"),
        ({"HUIFANG_SIP_PROXY": "sip:proxy one"}, "is not a SIP URI"),
        ({"HUIFANG_SIP_TRANSPORT": "tls"}, "must be one of udp, tcp"),
        ({"HUIFANG_RECORDING": "yes"}, "must be one of off, on"),
        ({"HUIFANG_RTP_PORTS_PER_SEAT": "4"}, "outside 8..1000"),  # 4 calls need 8 ports
        ({"HUIFANG_RTP_PORT_BASE": "80"}, "outside 1024..65535"),
        ({"HUIFANG_RING_TIMEOUT": "0"}, "outside 1..300"),
    ],
)
def test_a_bad_sip_setting_is_one_clear_error(env, message):
    with pytest.raises(ConfigError, match=message):
        config(**env)


def test_each_seat_gets_its_own_rtp_port_range_after_the_ones_before_it():
    from dialer.sip.account import SipSettings

    c = config(HUIFANG_SIP_PORT_BASE="5200", HUIFANG_RTP_PORT_BASE="40000")
    assert SipSettings.for_seat(c, 5200).rtp_port == 40000
    third = SipSettings.for_seat(c, 5203)
    assert (third.rtp_port, third.rtp_port_range) == (40060, 20)
    crowded = config(HUIFANG_RTP_PORT_BASE="65480")  # room for one range of 20 and a bit
    assert SipSettings.for_seat(crowded, crowded.sip_port_base + 2).rtp_port == 65480
