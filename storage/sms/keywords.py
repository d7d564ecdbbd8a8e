"""What an inbound reply asks for. Opt-out keywords (DOMAIN.md: STOP, 退订, TD, T, R, with the
Chinese conventions 回T退订 and 拒收请回复R; and UNSUBSCRIBE) and START are matched on the
whole reply, case-insensitive, full-width letters as ASCII, surrounding spaces and punctuation
ignored. Event RSVPs are digits (1 coming, 2 not coming): no digit can be read as an opt-out,
and no opt-out keyword contains a digit."""

from __future__ import annotations

import unicodedata

from storage.sms.codes import Intent

OPT_OUT = frozenset({"STOP", "退订", "TD", "T", "R", "UNSUBSCRIBE"})
OPT_IN = frozenset({"START"})
RSVP_YES, RSVP_NO = "1", "2"
RSVP_CODES = {RSVP_YES: Intent.RSVP_YES, RSVP_NO: Intent.RSVP_NO}
# what the event notice asks the customer to reply
RSVP_PROMPT = {"zh_Hans": "回复1报名，回复2不参加", "en": "Reply 1 to join, 2 if you cannot come"}


def _strip(text: str) -> str:
    """NFKC and upper case, without the spaces, punctuation and symbols around the words."""
    text = unicodedata.normalize("NFKC", text).upper()
    start, end = 0, len(text)
    while start < end and _noise(text[start]):
        start += 1
    while end > start and _noise(text[end - 1]):
        end -= 1
    return text[start:end]


def _noise(char: str) -> bool:
    return unicodedata.category(char)[0] in "PZSC"  # punctuation, spaces, symbols, controls


def intent_of(body: str, rsvp_expected: bool = False) -> Intent:
    """The reply's intent; RSVP codes only count when an event notice asked for one."""
    word = _strip(body)
    if word in OPT_OUT:
        return Intent.OPT_OUT
    if word in OPT_IN:
        return Intent.OPT_IN
    if rsvp_expected and word in RSVP_CODES:
        return RSVP_CODES[word]
    return Intent.OTHER


ACKNOWLEDGEMENTS = {
    Intent.OPT_OUT: {
        "zh_Hans": "您已退订{store}的营销短信。回复START可重新订阅。",
        "en": "You will get no more marketing messages from {store}. Reply START to resubscribe.",
    },
    Intent.OPT_IN: {
        "zh_Hans": "您已重新订阅{store}的短信。回复T退订。",
        "en": "You are subscribed to {store}'s messages again. Reply STOP to opt out.",
    },
    Intent.RSVP_YES: {
        "zh_Hans": "已收到您的报名，{store}期待您的光临。",
        "en": "Thank you, {store} looks forward to seeing you.",
    },
    Intent.RSVP_NO: {
        "zh_Hans": "已收到您的回复，感谢告知。",
        "en": "Thank you for letting us know.",
    },
}


def acknowledgement(intent: Intent, store: str, language: str = "zh_Hans") -> str | None:
    texts = ACKNOWLEDGEMENTS.get(intent)
    if texts is None:
        return None
    return f"【{store}】" + texts.get(language, texts["zh_Hans"]).format(store=store)
