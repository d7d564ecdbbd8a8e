"""What a message costs: its encoding and its number of parts, signature 【店名】 and the opt-out
line included, as the customer's phone receives it.

GSM-7 (the GSM 03.38 basic alphabet; its extension characters take two septets): 160 in one
part, 153 per part when split. Anything else is UCS-2, counted in UTF-16 code units (an emoji
takes two): 70 in one part, 67 per part when split. DOMAIN.md: Chinese text is 70/67.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from storage.consent import Purpose

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "^{}\\[~]|€\f"
_GSM = frozenset(GSM_BASIC)
_GSM_EXT = frozenset(GSM_EXTENSION)
LIMITS = {"GSM-7": (160, 153), "UCS-2": (70, 67)}
SENTENCE_ENDS = frozenset("。！？!?.，,；;～~")
OPT_OUT_LINE = {"zh_Hans": "回T退订", "en": "Reply STOP to opt out"}


@dataclass(frozen=True)
class Count:
    encoding: str  # GSM-7 or UCS-2
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    parts: int
    per_part: int  # the limit of one part at this length
    left: int  # room left in the last part

    def as_dict(self) -> dict[str, object]:
        return {
            "encoding": self.encoding,
            "units": self.units,
            "parts": self.parts,
            "per_part": self.per_part,
            "left": self.left,
        }


def is_gsm7(text: str) -> bool:
    return all(c in _GSM or c in _GSM_EXT for c in text)


def count(text: str) -> Count:
    """Encoding and parts of ``text`` exactly as it is sent."""
    if is_gsm7(text):
        encoding, units = "GSM-7", sum(2 if c in _GSM_EXT else 1 for c in text)
    else:
        encoding, units = "UCS-2", len(text.encode("utf-16-le")) // 2
    single, split = LIMITS[encoding]
    if units <= single:
        return Count(encoding, units, 1, single, single - units)
    parts = math.ceil(units / split)
    return Count(encoding, units, parts, split, parts * split - units)


def signature(store_name: str) -> str:
    return f"【{store_name.strip()}】"


def compose(body: str, store_name: str, purpose: str, language: str = "zh_Hans") -> str:
    """The whole message: the store's signature, the rendered body and, on marketing, the
    opt-out line (Chinese rules want a way to refuse in every marketing message)."""
    text = signature(store_name) + body.strip()
    if purpose == Purpose.MARKETING:
        line = OPT_OUT_LINE.get(language, OPT_OUT_LINE["zh_Hans"])
        if language == "en":
            text += " " + line
        else:
            text += ("" if text[-1] in SENTENCE_ENDS else "，") + line
    return text
