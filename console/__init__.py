"""Huifang console."""
