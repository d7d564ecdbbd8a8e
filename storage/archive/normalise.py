"""How people type archive values, and the one form we store or compare them in.

Phones become E.164 through ``phonenumbers`` (full-width digits, spaces, dashes, +86, 0086 and
landlines with their area code all read the same); plates lose case, spaces and dots; VINs
are upper case. Pure functions: the console's forms and the search both call them.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import time

import phonenumbers

REGION = "CN"
# Characters a plate may carry between its parts ("苏E·3K8Z2", "苏E 3K8Z2", "苏E.3K8Z2").
# The same list is stripped in SQL by the vehicle's computed ``plate_key`` column.
PLATE_NOISE = (" ", ".", "·", "-")
_PLATE_NOISE_EXTRA = re.compile(r"[\s.·•・\-_]")
_PHONE_PUNCTUATION = re.compile(r"[\s\-().·/]")
_VIN = re.compile(r"^[A-Z0-9]{6,17}$")
_WINDOW = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
VIN_LENGTH = 17
MIN_VIN_TAIL = 6
MIN_PHONE_DIGITS = 4


def clean(raw: str | None) -> str:
    """NFKC (full-width letters, digits and punctuation become ASCII) and trimmed."""
    return unicodedata.normalize("NFKC", raw or "").strip()


def to_e164(raw: str | None) -> str | None:
    """A complete, valid number in E.164 (``+8613800138000``), or None."""
    text = clean(raw)
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_digits(raw: str | None) -> str | None:
    """The digits of something that looks like (part of) a phone number, else None.

    ``"尾号 8000"`` is not a phone query, ``"138-0013"`` and ``"+86 138"`` are.
    """
    text = _PHONE_PUNCTUATION.sub("", clean(raw))
    text = text.removeprefix("+")
    return text if text.isdigit() and text.isascii() else None


def plate_key(raw: str | None) -> str:
    """A plate as compared: upper case, without spaces, dots or dashes."""
    return _PLATE_NOISE_EXTRA.sub("", clean(raw)).upper()


def vin_query(raw: str | None) -> str | None:
    """A full VIN or its last 6+ characters, upper case; None when it cannot be one."""
    text = re.sub(r"[\s\-]", "", clean(raw)).upper()
    return text if _VIN.match(text) else None


def readable_phone(e164: str) -> str:
    """A number as people dial it locally (``138 0013 8000``, ``0512 6825 8800``)."""
    try:
        number = phonenumbers.parse(e164, REGION)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code != phonenumbers.country_code_for_region(REGION):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def parse_call_windows(raw: str | None) -> list[tuple[time, time]]:
    """``"09:00-11:30;19:00-20:30"`` -> ordered, non-overlapping windows.

    Raises ValueError when a window is malformed, empty or overlaps another.
    """
    text = clean(raw).replace("，", ";").replace(",", ";")
    windows = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        match = _WINDOW.match(part.replace(" ", ""))
        if not match:
            raise ValueError(part)
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError(part)
        start, end = time(h1, m1), time(h2, m2)
        if start >= end:
            raise ValueError(part)
        windows.append((start, end))
    windows.sort()
    for (_, end), (start, _) in zip(windows, windows[1:], strict=False):
        if start < end:
            raise ValueError("overlap")
    return windows


def format_call_windows(windows: list[tuple[time, time]]) -> str | None:
    return ";".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in windows) or None


def parse_blocked_days(raw: str | list | None) -> list[int]:
    """ISO weekdays (1 Monday .. 7 Sunday) from ``"6,7"`` or a list; ValueError otherwise."""
    items = raw if isinstance(raw, list) else clean(raw).replace("，", ",").split(",")
    days = set()
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        if not text.isdigit() or not 1 <= int(text) <= 7:
            raise ValueError(text)
        days.add(int(text))
    return sorted(days)


def format_blocked_days(days: list[int]) -> str | None:
    return ",".join(str(d) for d in days) or None
