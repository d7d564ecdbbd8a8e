"""Bulk SMS: codes, texts and rendering, audience, the outbox and its report."""
