"""Message texts without a database: personal fields, parts with the store's signature and the
opt-out line, and what a reply means."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from storage.errors import InvalidInput
from storage.sms import keywords, render, text
from storage.sms.codes import Intent, Kind, purpose_of

ZHANG = render.Recipient("张伟", "M", False, "K5 凯酷", "苏E3K8Z2", date(2026, 12, 20))
LI = render.Recipient("李娜", "F")
OUYANG = render.Recipient("欧阳修", "M")
FLEET = render.Recipient("苏州顺达物流有限公司", None, True)
STORE = render.StoreInfo("姑苏汽车", "0512-6000-8000")


# ---------- personal fields ----------


def test_the_customer_is_addressed_by_surname_and_title_from_the_gender():
    assert render.salutation(ZHANG) == "张先生"
    assert render.salutation(LI) == "李女士"
    assert render.salutation(OUYANG) == "欧阳先生"  # a compound surname stays whole
    assert render.salutation(ZHANG, "en") == "Mr 张"


def test_a_company_or_a_customer_of_unknown_gender_is_addressed_by_the_full_name():
    assert render.salutation(FLEET) == "苏州顺达物流有限公司"
    assert render.salutation(render.Recipient("王芳")) == "王芳"


def test_every_field_is_filled_in_chinese_and_in_english():
    template = "{customer}您好，您的{car}（{plate}）保养日期{date}，{store}热线{hotline}。"
    assert render.render(template, ZHANG, STORE) == (
        "张先生您好，您的K5 凯酷（苏E3K8Z2）保养日期12月20日，姑苏汽车热线0512-6000-8000。"
    )
    assert render.render("Dear {customer}, see you on {date}.", ZHANG, STORE, "en") == (
        "Dear Mr 张, see you on 20 Dec 2026."
    )


def test_an_event_time_fills_date_and_time():
    r = render.Recipient("张伟", "M", at=datetime(2026, 12, 5, 14, 30))
    assert render.render("{date} {time}", r, STORE) == "12月5日 14:30"


def test_a_field_the_customer_lacks_is_reported_not_left_blank():
    with pytest.raises(render.MissingField) as missing:
        render.render("您的爱车{plate}", LI, STORE)
    assert missing.value.field == "plate"


@pytest.mark.parametrize("template", ["{nickname}您好", "{customer!r}", "{customer:>5}", "您好{"])
def test_an_unknown_field_or_a_stray_brace_is_refused_when_the_template_is_saved(template):
    with pytest.raises(InvalidInput):
        render.fields_in(template)


def test_a_doubled_brace_is_a_brace():
    assert render.render("{{VIP}} {customer}", ZHANG, STORE) == "{VIP} 张先生"


# ---------- signature, opt-out line and parts ----------


def test_marketing_carries_the_signature_first_and_the_opt_out_line_last():
    assert text.compose("冬至快乐！", "姑苏汽车", "marketing") == "【姑苏汽车】冬至快乐！回T退订"
    assert text.compose("冬至快乐", "姑苏汽车", "marketing") == "【姑苏汽车】冬至快乐，回T退订"
    assert text.compose("Happy holidays!", "姑苏汽车", "marketing", "en").endswith(
        "Happy holidays! Reply STOP to opt out"
    )


def test_a_service_message_has_the_signature_and_no_opt_out_line():
    assert (
        text.compose("您的爱车该保养了。", "姑苏汽车", "service")
        == "【姑苏汽车】您的爱车该保养了。"
    )


@pytest.mark.parametrize(
    ("kind", "purpose"),
    [("holiday", "marketing"), ("birthday", "marketing"), ("event", "marketing"),
     ("promotion", "marketing"), ("maintenance", "service"), ("insurance", "service"),
     ("recall", "service"), ("unreachable", "service")],
)  # fmt: skip
def test_each_kind_has_the_purpose_domain_md_gives_it(kind, purpose):
    assert purpose_of(Kind(kind)) == purpose


@pytest.mark.parametrize(
    ("length", "parts"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)]
)
def test_chinese_is_70_characters_in_one_part_and_67_per_part_when_split(length, parts):
    assert text.count("中" * length).parts == parts
    assert text.count("中" * length).encoding == "UCS-2"


@pytest.mark.parametrize(("length", "parts"), [(160, 1), (161, 2), (306, 2), (307, 3)])
def test_plain_latin_text_is_gsm7_160_in_one_part_and_153_per_part(length, parts):
    assert (text.count("a" * length).encoding, text.count("a" * length).parts) == ("GSM-7", parts)


def test_gsm7_extension_characters_take_two_and_an_emoji_takes_two_ucs2_units():
    assert text.count("{" * 80).units == 160 and text.count("{" * 80).parts == 1
    assert text.count("{" * 81).parts == 2
    assert text.count("😀" * 35).units == 70 and text.count("😀" * 35).parts == 1


def test_the_signature_counts_and_turns_english_into_ucs2():
    body = "a" * 60
    plain, signed = text.count(body), text.count(text.compose(body, "姑苏汽车", "service"))
    assert plain.encoding == "GSM-7" and signed.encoding == "UCS-2"
    assert signed.units == 60 + len("【姑苏汽车】") and signed.parts == 1
    assert text.count(text.compose("中" * 64, "姑苏汽车", "service")).parts == 1  # 70 exactly
    assert (
        text.count(text.compose("中" * 65, "姑苏汽车", "service")).parts == 2
    )  # the signature tips it


# ---------- replies ----------


@pytest.mark.parametrize(
    "reply",
    ["STOP", "stop", " Stop. ", "退订", "退订！", "TD", "td", "T", "t", "R", "r", "UNSUBSCRIBE",
     "unsubscribe", "ＴＤ", "「退订」", "STOP!!!", "\tR\n"],
)  # fmt: skip
def test_every_opt_out_keyword_opts_out_whatever_its_case_spaces_and_punctuation(reply):
    assert keywords.intent_of(reply) is Intent.OPT_OUT
    assert keywords.intent_of(reply, rsvp_expected=True) is Intent.OPT_OUT


@pytest.mark.parametrize("reply", ["START", "start", " Start! "])
def test_start_subscribes_again(reply):
    assert keywords.intent_of(reply) is Intent.OPT_IN


@pytest.mark.parametrize(
    "reply", ["STOPP", "TT", "好的谢谢", "退订了吗？我没说", "RT", "", "1", "T1", "R 2"]
)
def test_other_text_is_not_an_opt_out(reply):
    assert keywords.intent_of(reply) is Intent.OTHER


def test_rsvp_codes_count_only_after_an_event_notice_and_cannot_be_taken_for_opt_outs():
    assert keywords.intent_of("1", rsvp_expected=True) is Intent.RSVP_YES
    assert keywords.intent_of(" ２。", rsvp_expected=True) is Intent.RSVP_NO
    assert keywords.intent_of("1") is Intent.OTHER
    for code in keywords.RSVP_CODES:
        assert all(code not in word for word in keywords.OPT_OUT | keywords.OPT_IN)
        assert keywords.intent_of(code, rsvp_expected=True) is not Intent.OPT_OUT


def test_an_opt_out_is_acknowledged_with_the_way_back():
    ack = keywords.acknowledgement(Intent.OPT_OUT, "姑苏汽车")
    assert ack.startswith("【姑苏汽车】") and "START" in ack
    assert keywords.acknowledgement(Intent.OTHER, "姑苏汽车") is None
