"""Typed SQLAlchemy 2.0 models. Importing this package registers every table."""

from storage.models.archive import (
    Consent,
    Customer,
    Delivery,
    FieldSource,
    OwnershipChange,
    Phone,
    RepairOrder,
    Vehicle,
)
from storage.models.base import Base, UTCDateTime, utcnow
from storage.models.calendar import CalendarOverride
from storage.models.calls import (
    AgentStatus,
    CallAttempt,
    CallTask,
    CarrierCallback,
    Outcome,
    TaskItem,
)
from storage.models.cases import Case, CaseEvent
from storage.models.lease import SchedulerLease
from storage.models.notices import Notice
from storage.models.people import Store, User, UserRole, UserStore
from storage.models.records import AuditEntry, ImportBatch, StoreSetting
from storage.models.reports import DailyFigures
from storage.models.scripts import CallScript, ScriptVersion
from storage.models.segments import Segment
from storage.models.sms import (
    SmsCampaign,
    SmsOutbox,
    SmsReply,
    SmsRsvp,
    SmsStatusReport,
    SmsTemplate,
    SmsUploadLine,
)
from storage.models.sms_versions import SmsTemplateVersion

__all__ = [
    "AgentStatus",
    "AuditEntry",
    "Consent",
    "FieldSource",
    "ImportBatch",
    "Notice",
    "OwnershipChange",
    "StoreSetting",
    "Base",
    "CalendarOverride",
    "CallScript",
    "Case",
    "CaseEvent",
    "CallAttempt",
    "CallTask",
    "CarrierCallback",
    "Customer",
    "DailyFigures",
    "Delivery",
    "Outcome",
    "Phone",
    "RepairOrder",
    "SchedulerLease",
    "ScriptVersion",
    "Segment",
    "SmsCampaign",
    "SmsOutbox",
    "SmsReply",
    "SmsRsvp",
    "SmsStatusReport",
    "SmsTemplate",
    "SmsTemplateVersion",
    "SmsUploadLine",
    "Store",
    "TaskItem",
    "User",
    "UserRole",
    "UserStore",
    "UTCDateTime",
    "Vehicle",
    "utcnow",
]
