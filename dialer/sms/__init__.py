"""SMS through a provider-neutral gateway (DESIGN.md: stores in China use domestic providers
with a registered signature and templates and reply reports; Twilio has no two-way SMS in
China), with Twilio Messaging as the first adapter. The only place that imports a carrier's
SMS library.

gateway.py   the interface: send, look a message up, delivery reports, replies, signatures
rate.py      a token bucket per sender (shared by the sending processes through Redis when
             configured), with backoff when the provider answers 429
twilio.py    the Twilio Messaging adapter
messages_api.py  its one frequent request, Create Message, on a kept-alive connection per thread
sender.py    the sending loop: mark ``sending``, send, record; reconcile what a crash left
workers.py   the sending threads: a batch's messages through one queue, one wake-up per batch
wiring.py    the configured gateway
"""
