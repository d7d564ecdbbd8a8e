"""Per-store settings: every number of DOMAIN.md's follow-up rules, typed, with DOMAIN.md's
default. A store keeps, as text in ``store_setting``, only the values someone changed.

Reading: ``load_settings(session, store_id)`` (or ``load_all(session)`` for every store in one
query) gives a ``StoreSettings`` whose ``get`` returns the typed value, the default unless changed:

    settings = load_settings(session, store_id)
    settings.get("repair_3dc.due_day")        # 1                                 int
    settings.get("calling.holidays_no_call")  # True                              bool
    settings.get("day_start")                 # time(9, 0)                        datetime.time
    settings.get("calling.windows")           # ((time(9), time(12)), (time(14), time(20, 30)))
    settings.get("maintenance.bands_km")      # ((4500, 5500), (9500, 10500))     km, from-to
    settings.get("churn.local_plate_prefixes")  # "" or "粤B,粤S" (see ``comma_list``)
    settings.number("repair_3dc.due_day")     # the same, typed for mypy (also ``flag``, ``clock``,
                                              # ``windows``, ``km_bands``, ``string``)
    settings.as_text("calling.windows")       # "09:00-12:00;14:00-20:30", the stored form

A stored text that no longer reads (written by hand, or before a range changed) is logged and
the default is used. Writing: ``parse_value(key, text)`` checks one value and raises
``InvalidInput`` naming the key and the allowed form; ``save_settings`` checks every value first
(``InvalidSettings`` lists each refused one, nothing is saved), then writes only what changed and
one audit entry. Labels, units and rules are English messages marked with ``N_``: the console
translates them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time
from enum import StrEnum
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.archive.normalise import clean, format_call_windows, parse_call_windows
from storage.errors import N_, InvalidInput, NotFound
from storage.models import AuditEntry, Store, StoreSetting

log = logging.getLogger("huifang.settings")

AUDIT_ACTION = "settings"
Windows = tuple[tuple[time, time], ...]
Bands = tuple[tuple[int, int], ...]
MAX_WINDOWS = 6
MAX_BANDS = 20
MAX_KM = 1_000_000
MAX_TEXT = 255
_INT = re.compile(r"^[+-]?\d+$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_BAND = re.compile(r"^(\d+)-(\d+)$")
_PREFIX = re.compile(r"^[\u4e00-\u9fff]?[A-Z0-9]{0,2}$")
_TRUE, _FALSE = {"true", "1", "yes", "y", "on", "是"}, {"false", "0", "no", "n", "off", "否"}


class Kind(StrEnum):
    INT = "int"
    BOOL = "bool"
    TIME = "time"  # HH:MM
    WINDOWS = "windows"  # HH:MM-HH:MM;...
    KM_BANDS = "km_bands"  # 4500-5500;9500-10500
    TEXT = "text"


@dataclass(frozen=True)
class Setting:
    """One setting: its key, type, default (in its stored text form) and how the console shows
    it. ``label``, ``unit`` and ``help`` are English messages the console translates."""

    key: str
    kind: Kind
    default: str
    group: str
    label: str
    unit: str = ""
    min: int | None = None
    max: int | None = None
    help: str = ""
    check: Callable[[str], str] | None = None  # TEXT: the stored form, or ValueError
    rule: str = ""  # TEXT: what ``check`` accepts


# ---------- the registry (one table: most of this module's length) ----------

GROUPS: dict[str, str] = {
    "calling": N_("Calling hours"),
    "retries": N_("Contact cap and retries"),
    "sales": N_("Sales follow-ups"),
    "repair": N_("Repair follow-up"),
    "maintenance": N_("Maintenance reminders"),
    "churn": N_("Quasi-churn survey"),
    "reminders": N_("Insurance renewal and booked callbacks"),
    "archive": N_("Customer archive"),
    "sms": N_("Text messages (SMS)"),
    "dialing": N_("Dialing mode"),
}
MINUTES, DAYS, MONTHS, KM = N_("minutes"), N_("days"), N_("months"), N_("km")


def _check_folder(text: str) -> str:
    if text and not (PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute()):
        raise ValueError(text)
    return text


def _check_prefixes(text: str) -> str:
    prefixes = comma_list(text.upper())
    if any(not _PREFIX.match(p) for p in prefixes):
        raise ValueError(text)
    return ",".join(dict.fromkeys(prefixes))


PREFIXES_RULE = N_(
    "plate prefixes separated by commas (at most %(max)s characters), e.g. 粤B,粤S; empty: all"
)
FOLDER_RULE = N_("an absolute folder path (at most %(max)s characters), or empty for none")

# ---------- dialing modes (issue 5, "Dialing modes") ----------
DIALING_MODES = ("preview", "progressive", "predictive")
DIALING_MODE_RULE = N_("preview, progressive or predictive")


def _check_dialing_mode(text: str) -> str:
    mode = text.strip().lower()
    if mode not in DIALING_MODES:
        raise ValueError(text)
    return mode


def _group(group: str, *settings: Setting) -> list[Setting]:
    return [replace(s, group=group) for s in settings]


def _n(key: str, default: int, lo: int, hi: int, unit: str, label: str, help: str = "") -> Setting:
    return Setting(key, Kind.INT, str(default), "", label, unit, lo, hi, help)


REGISTRY: dict[str, Setting] = {
    s.key: s
    for s in [
        *_group(
            "calling",
            Setting("calling.windows", Kind.WINDOWS, "09:00-12:00;14:00-20:30", "",
                    N_("Calling windows"),
                    help=N_("Outside these hours nobody is called (customers rest).")),
            Setting("calling.holidays_no_call", Kind.BOOL, "true", "",
                    N_("No calls on statutory holidays or 调休 working weekends"),
                    help=N_("Every day of a holiday, its weekend days included, and the "
                            "weekends worked in exchange for it (调休).")),
            Setting("day_start", Kind.TIME, "09:00", "", N_("A day-N follow-up falls due at")),
            _n("horizon_days", 7, 0, 365, DAYS,
               N_("Never plan a task whose deadline passed more than")),
        ),
        *_group(
            "retries",
            _n("contact_cap.days", 3, 1, 30, DAYS, N_("Contact cap: period")),
            _n("contact_cap.calls", 1, 1, 20, N_("calls"),
               N_("Contact cap: other calls in that period at most"),
               N_("The delivery sequence (care, 3DC, 7DC) is exempt.")),
            _n("retry.max_attempts", 5, 1, 20, N_("attempts"), N_("Attempts per task at most")),
            _n("retry.first_delay_min", 120, 5, 1440, MINUTES,
               N_("No answer, busy, unreachable: first retry after"),
               N_("Later retries: the next day, at the other half of the day.")),
            _n("retry.rejected_retries", 1, 0, 5, N_("times"),
               N_("Rejected calls: retries (the next day)")),
        ),
        *_group(
            "sales",
            _n("delivery_care.after_min", 60, 0, 1440, MINUTES,
               N_("Delivery care call: due after delivery"),
               N_("Only for deliveries whose time of day is known.")),
            _n("delivery_care.deadline_min", 120, 1, 2880, MINUTES,
               N_("Delivery care call: deadline after delivery")),
            _n("sales_3dc.due_day", 1, 0, 60, DAYS, N_("Sales 3DC: due on day")),
            _n("sales_3dc.deadline_day", 3, 0, 90, DAYS, N_("Sales 3DC: deadline, end of day")),
            _n("sales_7dc.due_day", 5, 0, 60, DAYS, N_("Sales 7DC: due on day")),
            _n("sales_7dc.deadline_day", 7, 0, 90, DAYS, N_("Sales 7DC: deadline, end of day")),
            _n("periodic_sales.every_months", 3, 1, 24, MONTHS,
               N_("Periodic sales follow-ups every")),
            _n("periodic_sales.for_months", 24, 0, 120, MONTHS,
               N_("Periodic sales follow-ups for")),
            _n("periodic_sales.deadline_days", 14, 1, 180, DAYS,
               N_("Periodic sales follow-up: deadline after")),
        ),
        *_group(
            "repair",
            _n("repair_3dc.due_day", 1, 0, 60, DAYS,
               N_("Repair 3DC: due on day (after the RO closed)")),
            _n("repair_3dc.deadline_day", 3, 0, 90, DAYS, N_("Repair 3DC: deadline, end of day")),
            _n("repair.major_amount_yuan", 10000, 0, 10_000_000, N_("yuan"),
               N_("Major repair: a repair order above"),
               N_("Its follow-up call reads the major-repair script.")),
        ),
        *_group(
            "maintenance",
            _n("first_maintenance.months", 3, 1, 36, MONTHS,
               N_("First service: months after delivery")),
            _n("first_maintenance.km", 5000, 500, 50000, KM, N_("First service: km after delivery"),
               N_("Whichever comes first, months or km.")),
            _n("first_maintenance.lead_days", 30, 0, 180, DAYS,
               N_("First-service reminder: days before")),
            _n("first_maintenance.grace_days", 14, 0, 180, DAYS,
               N_("First-service reminder: deadline after")),
            Setting("maintenance.bands_km", Kind.KM_BANDS, "4500-5500;9500-10500", "",
                    N_("Maintenance mileage bands"), KM),
            _n("maintenance.every_km", 10000, 1000, 100000, KM, N_("Then a service every")),
            _n("maintenance.tolerance_km", 500, 0, 5000, KM, N_("Give or take")),
            _n("maintenance.months", 6, 1, 36, MONTHS, N_("Or months since the last service")),
            _n("maintenance.deadline_days", 30, 1, 180, DAYS,
               N_("Maintenance reminder: deadline after")),
            _n("maintenance.km_per_day", 40, 1, 1000, N_("km/day"),
               N_("Mileage per day when a car has no history")),
        ),
        *_group(
            "churn",
            _n("churn.no_visit_days", 90, 7, 3650, DAYS, N_("Quasi-churn: no visit for")),
            _n("churn.km", 8000, 500, 100000, KM,
               N_("Quasi-churn: or about this many km since the last visit")),
            _n("churn.deadline_days", 14, 1, 180, DAYS, N_("Quasi-churn survey: deadline after")),
            _n("churn.new_customer_days", 180, 0, 3650, DAYS,
               N_("Skip customers delivered in the last")),
            Setting("churn.local_plate_prefixes", Kind.TEXT, "", "", N_("Local plate prefixes"),
                    max=MAX_TEXT, check=_check_prefixes,
                    help=N_("Cars with other plates are passing cars and get no survey."),
                    rule=PREFIXES_RULE),
        ),
        *_group(
            "reminders",
            _n("insurance_renewal.lead_days", 45, 1, 365, DAYS,
               N_("Insurance renewal: days before expiry")),
            _n("insurance_renewal.deadline_days_before", 7, 0, 365, DAYS,
               N_("Insurance renewal: deadline, days before expiry")),
            _n("callback.deadline_days", 1, 1, 30, DAYS,
               N_("Booked callback: deadline after the booked time")),
        ),
        *_group(
            "archive",
            Setting("import.drop_folder", Kind.TEXT, "", "", N_("DMS drop folder"),
                    max=MAX_TEXT, check=_check_folder,
                    help=N_("The scheduler imports every CSV/XLSX file that lands here."),
                    rule=FOLDER_RULE),
            _n("retention_target_pct", 90, 0, 100, "%", N_("Information retention rate target")),
        ),
        *_group(
            "sms",
            Setting("sms.send_window", Kind.WINDOWS, "09:00-20:00", "",
                    N_("Text messages are sent only"),
                    help=N_("Scheduled campaigns wait for the next window.")),
            _n("sms.rate_per_s", 10, 1, 1000, N_("messages/s"),
               N_("Sending rate per sender at most"),
               N_("Keep it at or below what the provider allows the sender.")),
        ),
        *_group(
            "dialing",
            Setting("dialing.mode", Kind.TEXT, "progressive", "", N_("Dialing mode"),
                    max=16, check=_check_dialing_mode, rule=DIALING_MODE_RULE,
                    help=N_("Preview: the agent sees the record and presses Dial. "
                            "Progressive: one customer per ready agent. Predictive: more "
                            "customers than agents, within the abandonment cap.")),
            _n("dialing.abandon_cap_pct", 3, 0, 10, "%",
               N_("Predictive: abandoned calls per day at most"),
               N_("Of the day's answered calls; at the cap the dialer is progressive.")),
            _n("dialing.wrap_up_s", 0, 0, 600, N_("seconds"), N_("Wrap-up time"),
               N_("0: the agent ends the wrap-up. Otherwise the next call may start in "
                  "its last seconds.")),
        ),
    ]
}  # fmt: skip
ORDER: tuple[tuple[str, str], ...] = (  # (earlier, later): later may not be less than earlier
    ("delivery_care.after_min", "delivery_care.deadline_min"),
    ("sales_3dc.due_day", "sales_3dc.deadline_day"),
    ("sales_7dc.due_day", "sales_7dc.deadline_day"),
    ("repair_3dc.due_day", "repair_3dc.deadline_day"),
    ("insurance_renewal.deadline_days_before", "insurance_renewal.lead_days"),
)
RULES: dict[Kind, str] = {  # what each type accepts, with %(min)s/%(max)s
    Kind.INT: N_("a whole number from %(min)s to %(max)s"),
    Kind.BOOL: N_("yes or no"),
    Kind.TIME: N_("a time of day as HH:MM, e.g. 09:00"),
    Kind.WINDOWS: N_("1 to 6 windows HH:MM-HH:MM separated by ';', not overlapping"),
    Kind.KM_BANDS: N_("km bands FROM-TO separated by ';', not overlapping"),
    Kind.TEXT: N_("at most %(max)s characters"),
}
ORDER_RULE = N_("not less than “%(other)s” (%(value)s)")


def comma_list(text: str) -> tuple[str, ...]:
    """``"粤B, 粤S"`` -> ``("粤B", "粤S")`` (also with Chinese commas)."""
    return tuple(p for p in (p.strip() for p in clean(text).replace("，", ",").split(",")) if p)


# ---------- one value ----------


def _int(s: Setting, text: str) -> int:
    if not _INT.match(text):
        raise ValueError(text)
    value = int(text)
    if (s.min is not None and value < s.min) or (s.max is not None and value > s.max):
        raise ValueError(text)
    return value


def _bool(s: Setting, text: str) -> bool:
    if text.lower() not in _TRUE | _FALSE:
        raise ValueError(text)
    return text.lower() in _TRUE


def _time(s: Setting, text: str) -> time:
    match = _TIME.match(text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(text)
    return time(int(match[1]), int(match[2]))


def _windows(s: Setting, text: str) -> Windows:
    windows = tuple(parse_call_windows(text))
    if not 1 <= len(windows) <= MAX_WINDOWS:
        raise ValueError(text)
    return windows


def _bands(s: Setting, text: str) -> Bands:
    bands = []
    for part in filter(None, (p.strip() for p in text.replace("；", ";").split(";"))):
        match = _BAND.match(part.replace(" ", "").replace(",", ""))
        if not match or not int(match[1]) < int(match[2]) <= MAX_KM:
            raise ValueError(part)
        bands.append((int(match[1]), int(match[2])))
    bands.sort()
    if not 1 <= len(bands) <= MAX_BANDS:
        raise ValueError(text)
    if any(a[1] >= b[0] for a, b in zip(bands, bands[1:], strict=False)):
        raise ValueError(text)
    return tuple(bands)


def _text(s: Setting, text: str) -> str:
    if s.max is not None and len(text) > s.max:
        raise ValueError(text)
    return s.check(text) if s.check else text


_PARSERS: dict[Kind, Callable[[Setting, str], Any]] = {
    Kind.INT: _int,
    Kind.BOOL: _bool,
    Kind.TIME: _time,
    Kind.WINDOWS: _windows,
    Kind.KM_BANDS: _bands,
    Kind.TEXT: _text,
}


def setting(key: str) -> Setting:
    """The registry's entry for ``key``; InvalidInput for a key it does not know."""
    try:
        return REGISTRY[key]
    except KeyError:
        raise InvalidInput(
            f"unknown setting {key!r}", code="unknown_setting", field=key, key=key
        ) from None


