"""Demo data: one invented 4S store, a supervisor and three agents, and a customer archive
(customers, phones, vehicles, deliveries, repair orders) spread over the 18 months before ``now``.

About 35 repair orders close in the 3 days before ``now``, so the demo has repair follow-up
calls to make right away. Every name, number and text is invented; a seed always gives the same
archive. ``load_demo`` flushes but never commits: the caller owns the transaction.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from storage.codes import RepairType, Role
from storage.models import (
    Customer,
    Delivery,
    Phone,
    RepairOrder,
    Store,
    StoreSetting,
    User,
    UserRole,
    UserStore,
    Vehicle,
)

# --- logins -----------------------------------------------------------------------------------

DEMO_PASSWORD = "huifang123"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    roles: tuple[str, ...]


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("supervisor", "陈静怡", (Role.CENTRE_HEAD, Role.GENERAL_MANAGER)),
    DemoLogin("agent1", "李晓燕", (Role.AGENT,)),
    DemoLogin("agent2", "王佳琪", (Role.AGENT,)),
    DemoLogin("agent3", "张敏", (Role.AGENT,)),
    # complaint cases from the calls reach the service manager's notices (/notices/)
    DemoLogin("manager", "孙建华", (Role.SERVICE_MANAGER,)),
)

# --- the store and its region -----------------------------------------------------------------

STORE_CODE = "DEMO"
STORE_NAME = "苏州瑞禾汽车4S店"
STORE_TIMEZONE = "Asia/Shanghai"
STORE_HOTLINE = "+8651268258800"
PROVINCE, CITY, AREA_CODE = "江苏省", "苏州市", "512"

# (county, weight, streets)
COUNTIES: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("姑苏区", 14, ("人民路", "干将路", "十全街", "桐泾路")),
    ("虎丘区", 10, ("长江路", "滨河路", "狮山路", "金山路")),
    ("吴中区", 14, ("东吴北路", "宝带西路", "越溪路", "木渎中山路")),
    ("相城区", 9, ("阳澄湖西路", "澄阳路", "华元路", "相城大道")),
    ("吴江区", 11, ("中山南路", "松陵大道", "仲英大道", "流虹路")),
    ("工业园区", 12, ("星湖街", "现代大道", "苏州大道东", "金鸡湖大道")),
    ("昆山市", 12, ("前进路", "柏庐路", "马鞍山路", "震川路")),
    ("常熟市", 8, ("海虞北路", "黄河路", "青墩塘路", "虞山北路")),
    ("张家港市", 6, ("暨阳路", "人民中路", "沙洲路", "长安南路")),
    ("太仓市", 4, ("上海东路", "县府街", "郑和路", "太平北路")),
)
COMMUNITIES = ("金桂花园", "翠湖苑", "阳光新村", "枫林雅居", "锦绣华庭", "滨湖名邸", "东城丽景")

# --- people -----------------------------------------------------------------------------------

# (family names, weight of each): roughly their frequency, with a few common in the region.
FAMILY_NAME_TIERS: tuple[tuple[str, float], ...] = (
    ("王李张", 7.0),
    ("刘陈", 5.0),
    ("杨黄赵吴周", 2.2),
    ("徐孙马朱胡郭何高林罗沈顾陆", 1.2),
    ("郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡钱姚钟卢汪范金陶", 0.6),
)
FAMILY_NAMES = "".join(names for names, _ in FAMILY_NAME_TIERS)
FAMILY_WEIGHTS = [w for names, w in FAMILY_NAME_TIERS for _ in names]
GIVEN_CHARS = {
    "M": "伟强磊军勇杰涛斌浩鹏飞俊峰宇晨辉建明华志刚博超鑫凯亮平林东海",
    "F": "芳娟敏静丽艳娜秀玲霞燕红慧婷雪琳萍洁颖倩欣怡梅莉",
    "*": "文子思嘉晓一雨安家佳宁心永春",
}
COMPANY_PLACES = ("苏州", "昆山", "吴江", "常熟", "张家港", "太仓")
COMPANY_WORDS = ("恒达", "润丰", "鼎信", "华拓", "宏晟", "嘉禾", "瑞联", "远帆", "汇通", "立诚")
COMPANY_TRADES = ("物流", "机电设备", "建材", "电子科技", "贸易", "纺织", "精密机械", "环保科技")
SOURCES = ("walk_in", "internet", "referral", "phone", "auto_show", "import")
SOURCE_WEIGHTS = (45, 18, 15, 12, 6, 4)
CONSULTANTS = ("周文涛", "孙立新", "钱思雨", "沈嘉豪", "陆晓萍")
ADVISORS = ("顾建平", "徐志刚", "吴丽娟", "陶明辉", "范雪梅")

# --- phones -----------------------------------------------------------------------------------

MOBILE_PREFIXES = (
    *("134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157", "158"),
    *("159", "178", "182", "183", "184", "187", "188", "198", "130", "131", "132", "155"),
    *("156", "166", "175", "176", "185", "186", "133", "153", "173", "177", "180", "181"),
    *("189", "191", "199"),
)
LANDLINE_FIRST_DIGITS = "5678"

# --- vehicles ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSpec:
    name: str
    vds: str  # VIN positions 4-8
    weight: int
    electric: bool = False


MODELS = (
    ModelSpec("A3 三厢轿车", "AC3S1", 16),
    ModelSpec("A5 三厢轿车", "AC5S2", 14),
    ModelSpec("X3 紧凑型SUV", "XC3U1", 20),
    ModelSpec("X5 中型SUV", "XC5U2", 16),
    ModelSpec("X7 七座SUV", "XC7U3", 8),
    ModelSpec("M6 商务MPV", "MC6V1", 6),
    ModelSpec("E3 纯电轿车", "EB3S1", 10, electric=True),
    ModelSpec("E5 纯电SUV", "EB5U2", 10, electric=True),
)
WMIS = ("LFV", "LSV", "LGB", "LVS", "LSG", "LVG", "LBV", "LHG", "LGW", "LVH")
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # no I, O, Q
VIN_VALUES = {c: int(v) for c, v in zip(VIN_CHARS[:23], "12345678123457923456789", strict=True)}
VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
VIN_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"  # 1980 (and 2010) = A, 30-year cycle
LOCAL_PLATES = ("苏E",) * 9 + ("苏U",)
OTHER_PLATES = ("沪A", "沪B", "浙A", "浙E", "浙F", "皖A", "皖B", "鲁B", "豫A", "赣A")
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # plates use no I and no O

# --- workshop ---------------------------------------------------------------------------------

HISTORY_DAYS = 548  # about 18 months
RECENT = timedelta(days=3)  # ROs closed in this window are owed a repair 3DC call now
RECENT_SHARE = (0.06, 0.08)  # ROs closed in the window per customer: 30-40 for 500
OPEN_SHARE = 0.01  # ROs still open, opened today
KM_PER_DAY = (30.0, 60.0)
EXTRA_VISIT_MONTHLY = 0.06  # chance per month of owning a car of a visit besides maintenance
EXTRA_TYPES = (RepairType.REPAIR, RepairType.BODY_PAINT, RepairType.WARRANTY, RepairType.INSURANCE)
EXTRA_WEIGHTS = (45, 25, 15, 15)
MULTI_DAY_CHANCE = {
    RepairType.MAINTENANCE: 0.0,
    RepairType.REPAIR: 0.3,
    RepairType.BODY_PAINT: 1.0,
    RepairType.WARRANTY: 0.4,
    RepairType.INSURANCE: 1.0,
}
AMOUNTS_YUAN = {  # what the customer pays; warranty work is billed to the carmaker
    RepairType.MAINTENANCE: (380, 1600),
    RepairType.REPAIR: (150, 5800),
    RepairType.BODY_PAINT: (600, 7800),
    RepairType.WARRANTY: (0, 0),
    RepairType.INSURANCE: (1800, 18000),
}
SUMMARIES = {
    RepairType.MAINTENANCE: (
        "定期保养：换机油、机滤",
        "定期保养：换机油、机滤、空调滤芯",
        "定期保养：换机油、机滤、空气滤芯，检查刹车系统",
    ),
    RepairType.REPAIR: (
        "更换前刹车片",
        "空调制冷不足检修",
        "更换蓄电池",
        "底盘异响排查",
        "更换雨刮片",
    ),
    RepairType.BODY_PAINT: ("左前门钣金喷漆", "后保险杠修复喷漆", "右后翼子板划痕补漆"),
    RepairType.WARRANTY: ("质保：更换车窗升降器", "质保：更换水泵", "质保：中控屏软件升级"),
    RepairType.INSURANCE: (
        "事故维修：更换前保险杠及大灯",
        "事故维修：右侧车门修复",
        "玻璃破损更换",
    ),
}
RO_OPEN_HOURS = (time(8, 30), time(16, 30))
MULTI_DAY_CLOSE_HOURS = (time(9, 0), time(18, 0))
DELIVERY_HOURS = (time(9, 0), time(18, 0))
DELIVERY_TIME_KNOWN = 0.6


@dataclass
class DemoSummary:
    """What the demo store holds after ``load_demo``; ``created`` is False if it was there."""

    stores: int = 0
    users: int = 0
    customers: int = 0
    phones: int = 0
    vehicles: int = 0
    deliveries: int = 0
    repair_orders: int = 0
    created: bool = False


@dataclass
class Visit:
    """One workshop visit planned for one car; ``closed_at`` None while the car is still in."""

    opened_at: datetime
    closed_at: datetime | None
    ro_type: RepairType


@dataclass
class CarPlan:
    """A vehicle with its delivery and workshop history, before rows are written."""

    vehicle: Vehicle
    customer: Customer
    delivered_at: datetime | None
    km_per_day: float
    visits: list[Visit] = field(default_factory=list)


def vin_check_digit(vin: str) -> str:
    """The ISO 3779 / North American check digit (position 9) of a 17-character VIN."""
    values = (VIN_VALUES[c] if c.isalpha() else int(c) for c in vin)
    total = sum(v * w for v, w in zip(values, VIN_WEIGHTS, strict=True))
    return "X" if total % 11 == 10 else str(total % 11)


def load_demo(
    session: Session,
    *,
    now: datetime,
    seed: int = 2026,
    customers: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Create the demo store, logins and archive, unless the store ``DEMO`` already exists
    (then nothing is created and the summary counts what is there, with ``created=False``)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    existing = session.scalar(select(Store).where(Store.code == STORE_CODE))
    if existing is not None:
        return _summary(session, existing, created=False)
    store = Store(code=STORE_CODE, name=STORE_NAME, timezone=STORE_TIMEZONE, hotline=STORE_HOTLINE)
    session.add(store)
    session.flush()
    session.add_all(_users(store))
    session.add_all(_around_the_clock(store))
    builder = _Builder(random.Random(seed), store, now)
    for done in range(1, customers + 1):
        session.add(builder.customer())
        if progress is not None:
            progress(done, customers)
    builder.add_recent_visits(customers)
    session.flush()
    session.add_all(builder.deliveries())
    session.add_all(builder.repair_orders())
    session.flush()
    return _summary(session, store, created=True)


def _around_the_clock(store: Store) -> list[StoreSetting]:
    """The demo store calls at any hour and on holidays, so that the demo can be tried
    whenever it is started; a real store keeps DOMAIN.md's quiet hours (Settings screen)."""
    return [
        StoreSetting(store_id=store.id, key="calling.windows", value="00:00-23:59"),
        StoreSetting(store_id=store.id, key="calling.holidays_no_call", value="no"),
    ]


