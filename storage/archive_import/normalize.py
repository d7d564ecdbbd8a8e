"""Cell values from a DMS export -> archive values. Each parser takes a non-empty cell and
returns the value, or raises BadValue with a short English reason."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import phonenumbers
from phonenumbers import PhoneNumberType

from storage.codes import RepairType


class BadValue(ValueError):
    """A cell that cannot be read as what its column says."""


def cell_text(raw: object) -> str:
    """The cell as trimmed text: '' for an empty cell, 13800138000.0 -> '13800138000'."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def narrow(text: str) -> str:
    """Full-width digits, letters and signs as their ASCII forms."""
    return unicodedata.normalize("NFKC", text).strip()


_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")


def clean_text(raw: object) -> str:
    """Trimmed, inner runs of spaces as one, none between Chinese characters ('张 伟')."""
    text = re.sub(r"\s+", " ", cell_text(raw).replace("\u3000", " ")).strip()
    return _CJK_GAP.sub("", text)


def text_of(length: int) -> Callable[[object], str]:
    def parse(raw: object) -> str:
        text = clean_text(raw)
        if len(text) > length:
            raise BadValue(f"longer than {length} characters")
        return text

    return parse


_VIN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")


def parse_vin(raw: object) -> str:
    vin = re.sub(r"[\s\-]", "", narrow(cell_text(raw))).upper()
    if not _VIN.fullmatch(vin):
        raise BadValue(f"{vin!r} is not a VIN (17 letters and digits, no I, O or Q)")
    return vin


def parse_plate(raw: object) -> str:
    plate = re.sub(r"[\s.·•\-]", "", narrow(cell_text(raw))).upper()
    if not 2 <= len(plate) <= 16:
        raise BadValue(f"{plate!r} is not a plate number")
    return plate


def _lookup(table: dict[str, str], what: str) -> Callable[[object], str]:
    def parse(raw: object) -> str:
        key = narrow(cell_text(raw)).lower()
        if key not in table:
            raise BadValue(f"{cell_text(raw)!r} is not a known {what}")
        return table[key]

    return parse


GENDERS = {
    **dict.fromkeys(("男", "m", "male", "先生", "1"), "M"),
    **dict.fromkeys(("女", "f", "female", "女士", "小姐", "2"), "F"),
}
CUSTOMER_TYPES = {
    **dict.fromkeys(("个人", "私", "私人", "private", "individual", "personal"), "private"),
    **dict.fromkeys(("公司", "公", "单位", "企业", "company", "corporate", "business"), "company"),
}
parse_gender = _lookup(GENDERS, "gender")
_customer_type = _lookup(CUSTOMER_TYPES, "customer type (个人/公司)")


def parse_is_company(raw: object) -> bool:
    return _customer_type(raw) == "company"


# first match wins: an accident repair paid by the insurer is "insurance", not "body_paint"
REPAIR_WORDS: tuple[tuple[RepairType, tuple[str, ...]], ...] = (
    (RepairType.INSURANCE, ("保险", "理赔", "事故", "insurance", "accident")),
    (RepairType.BODY_PAINT, ("钣", "喷", "漆", "body", "paint")),
    (RepairType.WARRANTY, ("索赔", "保修", "三包", "质保", "warranty", "claim")),
    (RepairType.MAINTENANCE, ("保养", "首保", "定保", "maintenance", "service")),
    (RepairType.REPAIR, ("维修", "修理", "机修", "故障", "repair")),
)


def parse_repair_type(raw: object) -> str:
    text = narrow(cell_text(raw)).lower()
    for code, words in REPAIR_WORDS:
        if any(word in text for word in words):
            return code.value
    raise BadValue(f"{cell_text(raw)!r} is not a known repair type")


def parse_amount(raw: object) -> Decimal:
    text = re.sub(r"[,\s¥元]|rmb|cny", "", narrow(cell_text(raw)).lower())
    try:
        amount = Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise BadValue(f"{cell_text(raw)!r} is not an amount") from None
    if not 0 <= amount < 10**10:
        raise BadValue(f"{cell_text(raw)!r} is out of range")
    return amount


def parse_km(raw: object) -> int:
    text = re.sub(r"[,\s]|km|公里", "", narrow(cell_text(raw)).lower())
    try:
        km = Decimal(text)
    except InvalidOperation:
        raise BadValue(f"{cell_text(raw)!r} is not a distance in km") from None
    if not 0 <= km <= 3_000_000:
        raise BadValue(f"{cell_text(raw)!r} is out of range")
    return int(km)


def parse_model_year(raw: object) -> int:
    found = re.search(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)", narrow(cell_text(raw)))
    if not found:
        raise BadValue(f"{cell_text(raw)!r} is not a model year")
    return int(found.group(1))


@dataclass(frozen=True)
class PhoneNumber:
    e164: str  # E.164 when valid, else the number as written (flagged wrong)
    kind: str  # mobile, landline, other, unknown
    valid: bool


PHONE_KINDS = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "landline",
}


def parse_phones(raw: object) -> list[PhoneNumber]:
    """One cell may hold several numbers: '13800138000 / 0512-68258800'."""
    parts = re.split(r"[,;/、，；|]+", narrow(cell_text(raw)))
    return [parse_phone(part) for part in parts if part.strip()]


def parse_phone(text: str) -> PhoneNumber:
    cleaned = re.sub(r"[\s\-()（）.]", "", narrow(text))
    if re.fullmatch(r"86\d{11}", cleaned):
        cleaned = "+" + cleaned
    try:
        number = phonenumbers.parse(cleaned, "CN")
    except phonenumbers.NumberParseException:
        return PhoneNumber(cleaned[:20], "unknown", False)
    kind = phonenumbers.number_type(number)  # UNKNOWN exactly when the number is not valid
    if kind == PhoneNumberType.UNKNOWN:
        return PhoneNumber(cleaned[:20], "unknown", False)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return PhoneNumber(e164, PHONE_KINDS.get(kind, "other"), True)
