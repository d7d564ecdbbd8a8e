"""Personal fields in a template: ``{customer}`` (张先生 / 张女士, Mr Zhang / Ms Zhang), ``{name}``,
``{car}``, ``{plate}``, ``{date}`` (what the message is about: the event, the service due, the
insurance expiry), ``{time}``, ``{store}`` and ``{hotline}``. Pure functions."""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date, datetime

from storage.errors import N_, InvalidInput

FIELDS = ("customer", "name", "car", "plate", "date", "time", "store", "hotline")
_COMPOUND = (
    "欧阳司马诸葛上官东方皇甫令狐慕容司徒尉迟长孙宇文夏侯公孙轩辕端木申屠南宫西门独孤万俟闻人"
)
COMPOUND_SURNAMES = frozenset(_COMPOUND[i : i + 2] for i in range(0, len(_COMPOUND), 2))
SAMPLE_DATE = date(2026, 12, 20)


class MissingField(Exception):
    """A recipient lacks a value the template needs (their car, plate...)."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


@dataclass(frozen=True)
class Recipient:
    name: str
    gender: str | None = None  # "M" / "F"
    is_company: bool = False
    car: str | None = None
    plate: str | None = None
    on: date | None = None  # {date}
    at: datetime | None = None  # {time}, local time


@dataclass(frozen=True)
class StoreInfo:
    name: str
    hotline: str | None = None


SAMPLE = Recipient("张伟", "M", False, "K5 凯酷", "苏E3K8Z2", SAMPLE_DATE)


def fields_in(template: str) -> list[str]:
    """The fields ``template`` uses, in order; InvalidInput for an unknown field or a stray
    brace (a literal brace is written twice)."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        raise InvalidInput(
            N_("a brace is not closed: write {{ or }} for a brace itself"), field="body"
        ) from None
    used = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in FIELDS or spec or conversion:
            raise InvalidInput(
                N_("unknown field {%(name)s}; the fields are %(fields)s"),
                field="body",
                name=name,
                fields=", ".join("{" + f + "}" for f in FIELDS),
            )
        used.append(name)
    return used


def surname(name: str) -> str:
    name = name.strip()
    if name.isascii():
        return name.split()[-1] if name.split() else name
    return name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[:1]


def salutation(r: Recipient, language: str = "zh_Hans") -> str:
    """张先生 / 张女士 from the gender; the full name for a company or an unknown gender."""
    if r.is_company or r.gender not in ("M", "F") or not r.name.strip():
        return r.name.strip()
    if language == "en":
        return ("Mr " if r.gender == "M" else "Ms ") + surname(r.name)
    return surname(r.name) + ("先生" if r.gender == "M" else "女士")


def _date(day: date, language: str) -> str:
    return f"{day:%d %b %Y}" if language == "en" else f"{day.month}月{day.day}日"


def values(r: Recipient, store: StoreInfo, language: str = "zh_Hans") -> dict[str, str | None]:
    return {
        "customer": salutation(r, language),
        "name": r.name.strip(),
        "car": r.car,
        "plate": r.plate,
        "date": _date(r.on, language) if r.on else (_date(r.at.date(), language) if r.at else None),
        "time": f"{r.at:%H:%M}" if r.at else None,
        "store": store.name,
        "hotline": store.hotline,
    }


def render(template: str, r: Recipient, store: StoreInfo, language: str = "zh_Hans") -> str:
    """The body for one recipient; MissingField when they lack a value it uses."""
    known = values(r, store, language)
    for field in fields_in(template):
        if not known[field]:
            raise MissingField(field)
    return template.format(**{k: v or "" for k, v in known.items()})
