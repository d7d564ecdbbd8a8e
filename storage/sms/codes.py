"""Stable codes of bulk SMS: message kinds and their purpose, campaign and outbox states,
exclusion and failure reasons, what a reply means. Never bare strings elsewhere."""

from __future__ import annotations

from enum import StrEnum

from storage.consent import Purpose
from storage.errors import N_


class Kind(StrEnum):
    """What a message is for; DOMAIN.md maps each to a purpose."""

    HOLIDAY = "holiday"  # holiday greeting (节日问候)
    BIRTHDAY = "birthday"
    EVENT = "event"  # event notice (活动通知): club activity, owner training...
    PROMOTION = "promotion"
    MAINTENANCE = "maintenance"  # maintenance reminder (保养提醒)
    INSURANCE = "insurance"  # insurance renewal reminder
    RECALL = "recall"
    UNREACHABLE = "unreachable"  # the repair follow-up could not reach the customer
    NOTICE = "notice"  # any other service notice


MARKETING_KINDS = frozenset({Kind.HOLIDAY, Kind.BIRTHDAY, Kind.EVENT, Kind.PROMOTION})


# what may ask for a reply, 1 coming or 2 not (issue 7: club activities, owner training,
# promotions, recalls)
RSVP_KINDS = frozenset({Kind.EVENT, Kind.PROMOTION, Kind.RECALL})


def purpose_of(kind: str) -> Purpose:
    return Purpose.MARKETING if kind in MARKETING_KINDS else Purpose.SERVICE


KIND_LABELS = {
    Kind.HOLIDAY: N_("Holiday greeting"),
    Kind.BIRTHDAY: N_("Birthday greeting"),
    Kind.EVENT: N_("Event notice"),
    Kind.PROMOTION: N_("Promotion"),
    Kind.MAINTENANCE: N_("Maintenance reminder"),
    Kind.INSURANCE: N_("Insurance renewal reminder"),
    Kind.RECALL: N_("Recall notice"),
    Kind.UNREACHABLE: N_("Repair follow-up: could not reach you"),
    Kind.NOTICE: N_("Service notice"),
}


class Occasion(StrEnum):
    SPRING_FESTIVAL = "spring_festival"  # 春节, lunar 1-1
    LANTERN_FESTIVAL = "lantern_festival"  # 元宵节, lunar 1-15
    WOMENS_DAY = "womens_day"  # 3-8, female customers only
    MAY_DAY = "may_day"  # 5-1
    NATIONAL_DAY = "national_day"  # 10-1
    NEW_YEAR = "new_year"  # 1-1


OCCASION_LABELS = {
    Occasion.SPRING_FESTIVAL: N_("Spring Festival"),
    Occasion.LANTERN_FESTIVAL: N_("Lantern Festival"),
    Occasion.WOMENS_DAY: N_("Women's Day"),
    Occasion.MAY_DAY: N_("May Day"),
    Occasion.NATIONAL_DAY: N_("National Day"),
    Occasion.NEW_YEAR: N_("New Year's Day"),
}


class Audience(StrEnum):
    SEGMENT = "segment"
    UPLOAD = "upload"
    AUTO = "auto"  # picked each day by a scheduler job (standing campaigns)


class CampaignState(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"  # waits for its send time (a standing campaign stays here)
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


CAMPAIGN_STATE_LABELS = {
    CampaignState.DRAFT: N_("Draft"),
    CampaignState.APPROVED: N_("Approved"),
    CampaignState.SENDING: N_("Sending"),
    CampaignState.DONE: N_("Done"),
    CampaignState.CANCELLED: N_("Cancelled"),
}


class State(StrEnum):
    """An outbox row's state."""

    EXCLUDED = "excluded"  # targeted but never to be sent (see Reason)
    QUEUED = "queued"
    SENDING = "sending"  # marked before the request: after a crash, looked up, never resent
    SENT = "sent"  # the provider took it and gave its id
    DELIVERED = "delivered"
    FAILED = "failed"
    UNKNOWN = "unknown"  # the provider cannot tell whether it went out: a supervisor decides


STATE_LABELS = {
    State.EXCLUDED: N_("Excluded"),
    State.QUEUED: N_("Queued"),
    State.SENDING: N_("Sending"),
    State.SENT: N_("Sent"),
    State.DELIVERED: N_("Delivered to the phone"),
    State.FAILED: N_("Failed"),
    State.UNKNOWN: N_("Unknown"),
}


class Reason(StrEnum):
    NO_CONSENT = "no_consent"  # marketing without a recorded yes
    OPTED_OUT = "opted_out"  # the customer withdrew consent (or the provider says 21610)
    NO_MOBILE = "no_mobile"  # no valid mobile number
    DUPLICATE_PHONE = "duplicate_phone"  # another recipient of this campaign has that number
    MISSING_FIELD = "missing_field"  # the template needs a value this customer lacks
    INVALID_NUMBER = "invalid_number"  # the provider refused the number
    REFUSED = "refused"  # any other refusal by the provider
    UNDELIVERED = "undelivered"  # the provider could not deliver it
    TOO_MANY_TRIES = "too_many_tries"
    CANCELLED = "cancelled"  # the campaign was cancelled before it went out


EXCLUSIONS = (
    Reason.NO_CONSENT,
    Reason.OPTED_OUT,
    Reason.NO_MOBILE,
    Reason.DUPLICATE_PHONE,
    Reason.MISSING_FIELD,
)
REASON_LABELS = {
    Reason.NO_CONSENT: N_("No SMS consent"),
    Reason.OPTED_OUT: N_("Opted out"),
    Reason.NO_MOBILE: N_("No valid mobile number"),
    Reason.DUPLICATE_PHONE: N_("Number already targeted"),
    Reason.MISSING_FIELD: N_("A field of the template is missing"),
    Reason.INVALID_NUMBER: N_("Invalid number"),
    Reason.REFUSED: N_("Refused by the provider"),
    Reason.UNDELIVERED: N_("Not delivered"),
    Reason.TOO_MANY_TRIES: N_("Too many tries"),
    Reason.CANCELLED: N_("Campaign cancelled"),
}


class UploadReason(StrEnum):
    EMPTY = "empty"
    BAD_NUMBER = "bad_number"
    NOT_A_CUSTOMER = "not_a_customer"
    REPEATED = "repeated"


UPLOAD_REASON_LABELS = {
    UploadReason.EMPTY: N_("no phone number on the line"),
    UploadReason.BAD_NUMBER: N_("not a valid phone number"),
    UploadReason.NOT_A_CUSTOMER: N_("no customer of this store has that number"),
    UploadReason.REPEATED: N_("the number is on an earlier line"),
}


class Intent(StrEnum):
    """What an inbound reply asks for."""

    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    RSVP_YES = "rsvp_yes"
    RSVP_NO = "rsvp_no"
    OTHER = "other"