def rule_of(s: Setting) -> str:
    """The English rule ``s``'s values follow (with %(min)s/%(max)s for ``rule_params``)."""
    return s.rule or RULES[s.kind]


def rule_params(s: Setting) -> dict[str, object]:
    return {"min": s.min, "max": s.max}


def parse_value(key: str, text: str | None) -> Any:
    """The typed value of ``text`` for ``key`` (full-width digits and spaces are fine).

    Raises InvalidInput (code ``invalid_setting``, details ``field``/``key``, ``rule`` and its
    ``min``/``max``) naming the key and what it accepts.
    """
    s = setting(key)
    try:  # full-width digits become ASCII; free text (a folder's name) is only trimmed
        return _PARSERS[s.kind](s, (text or "").strip() if s.kind is Kind.TEXT else clean(text))
    except ValueError:
        rule, params = rule_of(s), rule_params(s)
        raise InvalidInput(
            f"setting {key}: expected {rule % params}, got {text!r}",
            code="invalid_setting",
            field=key,
            key=key,
            rule=rule,
            **params,
        ) from None


def format_value(key: str, value: Any) -> str:
    """The stored text of a typed value (``parse_value``'s inverse)."""
    kind = setting(key).kind
    if kind is Kind.BOOL:
        return "true" if value else "false"
    if kind is Kind.TIME:
        return f"{value:%H:%M}"
    if kind is Kind.WINDOWS:
        return format_call_windows(list(value)) or ""
    if kind is Kind.KM_BANDS:
        return ";".join(f"{a}-{b}" for a, b in value)
    return str(value)


