"""How a SIP attempt ended, as a network outcome (DOMAIN.md, "Outcomes of a call")."""

from storage.codes import NetworkOutcome

# Final SIP status -> network outcome. 5xx is handled as a class below; anything absent is FAILED.
FINAL_STATUS_OUTCOMES: dict[int, NetworkOutcome] = {
    200: NetworkOutcome.ANSWERED,
    408: NetworkOutcome.NO_ANSWER,
    480: NetworkOutcome.NO_ANSWER,
    486: NetworkOutcome.BUSY,
    600: NetworkOutcome.BUSY,
    603: NetworkOutcome.REJECTED,
    404: NetworkOutcome.INVALID_NUMBER,
    484: NetworkOutcome.INVALID_NUMBER,
    604: NetworkOutcome.INVALID_NUMBER,
}

REQUEST_TERMINATED = 487


def network_outcome(
    sip_status: int | None, *, cancelled_by_us: bool = False, transport_error: bool = False
) -> NetworkOutcome:
    """Map the final response to our INVITE (None: no response at all) to a network outcome.

    A 487 answering our own CANCEL (ring timeout) is a no-answer; a 487 we did not ask for
    is a failure like any other unlisted final response.
    """
    if transport_error or sip_status is None or 500 <= sip_status <= 599:
        return NetworkOutcome.UNREACHABLE
    if sip_status == REQUEST_TERMINATED and cancelled_by_us:
        return NetworkOutcome.NO_ANSWER
    return FINAL_STATUS_OUTCOMES.get(sip_status, NetworkOutcome.FAILED)
