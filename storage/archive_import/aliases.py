"""The documented header aliases (README.md, "Importing the DMS archive").

Headers are matched after trimming, ignoring case, spaces, underscores, hyphens, dots, and any
part in parentheses (full-width or not): "结算金额（元）", "Model_Year" and "model year" all match.
"""

from __future__ import annotations

# field -> the headers that name it, "|"-separated. "type" alone means the customer type,
# except in a repair order file where it means the repair type.
_TABLE: dict[str, str] = {
    # customers
    "name": "客户姓名|姓名|客户名称|客户名|车主|车主姓名|name|customer name|customer|owner",
    "gender": "性别|gender|sex",
    "phone": "手机号码|手机|手机号|联系电话|电话|电话号码|移动电话|客户电话|车主电话"
    "|phone|mobile|mobile phone|telephone|tel|phone number",
    "phone2": "备用电话|其他电话|其它电话|固定电话|座机|家庭电话|办公电话"
    "|phone2|other phone|landline|alternate phone",
    "customer_type": "客户性质|客户类型|客户类别|customer type",
    "address": "地址|联系地址|详细地址|家庭住址|家庭地址|通讯地址|address|street",
    "province": "省|省份|province",
    "city": "市|城市|地市|city",
    "county": "区县|区/县|县区|区|县|county|district",
    "birthday": "生日|出生日期|birthday|date of birth|birth date|dob",
    "source": "客户来源|来源|source|customer source",
    "notes": "备注|notes|note|remarks|remark",
    # vehicles and deliveries
    "vin": "车架号|车架号码|车辆识别代号|底盘号|vin|vin码|vin number|chassis number",
    "plate": "车牌号|车牌|车牌号码|plate|plate number|license plate|licence plate",
    "model": "车型|车型名称|车系|model|vehicle model",
    "model_year": "年款|年型|model year|year",
    "delivery_date": "交车日期|购车日期|销售日期|delivery date|delivered on|purchase date"
    "|sale date",
    "delivery_time": "交车时间|delivery time",
    "consultant": "销售顾问|销售人员|sales consultant|salesperson|consultant",
    "selling_dealer": "销售门店|销售店|经销商|selling dealer|dealer",
    "insurance_expiry": "保险到期|保险到期日|保险到期日期|商业险到期日|insurance expiry"
    "|insurance due",
    # repair orders
    "ro_number": "工单号|维修工单号|工单编号|委托书号|ro number|ro no|ro|repair order"
    "|repair order number",
    "opened": "进厂日期|进厂时间|开单日期|开单时间|接车日期|opened|open date|opened at|date in",
    "closed": "结算日期|出厂日期|结算时间|出厂时间|closed|close date|closed at|date out",
    "ro_type": "维修类型|工单类型|维修性质|业务类型|repair type|ro type|service type",
    "advisor": "服务顾问|接待顾问|service advisor|advisor",
    "odometer": "进厂里程|行驶里程|里程|公里数|odometer|mileage|km",
    "amount": "结算金额|金额|维修金额|工单金额|总金额|amount|total|total amount",
    "summary": "维修内容|维修项目|故障描述|summary|description|work done",
}
ALIASES: dict[str, tuple[str, ...]] = {
    name: tuple(alias.strip() for alias in aliases.split("|")) for name, aliases in _TABLE.items()
}

# a header naming one field in repair order files and another elsewhere
AMBIGUOUS = {"type": ("ro_type", "customer_type")}

# Known headers deliberately not read: row numbers, and the reason column of a rejects file
# (so that a corrected rejects file imports without warnings).
IGNORED = ("序号", "行号", "no", "#", "错误原因 / reason", "错误原因", "reason")

# How problems name a field when the file has no column for it.
LABELS = {
    "name": "name",
    "vin": "VIN",
    "ro_number": "RO number",
    "opened": "opened",
    "closed": "closed",
    "delivery_date": "delivery date",
}
