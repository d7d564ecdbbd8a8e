"""Stable codes shared by every layer (DOMAIN.md's lists). Never bare strings elsewhere."""

from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    REPRESENTATIVE = "representative"
    CENTRE_HEAD = "centre_head"
    SERVICE_ADVISOR = "service_advisor"
    RECEPTION_SUPERVISOR = "reception_supervisor"
    SERVICE_MANAGER = "service_manager"
    GENERAL_MANAGER = "general_manager"
    ADMIN = "admin"


class TaskType(StrEnum):
    DELIVERY_CARE = "delivery_care"
    SALES_3DC = "sales_3dc"
    SALES_7DC = "sales_7dc"
    REPAIR_3DC = "repair_3dc"
    FIRST_MAINTENANCE = "first_maintenance"
    MAINTENANCE = "maintenance"
    CHURN_SURVEY = "churn_survey"
    PERIODIC_SALES = "periodic_sales"
    INSURANCE_RENEWAL = "insurance_renewal"
    CALLBACK = "callback"


class TaskStatus(StrEnum):
    PENDING = "pending"  # waiting for its due time or its next attempt
    CLAIMED = "claimed"  # a seat worker holds it and is dialling or talking
    DONE = "done"  # reached, outcome recorded
    UNREACHABLE = "unreachable"  # attempts exhausted or no valid phone
    CANCELLED = "cancelled"


class NetworkOutcome(StrEnum):
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    REJECTED = "rejected"
    INVALID_NUMBER = "invalid_number"
    UNREACHABLE = "unreachable"
    VOICEMAIL = "voicemail"
    FAILED = "failed"


class ConversationOutcome(StrEnum):
    COMPLETED = "completed"
    REFUSED = "refused"
    CALL_BACK_LATER = "call_back_later"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"
    APPOINTMENT_BOOKED = "appointment_booked"
    WRONG_PERSON = "wrong_person"
    DO_NOT_CALL = "do_not_call"
    CHURN_CONFIRMED = "churn_confirmed"


class AgentState(StrEnum):
    OFFLINE = "offline"
    READY = "ready"
    RINGING = "ringing"  # the customer's phone is ringing
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


class PhoneValidity(StrEnum):
    VALID = "valid"
    WRONG = "wrong"
    EMPTY = "empty"
    UNVERIFIED = "unverified"


class RepairType(StrEnum):
    MAINTENANCE = "maintenance"
    REPAIR = "repair"
    BODY_PAINT = "body_paint"
    WARRANTY = "warranty"
    INSURANCE = "insurance"