DEFAULTS: dict[str, Any] = {key: parse_value(key, s.default) for key, s in REGISTRY.items()}


# ---------- one store's settings ----------


class StoreSettings:
    """One store's settings: every key of the registry, typed, the default unless changed."""

    def __init__(self, store_id: int, stored: Mapping[str, str] | None = None) -> None:
        self.store_id = store_id
        self._values = dict(DEFAULTS)
        self._changed: dict[str, str] = {}
        for key, text in (stored or {}).items():
            if key not in REGISTRY:
                continue
            try:
                value = parse_value(key, text)
            except InvalidInput as exc:
                log.warning("store %s: %s; the default is used", store_id, exc.message)
                continue
            self._values[key] = value
            if format_value(key, value) != REGISTRY[key].default:
                self._changed[key] = format_value(key, value)

    def get(self, key: str) -> Any:
        """The typed value (int, bool, time, Windows, Bands or str, by the setting's kind)."""
        if key not in self._values:
            setting(key)  # raises InvalidInput naming the unknown key
        return self._values[key]

    __getitem__ = get

    def as_text(self, key: str) -> str:
        return format_value(key, self.get(key))

    def is_default(self, key: str) -> bool:
        return key not in self._changed

    @property
    def changed(self) -> dict[str, str]:
        """The keys whose value differs from the default, with their stored text."""
        return dict(self._changed)

    def _typed(self, key: str, kind: Kind) -> Any:
        if setting(key).kind is not kind:
            raise TypeError(f"setting {key} is {setting(key).kind}, not {kind}")
        return self._values[key]

    def number(self, key: str) -> int:
        return self._typed(key, Kind.INT)

    def flag(self, key: str) -> bool:
        return self._typed(key, Kind.BOOL)

    def clock(self, key: str) -> time:
        return self._typed(key, Kind.TIME)

    def windows(self, key: str) -> Windows:
        return self._typed(key, Kind.WINDOWS)

    def km_bands(self, key: str) -> Bands:
        return self._typed(key, Kind.KM_BANDS)

    def string(self, key: str) -> str:
        return self._typed(key, Kind.TEXT)


