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
    # Not planned from the archive: a case's progress call (the case lifecycle) and an event
    # invitation (campaigns) create these. Their scripts exist already.
    CASE_FOLLOWUP = "case_followup"
    EVENT_INVITATION = "event_invitation"


class TaskStatus(StrEnum):
    PENDING = "pending"  # waiting for its due time or its next attempt
    CLAIMED = "claimed"  # a seat worker holds it and is dialling or talking
    DONE = "done"  # reached, outcome recorded
    UNREACHABLE = "unreachable"  # attempts exhausted or no valid phone
    CANCELLED = "cancelled"


class ClosedReason(StrEnum):
    """Why a call task closed without a conversation (``CallTask.closed_reason``; a call with an
    outcome closes with that outcome's code instead). Each leaves the task ``unreachable`` (not
    reached); only ``UNREACHABLE`` says the tries or the time ran out."""

    UNREACHABLE = "unreachable"  # tries used up, or no time left before the deadline
    REJECTED = "rejected"  # the customer rejected the call (603) again after its retry
    NO_CONSENT = "no_consent"  # the customer withdrew consent to service calls
    NO_VALID_PHONE = "no_valid_phone"  # no usable number left
    WRONG_PERSON = "wrong_person"  # someone else answered, and no other number or time left


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
    PREVIEW = "preview"  # preview dialing: the agent reads the record before pressing Dial
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


class CustomerKind(StrEnum):
    """Which script template a call reads (DOMAIN.md: VIP, company and major-repair customers
    get their own); ``console.services.scripts.customer_kind`` decides."""

    STANDARD = "standard"
    VIP = "vip"
    COMPANY = "company"
    MAJOR_REPAIR = "major_repair"


class AnswerKind(StrEnum):
    FIVE_POINT = "five_point"  # 5 very satisfied .. 1 very dissatisfied
    YES_NO = "yes_no"
    TEXT = "text"


class ComplaintCategory(StrEnum):
    """The six quality issues (6QS), and any other complaint."""

    COST_ABOVE_QUOTE = "cost_above_quote"
    NOT_FIXED_FIRST_TIME = "not_fixed_first_time"
    LEFTOVER_FAULT = "leftover_fault"
    PART_OUT_OF_STOCK = "part_out_of_stock"
    LATE_DELIVERY = "late_delivery"
    REWORK = "rework"
    OTHER = "other"  # not a 6QS issue (e.g. about the sale): the centre head takes it


SIX_QS = frozenset(ComplaintCategory) - {ComplaintCategory.OTHER}


class ChurnDirection(StrEnum):
    SAME_CITY_RIVAL = "same_city_rival"
    ROADSIDE_SHOP = "roadside_shop"
    OTHER_CITY = "other_city"


class ChurnReason(StrEnum):
    LOCATION = "location"
    PRICE = "price"
    SERVICE = "service"
    SIX_QS = "six_qs"
    OTHER = "other"


class CaseStatus(StrEnum):
    OPEN = "open"  # opened, handed to its owner
    IN_PROGRESS = "in_progress"
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # solved, the customer's call is due
    CLOSED = "closed"  # the customer confirmed it is solved


class NoticeKind(StrEnum):
    CASE_OPENED = "case_opened"


class CaseEventKind(StrEnum):
    OPENED = "opened"
    ESCALATED = "escalated"  # owner role moved along the escalation order
    CUSTOMER_INFORMED = "customer_informed"  # told the expected time, or the progress
    SOLVED = "solved"  # the owner says it is solved: a confirmation call is due
    CONFIRMED = "confirmed"  # the customer agreed it is solved: the case closes
    REOPENED = "reopened"  # the customer did not agree
    NOTE = "note"
