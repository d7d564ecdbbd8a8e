"""A store's planning settings (storage.settings) as the rules' ``Timing`` and the dialer's
``CallingPolicy``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from schedulers.calendar import StatutoryCalendar, load_calendar
from schedulers.timing import Timing
from schedulers.windows import CallingPolicy
from storage.models import Store
from storage.settings import StoreSettings, comma_list, load_all, load_settings


def timing_of(s: StoreSettings, tz: ZoneInfo) -> Timing:
    n, days = s.number, lambda key: timedelta(days=s.number(key))
    return Timing(
        tz=tz,
        day_start=s.clock("day_start"),
        horizon=days("horizon_days"),
        delivery_care_after=timedelta(minutes=n("delivery_care.after_min")),
        delivery_care_deadline=timedelta(minutes=n("delivery_care.deadline_min")),
        sales_3dc=(n("sales_3dc.due_day"), n("sales_3dc.deadline_day")),
        sales_7dc=(n("sales_7dc.due_day"), n("sales_7dc.deadline_day")),
        repair_3dc=(n("repair_3dc.due_day"), n("repair_3dc.deadline_day")),
        first_service_months=n("first_maintenance.months"),
        first_service_km=n("first_maintenance.km"),
        first_service_lead=days("first_maintenance.lead_days"),
        first_service_grace=days("first_maintenance.grace_days"),
        maintenance_bands=s.km_bands("maintenance.bands_km"),
        maintenance_every_km=n("maintenance.every_km"),
        tolerance_km=n("maintenance.tolerance_km"),
        maintenance_months=n("maintenance.months"),
        maintenance_deadline=days("maintenance.deadline_days"),
        km_per_day=float(n("maintenance.km_per_day")),
        churn_no_visit=days("churn.no_visit_days"),
        churn_km=n("churn.km"),
        churn_deadline=days("churn.deadline_days"),
        churn_new_customer=days("churn.new_customer_days"),
        local_plate_prefixes=tuple(
            p.replace("·", "").upper() for p in comma_list(s.string("churn.local_plate_prefixes"))
        ),
        periodic_every_months=n("periodic_sales.every_months"),
        periodic_for_months=n("periodic_sales.for_months"),
        periodic_deadline=days("periodic_sales.deadline_days"),
        insurance_lead=days("insurance_renewal.lead_days"),
        insurance_deadline_before=days("insurance_renewal.deadline_days_before"),
        callback_deadline=days("callback.deadline_days"),
        contact_cap_days=days("contact_cap.days"),
        contact_cap_calls=n("contact_cap.calls"),
    )


def policy_of(s: StoreSettings, tz: ZoneInfo, calendar: StatutoryCalendar) -> CallingPolicy:
    return CallingPolicy(
        tz=tz,
        dealer_windows=s.windows("calling.windows"),
        holidays_no_call=s.flag("calling.holidays_no_call"),
        calendar=calendar,
    )


def planning_for(session: Session, store: Store) -> tuple[Timing, CallingPolicy]:
    settings = load_settings(session, store.id)
    tz = ZoneInfo(store.timezone)
    return timing_of(settings, tz), policy_of(settings, tz, load_calendar(session))


def calling_policies(session: Session, store_ids: Iterable[int]) -> dict[int, CallingPolicy]:
    """Each store's calling policy (for the queue: only offer calls the windows allow)."""
    calendar = load_calendar(session)
    rows = session.execute(select(Store.id, Store.timezone).where(Store.id.in_(list(store_ids))))
    zones = {store_id: zone for store_id, zone in rows}
    return {
        store_id: policy_of(settings, ZoneInfo(zones[store_id]), calendar)
        for store_id, settings in load_all(session, list(zones)).items()
    }