def load_settings(session: Session, store_id: int) -> StoreSettings:
    rows = session.execute(
        select(StoreSetting.key, StoreSetting.value).where(StoreSetting.store_id == store_id)
    )
    return StoreSettings(store_id, {key: value for key, value in rows})


def load_all(session: Session, store_ids: Iterable[int] | None = None) -> dict[int, StoreSettings]:
    """Every store's settings (or only ``store_ids``'), in one query, by store id."""
    query = (
        select(Store.id, StoreSetting.key, StoreSetting.value)
        .outerjoin(StoreSetting, StoreSetting.store_id == Store.id)
        .order_by(Store.id)
    )
    if store_ids is not None:
        query = query.where(Store.id.in_(list(store_ids)))
    stored: dict[int, dict[str, str]] = {}
    for store_id, key, value in session.execute(query):
        texts = stored.setdefault(store_id, {})
        if key is not None:
            texts[key] = value
    return {store_id: StoreSettings(store_id, texts) for store_id, texts in stored.items()}


# ---------- saving ----------


class InvalidSettings(InvalidInput):
    """Values of one save that were refused, by key in ``errors``; nothing was saved."""

    code = "invalid_settings"

    def __init__(self, errors: dict[str, InvalidInput]) -> None:
        super().__init__("; ".join(e.message for e in errors.values()), fields=sorted(errors))
        self.errors = errors


