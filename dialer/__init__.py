"""Huifang dialer."""
