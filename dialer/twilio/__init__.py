"""Twilio Programmable Voice behind the carrier-neutral VoiceBackend (dialer/backend.py).

The only place that imports the ``twilio`` library. Calls are placed over Twilio's REST API;
what happens to them arrives as webhooks at the web tier (console/twilio), which checks their
signature, stores each once and forwards it on ``/internal`` to the process that placed the
call, whose TwilioBackend turns it into CallEvents.

client.py    the REST client, pointable at a local mock
errors.py    Twilio's error codes: back off, or the call ends with this outcome
pacing.py    the account's calls per second (this process's bucket, or shared through Redis)
placing.py   creating calls at that rate: the seats', the pools' customers and agents' legs
status.py    call statuses in order, and the report forwarded to the seat
outcomes.py  final status -> network outcome (one table)
call.py      one call: reports in, CallEvents out, whatever their order
backend.py   TwilioBackend
webhooks.py  signature check, callbacks kept once and applied forward only, answer TwiML
tokens.py    access tokens for the agent's browser (Voice JS SDK)
wiring.py    a seat worker's or a call test's backend, with its link to the web tier; the pools'
queue.py     pooled calls: the store queue's webhooks (enqueue, hold, leave, agent takes caller)
hold.py      a pooled call's hang-up and hold from the console (REST by the seat; the TwiML)
pool.py      pooled predictive dialing of one store: pacing, agents reserved, silent calls swept
pool_dialer.py  the stores' pools' loop in the dialer supervisor (one process per store: lease)
"""
