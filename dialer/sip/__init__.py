"""SIP voice backend over pjsua2: one module per pjsua2 subclass, as pjproject's pygui does.

Import `dialer.sip.backend.SipBackend`; nothing outside this package imports pjsua2.
"""
