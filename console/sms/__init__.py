"""Bulk SMS screens, one blueprint each: message templates (live preview and part counter),
campaigns (builder, approval, report and its export), the messages a crash left unknown; and
the provider's webhooks (delivery reports, replies), signed, without a session."""
