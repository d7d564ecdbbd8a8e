"""Huifang schedulers."""
