"""Addresses split into province / city / county / street: the splitter alone, then on import
(a rerun changes nothing, explicit columns and console corrections win)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.archive.address import PROVINCES, normalise_spaces, split_address
from storage.archive_import import record_edit
from storage.db import session_scope
from storage.models import Customer
from tests.import_helpers import (
    EARLY,
    LATER,
    LATEST,
    counts,
    problems,
    run_import,
    suzhou,
    write_csv,
)

CASES = [
    # written -> province, city, county, street
    ("广东省深圳市南山区科技园南路18号", "广东省", "深圳市", "南山区", "科技园南路18号"),
    ("江苏省苏州市姑苏区人民路1号", "江苏省", "苏州市", "姑苏区", "人民路1号"),
    ("浙江省杭州市西湖区文三路478号华星时代广场A座", "浙江省", "杭州市", "西湖区",
     "文三路478号华星时代广场A座"),
    ("四川省成都市高新区天府大道北段1700号", "四川省", "成都市", "高新区", "天府大道北段1700号"),
    # municipalities: their own city, with or without 市
    ("北京市朝阳区建国路88号", "北京市", "北京市", "朝阳区", "建国路88号"),
    ("上海浦东新区张江路100弄5号", "上海市", "上海市", "浦东新区", "张江路100弄5号"),
    ("天津市滨海新区第二大街62号", "天津市", "天津市", "滨海新区", "第二大街62号"),
    ("重庆市城口县葛城街道北大街", "重庆市", "重庆市", "城口县", "葛城街道北大街"),
    ("北京市市辖区东城区东长安街1号", "北京市", "北京市", "东城区", "东长安街1号"),
    ("北京北京市海淀区中关村大街27号", "北京市", "北京市", "海淀区", "中关村大街27号"),
    # autonomous regions, also with a short or wrong suffix
    ("广西壮族自治区南宁市青秀区民族大道136号", "广西壮族自治区", "南宁市", "青秀区",
     "民族大道136号"),
    ("广西省南宁市西乡塘区大学东路100号", "广西壮族自治区", "南宁市", "西乡塘区",
     "大学东路100号"),
    ("内蒙古自治区呼和浩特市赛罕区大学西街235号", "内蒙古自治区", "呼和浩特市", "赛罕区",
     "大学西街235号"),
    ("新疆维吾尔自治区乌鲁木齐市新市区北京南路40号", "新疆维吾尔自治区", "乌鲁木齐市",
     "新市区", "北京南路40号"),
    ("宁夏银川市兴庆区解放西街2号", "宁夏回族自治区", "银川市", "兴庆区", "解放西街2号"),
    # autonomous prefectures, 地区, 盟; 县, 旗, county-level cities
    ("吉林省延边朝鲜族自治州延吉市光明街1号", "吉林省", "延边朝鲜族自治州", "延吉市",
     "光明街1号"),
    ("贵州省黔西南布依族苗族自治州兴义市瑞金南路", "贵州省", "黔西南布依族苗族自治州",
     "兴义市", "瑞金南路"),
    ("西藏阿里地区噶尔县狮泉河镇", "西藏自治区", "阿里地区", "噶尔县", "狮泉河镇"),
    ("内蒙古兴安盟科尔沁右翼前旗科尔沁镇", "内蒙古自治区", "兴安盟", "科尔沁右翼前旗",
     "科尔沁镇"),
    ("江苏省苏州市昆山市前进中路168号", "江苏省", "苏州市", "昆山市", "前进中路168号"),
    ("安徽省宿州市萧县龙城镇", "安徽省", "宿州市", "萧县", "龙城镇"),
    ("湖北省荆州市沙市区北京中路", "湖北省", "荆州市", "沙市区", "北京中路"),
    ("山东省济南市市中区经四路", "山东省", "济南市", "市中区", "经四路"),
    ("黑龙江省哈尔滨市道里区中央大街", "黑龙江省", "哈尔滨市", "道里区", "中央大街"),
    ("湖南省长沙市宁乡市玉潭街道", "湖南省", "长沙市", "宁乡市", "玉潭街道"),
    # SARs, a province without 省, "中国" in front
    ("香港特别行政区油尖旺区弥敦道100号", "香港特别行政区", "香港特别行政区", "油尖旺区",
     "弥敦道100号"),
    ("澳门特别行政区花地玛堂区", "澳门特别行政区", "澳门特别行政区", "花地玛堂区", ""),
    ("广东深圳市南山区科技园南路18号", "广东省", "深圳市", "南山区", "科技园南路18号"),
    ("中国广东省广州市天河区天河路385号", "广东省", "广州市", "天河区", "天河路385号"),
    # a city without districts; places that look like districts but are not
    ("广东省东莞市长安镇乌沙社区", "广东省", "东莞市", "", "长安镇乌沙社区"),
    ("广东省深圳市华强北电子市场3楼", "广东省", "深圳市", "", "华强北电子市场3楼"),
    ("江苏省苏州市碧海小区3栋", "江苏省", "苏州市", "", "碧海小区3栋"),
    # a part not recognised: it and the rest are the street
    ("广东省深圳南山区科技园", "广东省", "", "", "深圳南山区科技园"),
    ("河北省雄安新区容城县", "河北省", "", "", "雄安新区容城县"),
    ("苏州工业园区星湖街8号", "", "", "", "苏州工业园区星湖街8号"),
    # a local address starting at the city: the province stays unknown, not guessed
    ("苏州市姑苏区人民路1号", "", "苏州市", "姑苏区", "人民路1号"),
    ("昆山市前进中路88号", "", "昆山市", "", "前进中路88号"),
    # streets named after provinces are streets
    ("北京路88号", "", "", "", "北京路88号"),
    ("湖南路8号", "", "", "", "湖南路8号"),
    ("西藏中路100号", "", "", "", "西藏中路100号"),
    ("上海市场路5号", "", "", "", "上海市场路5号"),
    # garbage
    ("不详", "", "", "", "不详"),
    ("", "", "", "", ""),
    ("深圳", "", "", "", "深圳"),
    ("北京", "", "", "", "北京"),
    ("无 / 待补充", "", "", "", "无 / 待补充"),
    ("广东省", "广东省", "", "", ""),
]  # fmt: skip


@pytest.mark.parametrize("written, province, city, county, street", CASES)
def test_an_address_splits_into_what_can_be_recognised(written, province, city, county, street):
    address = split_address(written)
    assert (address.province, address.city, address.county, address.street) == (
        province,
        city,
        county,
        street,
    )
    assert address.text == written  # nothing lost


def test_spaces_are_normalised_and_nothing_but_spaces_is_lost():
    written = "  广东省 深圳市\u3000南山区  科技园 南路  18 号 "
    address = split_address(written)
    assert (address.province, address.city, address.county, address.street) == (
        "广东省",
        "深圳市",
        "南山区",
        "科技园南路 18 号",
    )
    assert address.text == normalise_spaces(written) == "广东省深圳市南山区科技园南路 18 号"
    spaced = split_address("广东省深圳市南山区 A座 1201")
    assert (spaced.county, spaced.street, spaced.text) == (
        "南山区",
        "A座 1201",
        "广东省深圳市南山区A座 1201",
    )


def test_the_short_name_is_written_as_found_and_stored_as_the_official_name():
    address = split_address("广西南宁市青秀区")
    assert address.province == "广西壮族自治区" and address.written == ("广西", "南宁市", "青秀区")
    assert split_address(None).street == ""


def test_every_provincial_level_division_is_known_by_both_names():
    assert len(PROVINCES) == 34 and len({short for _, short in PROVINCES}) == 34
    for official, short in PROVINCES:
        municipal = official.endswith(("市", "特别行政区"))
        tail = "朝阳区建国路1号" if municipal else "某某市某某区建国路1号"
        for written in (official, short):
            address = split_address(written + tail)
            assert address.province == official, written
            assert address.street == "建国路1号" and address.text == written + tail


# ------------------------------------------------------------------------ on import

HEADER = ["客户姓名", "手机号码", "地址"]
ZHOU = ["周杰", "13900139000", "广东省深圳市南山区科技园南路18号"]
WU = ["吴敏", "13700137000", "北京市朝阳区建国路88号"]
ZHENG = ["郑爽", "13600136000", "不详"]


@pytest.fixture
def archive(sessions):
    suzhou(sessions)
    return sessions


def address_of(sessions, name: str) -> tuple:
    with session_scope(sessions) as s:
        c = s.scalars(select(Customer).where(Customer.name == name)).one()
        return (c.province, c.city, c.county, c.street)


def test_an_imported_address_is_split_and_a_rerun_changes_nothing(archive, tmp_path):
    path = write_csv(tmp_path / "客户.csv", [ZHOU, WU, ZHENG], header=HEADER)
    first = run_import(archive, path)
    assert counts(first) == (3, 0, 0, 0) and problems(first) == []
    assert address_of(archive, "周杰") == ("广东省", "深圳市", "南山区", "科技园南路18号")
    assert address_of(archive, "吴敏") == ("北京市", "北京市", "朝阳区", "建国路88号")
    assert address_of(archive, "郑爽") == (None, None, None, "不详")
    assert counts(run_import(archive, path)) == (0, 0, 3, 0)


def test_explicit_province_city_or_county_columns_win_over_the_split(archive, tmp_path):
    header = ["客户姓名", "手机号码", "省份", "城市", "区县", "地址"]
    rows = [
        ["周杰", "13900139000", "广东", "深圳", "南山", "广东省深圳市南山区科技园南路18号"],
        ["吴敏", "13700137000", "", "北京", "", "北京市朝阳区建国路88号"],
    ]
    path = write_csv(tmp_path / "客户.csv", rows, header=header)
    assert counts(run_import(archive, path)) == (2, 0, 0, 0)
    assert address_of(archive, "周杰") == (
        "广东",
        "深圳",
        "南山",
        "广东省深圳市南山区科技园南路18号",
    )
    assert address_of(archive, "吴敏") == (None, "北京", None, "北京市朝阳区建国路88号")
    assert counts(run_import(archive, path)) == (0, 0, 2, 0)


def test_a_console_correction_of_a_split_part_survives_an_older_export(archive, tmp_path):
    path = write_csv(tmp_path / "客户.csv", [ZHOU], header=HEADER)
    run_import(archive, path, as_of=EARLY)
    with session_scope(archive) as s:
        zhou = s.scalars(select(Customer)).one()
        zhou.county = "福田区"
        record_edit(s, "customer", zhou.id, "county", source="console", as_of=LATER)
    assert counts(run_import(archive, path, as_of=EARLY)) == (0, 0, 1, 0)
    assert address_of(archive, "周杰") == ("广东省", "深圳市", "福田区", "科技园南路18号")
    assert counts(run_import(archive, path, as_of=LATEST)) == (0, 1, 0, 0)
    assert address_of(archive, "周杰") == ("广东省", "深圳市", "南山区", "科技园南路18号")


def test_a_newer_export_moves_the_split_parts_together(archive, tmp_path):
    run_import(archive, write_csv(tmp_path / "a.csv", [ZHOU], header=HEADER), as_of=EARLY)
    moved = ["周杰", "13900139000", "广东省广州市天河区天河路385号"]
    report = run_import(archive, write_csv(tmp_path / "b.csv", [moved], header=HEADER), as_of=LATER)
    assert counts(report) == (0, 1, 0, 0)
    assert address_of(archive, "周杰") == ("广东省", "广州市", "天河区", "天河路385号")


def test_a_second_row_with_another_address_is_one_warning_naming_the_address_column(
    archive, tmp_path
):
    other = ["周杰", "13900139000", "广东省深圳市福田区深南大道1号"]
    report = run_import(archive, write_csv(tmp_path / "a.csv", [ZHOU, other], header=HEADER))
    assert problems(report) == [
        "line 3: [warning] 地址: differs from line 2 for the same customer; line 2's kept"
    ]
    assert address_of(archive, "周杰") == ("广东省", "深圳市", "南山区", "科技园南路18号")
