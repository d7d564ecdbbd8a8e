"""How a Twilio call ended, as a network outcome (DOMAIN.md, "Outcomes of a call")."""

from dialer.twilio.status import BUSY, CANCELED, COMPLETED, FAILED, FAX, NO_ANSWER, is_machine
from storage.codes import NetworkOutcome

# Final CallStatus -> network outcome; anything absent is FAILED. "completed" means answered:
# by a human, or (answering-machine detection) by a machine, which is a voicemail.
FINAL_STATUS_OUTCOMES: dict[str, NetworkOutcome] = {
    COMPLETED: NetworkOutcome.ANSWERED,
    NO_ANSWER: NetworkOutcome.NO_ANSWER,
    BUSY: NetworkOutcome.BUSY,
    CANCELED: NetworkOutcome.REJECTED,  # canceled by the callee
    FAILED: NetworkOutcome.FAILED,
}


def network_outcome(
    status: str, answered_by: str | None = None, *, cancelled_by_us: bool = False
) -> NetworkOutcome:
    """A "canceled" we asked for (the agent hung up while it rang) is a no-answer, as our own
    CANCEL is in SIP; a call a machine answered is a voicemail, one a fax answered failed."""
    if status == CANCELED and cancelled_by_us:
        return NetworkOutcome.NO_ANSWER
    outcome = FINAL_STATUS_OUTCOMES.get(status, NetworkOutcome.FAILED)
    if outcome == NetworkOutcome.ANSWERED and is_machine(answered_by):
        return NetworkOutcome.VOICEMAIL
    if outcome == NetworkOutcome.ANSWERED and answered_by == FAX:
        return NetworkOutcome.FAILED
    return outcome
