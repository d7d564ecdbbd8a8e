"""A Chinese address -> province / city / county / street, without a gazetteer.

The province is one of the 34 provincial-level divisions, written in full ("广东省",
"广西壮族自治区"), with a wrong or shortened suffix ("广西省", "新疆自治区") or by its short name
("广东"), after an optional "中国". A short name alone counts only when the next level is
recognised too, so that streets named after provinces ("北京路88号", "西藏中路") stay streets.
The city and the county are recognised by their suffixes: 市 / 自治州 / 地区 / 盟, then
区 / 县 / 市 / 旗 / 自治县 / 自治旗. Municipalities and SARs are their own city
("北京市朝阳区" -> 北京市, 北京市, 朝阳区).

Parts are read left to right and reading stops at the first one not recognised: it, and
everything after it, is the street. Nothing is lost: ``Address.written`` keeps how the parts
were written, and ``Address.text`` is the input with its whitespace normalised. A city or
county is not recognised without the levels above it ("苏州市姑苏区人民路1号" is all street):
without a list of cities, a leading "XX市" is too often something else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# (official name, short name) of the 34 provincial-level divisions
PROVINCES: tuple[tuple[str, str], ...] = (
    ("北京市", "北京"),
    ("天津市", "天津"),
    ("上海市", "上海"),
    ("重庆市", "重庆"),
    ("河北省", "河北"),
    ("山西省", "山西"),
    ("辽宁省", "辽宁"),
    ("吉林省", "吉林"),
    ("黑龙江省", "黑龙江"),
    ("江苏省", "江苏"),
    ("浙江省", "浙江"),
    ("安徽省", "安徽"),
    ("福建省", "福建"),
    ("江西省", "江西"),
    ("山东省", "山东"),
    ("河南省", "河南"),
    ("湖北省", "湖北"),
    ("湖南省", "湖南"),
    ("广东省", "广东"),
    ("海南省", "海南"),
    ("四川省", "四川"),
    ("贵州省", "贵州"),
    ("云南省", "云南"),
    ("陕西省", "陕西"),
    ("甘肃省", "甘肃"),
    ("青海省", "青海"),
    ("台湾省", "台湾"),
    ("内蒙古自治区", "内蒙古"),
    ("广西壮族自治区", "广西"),
    ("西藏自治区", "西藏"),
    ("宁夏回族自治区", "宁夏"),
    ("新疆维吾尔自治区", "新疆"),
    ("香港特别行政区", "香港"),
    ("澳门特别行政区", "澳门"),
)

CITY_SUFFIXES = ("自治州", "地区", "盟", "市")
COUNTY_SUFFIXES = ("自治县", "自治旗", "区", "县", "市", "旗")
# how long a city's or county's name (without its suffix) may be; longer with 自治
_NAME_LENGTH, _AUTONOMOUS_NAME_LENGTH = 8, 16
# endings that look like a division but are places inside one
_NOT_DIVISIONS = (
    "小区", "社区", "校区", "厂区", "景区", "街区", "片区", "营区", "园区", "商区", "联盟",
    "超市", "门市",
)  # fmt: skip
# a suffix followed by this is a word: 市场, 旗舰店
_NOT_SUFFIX_BEFORE = {"市": "场", "旗": "舰"}
# towns, villages, roads: after one of these (inside a name) no division follows
_STREET_WORDS = frozenset("镇村路街巷弄")
# what a municipality's address may repeat as its city: "北京市北京市朝阳区", "北京市市辖区朝阳区"
_CITY_FILLERS = ("市辖区",)
_SHORT = dict(PROVINCES)


def _province_spellings() -> dict[str, list[tuple[str, str]]]:
    """Every way a province is written, (form, official name) by the form's first character,
    longest first: the official name, the short name and, for the autonomous regions, the short
    name with 自治区 or 省."""
    found: dict[str, list[tuple[str, str]]] = {}
    for official, short in PROVINCES:
        extra = (short + "自治区", short + "省") if official.endswith("自治区") else ()
        for form in sorted({official, short, *extra}):
            found.setdefault(form[0], []).append((form, official))
    return {first: sorted(forms, key=lambda f: -len(f[0])) for first, forms in found.items()}


_FORMS = _province_spellings()
_SPACES = re.compile(r"\s+")
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")


@dataclass(frozen=True, slots=True)
class Address:
    """The parts of one address; "" where a part is not recognised."""

    province: str = ""  # the official name: "广东省", "北京市", "广西壮族自治区"
    city: str = ""  # as written ("深圳市"); a municipality's or SAR's city is its own name
    county: str = ""  # as written: "南山区", "昆山市", "城口县", "科尔沁右翼前旗"
    street: str = ""  # the rest, as written
    # how the province, city and county were written ("广东", "" for a municipality's city)
    written: tuple[str, str, str] = ("", "", "")

    @property
    def text(self) -> str:
        """The address as it was written: whitespace normalised, none between the parts."""
        return "".join(self.written) + self.street


def normalise_spaces(text: str) -> str:
    """Trimmed, inner runs of whitespace as one space, none between Chinese characters."""
    text = _SPACES.sub(" ", text.replace("\u3000", " ")).strip()
    return _CJK_GAP.sub("", text)


def split_address(text: str | None) -> Address:
    """Split an address into its parts, as far as they can be recognised."""
    text = normalise_spaces(text or "")
    for written, province in _province_forms(text):
        rest = text[len(written) :]
        short = written.removeprefix("中国") == _SHORT[province]  # needs the next level
        if _is_municipal(province):
            city_written = _repeated_city(rest, province)
            rest = rest[len(city_written) :]
            county = _division(rest, COUNTY_SUFFIXES, county=True)
            if county or city_written or not short:
                street = rest[len(county) :].strip()
                return Address(province, province, county, street, (written, city_written, county))
            continue
        city = _division(rest, CITY_SUFFIXES)
        if not city and short:
            continue  # "湖南路8号": a street, not Hunan
        rest = rest[len(city) :]
        county = _division(rest, COUNTY_SUFFIXES, county=True) if city else ""
        street = rest[len(county) :].strip()
        return Address(province, city, county, street, (written, city, county))
    return _without_province(text)


def _without_province(text: str) -> Address:
    """A local address that starts at the city ("苏州市姑苏区人民路1号"): the province stays
    unknown rather than guessed."""
    city = _division(text, CITY_SUFFIXES)
    if not city:
        return Address(street=text)
    rest = text[len(city) :]
    county = _division(rest, COUNTY_SUFFIXES, county=True)
    return Address("", city, county, rest[len(county) :].strip(), ("", city, county))


def _province_forms(text: str) -> list[tuple[str, str]]:
    """(as written, official name) of the province the text starts with, longest first. A
    leading "中国" is written with the province."""
    country = "中国" if text.startswith("中国") else ""
    text = text.removeprefix(country)
    return [
        (country + form, official)
        for form, official in _FORMS.get(text[:1], ())
        if text.startswith(form) and text[len(form) : len(form) + 1] != "场"  # 上海市场路
    ]


def _is_municipal(official: str) -> bool:
    """A municipality or SAR: no city level between it and its districts."""
    return official.endswith(("市", "特别行政区"))


def _repeated_city(rest: str, official: str) -> str:
    for filler in (official, *_CITY_FILLERS):
        if rest.startswith(filler):
            return filler
    return ""


def _division(text: str, suffixes: tuple[str, ...], *, county: bool = False) -> str:
    """The shortest start of ``text`` that is a name and one of ``suffixes``, or ""."""
    shortest = 1 if county else 2  # 城区, 萧县; no city has a one-character name
    for end in range(1, min(len(text), _AUTONOMOUS_NAME_LENGTH + 3) + 1):
        if not "\u4e00" <= text[end - 1] <= "\u9fff":
            return ""  # digits, letters, punctuation: the street has begun
        head = text[:end]
        suffix = next((s for s in suffixes if head.endswith(s)), None)
        following = text[end : end + 1]
        if suffix is None or len(head) - len(suffix) < shortest:
            continue
        if head.endswith(_NOT_DIVISIONS) or following == _NOT_SUFFIX_BEFORE.get(suffix):
            continue
        name = head[: -len(suffix)]
        limit = _AUTONOMOUS_NAME_LENGTH if suffix.startswith("自治") else _NAME_LENGTH
        if len(name) > limit or _STREET_WORDS.intersection(name[1:]):  # 镇江市, 路桥区
            return ""
        if county and suffix == "市" and following == "区":
            return head + "区"  # 沙市区, 新市区
        return head
    return ""