def _users(store: Store) -> list[User]:
    """The demo logins, all with ``DEMO_PASSWORD``, all working for ``store``."""
    return [
        User(
            username=login.username,
            display_name=login.display_name,
            password_hash=generate_password_hash(DEMO_PASSWORD),
            roles=[UserRole(role=str(role)) for role in login.roles],
            stores=[UserStore(store_id=store.id)],
        )
        for login in DEMO_LOGINS
    ]


def _summary(session: Session, store: Store, *, created: bool) -> DemoSummary:
    """Count what ``store`` holds."""

    def count(model: type, *where) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    return DemoSummary(
        stores=1,
        users=count(UserStore, UserStore.store_id == store.id),
        customers=count(Customer, Customer.store_id == store.id),
        phones=count(Phone, Phone.customer_id == Customer.id, Customer.store_id == store.id),
        vehicles=count(Vehicle, Vehicle.store_id == store.id),
        deliveries=count(Delivery, Delivery.store_id == store.id),
        repair_orders=count(RepairOrder, RepairOrder.store_id == store.id),
        created=created,
    )


class _Builder:
    """Invents the archive with one seeded ``random.Random``; never touches the session."""

    def __init__(self, rng: random.Random, store: Store, now: datetime) -> None:
        self.rng = rng
        self.store = store
        self.now = now
        self.tz = ZoneInfo(store.timezone)
        self.today = now.astimezone(self.tz).date()
        self.cars: list[CarPlan] = []
        self.vins: set[str] = set()
        self.plates: set[str] = set()

    # --- time helpers

    def at(self, day: date, start: time, end: time) -> datetime:
        """A random minute between ``start`` and ``end`` local time on ``day``, in UTC."""
        span = (end.hour - start.hour) * 60 + end.minute - start.minute
        minutes = start.hour * 60 + start.minute + self.rng.randint(0, span)
        local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=self.tz)
        return local.astimezone(UTC)

    def days_ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randint(low, high))

    # --- customers

    def customer(self) -> Customer:
        """One customer with phones and one or two vehicles (whose history is planned too)."""
        is_company = self.rng.random() < 0.08
        gender = None if is_company else self.rng.choices("MF", (65, 35))[0]
        county, _, streets = self.rng.choices(COUNTIES, [c[1] for c in COUNTIES])[0]
        customer = Customer(
            store_id=self.store.id,
            name=self.company_name() if is_company else self.person_name(gender or "M"),
            gender=gender,
            birthday=None if is_company else self.birthday(),
            is_company=is_company,
            province=PROVINCE,
            city=CITY,
            county=county,
            street=self.street(streets, is_company),
            source=self.rng.choices(SOURCES, SOURCE_WEIGHTS)[0],
        )
        customer.phones = self.phones(is_company)
        cars = 2 if self.rng.random() < (0.4 if is_company else 0.08) else 1
        plans = [self.car(customer) for _ in range(cars)]
        first = min(p.vehicle.delivered_on for p in plans)  # type: ignore[type-var]
        customer.created_at = self.at(
            first - timedelta(days=self.rng.randint(1, 45)), *DELIVERY_HOURS
        )
        return customer

    def person_name(self, gender: str) -> str:
        family = self.rng.choices(FAMILY_NAMES, FAMILY_WEIGHTS)[0]
        last = self.rng.choice(GIVEN_CHARS[gender])
        if self.rng.random() < 0.3:
            return family + last
        return family + self.rng.choice(GIVEN_CHARS[gender] + GIVEN_CHARS["*"]) + last

    def company_name(self) -> str:
        parts = (COMPANY_PLACES, COMPANY_WORDS, COMPANY_TRADES)
        return "".join(self.rng.choice(p) for p in parts) + "有限公司"

    def birthday(self) -> date | None:
        if self.rng.random() < 0.3:
            return None
        year = self.today.year - self.rng.randint(22, 65)
        return date(year, 1, 1) + timedelta(days=self.rng.randint(0, 364))

    def street(self, streets: tuple[str, ...], is_company: bool) -> str:
        address = f"{self.rng.choice(streets)}{self.rng.randint(1, 999)}号"
        if is_company or self.rng.random() < 0.4:
            return address
        building, floor = self.rng.randint(1, 30), self.rng.randint(1, 18)
        room = f"{floor}{self.rng.randint(1, 4):02d}"
        return f"{address}{self.rng.choice(COMMUNITIES)}{building}幢{room}室"

    # --- phones

    def phones(self, is_company: bool) -> list[Phone]:
        """One phone, a second for ~15%; companies often answer on a landline."""
        landline_first = is_company and self.rng.random() < 0.6
        numbers = [("landline", self.landline()) if landline_first else ("mobile", self.mobile())]
        if self.rng.random() < 0.15:
            kind = "landline" if self.rng.random() < 0.3 else "mobile"
            number = numbers[0][1]
            while number == numbers[0][1]:
                number = self.landline() if kind == "landline" else self.mobile()
            numbers.append((kind, number))
        return [Phone(e164=n, kind=k, position=i) for i, (k, n) in enumerate(numbers)]

    def mobile(self) -> str:
        return self.valid_number(lambda: self.rng.choice(MOBILE_PREFIXES) + self.digits(8))

    def landline(self) -> str:
        return self.valid_number(
            lambda: AREA_CODE + self.rng.choice(LANDLINE_FIRST_DIGITS) + self.digits(7)
        )

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    @staticmethod
    def valid_number(national: Callable[[], str]) -> str:
        """An E.164 number from ``national()``, drawn again until libphonenumber accepts it."""
        while True:
            number = phonenumbers.parse("+86" + national())
            if phonenumbers.is_valid_number_for_region(number, "CN"):
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    # --- vehicles

    def car(self, customer: Customer) -> CarPlan:
        """A vehicle delivered in the last 18 months, with its planned workshop history."""
        model = self.rng.choices(MODELS, [m.weight for m in MODELS])[0]
        delivered_on = self.days_ago(0, HISTORY_DAYS)
        model_year = delivered_on.year + (delivered_on.month >= 9 and self.rng.random() < 0.5)
        vehicle = Vehicle(
            store_id=self.store.id,
            customer=customer,
            vin=self.vin(model, model_year),
            plate=self.plate(model.electric),
            model=model.name,
            model_year=model_year,
            delivered_on=delivered_on,
        )
        plan = CarPlan(
            vehicle, customer, self.delivery_time(delivered_on), self.rng.uniform(*KM_PER_DAY)
        )
        plan.visits = self.history(delivered_on, plan.km_per_day)
        self.cars.append(plan)
        return plan

    def delivery_time(self, day: date) -> datetime | None:
        if self.rng.random() >= DELIVERY_TIME_KNOWN:
            return None
        moment = self.at(day, *DELIVERY_HOURS)
        return moment if moment <= self.now else None

    def vin(self, model: ModelSpec, model_year: int) -> str:
        """A unique VIN with a correct check digit and the model year in position 10."""
        while True:
            year_code = VIN_YEAR_CODES[(model_year - 1980) % 30]
            plant = self.rng.choice(VIN_CHARS[:23])
            draft = f"{self.rng.choice(WMIS)}{model.vds}0{year_code}{plant}{self.digits(6)}"
            vin = draft[:8] + vin_check_digit(draft) + draft[9:]
            if vin not in self.vins:
                self.vins.add(vin)
                return vin

    def plate(self, electric: bool) -> str:
        """A unique plate: 95% local; electric cars carry the longer new-energy plate."""
        while True:
            local = self.rng.random() < 0.95
            prefix = self.rng.choice(LOCAL_PLATES if local else OTHER_PLATES)
            plate = prefix + (self.rng.choice("DF") + self.digits(5) if electric else self.serial())
            if plate not in self.plates:
                self.plates.add(plate)
                return plate

    def serial(self) -> str:
        """Five plate characters, at most two of them letters."""
        chars = [self.rng.choice("0123456789") for _ in range(5)]
        for i in self.rng.sample(range(5), self.rng.randint(0, 2)):
            chars[i] = self.rng.choice(PLATE_LETTERS)
        return "".join(chars)

    # --- workshop visits

    def history(self, delivered_on: date, km_per_day: float) -> list[Visit]:
        """Maintenance about every 5-6 months plus a few other visits, all closed before the
        recent window (``add_recent_visits`` fills that)."""
        first_service = min(90, int(5000 / km_per_day)) + self.rng.randint(-7, 14)
        day = delivered_on + timedelta(days=first_service)
        visits = []
        while day < self.today:
            visits.append(self.visit(day, RepairType.MAINTENANCE))
            day += timedelta(days=self.rng.randint(150, 185))
        visits += self.extra_visits(delivered_on)
        kept = [v for v in visits if v.closed_at and v.closed_at < self.now - RECENT]
        return _without_overlaps(kept)

    def extra_visits(self, delivered_on: date) -> list[Visit]:
        owned_days = (self.today - delivered_on).days
        visits = []
        for _ in range(owned_days // 30):
            if self.rng.random() < EXTRA_VISIT_MONTHLY:
                day = delivered_on + timedelta(days=self.rng.randint(7, owned_days))
                ro_type = self.rng.choices(EXTRA_TYPES, EXTRA_WEIGHTS)[0]
                visits.append(self.visit(day, ro_type))
        return visits

    def visit(self, day: date, ro_type: RepairType) -> Visit:
        """Opened during working hours; closed a few hours later, or 1-2 days later."""
        opened = self.at(day, *RO_OPEN_HOURS)
        if self.rng.random() < MULTI_DAY_CHANCE[ro_type]:
            later = day + timedelta(days=self.rng.randint(1, 2))
            closed = self.at(later, *MULTI_DAY_CLOSE_HOURS)
        else:
            closed = opened + timedelta(minutes=self.rng.randint(50, 180))
        return Visit(opened, closed, ro_type)

    def add_recent_visits(self, customers: int) -> None:
        """ROs closed in the 3 days before now (~7% of customers) and a few still open today,
        on cars delivered a month ago or more that have not been in for two weeks."""
        idle = [car for car in self.cars if self.idle(car)]
        self.rng.shuffle(idle)
        recent = round(customers * self.rng.uniform(*RECENT_SHARE))
        still_open = max(1, round(customers * OPEN_SHARE))
        for car in idle[:recent]:
            car.visits.append(self.recent_visit())
        for car in idle[recent : recent + still_open]:
            car.visits.append(Visit(self.opened_today(), None, RepairType.MAINTENANCE))

    def idle(self, car: CarPlan) -> bool:
        delivered = car.vehicle.delivered_on
        last_close = max((v.closed_at for v in car.visits if v.closed_at), default=None)
        quiet = last_close is None or last_close < self.now - timedelta(days=14)
        return delivered is not None and (self.today - delivered).days >= 30 and quiet

    def recent_visit(self) -> Visit:
        """A visit, mostly maintenance, that closed in the 3 days before now."""
        types, weights = (RepairType.MAINTENANCE, *EXTRA_TYPES), (60, *EXTRA_WEIGHTS)
        while True:
            visit = self.visit(self.days_ago(0, 4), self.rng.choices(types, weights)[0])
            if visit.closed_at and self.now - RECENT < visit.closed_at < self.now:
                return visit

    def opened_today(self) -> datetime:
        """A moment today in opening hours before now; just before now if the day is young."""
        start = datetime.combine(self.today, RO_OPEN_HOURS[0], tzinfo=self.tz)
        end = datetime.combine(self.today, RO_OPEN_HOURS[1], tzinfo=self.tz)
        latest = min(self.now - timedelta(minutes=5), end)
        if latest <= start:
            midnight = datetime.combine(self.today, time(0), tzinfo=self.tz)
            early = self.now - timedelta(minutes=self.rng.randint(5, 30))
            return max(early, midnight).astimezone(UTC)
        span = int((latest - start).total_seconds() // 60)
        return (start + timedelta(minutes=self.rng.randint(0, span))).astimezone(UTC)

    # --- rows that need ids

    def deliveries(self) -> list[Delivery]:
        return [
            Delivery(
                store_id=self.store.id,
                vehicle_id=car.vehicle.id,
                customer_id=car.customer.id,
                delivered_on=car.vehicle.delivered_on,
                delivered_at=car.delivered_at,
                consultant=self.rng.choice(CONSULTANTS),
            )
            for car in self.cars
        ]

    def repair_orders(self) -> list[RepairOrder]:
        """Every planned visit as an RO, numbered per opening month in opening order."""
        odometers = {id(v): km for car in self.cars for v, km in self.odometers(car)}
        visits = sorted(
            ((v, car) for car in self.cars for v in car.visits), key=lambda p: p[0].opened_at
        )
        sequence: dict[str, int] = {}
        orders = []
        for visit, car in visits:
            month = f"{visit.opened_at.astimezone(self.tz):%Y%m}"
            sequence[month] = sequence.get(month, 0) + 1
            number = f"RO{month}{sequence[month]:04d}"
            orders.append(self.repair_order(number, visit, car, odometers[id(visit)]))
        return orders

    def odometers(self, car: CarPlan) -> list[tuple[Visit, int]]:
        """Readings rising with the car's daily distance, never below the one before."""
        delivered = datetime.combine(car.vehicle.delivered_on, time(12), tzinfo=self.tz)  # type: ignore[arg-type]
        reading, readings = self.rng.randint(3, 40), []
        for visit in sorted(car.visits, key=lambda v: v.opened_at):
            days = (visit.opened_at - delivered).total_seconds() / 86400
            estimate = round(days * car.km_per_day * self.rng.uniform(0.92, 1.08))
            reading = max(reading + 1, estimate)
            readings.append((visit, reading))
        return readings

    def repair_order(self, number: str, visit: Visit, car: CarPlan, km: int) -> RepairOrder:
        return RepairOrder(
            store_id=self.store.id,
            ro_number=number,
            vin=car.vehicle.vin,
            vehicle_id=car.vehicle.id,
            customer_id=car.customer.id,
            opened_at=visit.opened_at,
            closed_at=visit.closed_at,
            ro_type=str(visit.ro_type),
            advisor=self.rng.choice(ADVISORS),
            amount=self.amount(visit),
            odometer_km=km,
            summary=self.rng.choice(SUMMARIES[visit.ro_type]),
        )

    def amount(self, visit: Visit) -> Decimal | None:
        """What the customer paid, in yuan; unknown while the car is still in."""
        if visit.closed_at is None:
            return None
        low, high = AMOUNTS_YUAN[visit.ro_type]
        return Decimal(f"{self.rng.randint(low, high)}.00")


def _without_overlaps(visits: list[Visit]) -> list[Visit]:
    """Drop visits that start within a day of the previous kept visit's close."""
    kept: list[Visit] = []
    for visit in sorted(visits, key=lambda v: v.opened_at):
        if not kept or visit.opened_at > kept[-1].closed_at + timedelta(days=1):  # type: ignore[operator]
            kept.append(visit)
    return kept
