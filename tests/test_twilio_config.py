"""Twilio mode's settings, read strictly: what is missing or malformed stops the process at
start with one line naming it."""

from __future__ import annotations

import pytest

from storage.config import ConfigError, load_config
from tests.twilio_mock import ACCOUNT_SID, CALLER_ID, PUBLIC_BASE
from tests.twilio_mock import env as twilio_env


def config(tmp_path, **changes: str):
    base = {"HUIFANG_INSTANCE": str(tmp_path), "HUIFANG_SECRET_KEY": "k",
            "HUIFANG_INTERNAL_TOKEN": "t"}  # fmt: skip
    return load_config(base | twilio_env() | changes)


def test_twilio_mode_reads_its_settings_with_their_defaults(tmp_path):
    twilio = config(tmp_path).twilio
    assert (twilio.account_sid, twilio.from_number) == (ACCOUNT_SID, CALLER_ID)
    assert (twilio.public_base_url, twilio.agent_leg, twilio.cps) == (PUBLIC_BASE, "client", 1)
    assert (twilio.record, twilio.api_url) == (False, None)


def test_sip_mode_ignores_the_twilio_settings(tmp_path):
    assert config(tmp_path, HUIFANG_TELEPHONY="sip", TWILIO_ACCOUNT_SID="nonsense").twilio is None


def test_each_missing_setting_is_named_in_one_line(tmp_path):
    with pytest.raises(ConfigError) as missing:
        config(tmp_path, TWILIO_AUTH_TOKEN="", HUIFANG_PUBLIC_BASE_URL="", TWILIO_API_SECRET="")
    message = str(missing.value)
    assert "\n" not in message
    for name in ("TWILIO_AUTH_TOKEN", "HUIFANG_PUBLIC_BASE_URL", "TWILIO_API_SECRET"):
        assert name in message


def test_agents_on_their_own_phones_need_no_browser_credentials(tmp_path):
    phone_leg = config(
        tmp_path,
        HUIFANG_TWILIO_AGENT_LEG="phone",
        TWILIO_API_KEY="",
        TWILIO_API_SECRET="",
        TWILIO_TWIML_APP_SID="",
    )
    assert phone_leg.twilio.agent_leg == "phone" and phone_leg.twilio.api_key is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TWILIO_ACCOUNT_SID", "AC123"),
        ("TWILIO_API_KEY", "AC" + "0" * 32),
        ("TWILIO_TWIML_APP_SID", "APxyz"),
        ("TWILIO_FROM", "051268008000"),
        ("HUIFANG_PUBLIC_BASE_URL", "huifang.example.com"),
        ("HUIFANG_PUBLIC_BASE_URL", "https://huifang.example.com/?x=1"),
        ("HUIFANG_TWILIO_CPS", "0"),
        ("HUIFANG_TWILIO_AGENT_LEG", "sip"),
        ("HUIFANG_TWILIO_RECORD", "yes"),
    ],
)
def test_a_malformed_setting_is_refused_by_name(tmp_path, name, value):
    with pytest.raises(ConfigError, match=name):
        config(tmp_path, **{name: value})


def test_a_trailing_slash_on_the_public_base_url_is_dropped(tmp_path):
    base = config(tmp_path, HUIFANG_PUBLIC_BASE_URL="https://crm.example.com/huifang/")
    assert base.twilio.public_base_url == "https://crm.example.com/huifang"
    assert base.dial_template == "{number}"
