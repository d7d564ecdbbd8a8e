"""Operational scripts: bootstrap, demo data, SIPp scenarios."""