def save_settings(
    session: Session, store_id: int, values: Mapping[str, str], user_id: int | None, now: datetime
) -> dict[str, tuple[str, str]]:
    """Check every value in ``values`` (key -> text), then store those that changed and audit
    them in one entry (action ``settings``, details ``{key: [old, new]}``).

    Returns ``{key: (old, new)}`` of what changed, in stored text; raises InvalidSettings (and
    saves nothing) when any value is refused, NotFound for an unknown store.
    """
    if session.get(Store, store_id) is None:
        raise NotFound(N_("there is no such store"), store_id=store_id)
    rows = {
        row.key: row
        for row in session.scalars(select(StoreSetting).where(StoreSetting.store_id == store_id))
    }
    current = StoreSettings(store_id, {key: row.value for key, row in rows.items()})
    parsed, errors = _parse_all(values)
    errors |= _order_errors(current, parsed, errors)
    if errors:
        raise InvalidSettings(errors)
    changes = {}
    for key, value in parsed.items():
        old = rows[key].value if key in rows else REGISTRY[key].default
        new = format_value(key, value)
        if new != old:
            changes[key] = (old, new)
            row = rows.get(key) or StoreSetting(store_id=store_id, key=key)
            row.value, row.updated_by_id, row.updated_at = new, user_id, now
            session.add(row)
    if changes:
        details = {key: list(pair) for key, pair in changes.items()}
        session.add(
            AuditEntry(at=now, user_id=user_id, store_id=store_id, action=AUDIT_ACTION,
                       entity="store", entity_id=store_id, details=details)
        )  # fmt: skip
    return changes


def _parse_all(values: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, InvalidInput]]:
    parsed, errors = {}, {}
    for key, text in values.items():
        try:
            parsed[key] = parse_value(key, text)
        except InvalidInput as exc:
            errors[key] = exc
    return parsed, errors


def _order_errors(
    current: StoreSettings, parsed: dict[str, Any], refused: dict[str, InvalidInput]
) -> dict[str, InvalidInput]:
    """Deadlines before their due time, checked on the values as they would be after saving."""
    errors = {}
    for earlier, later in ORDER:
        if earlier in refused or later in refused or not {earlier, later} & parsed.keys():
            continue
        first = parsed.get(earlier, current.get(earlier))
        if parsed.get(later, current.get(later)) < first:
            errors[later] = InvalidInput(
                f"setting {later}: expected not less than {earlier} ({first})",
                code="invalid_setting",
                field=later,
                key=later,
                rule=ORDER_RULE,
                other=earlier,
                value=first,
            )
    return errors
